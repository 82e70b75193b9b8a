/* geoapp map behaviour: layers fetched from the app's GeoJSON endpoints and drawn
 * on one canvas; popups and labels are built with textContent (never innerHTML),
 * so names typed by users cannot run as code. */
(function () {
  "use strict";

  var geoapp = (window.geoapp = window.geoapp || {});
  geoapp.layers = {};
  geoapp.stats = {};
  var sharedRenderer = null;

  function canvas() {
    if (!sharedRenderer) sharedRenderer = L.canvas({ padding: 0.5, tolerance: 3 });
    return sharedRenderer;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  geoapp.el = el;

  function row(table, label, value) {
    if (value === undefined || value === null || value === "") return;
    var tr = el("tr");
    tr.appendChild(el("th", null, label));
    tr.appendChild(el("td", null, value));
    table.appendChild(tr);
  }

  function withParam(url, key, value) {
    return url + (url.indexOf("?") >= 0 ? "&" : "?") + key + "=" + encodeURIComponent(value);
  }

  var styles = {
    villages: function () {
      return { color: "#3f3f3f", weight: 2, dashArray: "6 4", fillColor: "#ffffff", fillOpacity: 0.02 };
    },
    streets: function (feature) {
      var kind = feature.properties.kind;
      var main = kind === "main" || kind === "market";
      return {
        color: main ? "#8c6d31" : kind === "road" ? "#9e9e9e" : "#bdbdbd",
        weight: main ? 5 : kind === "road" ? 3 : 2,
      };
    },
    buildings: function (feature, opts) {
      var colour = opts.status.colours[feature.properties.s] || "#777";
      return { color: "#333", weight: 0.6, fillColor: colour, fillOpacity: 0.85 };
    },
  };

  function villagePopup(feature) {
    var p = feature.properties;
    var box = el("div", "geoapp-popup");
    box.appendChild(el("h3", null, p.name));
    var table = el("table");
    row(table, "代码 / code", p.code);
    row(table, "房屋 / houses", p.collected + " / " + p.task_houses);
    box.appendChild(table);
    return box;
  }

  function buildingPopup(layer, feature, opts) {
    var box = el("div", "geoapp-popup", "…");
    layer.bindPopup(box, { maxWidth: 320 });
    layer.on("popupopen", function () {
      fetch(opts.detailUrl + feature.id, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.json();
        })
        .then(function (d) {
          box.textContent = "";
          box.appendChild(el("h3", null, d.address));
          var table = el("table");
          row(table, opts.text.status, opts.status.labels[d.status] || d.status);
          row(table, opts.text.use, d.use_label || d.use);
          row(table, opts.text.floors, d.floors);
          row(table, opts.text.reason, d.return_reason);
          if (d.units && d.units.length) row(table, opts.text.units, d.units.join("、"));
          box.appendChild(table);
          layer.getPopup().update();
        })
        .catch(function (err) {
          box.textContent = String(err.message || err);
        });
    });
  }

  function notice(map) {
    var control = L.control({ position: "topleft" });
    control.onAdd = function () {
      this._div = el("div", "geoapp-notice geoapp-hidden");
      return this._div;
    };
    control.show = function (text) {
      this._div.textContent = text || "";
      this._div.className = text ? "geoapp-notice" : "geoapp-notice geoapp-hidden";
    };
    control.addTo(map);
    return control;
  }

  geoapp.remoteLayer = function (map, opts) {
    var layer = L.geoJSON(null, {
      renderer: canvas(),
      style: function (f) {
        return styles[opts.kind](f, opts);
      },
      pointToLayer: function (feature, latlng) {
        var s = styles[opts.kind](feature, opts);
        s.renderer = canvas();
        s.radius = 4;
        return L.circleMarker(latlng, s);
      },
      onEachFeature: function (feature, sub) {
        if (opts.kind === "villages") {
          sub.bindPopup(villagePopup(feature));
          sub.bindTooltip(el("span", null, feature.properties.name), { sticky: true });
        } else if (opts.kind === "streets") {
          sub.bindTooltip(el("span", null, feature.properties.name), { sticky: true });
        } else if (opts.kind === "buildings") {
          buildingPopup(sub, feature, opts);
        }
      },
    });
    var loaded = null;
    var sequence = 0;
    var info = opts.byView && opts.text ? notice(map) : null;

    function load(force) {
      if (!map.hasLayer(layer)) return;
      var view = map.getBounds();
      if (!force && opts.byView && loaded && loaded.contains(view)) return;
      var url = opts.url;
      var wanted = view.pad(0.25);
      if (opts.byView) {
        url = withParam(
          url,
          "bbox",
          [wanted.getWest(), wanted.getSouth(), wanted.getEast(), wanted.getNorth()]
            .map(function (v) {
              return v.toFixed(6);
            })
            .join(",")
        );
      }
      var mine = ++sequence;
      var started = performance.now();
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
        .then(function (r) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.json();
        })
        .then(function (data) {
          if (mine !== sequence) return;
          layer.clearLayers();
          layer.addData(data);
          loaded = opts.byView ? wanted : null;
          if (info) info.show(data.truncated ? opts.text.truncated : "");
          var stat = {
            count: data.features.length,
            truncated: !!data.truncated,
            fetchMs: performance.now() - started,
            at: performance.now(),
          };
          geoapp.stats[opts.kind] = stat;
          document.dispatchEvent(new CustomEvent("geoapp:loaded", { detail: { kind: opts.kind, stat: stat } }));
        })
        .catch(function (err) {
          if (info) info.show(String(err.message || err));
          geoapp.stats[opts.kind] = { error: String(err.message || err) };
        });
    }

    layer.on("add", function () {
      load(false);
    });
    if (opts.byView) {
      map.on("moveend", function () {
        load(false);
      });
    }
    layer.reload = function () {
      load(true);
    };
    geoapp.layers[opts.kind] = layer;
    return layer;
  };

  geoapp.legend = function (map, opts) {
    var control = L.control({ position: opts.position || "bottomright" });
    control.onAdd = function () {
      var box = el("div", "geoapp-legend");
      box.appendChild(el("strong", null, opts.title));
      opts.items.forEach(function (item) {
        var line = el("div", "geoapp-legend-item");
        var swatch = el("span", "geoapp-swatch");
        swatch.style.backgroundColor = item.colour;
        line.appendChild(swatch);
        line.appendChild(el("span", null, item.label));
        box.appendChild(line);
      });
      return box;
    };
    control.addTo(map);
    return control;
  };
})();
