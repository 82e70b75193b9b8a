/* The basemap under the town's layers (GEOAPP_BASEMAP): the offline tile file served by the app,
 * Tianditu, Gaode or Tencent, switched with a small control ("底图"); the choice is kept in
 * localStorage. Gaode and Tencent draw in GCJ-02: on those the app's WGS84 features and the
 * phone's position are shifted for display (Leaflet's GeoJSON coordinate reader and its
 * geolocation answer), and geoapp.fromMap() shifts any position back to WGS84 before it is
 * stored or sent. Changing between a WGS84 and a GCJ-02 basemap reloads the page, so that
 * everything on it is drawn in one frame. */
(function () {
  "use strict";

  var geoapp = (window.geoapp = window.geoapp || {});
  var KEY = "geoapp.basemap";
  var gcj = false;

  function stored() {
    try { return window.localStorage.getItem(KEY); } catch (e) { return null; }
  }
  function store(id) {
    try { window.localStorage.setItem(KEY, id); } catch (e) { /* private mode: not kept */ }
  }

  /* A position on the map (as drawn) → WGS84, as stored. Identity unless a GCJ-02 basemap is shown. */
  geoapp.fromMap = function (latlng) {
    if (!gcj) return L.latLng(latlng);
    var p = L.latLng(latlng);
    var w = window.GeoappGcj02.toWgs(p.lng, p.lat);
    return L.latLng(w[1], w[0]);
  };
  /* WGS84 [lon, lat] → where it is drawn. */
  geoapp.toMap = function (lonlat) {
    if (!gcj) return L.latLng(lonlat[1], lonlat[0]);
    var g = window.GeoappGcj02.toGcj(lonlat[0], lonlat[1]);
    return L.latLng(g[1], g[0]);
  };
  geoapp.mapIsGcj02 = function () { return gcj; };

  function shiftEverything() {
    gcj = true;
    var plain = L.GeoJSON.coordsToLatLngs;
    var one = function (coords) { return geoapp.toMap(coords); };
    L.GeoJSON.coordsToLatLng = one;
    L.GeoJSON.prototype.options.coordsToLatLng = one;
    L.GeoJSON.coordsToLatLngs = function (coords, levelsDeep, reader) {
      return plain(coords, levelsDeep, reader || one);
    };
    // The phone's position (map.locate and the locate button) is WGS84: draw it shifted.
    var handle = L.Map.prototype._handleGeolocationResponse;
    L.Map.prototype._handleGeolocationResponse = function (pos) {
      var at = geoapp.toMap([pos.coords.longitude, pos.coords.latitude]);
      var coords = {};
      for (var k in pos.coords) coords[k] = pos.coords[k];
      coords.latitude = at.lat;
      coords.longitude = at.lng;
      return handle.call(this, { coords: coords, timestamp: pos.timestamp });
    };
  }

  function tileLayer(layer) {
    var options = {
      attribution: layer.attribution || "",
      maxZoom: 20,
      maxNativeZoom: layer.maxNativeZoom || 18,
      minNativeZoom: layer.minNativeZoom || 0,
      subdomains: layer.subdomains || "abc",
      className: "geoapp-basemap-tiles"
    };
    if (layer.bounds) options.bounds = L.latLngBounds([layer.bounds[1], layer.bounds[0]], [layer.bounds[3], layer.bounds[2]]);
    var tiles = [L.tileLayer(layer.url, options)];
    if (layer.labels) tiles.push(L.tileLayer(layer.labels, Object.assign({}, options, { attribution: "" })));
    return L.layerGroup(tiles);
  }

  geoapp.basemaps = function (map, opts) {
    var ids = opts.layers.map(function (l) { return l.id; });
    var chosen = stored();
    if (chosen !== "none" && ids.indexOf(chosen) < 0) chosen = ids[0];
    var byId = {};
    opts.layers.forEach(function (l) { byId[l.id] = l; });
    var wantGcj = chosen !== "none" && byId[chosen].crs === "gcj02";
    if (wantGcj) shiftEverything();
    map.getContainer().setAttribute("data-basemap", chosen);

    var bases = {};
    var groups = {};
    opts.layers.forEach(function (l) {
      groups[l.id] = tileLayer(l);
      bases[l.label] = groups[l.id];
    });
    groups.none = L.layerGroup();
    bases[opts.text.none] = groups.none;
    groups[chosen].addTo(map);

    var control = L.control.layers(bases, null, { collapsed: true, position: "topright" });
    control.addTo(map);
    var box = control.getContainer();
    box.classList.add("geoapp-basemap-control");
    var toggle = box.querySelector(".leaflet-control-layers-toggle");
    if (toggle) {
      toggle.textContent = opts.text.title;
      toggle.title = opts.text.title;
      toggle.setAttribute("aria-label", opts.text.title);
    }
    map.on("baselayerchange", function (e) {
      var id = null;
      Object.keys(groups).forEach(function (k) { if (groups[k] === e.layer) id = k; });
      if (!id) return;
      store(id);
      map.getContainer().setAttribute("data-basemap", id);
      var nowGcj = id !== "none" && byId[id].crs === "gcj02";
      if (nowGcj !== gcj) window.location.reload(); // everything redrawn in the other frame
    });
  };
})();
