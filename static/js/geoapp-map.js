/* geoapp map behaviour: layers fetched from the app's GeoJSON endpoints and drawn
 * on one canvas; popups and labels are built with textContent (never innerHTML),
 * so names typed by users cannot run as code. */
(function () {
  "use strict";

  var geoapp = (window.geoapp = window.geoapp || {});
  var el = geoapp.el; // static/js/dom.js
  geoapp.layers = {};
  geoapp.stats = {};
  var sharedRenderer = null;

  function canvas() {
    if (!sharedRenderer) sharedRenderer = L.canvas({ padding: 0.1, tolerance: 3 });
    return sharedRenderer;
  }

  /* Square and triangle markers for the unit layers: circle markers (same hit test, same
   * canvas) whose outline is drawn as a square or a triangle, so that a layer is told
   * apart by its shape, not only by its colour. */
  L.Canvas.include({
    _updateShape: function (layer) {
      if (!this._drawing || layer._empty()) return;
      var p = layer._point,
        ctx = this._ctx,
        r = Math.max(Math.round(layer._radius), 1);
      ctx.beginPath();
      if (layer.options.symbol === "triangle") {
        var h = r * 1.25;
        ctx.moveTo(p.x, p.y - h);
        ctx.lineTo(p.x + h, p.y + r);
        ctx.lineTo(p.x - h, p.y + r);
      } else {
        ctx.rect(p.x - r, p.y - r, r * 2, r * 2);
      }
      ctx.closePath();
      this._fillStroke(ctx, layer);
    },
  });
  var ShapeMarker = L.CircleMarker.extend({
    /* Drawn beside its building's point (``offset`` in pixels, up and to the right), so
     * that the house under it stays visible and clickable. */
    _project: function () {
      L.CircleMarker.prototype._project.call(this);
      var o = this.options.offset;
      if (o) {
        this._point = this._point.add(L.point(o[0], o[1]));
        this._updateBounds();
      }
    },
    _updatePath: function () {
      if (this._renderer._updateShape) this._renderer._updateShape(this);
      else L.CircleMarker.prototype._updatePath.call(this);
    },
  });
  geoapp.ShapeMarker = ShapeMarker;


  /* "Return" / "Reject" with a reason: the button gives way to a text box and a confirm
   * button placed before ``before``; ``send(reason)`` is called with what was typed. */
  geoapp.reasonBox = function (wrap, before, opts) {
    var open = geoapp.button(opts.className, opts.label);
    open.addEventListener("click", function () {
      open.hidden = true; // hidden, not removed: Leaflet must still find the clicked node inside the popup
      var reason = el("textarea");
      reason.name = "reason";
      reason.rows = 2;
      reason.maxLength = 500;
      reason.placeholder = opts.hint;
      var confirm = geoapp.button(opts.confirmClass, opts.confirmLabel);
      confirm.addEventListener("click", function () {
        opts.send(reason.value);
      });
      wrap.insertBefore(reason, before);
      wrap.insertBefore(confirm, before);
      reason.focus();
    });
    return open;
  };

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
      var style = {
        color: main ? "#8c6d31" : kind === "road" ? "#9e9e9e" : "#bdbdbd",
        weight: main ? 5 : kind === "road" ? 3 : 2,
      };
      if (feature.properties.left > 0) {
        // Uncollected street: houses fronting it are still waiting.
        style.color = "#e34a33";
        style.dashArray = "8 6";
        style.weight = Math.max(style.weight, 4);
      }
      return style;
    },
    buildings: function (feature, opts) {
      var colour = opts.status.colours[feature.properties.s] || "#777";
      return { color: "#333", weight: 0.6, fillColor: colour, fillOpacity: 0.85 };
    },
    // Street-front blocks: outlined areas under the houses; red when overdue, blue when assigned.
    blocks: function (feature) {
      var p = feature.properties;
      var colour = p.overdue ? "#b00020" : p.officer ? "#3182bd" : "#756bb1";
      return { color: colour, weight: 2, fillColor: colour, fillOpacity: 0.12 };
    },
    // Unit layers (shops, factories): a symbol of their own, filled by the unit's status.
    units: function (feature, opts) {
      var colour = opts.status.colours[feature.properties.s] || "#777";
      return { color: "#111", weight: 1.2, fillColor: colour, fillOpacity: 0.95, symbol: opts.symbol, radius: 6, offset: [9, -9] };
    },
  };
  function styleFor(opts) {
    return styles[opts.kind] || (opts.popup === "unit" ? styles.units : styles.villages);
  }

  function villagePopup(feature, text) {
    var p = feature.properties;
    text = text || { code: "代码 / code", houses: "房屋 / houses" };
    var box = el("div", "geoapp-popup");
    box.appendChild(el("h3", null, p.name));
    var table = el("table");
    row(table, text.code, p.code);
    row(table, text.houses, p.collected + " / " + p.task_houses);
    box.appendChild(table);
    return box;
  }

  function blockPopup(feature, text) {
    var p = feature.properties;
    var box = el("div", "geoapp-popup");
    box.appendChild(el("h3", null, p.name));
    var table = el("table");
    row(table, text.street, p.street === "" ? text.unnamed : p.street); // "": an unnamed road
    row(table, text.houses, p.houses_collected + " / " + p.houses_verified + " / " + p.houses);
    row(table, text.units, p.units_collected + " / " + p.units_verified + " / " + p.units_total);
    row(table, text.officer, p.officer_name || p.officer || text.none);
    if (p.due) {
      var left = p.overdue ? text.overdue.replace("{n}", -p.days_left) : p.days_left >= 0 ? text.daysLeft.replace("{n}", p.days_left) : "";
      row(table, text.due, p.due + (left ? " · " + left : ""));
    }
    box.appendChild(table);
    return box;
  }

  /* Wide enough to read on a phone (Leaflet would shrink it to its first words), and narrow
   * enough to open beside the left column of map buttons (zoom, locate): the map pans so the
   * popup clears them, and clears the counts and upload note at the top. */
  function readablePopup(map) {
    var width = Math.min(300, map.getSize().x - 120);
    return { maxWidth: width, minWidth: width, autoPanPaddingTopLeft: L.point(64, 140) };
  }

  function buildingPopup(map, sub, opts) {
    var feature = sub.feature;
    var box = el("div", "geoapp-popup", "…");
    var popup = L.popup(readablePopup(map)).setLatLng(sub.getLatLng ? sub.getLatLng() : sub.getBounds().getCenter()).setContent(box).openOn(map);
    geoapp
      .call("GET", opts.detailUrl + feature.id)
      .then(function (d) {
        box.textContent = "";
        box.appendChild(el("h3", null, d.address));
        var table = el("table");
        row(table, opts.text.status, opts.status.labels[d.status] || d.status);
        row(table, opts.text.use, d.use_label || d.use);
        row(table, opts.text.floors, d.floors);
        row(table, opts.text.reason, d.return_reason);
        if (d.visit_flag) row(table, opts.text.flag, opts.flags[d.visit_flag] || d.visit_flag);
        if (d.units && d.units.length) row(table, opts.text.units, d.units.join("、"));
        box.appendChild(table);
        if (opts.historyUrl) {
          var link = el("a", "history", opts.text.history);
          link.href = opts.historyUrl + "?object_type=building&object_id=" + encodeURIComponent(d.id);
          box.appendChild(link);
        }
        (geoapp.popupHooks || []).forEach(function (hook) {
          hook(box, d);
        });
        if (popup.isOpen()) popup.update(); // laid out and panned again for its full height
      })
      .catch(function (err) {
        box.textContent = String(err.message || err); // the server's reason, or the network's error
        box.classList.add("failed");
      });
  }

  /* A popup wide enough to read on a phone (Leaflet would shrink it to its first words),
   * never wider than the screen; filled once the record's details arrive. */
  function detailPopup(map, sub, url, fill) {
    var box = el("div", "geoapp-popup", "…");
    var popup = L.popup(readablePopup(map))
      .setLatLng(sub.getLatLng ? sub.getLatLng() : sub.getBounds().getCenter())
      .setContent(box)
      .openOn(map);
    geoapp
      .call("GET", url)
      .then(function (d) {
        box.textContent = "";
        fill(box, d);
        if (popup.isOpen()) popup.update(); // laid out and panned again for its full height
      })
      .catch(function (err) {
        box.textContent = String(err.message || err);
        box.classList.add("failed");
      });
    return box;
  }

  function unitPopup(map, sub, opts) {
    detailPopup(map, sub, opts.detailUrl + sub.feature.id, function (box, d) {
      box.classList.add("unit-popup");
      box.appendChild(el("h3", null, d.name));
      var table = el("table");
      row(table, opts.text.uscc, d.uscc || opts.text.none);
      row(table, opts.text.kind, d.kind_label || d.kind);
      row(
        table,
        opts.text.staff,
        opts.text.staffValue
          .replace("{declared}", d.staff === null || d.staff === undefined ? "—" : d.staff)
          .replace("{registered}", d.staff_registered)
      );
      row(table, opts.text.building, d.address || opts.text.none);
      row(table, opts.text.status, d.status_label || opts.status.labels[d.status] || d.status);
      box.appendChild(table);
      var links = el("div", "links");
      var record = el("a", "record", opts.text.record);
      record.href = withParam(opts.recordUrl, "unit", d.id);
      links.appendChild(record);
      if (opts.historyUrl) {
        var history = el("a", "history", opts.text.history);
        history.href = opts.historyUrl + "?object_type=unit&object_id=" + encodeURIComponent(d.id);
        links.appendChild(history);
      }
      box.appendChild(links);
      (geoapp.unitPopupHooks || []).forEach(function (hook) {
        hook(box, d, sub);
      });
    });
  }
  geoapp.unitPopup = unitPopup;

  /* Turn one GeoJSON feature into a canvas layer; styles are shared per value. */
  function featureLayer(feature, style) {
    var g = feature.geometry;
    var layer;
    if (g.type === "Point") {
      var at = L.GeoJSON.coordsToLatLng(g.coordinates); // shifted on a GCJ-02 basemap (basemaps.js)
      layer = style.symbol === "square" || style.symbol === "triangle" ? new ShapeMarker(at, style) : L.circleMarker(at, style);
    } else if (g.type === "Polygon" || g.type === "MultiPolygon") {
      layer = L.polygon(L.GeoJSON.coordsToLatLngs(g.coordinates, g.type === "Polygon" ? 1 : 2), style);
    } else if (g.type === "LineString" || g.type === "MultiLineString") {
      layer = L.polyline(L.GeoJSON.coordsToLatLngs(g.coordinates, g.type === "LineString" ? 0 : 1), style);
    } else {
      return null;
    }
    layer.feature = feature;
    return layer;
  }

  /* A one-line notice over the map (bottom left, above the legend: the top holds the zoom
   * buttons, the counts and the offline badge on a phone). */
  function notice(map) {
    var control = L.control({ position: "bottomleft" });
    control.onAdd = function () {
      this._div = el("div", "geoapp-notice geoapp-hidden");
      return this._div;
    };
    control.show = function (text) {
      this._div.textContent = text || "";
      this._div.classList.toggle("geoapp-hidden", !text); // keeps Leaflet's own control classes
    };
    control.addTo(map);
    return control;
  }

  /* One canvas draws every layer, in the order they were added; whichever
   * answer arrives last must not cover the houses: boundaries go to the back,
   * then streets, so houses stay on top and take the clicks. */
  var DRAW_ORDER = ["streets", "blocks", "villages"];
  function stack() {
    DRAW_ORDER.forEach(function (kind) {
      var layer = geoapp.layers[kind];
      if (layer) layer.eachLayer(function (sub) {
        if (sub._map) sub.bringToBack();
      });
    });
    // Unit symbols sit on their buildings: drawn last, so that they stay visible and take the clicks.
    Object.keys(geoapp.layers).forEach(function (kind) {
      var layer = geoapp.layers[kind];
      if (layer && layer._unitLayer) layer.eachLayer(function (sub) {
        if (sub._map) sub.bringToFront();
      });
    });
  }

  /* Every house of a compact answer (``/api/buildings.geojson?compact=1``: columns of ids,
   * lon, lat and status indexes) as ONE path of the shared canvas renderer: projected in
   * one loop, painted in one pass per status colour, hit-tested through a grid of cells.
   * The canvas renderer treats it like any other path (draw order, clicks, hover), so the
   * houses stay above the streets and blocks and below the unit symbols.
   * ``house(i)`` gives a small stand-in for one house (``feature``, ``getLatLng``,
   * ``options.fillColor``, ``fire``) for the code written for one Leaflet layer per house. */
  var CELL = 32;
  var DOT_SIZE = 10; // pixels of one house's dot (radius 4, its outline, a pixel of edge)
  var DOT_REACH = 3; // outlines reaching no further from their point are drawn as dots
  /* A point's pixel position at zoom 0, written into xs[i], ys[i]: Web Mercator worked out
   * in place (no object per point) on the usual CRS, Leaflet's own projection otherwise. */
  function zeroZoom(crs) {
    if (crs === L.CRS.EPSG3857) {
      var d = Math.PI / 180,
        max = L.Projection.SphericalMercator.MAX_LATITUDE;
      return function (lat, lng, xs, ys, i) {
        var sin = Math.sin(Math.max(Math.min(max, lat), -max) * d);
        xs[i] = 256 * (0.5 + lng / 360);
        ys[i] = 256 * (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI));
      };
    }
    return function (lat, lng, xs, ys, i) {
      var p = crs.latLngToPoint(L.latLng(lat, lng), 0);
      xs[i] = p.x;
      ys[i] = p.y;
    };
  }
  /* One dot laid into premultiplied pixels ``acc`` at ``base``: "source over" per channel,
   * dst = src + dst * (255 - alpha) / 255, two channels at a time (the usual x/255 rounding). */
  function blit(acc, base, offsets, words, alphas) {
    for (var k = 0; k < offsets.length; k++) {
      var d = base + offsets[k],
        sa = alphas[k],
        dst = acc[d];
      if (sa === 255 || dst === 0) {
        acc[d] = words[k];
        continue;
      }
      var inv = 255 - sa,
        rb = (dst & 0xff00ff) * inv + 0x800080,
        ag = ((dst >>> 8) & 0xff00ff) * inv + 0x800080;
      rb = ((rb + ((rb >>> 8) & 0xff00ff)) >>> 8) & 0xff00ff;
      ag = ((ag + ((ag >>> 8) & 0xff00ff)) >>> 8) & 0xff00ff;
      acc[d] = (words[k] + ((rb | (ag << 8)) >>> 0)) >>> 0;
    }
  }

  /* Premultiplied words back to the straight colours ImageData holds. */
  function unpremultiply(acc, out) {
    for (var d = 0; d < acc.length; d++) {
      var v = acc[d],
        a = v >>> 24;
      if (a === 255 || a === 0) {
        out[d] = v;
        continue;
      }
      var f = 255 / a;
      out[d] =
        ((a << 24) | (Math.min(255, Math.round(((v >>> 16) & 255) * f)) << 16) | (Math.min(255, Math.round(((v >>> 8) & 255) * f)) << 8) | Math.min(255, Math.round((v & 255) * f))) >>> 0;
    }
  }

  var HouseCloud = L.Path.extend({
    options: { radius: 4, color: "#333", weight: 0.6, fillOpacity: 0.85 },

    initialize: function (data, opts, group) {
      L.setOptions(this, { renderer: canvas() });
      this._group = group;
      this._opts = opts;
      this.statuses = data.statuses.slice();
      this.uses = data.uses;
      this.ids = data.ids;
      this.lon = data.lon; // as stored (WGS84), for the stand-ins' GeoJSON geometry
      this.lat = data.lat;
      this.codes = Uint8Array.from(data.s);
      this.useCodes = data.u;
      var n = data.ids.length;
      this.index = new Map();
      // Outlines: house i has vertices first[i] .. first[i + 1] - 1 (none: drawn as a circle).
      this.first = new Uint32Array(n + 1);
      var counts = data.n || [],
        ring = data.ring || [],
        v = 0,
        i,
        k;
      for (i = 0; i < n; i++) {
        this.first[i] = v;
        v += counts[i] || 0;
        this.index.set(data.ids[i], i);
      }
      this.first[n] = v;
      // Where each house and vertex is drawn: as stored (WGS84), or shifted on a GCJ-02
      // basemap (basemaps.js) one point at a time.
      this.houseLat = new Float64Array(n);
      this.houseLng = new Float64Array(n);
      this.vertexLat = new Float64Array(v);
      this.vertexLng = new Float64Array(v);
      if (geoapp.mapIsGcj02 && geoapp.mapIsGcj02()) {
        var toLatLng = L.GeoJSON.coordsToLatLng,
          ll;
        for (i = 0; i < n; i++) {
          ll = toLatLng([data.lon[i], data.lat[i]]);
          this.houseLat[i] = ll.lat;
          this.houseLng[i] = ll.lng;
          for (k = this.first[i]; k < this.first[i + 1]; k++) {
            ll = toLatLng([data.lon[i] + ring[2 * k] * 1e-7, data.lat[i] + ring[2 * k + 1] * 1e-7]);
            this.vertexLat[k] = ll.lat;
            this.vertexLng[k] = ll.lng;
          }
        }
      } else {
        this.houseLat.set(data.lat);
        this.houseLng.set(data.lon);
        for (i = 0; i < n; i++) {
          for (k = this.first[i]; k < this.first[i + 1]; k++) {
            this.vertexLng[k] = data.lon[i] + ring[2 * k] * 1e-7;
            this.vertexLat[k] = data.lat[i] + ring[2 * k + 1] * 1e-7;
          }
        }
      }
      this._x0 = null;
      this._subs = null;
    },

    count: function () {
      return this.ids.length;
    },

    _project: function () {
      var map = this._map,
        n = this.ids.length,
        i;
      if (!this._x0 || this._crs !== map.options.crs) {
        this._crs = map.options.crs;
        this._x0 = new Float64Array(n);
        this._y0 = new Float64Array(n);
        var project = zeroZoom(this._crs);
        for (i = 0; i < n; i++) project(this.houseLat[i], this.houseLng[i], this._x0, this._y0, i);
        var nv = this.vertexLat.length;
        this._vx0 = new Float64Array(nv);
        this._vy0 = new Float64Array(nv);
        for (i = 0; i < nv; i++) project(this.vertexLat[i], this.vertexLng[i], this._vx0, this._vy0, i);
      }
      var k = this._crs.scale(map.getZoom()) / this._crs.scale(0),
        origin = map.getPixelOrigin();
      this._px = this._px && this._px.length === n ? this._px : new Float64Array(n);
      this._py = this._py && this._py.length === n ? this._py : new Float64Array(n);
      var minX = Infinity,
        minY = Infinity,
        maxX = -Infinity,
        maxY = -Infinity;
      for (i = 0; i < n; i++) {
        var x = (this._px[i] = this._x0[i] * k - origin.x),
          y = (this._py[i] = this._y0[i] * k - origin.y);
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
      var nv = this._vx0.length,
        reach = 0;
      this._vx = this._vx && this._vx.length === nv ? this._vx : new Float64Array(nv);
      this._vy = this._vy && this._vy.length === nv ? this._vy : new Float64Array(nv);
      for (i = 0; i < nv; i++) {
        this._vx[i] = this._vx0[i] * k - origin.x;
        this._vy[i] = this._vy0[i] * k - origin.y;
      }
      this._hr = this._hr && this._hr.length === n ? this._hr : new Float32Array(n);
      for (i = 0; i < n; i++) {
        var own = 0;
        for (var j = this.first[i]; j < this.first[i + 1]; j++) {
          own = Math.max(own, Math.abs(this._vx[j] - this._px[i]), Math.abs(this._vy[j] - this._py[i]));
        }
        this._hr[i] = own; // 0: a point
        if (own > reach) reach = own;
      }
      this._reach = reach; // how far an outline reaches from its house's point, at most
      var w = Math.max(this.options.radius, reach) + this._clickTolerance();
      this._pxBounds = n ? L.bounds([minX - w, minY - w], [maxX + w, maxY + w]) : null;
      this._grid = null; // built on the first hit test at this zoom
      this._projected = (this._projected || 0) + 1; // the dots drawn before are stale
    },

    _update: function () {
      if (this._map) this._updatePath();
    },

    _empty: function () {
      return !this._pxBounds || !this._renderer._bounds.intersects(this._pxBounds);
    },

    /* A point, or an outline no wider than a dot at this zoom (the whole town in view), is drawn as a dot. */
    _dot: function (i) {
      return this._hr[i] <= DOT_REACH;
    },

    _updatePath: function () {
      var renderer = this._renderer;
      if (!renderer._drawing || this._empty()) return;
      // The canvas only (a redraw asked for by this layer covers the whole town: at street
      // zoom far more than the canvas); the renderer clips to what it redraws.
      var r = this.options.radius,
        b = renderer._bounds,
        m = Math.max(r, this._reach) + 1,
        outlines = [b.min.x - m, b.min.y - m, b.max.x + m, b.max.y + m];
      m = r + 1;
      this._drawShapes(renderer._ctx, outlines);
      this._drawDots(renderer._ctx, [b.min.x - m, b.min.y - m, b.max.x + m, b.max.y + m]);
    },

    /* Outlines wider than a dot (closer in), each house on its own path (one path spanning
     * the whole map costs the canvas far more than many small ones). */
    _drawShapes: function (ctx, view) {
      var r = this.options.radius,
        first = this.first,
        vx = this._vx,
        vy = this._vy,
        px = this._px,
        py = this._py,
        codes = this.codes,
        fills = this._fills();
      ctx.lineWidth = this.options.weight;
      ctx.strokeStyle = this.options.color;
      for (var i = 0; i < this.ids.length; i++) {
        var x = px[i],
          y = py[i];
        if (x < view[0] || x > view[2] || y < view[1] || y > view[3] || this._dot(i)) continue;
        var a = first[i],
          z = first[i + 1];
        ctx.beginPath();
        ctx.moveTo(vx[a], vy[a]);
        for (var q = a + 1; q < z; q++) ctx.lineTo(vx[q], vy[q]);
        ctx.closePath();
        ctx.globalAlpha = this.options.fillOpacity;
        ctx.fillStyle = fills[codes[i]];
        ctx.fill();
        ctx.globalAlpha = 1;
        ctx.stroke();
      }
    },

    _fills: function () {
      var colours = this._opts.status.colours;
      return this.statuses.map(function (s) {
        return colours[s] || "#777";
      });
    },

    /* One dot per status, drawn once by the canvas (same circle, fill and outline as a
     * house drawn alone), kept as pixels. */
    _sprites: function () {
      var fills = this._fills(),
        size = DOT_SIZE,
        key = fills.join();
      if (this._spriteKey === key) return this._spritePixels;
      var canvasEl = document.createElement("canvas");
      canvasEl.width = canvasEl.height = size;
      var c = canvasEl.getContext("2d"),
        o = this.options;
      this._spritePixels = fills.map(function (fill) {
        c.clearRect(0, 0, size, size);
        c.beginPath();
        c.arc(size / 2, size / 2, o.radius, 0, Math.PI * 2);
        c.globalAlpha = o.fillOpacity;
        c.fillStyle = fill;
        c.fill();
        c.globalAlpha = 1;
        c.lineWidth = o.weight;
        c.strokeStyle = o.color;
        c.stroke();
        return c.getImageData(0, 0, size, size).data;
      });
      this._spriteKey = key;
      return this._spritePixels;
    },

    /* The pixels of each status's dot that are not transparent: where (x + y * DOT_SIZE), the
     * colour premultiplied by its alpha as one little-endian RGBA word (as a Uint32Array over
     * pixels reads it), and the alpha. */
    _spriteRuns: function () {
      var sprites = this._sprites();
      if (this._runsOf === sprites) return this._runs;
      var size = DOT_SIZE;
      this._runs = sprites.map(function (px) {
        var at = [],
          words = [],
          alphas = [];
        for (var k = 0; k < size * size; k++) {
          var a = px[k * 4 + 3];
          if (!a) continue;
          at.push(k);
          words.push(
            ((a << 24) | (Math.round((px[k * 4 + 2] * a) / 255) << 16) | (Math.round((px[k * 4 + 1] * a) / 255) << 8) | Math.round((px[k * 4] * a) / 255)) >>> 0
          );
          alphas.push(a);
        }
        return { at: Int32Array.from(at), word: Uint32Array.from(words), alpha: Uint8Array.from(alphas) };
      });
      this._runsOf = sprites;
      return this._runs;
    },

    /* Points and small outlines: every dot laid into one block of pixels (blended where dots
     * overlap), handed to the canvas in one drawImage. The block is kept until the houses move
     * on screen (a zoom: ``_project``), a status changes or the view grows past it, so that the
     * redraws asked for by the other layers (streets, shops arriving) cost one drawImage. */
    _drawDots: function (ctx, view) {
      var key = [this._projected, this._painted, this._sprites().length, view[0], view[1], view[2], view[3]].join();
      if (this._dotsKey === key && this._scratch) {
        if (this._scratchAt) ctx.drawImage(this._scratch, this._scratchAt[0], this._scratchAt[1]);
        return;
      }
      this._dotsKey = key;
      this._scratchAt = null;
      var n = this.ids.length,
        px = this._px,
        py = this._py,
        hr = this._hr,
        codes = this.codes,
        half = DOT_SIZE / 2,
        minX = Infinity,
        minY = Infinity,
        maxX = -Infinity,
        maxY = -Infinity,
        i;
      for (i = 0; i < n; i++) {
        var x = px[i],
          y = py[i];
        if (x < view[0] || x > view[2] || y < view[1] || y > view[3] || hr[i] > DOT_REACH) continue;
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
      if (minX === Infinity) return;
      var ox = Math.floor(minX) - half,
        oy = Math.floor(minY) - half,
        w = Math.ceil(maxX) - ox + half + 1,
        h = Math.ceil(maxY) - oy + half + 1,
        image = this._image && this._image.width === w && this._image.height === h ? this._image : new ImageData(w, h),
        out32 = new Uint32Array(image.data.buffer),
        acc = this._acc && this._acc.length === w * h ? this._acc : new Uint32Array(w * h), // premultiplied
        runs = this._spriteRuns();
      if (acc === this._acc) acc.fill(0); // the same size as last time: reused, cleared
      var offsets = runs.map(function (run) {
        var o = new Int32Array(run.at.length);
        for (var k = 0; k < o.length; k++) o[k] = Math.floor(run.at[k] / DOT_SIZE) * w + (run.at[k] % DOT_SIZE);
        return o;
      });
      for (i = 0; i < n; i++) {
        var hx = px[i],
          hy = py[i];
        if (hx < view[0] || hx > view[2] || hy < view[1] || hy > view[3] || hr[i] > DOT_REACH) continue;
        var code = codes[i];
        blit(acc, (Math.round(hy) - half - oy) * w + (Math.round(hx) - half - ox), offsets[code], runs[code].word, runs[code].alpha);
      }
      unpremultiply(acc, out32);
      this._acc = acc;
      this._image = image;
      var scratch = this._scratch || (this._scratch = document.createElement("canvas"));
      scratch.width = w;
      scratch.height = h;
      scratch.getContext("2d").putImageData(image, 0, 0);
      this._scratchAt = [ox, oy];
      ctx.drawImage(scratch, ox, oy);
    },

    _cellKey: function (cx, cy) {
      return cx * 1e6 + cy;
    },

    _buildGrid: function () {
      var grid = new Map();
      for (var i = 0; i < this.ids.length; i++) {
        var minX = this._px[i],
          maxX = minX,
          minY = this._py[i],
          maxY = minY;
        for (var k = this.first[i]; k < this.first[i + 1]; k++) {
          minX = Math.min(minX, this._vx[k]);
          maxX = Math.max(maxX, this._vx[k]);
          minY = Math.min(minY, this._vy[k]);
          maxY = Math.max(maxY, this._vy[k]);
        }
        for (var cx = Math.floor(minX / CELL); cx <= Math.floor(maxX / CELL); cx++) {
          for (var cy = Math.floor(minY / CELL); cy <= Math.floor(maxY / CELL); cy++) {
            var key = this._cellKey(cx, cy);
            var cell = grid.get(key);
            if (cell) cell.push(i);
            else grid.set(key, [i]);
          }
        }
      }
      this._grid = grid;
    },

    /* How far ``p`` is from house ``i`` in pixels: from its circle's centre, or 0 inside its
     * outline and the distance to the outline outside it. */
    _distance: function (p, i) {
      var a = this.first[i],
        z = this.first[i + 1];
      if (this._dot(i)) return Math.sqrt((this._px[i] - p.x) * (this._px[i] - p.x) + (this._py[i] - p.y) * (this._py[i] - p.y)) - this.options.radius;
      var inside = false,
        best = Infinity;
      for (var k = a, prev = z - 1; k < z; prev = k++) {
        var xk = this._vx[k],
          yk = this._vy[k],
          xp = this._vx[prev],
          yp = this._vy[prev];
        if (yk > p.y !== yp > p.y && p.x < ((xp - xk) * (p.y - yk)) / (yp - yk) + xk) inside = !inside;
        best = Math.min(best, L.LineUtil.pointToSegmentDistance(p, L.point(xp, yp), L.point(xk, yk)));
      }
      return inside ? 0 : best;
    },

    /* The house under ``p`` (a layer point), nearest first; remembered for the event fired next. */
    _containsPoint: function (p) {
      if (!this._pxBounds || !this._pxBounds.contains(p)) return false;
      if (!this._grid) this._buildGrid();
      var best = -1,
        bestD = this._clickTolerance(),
        cx = Math.floor(p.x / CELL),
        cy = Math.floor(p.y / CELL);
      for (var dx = -1; dx <= 1; dx++) {
        for (var dy = -1; dy <= 1; dy++) {
          var cell = this._grid.get(this._cellKey(cx + dx, cy + dy));
          if (!cell) continue;
          for (var j = 0; j < cell.length; j++) {
            var d = this._distance(p, cell[j]);
            if (d <= bestD) {
              bestD = d;
              best = cell[j];
            }
          }
        }
      }
      this._hit = best;
      return best >= 0;
    },

    /* The stand-in of house number ``i`` (in the answer's order), made once. */
    house: function (i) {
      if (!this._subs) this._subs = new Array(this.ids.length);
      var sub = this._subs[i];
      if (sub) return sub;
      var cloud = this,
        name = this.statuses[this.codes[i]];
      sub = this._subs[i] = {
        _house: i,
        feature: {
          type: "Feature",
          id: this.ids[i],
          geometry: { type: "Point", coordinates: [this.lon[i], this.lat[i]] },
          properties: { s: name, u: this.uses[this.useCodes[i]] },
        },
        options: { fillColor: this._opts.status.colours[name] || "#777" },
        getLatLng: function () {
          return L.latLng(cloud.houseLat[i], cloud.houseLng[i]);
        },
        /* A click given by code (tests, links) goes where a click on the canvas goes. */
        fire: function (type, data) {
          cloud._group.fire(type, L.extend({}, data, { layer: sub, sourceTarget: sub }));
          return sub;
        },
      };
      return sub;
    },

    eachHouse: function (fn, context) {
      for (var i = 0; i < this.ids.length; i++) fn.call(context, this.house(i));
    },

    setStatus: function (id, status) {
      var i = this.index.get(id);
      if (i === undefined) return;
      var c = this.statuses.indexOf(status);
      if (c < 0) {
        c = this.statuses.length;
        this.statuses.push(status);
      }
      this.codes[i] = c;
      this._painted = (this._painted || 0) + 1; // the dots drawn before are stale
      if (this._subs && this._subs[i]) {
        this._subs[i].feature.properties.s = status;
        this._subs[i].options.fillColor = this._opts.status.colours[status] || "#777";
      }
      if (this._map) this._renderer._requestRedraw(this);
    },
  });
  geoapp.HouseCloud = HouseCloud;

  /* The houses' layer group: its layers are the squares counting houses or one HouseCloud;
   * ``eachLayer``/``getLayers`` give each house's stand-in in place of the cloud (Leaflet's
   * own adding and removing still go through the real layers). */
  function houseGroup(layer) {
    var real = L.LayerGroup.prototype.eachLayer;
    layer.eachLayer = function (fn, context) {
      real.call(this, function (sub) {
        if (sub instanceof HouseCloud) sub.eachHouse(fn, context);
        else fn.call(context, sub);
      });
      return this;
    };
    layer.onAdd = function (map) {
      real.call(this, map.addLayer, map);
    };
    layer.onRemove = function (map) {
      real.call(this, map.removeLayer, map);
    };
    layer.clearLayers = function () {
      real.call(this, this.removeLayer, this);
      return this;
    };
    layer.cloud = function () {
      var found = null;
      real.call(this, function (sub) {
        if (sub instanceof HouseCloud) found = sub;
      });
      return found;
    };
    /* The stand-in of the house with this id (null: not drawn). */
    layer.house = function (id) {
      var cloud = layer.cloud();
      var i = cloud ? cloud.index.get(id) : undefined;
      return i === undefined ? null : cloud.house(i);
    };
    return layer;
  }

  /* The houses come first: on a map with a houses layer, the other layers' first answers are
   * drawn once the houses are painted (or have failed, or after ``geoapp.housesFirstMs``,
   * 2 s unless set), so the town's houses never wait behind its streets, shops and outlines
   * being laid. */
  var HOUSES_FIRST_MS = 2000;
  function housesFirst(map) {
    if (map._geoappHouses) return map._geoappHouses;
    var release;
    var gate = new Promise(function (resolve) {
      release = resolve;
    });
    gate.release = release;
    document.addEventListener("geoapp:loaded", function drawn(e) {
      if (e.detail.kind !== "buildings") return;
      document.removeEventListener("geoapp:loaded", drawn);
      requestAnimationFrame(function () {
        setTimeout(release, 0); // after the frame that paints them
      });
    });
    setTimeout(release, geoapp.housesFirstMs || HOUSES_FIRST_MS);
    return (map._geoappHouses = gate);
  }
  function afterHouses(map, kind, data) {
    if (kind === "buildings" || !map._geoappHouses) return data;
    return map._geoappHouses.then(function () {
      return data;
    });
  }

  /* The map's tools (the collector's form, review, units, blocks, moves, the offline queue,
   * ScriptTool in geoapp/maps/tools.py) come after the houses too: their files are fetched
   * and run once the houses are painted (as the other layers wait), in the order the page
   * lists them, then each tool's function is called with its options, in the same order.
   * ``geoapp.tools`` says where they stand ("loading", "ready", "failed"); the event
   * "geoapp:tools" says they are ready; ``geoapp.whenTools(fn)`` runs fn then (at once on a
   * page without tools). */
  function arrival(node) {
    return new Promise(function (resolve, reject) {
      node.onload = resolve;
      node.onerror = function () {
        reject(new Error("not loaded: " + (node.src || node.href)));
      };
    });
  }
  function loadFiles(tools) {
    var have = {};
    document.querySelectorAll("script[src], link[rel=stylesheet]").forEach(function (node) {
      have[node.getAttribute("src") || node.getAttribute("href")] = true;
    });
    var waits = [];
    function add(url, make) {
      if (have[url]) return;
      have[url] = true;
      var node = make();
      waits.push(arrival(node));
      document.head.appendChild(node);
    }
    tools.forEach(function (tool) {
      tool.css.forEach(function (href) {
        add(href, function () {
          return L.extend(document.createElement("link"), { rel: "stylesheet", href: href });
        });
      });
      tool.js.forEach(function (src) {
        add(src, function () {
          return L.extend(document.createElement("script"), { src: src, async: false }); // in order
        });
      });
    });
    return Promise.all(waits);
  }
  geoapp.tool = function (map, name, options, js, css) {
    var tools = map._geoappTools;
    if (!tools) {
      tools = map._geoappTools = [];
      geoapp.tools = "loading";
      geoapp.toolsReady = new Promise(function (resolve) {
        setTimeout(resolve, 0); // every tool of the page listed, the houses layer added
      })
        .then(function () {
          return map._geoappHouses;
        })
        .then(function () {
          return loadFiles(tools);
        })
        .then(function () {
          var failed = false;
          tools.forEach(function (tool) {
            try {
              geoapp[tool.name](map, tool.options);
            } catch (err) {
              failed = true;
              console.error(err);
            }
          });
          geoapp.tools = failed ? "failed" : "ready";
          document.dispatchEvent(new CustomEvent("geoapp:tools", { detail: { state: geoapp.tools } }));
        })
        .catch(function (err) {
          geoapp.tools = "failed";
          console.error(err);
        });
    }
    tools.push({ name: name, options: options, js: js, css: css });
  };
  geoapp.whenTools = function (fn) {
    if (geoapp.tools === "loading") geoapp.toolsReady.then(fn);
    else fn();
  };

  geoapp.remoteLayer = function (map, opts) {
    var layer = L.featureGroup();
    if (opts.kind === "buildings") houseGroup(layer);
    var styleCache = {};
    function styleOf(feature) {
      var p = feature.properties;
      var key = opts.kind === "buildings" || opts.popup === "unit" ? p.s : opts.kind === "streets" ? p.kind + (p.left > 0 ? "!" : "") : opts.kind === "blocks" ? (p.overdue ? "o" : p.officer ? "a" : "") : "";
      if (!styleCache[key]) {
        styleCache[key] = L.extend({ radius: 4 }, styleFor(opts)(feature, opts), { renderer: canvas() });
      }
      return styleCache[key];
    }
    layer.addData = function (data) {
      if (data.compact) {
        if (data.ids.length) layer.addLayer(new HouseCloud(data, opts, layer));
        return layer;
      }
      var features = data.features || [];
      for (var i = 0; i < features.length; i++) {
        var sub = featureLayer(features[i], styleOf(features[i]));
        if (sub) layer.addLayer(sub);
      }
      return layer;
    };
    // One handler per layer, not per feature: popups and tooltips are built on demand.
    layer.on("click", function (e) {
      var sub = e.layer;
      if (sub instanceof HouseCloud) sub = sub.house(sub._hit);
      geoapp.whenTools(function () {
        clicked(e, sub); // a popup's buttons come from the tools
      });
    });
    function clicked(e, sub) {
      if (sub._bin) return map.fitBounds(sub.getBounds(), { animate: false }); // a count: zoom into it
      if (geoapp.clickHook && geoapp.clickHook(opts, sub, e)) return; // e.g. placing a unit
      if (opts.kind === "buildings") buildingPopup(map, sub, opts);
      else if (opts.popup === "unit") unitPopup(map, sub, opts);
      else if (opts.kind === "blocks")
        L.popup().setLatLng(e.latlng).setContent(blockPopup(sub.feature, opts.text)).openOn(map);
      else if (opts.kind === "villages")
        L.popup().setLatLng(e.latlng).setContent(villagePopup(sub.feature, opts.text)).openOn(map);
    }
    if (opts.kind !== "buildings") {
      layer.on("mouseover", function (e) {
        var sub = e.layer;
        if (sub._leftLabel) return; // the permanent label already names it
        var p = sub.feature.properties;
        var unnamed = (opts.text && opts.text.unnamed) || "";
        if (!sub.getTooltip()) sub.bindTooltip(el("span", null, p.name || p.n || unnamed), { sticky: true, className: "geoapp-tip" });
        sub.openTooltip(e.latlng);
      });
    }
    var loaded = null;
    var loadedZoom = null; // the zoom of the squares drawn (null: houses), which a zoom makes stale
    var pending = null;
    var tooMany = null;
    var sequence = 0;
    var info = opts.byView && opts.text && opts.text.truncated ? notice(map) : null;

    // First ask for the whole layer (the page preloads that URL). Only when the
    // server says it is too big for one answer do we switch to loading by view.
    var whole = null;
    var wholePending = false;

    function load(force) {
      if (!map.hasLayer(layer)) return;
      if (!force && (whole === true || wholePending)) return;
      var byView = opts.byView && whole === false;
      var view = map.getBounds();
      var wanted = view.pad(0.25);
      if (byView && !force) {
        var fresh = loadedZoom === null || loadedZoom === map.getZoom();
        if ((loaded && fresh && loaded.contains(view)) || (pending && pending.contains(view))) return;
        if (tooMany && tooMany.equals(wanted)) return; // asked already: still too many
      }
      var url = opts.url;
      if (byView) {
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
      if (byView && opts.bins && map.getZoom() < opts.bins.zoom) return loadBins(wanted); // no house by house here
      var mine = ++sequence;
      pending = byView ? wanted : null;
      wholePending = !byView;
      var started = performance.now();
      geoapp.call("GET", url)
        .then(function (data) {
          return afterHouses(map, opts.kind, data);
        })
        .then(function (data) {
          if (mine !== sequence) return;
          pending = null;
          wholePending = false;
          if (!byView && data.truncated && opts.byView) {
            whole = false;
            load(true);
            return;
          }
          if (!byView) whole = true;
          if (byView && data.truncated && opts.bins) return loadBins(wanted); // too many: count them instead
          layer.clearLayers();
          layer.addData(data);
          stack();
          if (opts.kind === "streets") labelStreets();
          loaded = byView && !data.truncated ? wanted : null;
          loadedZoom = null;
          binLegend(false);
          tooMany = byView && data.truncated ? wanted : null;
          if (info) info.show(data.truncated ? opts.text.truncated : "");
          var stat = {
            count: data.compact ? data.count : data.features.length,
            truncated: !!data.truncated,
            byView: byView,
            fetchMs: performance.now() - started,
            at: performance.now(),
          };
          geoapp.stats[opts.kind] = stat;
          document.dispatchEvent(new CustomEvent("geoapp:loaded", { detail: { kind: opts.kind, stat: stat } }));
          if (byView) load(false); // the map may have moved while this answer was on its way
        })
        .catch(function (err) {
          if (mine === sequence) {
            pending = null;
            wholePending = false;
          }
          if (info) info.show(String(err.message || err));
          geoapp.stats[opts.kind] = { error: String(err.message || err) };
          if (opts.kind === "buildings") map._geoappHouses.release(); // the others need not wait
        });
    }

    /* Too many houses for the view (a county, a town at low zoom): squares counting them,
     * coloured by the share collected (legend ``opts.bins``), drawn in place of the houses. */
    function loadBins(wanted) {
      var mine = ++sequence;
      pending = wanted;
      var zoom = map.getZoom();
      var started = performance.now();
      var box = [wanted.getWest(), wanted.getSouth(), wanted.getEast(), wanted.getNorth()].map(function (v) {
        return Math.max(-180, Math.min(180, v)).toFixed(6);
      });
      box[1] = Math.max(-90, box[1]).toFixed(6);
      box[3] = Math.min(90, box[3]).toFixed(6);
      var county = geoapp.countyView ? geoapp.countyView(opts, zoom) : null; // villages (geoapp-county.js)
      var url = county ? county.url : withParam(opts.bins.url, "zoom", Math.floor(zoom));
      geoapp.call("GET", withParam(url, "bbox", box.join(",")))
        .then(function (data) {
          if (mine !== sequence) return;
          pending = null;
          layer.clearLayers();
          var features = data.features || [];
          for (var i = 0; i < features.length; i++) {
            var p = features[i].properties;
            var c = features[i].geometry.coordinates[0];
            var sub = county ? county.draw(features[i], binStyle) : L.rectangle([[c[0][1], c[0][0]], [c[2][1], c[2][0]]], binStyle(p.n ? p.c / p.n : 0));
            sub.feature = features[i];
            sub._bin = true;
            layer.addLayer(sub);
          }
          stack();
          loaded = wanted;
          loadedZoom = zoom;
          tooMany = null;
          if (info) info.show(features.length ? county ? county.notice : opts.bins.text.zoomIn : "");
          binLegend(true, county);
          var stat = { count: 0, bins: features.length, county: !!county, byView: true, fetchMs: performance.now() - started, at: performance.now() };
          geoapp.stats[opts.kind] = stat;
          document.dispatchEvent(new CustomEvent("geoapp:loaded", { detail: { kind: opts.kind, stat: stat } }));
          load(false);
        })
        .catch(function (err) {
          if (mine === sequence) pending = null;
          if (info) info.show(String(err.message || err));
          geoapp.stats[opts.kind] = { error: String(err.message || err) };
          if (opts.kind === "buildings") map._geoappHouses.release(); // the others need not wait
        });
    }
    var binStyles = {};
    function binStyle(share) {
      var step = opts.bins.steps.length - 1;
      while (step > 0 && share < opts.bins.steps[step].from) step--;
      if (!binStyles[step]) {
        var colour = opts.bins.steps[step].colour;
        binStyles[step] = { color: colour, weight: 1, fillColor: colour, fillOpacity: 0.55, renderer: canvas() };
      }
      return binStyles[step];
    }
    var binLegendControl = null;
    function binLegend(show, county) {
      if (!opts.bins) return;
      if (show && binLegendControl && binLegendControl._county !== !!county) binLegend(false);
      if (show && !binLegendControl) {
        binLegendControl = geoapp.legend(map, {
          title: county ? county.title : opts.bins.text.title,
          position: "bottomleft",
          items: county ? county.items : opts.bins.steps.map(function (s) {
            return { colour: s.colour, label: s.label };
          }),
        });
        binLegendControl._county = !!county;
      } else if (!show && binLegendControl) {
        binLegendControl.remove();
        binLegendControl = null;
      }
    }
    if (opts.bins) {
      layer.on("mouseover", function (e) {
        var sub = e.layer;
        if (!sub._bin) return;
        var p = sub.feature.properties;
        var text = opts.bins.text.cell.replace("{n}", p.n).replace("{c}", p.c).replace("{v}", p.v);
        if (!sub.getTooltip()) sub.bindTooltip(el("span", null, text), { sticky: true, className: "geoapp-tip" });
        sub.openTooltip(e.latlng);
      });
    }

    // Uncollected streets say how many houses are left, once the map is close enough to read.
    function labelStreets() {
      var show = map.getZoom() >= (opts.labelZoom || 16);
      layer.eachLayer(function (sub) {
        var left = sub.feature.properties.left;
        var tip = sub._leftLabel;
        if (show && left > 0) {
          var name = sub.feature.properties.name || opts.text.unnamed;
          var text = opts.text.left.replace("{n}", left).replace("{name}", function () {
            return name; // a function: "$&" in a name stays literal
          });
          if (!tip) {
            tip = sub._leftLabel = L.tooltip({ permanent: true, direction: "center", className: "street-left" });
            tip.setContent(el("span", null, text));
            sub.bindTooltip(tip).openTooltip();
          } else {
            tip.getContent().textContent = text;
            sub.openTooltip();
          }
        } else if (tip) {
          sub.unbindTooltip();
          sub._leftLabel = null;
        }
      });
    }
    if (opts.kind === "streets") map.on("zoomend", labelStreets);

    layer.on("add", function () {
      if (opts.kind === "buildings") housesFirst(map); // houses shown: the others wait for them
      load(false);
    });
    if (opts.byView) {
      map.on("moveend", function () {
        load(false);
      });
    }
    layer.reload = function () {
      whole = null;
      load(true);
    };
    if (opts.kind === "buildings") {
      geoapp.status = opts.status; // colours and labels, shared with the collector and review tools
      focusFromHash(map, layer, opts);
    }
    if (opts.kind === "villages") focusVillageFromHash(map, layer, opts);
    layer._unitLayer = opts.popup === "unit";
    layer.options = L.extend(layer.options || {}, { geoapp: opts });
    geoapp.layers[opts.kind] = layer;
    return layer;
  };

  /* A house's new status (after a submission or a review), drawn at once. */
  geoapp.setHouseStatus = function (id, status) {
    var layer = geoapp.layers.buildings;
    if (!layer) return;
    var cloud = layer.cloud && layer.cloud();
    if (cloud) return cloud.setStatus(id, status);
    layer.eachLayer(function (sub) {
      if (sub.feature && sub.feature.id === id) {
        sub.feature.properties.s = status;
        sub.setStyle({ fillColor: geoapp.status.colours[status] });
      }
    });
  };

  /* A link such as /#house=12&lat=27.1&lon=113.3 (from the review list, or a scanned
   * door plate through /h/12) opens that house's popup once the houses are drawn; when
   * they load by view, the map first moves to the given position so that the house is
   * among them. "&form=1" (a collector's plate) opens the house's form instead. */
  function focusFromHash(map, layer, opts) {
    var m = /^#house=(\d+)&lat=(-?[\d.]+)&lon=(-?[\d.]+)(&form=1)?$/.exec(window.location.hash);
    if (!m) return;
    var id = Number(m[1]);
    var at = L.GeoJSON.coordsToLatLng([Number(m[3]), Number(m[2])]);
    var moved = false;
    function look(e) {
      if (e.detail.kind !== "buildings") return;
      var found = layer.house(id);
      if (found) {
        document.removeEventListener("geoapp:loaded", look);
        map.setView(found.getLatLng ? found.getLatLng() : found.getBounds().getCenter(), 18, { animate: false });
        geoapp.whenTools(function () {
          if (m[4] && geoapp.openForm) geoapp.openForm(id);
          else buildingPopup(map, found, opts);
        });
      } else if (!moved) {
        moved = true;
        map.setView(at, 18, { animate: false });
      } else {
        document.removeEventListener("geoapp:loaded", look); // not in this user's scope
      }
    }
    document.addEventListener("geoapp:loaded", look);
  }

  /* A link such as /#village=7 (from the leaders' page) shows that village: the map fits
   * its boundary, drawn thicker, and opens its popup once the boundaries are loaded. */
  function focusVillageFromHash(map, layer, opts) {
    var m = /^#village=(\d+)$/.exec(window.location.hash);
    if (!m) return;
    var id = Number(m[1]);
    function look(e) {
      if (e.detail.kind !== "villages") return;
      document.removeEventListener("geoapp:loaded", look);
      layer.eachLayer(function (sub) {
        if (!sub.feature || sub.feature.id !== id) return;
        sub.setStyle({ color: "#d7301f", weight: 4, dashArray: null, fillOpacity: 0.05 });
        map.fitBounds(sub.getBounds(), { animate: false, padding: [10, 10] });
        var at = sub.feature.properties.label; // [lon, lat] inside the village
        L.popup()
          .setLatLng(at ? [at[1], at[0]] : sub.getBounds().getCenter())
          .setContent(villagePopup(sub.feature, opts.text))
          .openOn(map);
        geoapp.focusedVillage = id;
      });
    }
    document.addEventListener("geoapp:loaded", look);
  }

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
