/* The town map at county zoom: where a view covers many villages (zoom at most
 * ``opts.bins.county.zoom``), the houses layer draws each village's outline coloured by
 * the share of its task collected (``/api/villages/progress.geojson``, kept tallies:
 * milliseconds however many houses) instead of squares that group every house.
 * geoapp-map.js asks ``geoapp.countyView(opts, zoom)`` before loading squares. Tooltips are
 * built with textContent (never innerHTML). */
(function () {
  "use strict";

  var geoapp = (window.geoapp = window.geoapp || {});
  var NO_TASK = "#9e9e9e";

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) {
      return key in values ? String(values[key]) : all; // a function: "$&" in a name stays literal
    });
  }

  geoapp.countyView = function (opts, zoom) {
    var county = opts.bins && opts.bins.county;
    if (!county || zoom > county.zoom) return null;
    var text = county.text;
    return {
      url: county.url,
      title: text.title,
      notice: text.zoomIn,
      items: opts.bins.steps
        .map(function (s) {
          return { colour: s.colour, label: s.label };
        })
        .concat([{ colour: NO_TASK, label: text.noTask }]),
      /* One village: its outline, coloured as a square of the same share would be. */
      draw: function (feature, binStyle) {
        var p = feature.properties;
        var share = p.task > 0 ? Math.min(1, p.c / p.task) : null;
        var style = binStyle(share === null ? 0 : share);
        if (share === null) style = L.extend({}, style, { color: NO_TASK, fillColor: NO_TASK });
        var sub = L.geoJSON(feature, { style: style, renderer: style.renderer }).getLayers()[0];
        var values = { name: p.name, c: p.c, v: p.v, task: p.task, share: Math.round((share || 0) * 100) };
        var line = share === null ? fill(text.villageNoTask, values) : fill(text.village, values);
        sub.bindTooltip(geoapp.el("span", null, line), { sticky: true, className: "geoapp-tip" });
        return sub;
      },
    };
  };
})();
