/* The leaders' page: villages coloured by a rate and labelled, a heatmap of the houses
 * still uncollected, the village card, the progress chart with the plan's line and the
 * forecast, and the ranking table, all for one as-of date kept in the address.
 * Every figure is fetched from the app (/api/coverage?forecast=1, /api/coverage/progress,
 * /api/heat, /api/villages.geojson); text is set with
 * textContent only, never as HTML. Labels and words come translated in ``opts``. */
(function () {
  "use strict";

  var geoapp = (window.geoapp = window.geoapp || {});
  var leaders = (geoapp.leaders = {});
  var el = geoapp.el;

  // Which definition explains which column (the API's ``definitions`` keys).
  var DEFINITION_OF = {
    stage1: "stage",
    stage2: "stage",
    funding_yuan: "funding",
    penalty_points: "penalty",
  };
  var DEFINITION_ORDER = [
    "collection_rate",
    "timeliness_rate",
    "deadline_rule",
    "accuracy_rate",
    "stage",
    "task",
    "collected",
    "verified",
    "returned",
    "flagged",
    "households",
    "funding",
    "penalty",
    "as_of",
  ];
  var STAGE_ORDER = { met: 2, open: 1, missed: 0 };

  function fmt(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (_, key) {
      return values[key] === undefined || values[key] === null ? "" : String(values[key]);
    });
  }

  function pct(value, digits) {
    if (value === null || value === undefined) return "—";
    return (value * 100).toFixed(digits === undefined ? 1 : digits) + "%";
  }

  function shortPct(value) {
    return Math.round(value * 1000) / 10 + "%";
  }

  function count(value) {
    if (value === null || value === undefined) return "—";
    return Number(value).toLocaleString("zh-CN");
  }

  /* No custom headers: the page preloads its first answers, and the browser hands them over
   * only to a request made the same way (the /api/ answers are JSON, errors too). */
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      return r.json().then(
        function (body) {
          if (!r.ok) throw new Error(body.message || "HTTP " + r.status);
          return body;
        },
        function () {
          throw new Error("HTTP " + r.status);
        }
      );
    });
  }

  function withQuery(url, params) {
    var query = Object.keys(params)
      .filter(function (k) {
        return params[k] !== null && params[k] !== undefined && params[k] !== "";
      })
      .map(function (k) {
        return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]);
      })
      .join("&");
    return query ? url + "?" + query : url;
  }

  function addDays(iso, days) {
    var d = new Date(iso + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  }

  function daysBetween(a, b) {
    return Math.round((Date.parse(b + "T00:00:00Z") - Date.parse(a + "T00:00:00Z")) / 86400000);
  }

  /* The choropleth's layer: polygons and labels are added by the page below. */
  leaders.choropleth = function () {
    return L.featureGroup();
  };

  leaders.page = function (map, choropleth, heat, opts) {
    var T = opts.text;
    var state = {
      asOf: opts.state.as_of,
      kind: opts.state.kind,
      rate: opts.state.rate,
      village: opts.state.village || null,
    };
    var data = { coverage: null, progress: null };
    var villages = {}; // id → {polygon, tooltip, value (the label's rate), area}
    var sort = { key: state.rate, dir: -1 };
    var sequence = 0;
    var progressSequence = 0;
    var heatSequence = 0;
    var chart = null;
    var fitted = false;
    var renderer = L.canvas({ padding: 0.5, tolerance: 2 });
    var view = (geoapp.leadersView = { ready: false, asOf: null, kind: null, rate: null, village: null });

    var $ = function (id) {
      return document.getElementById(id);
    };
    var statusLine = $("leaders-status");
    var asOfInput = $("as-of");
    var kindSelect = $("kind");
    var rateSelect = $("rate");
    var chartVillage = $("chart-village");
    var card = $("village-card");
    var table = $("ranking");

    function status(text, isError) {
      statusLine.textContent = text || "";
      statusLine.className = "leaders-status" + (isError ? " error" : "");
    }

    // -- the address and the links follow the state ------------------------------------
    function remember() {
      var params = new URLSearchParams(window.location.search);
      params.set("as_of", state.asOf);
      params.set("kind", state.kind);
      params.set("rate", state.rate);
      if (state.village) params.set("village", state.village);
      else params.delete("village");
      window.history.replaceState(null, "", "?" + params.toString() + window.location.hash);
      $("workbook-link").href = withQuery(opts.urls.workbook, { as_of: state.asOf });
      $("print-link").href = withQuery(opts.urls.print, { as_of: state.asOf });
    }

    // -- the villages on the map ---------------------------------------------------------
    var villagesLoaded = getJSON(opts.urls.villages).then(function (geo) {
      geo.features.forEach(function (feature) {
        var g = feature.geometry;
        if (g.type !== "Polygon" && g.type !== "MultiPolygon") return;
        var polygon = L.polygon(L.GeoJSON.coordsToLatLngs(g.coordinates, g.type === "Polygon" ? 1 : 2), {
          renderer: renderer,
          color: "#444",
          weight: 1,
          fillColor: opts.noData,
          fillOpacity: 0.75,
        });
        polygon.feature = feature;
        var label = el("div", "village-label-box");
        var name = el("span", "village-label-name", feature.properties.name);
        var value = el("span", "village-label-value", "");
        label.appendChild(name);
        label.appendChild(value);
        var at = feature.properties.label;
        var tooltip = L.tooltip({
          permanent: true,
          direction: "center",
          className: "village-label",
          interactive: false,
          opacity: 1,
        })
          .setLatLng(at ? L.GeoJSON.coordsToLatLng(at) : polygon.getCenter())
          .setContent(label);
        polygon.on("click", function () {
          select(feature.id, "map");
        });
        choropleth.addLayer(polygon);
        choropleth.addLayer(tooltip);
        villages[feature.id] = {
          polygon: polygon,
          tooltip: tooltip,
          value: value,
          area: polygon.getBounds().getNorthEast().distanceTo(polygon.getBounds().getSouthWest()),
        };
      });
    });

    function colourOf(value) {
      if (value === null || value === undefined) return opts.noData;
      var colour = opts.classes[0].colour;
      opts.classes.forEach(function (c) {
        if (value >= c.lower - 1e-9) colour = c.colour;
      });
      return colour;
    }

    function paintMap() {
      var rows = data.coverage ? data.coverage.villages : [];
      rows.forEach(function (row) {
        var v = villages[row.village_id];
        if (!v) return;
        var value = row[state.rate];
        var selected = row.village_id === state.village;
        v.polygon.setStyle({
          fillColor: colourOf(value),
          fillOpacity: fillOpacity(),
          color: selected ? "#111" : "#444",
          weight: selected ? 4 : 1,
        });
        if (selected) v.polygon.bringToFront();
        v.value.textContent = pct(value);
      });
      declutter();
    }

    /* Labels that would overlap another, larger village's label are hidden until the
     * map is zoomed in far enough for both (the selected village's label always shows). */
    var declutterFrame = null;
    function declutter() {
      if (declutterFrame) return;
      declutterFrame = window.requestAnimationFrame(function () {
        declutterFrame = null;
        var placed = [];
        var ids = Object.keys(villages).sort(function (a, b) {
          var sa = Number(a) === state.village ? 1 : 0;
          var sb = Number(b) === state.village ? 1 : 0;
          return sb - sa || villages[b].area - villages[a].area;
        });
        ids.forEach(function (id) {
          var node = villages[id].tooltip.getElement();
          if (!node) return;
          node.classList.remove("label-hidden");
          var r = node.getBoundingClientRect();
          var clash = placed.some(function (p) {
            return r.left < p.right && r.right > p.left && r.top < p.bottom && r.bottom > p.top;
          });
          if (clash) node.classList.add("label-hidden");
          else placed.push(r);
        });
        view.labelsShown = placed.length;
      });
    }
    map.on("zoomend moveend resize", declutter);
    choropleth.on("add", declutter);

    /* The town fills the map; where there is room (the map taller than the town needs, as
     * on a phone), the town moves up, clear of the legend at the bottom. */
    function fitTown() {
      var bounds = choropleth.getBounds();
      if (!bounds.isValid()) return;
      var below = legend._div ? legend._div.offsetHeight + 12 : 0;
      var plain = map.getBoundsZoom(bounds, false, L.point(0, 0));
      var padded = map.getBoundsZoom(bounds, false, L.point(0, below));
      // On a phone, up to half a zoom level smaller to keep the whole town clear of the legend.
      var room = padded >= plain || (map.getSize().x < 600 && padded >= plain - 0.5);
      map.fitBounds(bounds, { animate: false, paddingBottomRight: room ? [0, below] : [0, 0] });
    }

    // -- the legend ----------------------------------------------------------------------
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      this._div = el("div", "leaders-legend");
      L.DomEvent.disableClickPropagation(this._div);
      return this._div;
    };
    legend.addTo(map);

    function currentStage() {
      var stages = opts.campaign.stages;
      for (var i = 0; i < stages.length; i++) if (state.asOf <= stages[i].end) return stages[i];
      return stages[stages.length - 1];
    }

    function target() {
      if (state.rate === "timeliness_rate")
        return { share: opts.campaign.onTime, text: fmt(T.onTimeTarget, { share: shortPct(opts.campaign.onTime) }) };
      if (state.rate === "accuracy_rate")
        return { share: opts.campaign.quality, text: fmt(T.qualityTarget, { share: shortPct(opts.campaign.quality) }) };
      var stage = currentStage();
      return {
        share: stage.target,
        text: fmt(T.target, { stage: stage.label, share: shortPct(stage.target), date: stage.end.slice(5) }),
      };
    }

    /* A horizontal colour bar: one block per class, the breaks under it, and the target
     * marked with a red line at its place on the bar. */
    function drawLegend() {
      var box = legend._div;
      box.textContent = "";
      box.appendChild(el("strong", null, fmt(T.legendTitle, { rate: opts.rates[state.rate], kind: opts.kinds[state.kind] })));
      var classes = opts.classes;
      var n = classes.length;
      var bar = el("div", "legend-bar");
      var ticks = el("div", "legend-ticks");
      classes.forEach(function (c, i) {
        var block = el("span", "legend-block");
        block.style.backgroundColor = c.colour;
        block.title = i === n - 1 ? shortPct(c.lower) : shortPct(c.lower) + "–" + shortPct(classes[i + 1].lower);
        bar.appendChild(block);
        var tick = el("span", "legend-tick", Math.round(c.lower * 100) + (i === n - 1 ? "%" : ""));
        tick.style.left = (100 * i) / n + "%";
        ticks.appendChild(tick);
      });
      var goal = target();
      // Where the target falls on the bar: inside its class, in proportion.
      var k = 0;
      for (var i = 0; i < n; i++) if (goal.share >= classes[i].lower - 1e-9) k = i;
      var upper = k + 1 < n ? classes[k + 1].lower : classes[k].lower;
      var within = upper > classes[k].lower ? (goal.share - classes[k].lower) / (upper - classes[k].lower) : 0;
      var mark = el("span", "legend-mark");
      mark.style.left = (100 * (k + within)) / n + "%";
      bar.appendChild(mark);
      box.appendChild(bar);
      box.appendChild(ticks);
      var line = el("div", "legend-target");
      line.appendChild(el("span", "legend-target-key"));
      line.appendChild(el("span", null, goal.text));
      box.appendChild(line);
      var none = el("div", "legend-none");
      var swatch = el("span", "legend-swatch");
      swatch.style.backgroundColor = opts.noData;
      none.appendChild(swatch);
      none.appendChild(el("span", null, T.noData));
      box.appendChild(none);
    }

    // -- the heatmap of uncollected houses -----------------------------------------------
    function loadHeat() {
      if (!map.hasLayer(heat)) return;
      var mine = ++heatSequence;
      getJSON(url("heat", { status: "uncollected", as_of: state.asOf }))
        .then(function (body) {
          if (mine !== heatSequence) return;
          var gcj = window.geoapp && window.geoapp.mapIsGcj02 && window.geoapp.mapIsGcj02(); // shifted onto a GCJ-02 basemap
          heat.setLatLngs(gcj ? body.points.map(function (p) { return L.GeoJSON.coordsToLatLng([p[1], p[0]]); }) : body.points);
          view.heat = { asOf: body.as_of, count: body.count };
          status(fmt(T.heatCount, { n: count(body.count), date: body.as_of }));
        })
        .catch(function (err) {
          status(fmt(T.failed, { error: err.message }), true);
        });
    }
    // With the heatmap on, the villages' colours fade so that the heat reads clearly.
    function fillOpacity() {
      return map.hasLayer(heat) ? 0.3 : 0.75;
    }
    heat.on("add", function () {
      loadHeat();
      paintMap();
    });
    heat.on("remove", function () {
      paintMap();
      status("");
    });

    // -- the ranking table ---------------------------------------------------------------
    var columns = [{ key: "rank", label: T.rank, kind: "rank" }, { key: "name", label: T.name, kind: "name" }]
      .concat(opts.columns)
      .concat([{ key: "forecast", label: T.forecast, kind: "forecast" }]);

    /* A row's forecast (sent with the row), with the figures its dashed line starts from. */
    function forecastOf(row) {
      if (!row || !row.forecast) return null;
      return L.extend({ collected: row.collected, task: row.task }, row.forecast);
    }

    function windowDays() {
      return data.coverage && data.coverage.forecast_window ? data.coverage.forecast_window.days : "";
    }

    function forecastText(f) {
      if (!f || !f.outlook) return { text: "—", cls: "none" };
      if (f.outlook === "reached" || f.outlook === "stalled") return { text: opts.outlooks[f.outlook], cls: f.outlook };
      if (!f.reach_date) return { text: opts.outlooks.late, cls: "late" };
      var sameYear = f.reach_date.slice(0, 4) === state.asOf.slice(0, 4);
      var day = sameYear ? f.reach_date.slice(5) : f.reach_date;
      return { text: f.outlook === "late" ? day + " " + opts.outlooks.late : day, cls: f.outlook };
    }

    function sortValue(row, key) {
      if (key === "name") return row.name;
      if (key === "stage1" || key === "stage2") return row[key] in STAGE_ORDER ? STAGE_ORDER[row[key]] : null;
      if (key === "forecast") {
        var f = forecastOf(row);
        if (!f || !f.outlook || f.outlook === "stalled") return null;
        if (f.outlook === "reached") return -1;
        return f.reach_date ? daysBetween(state.asOf, f.reach_date) : 1e9;
      }
      if (key === "rank") return null;
      return row[key];
    }

    function sortedRows() {
      var rows = data.coverage.villages.slice();
      var key = sort.key === "rank" ? state.rate : sort.key;
      rows.sort(function (a, b) {
        var va = sortValue(a, key);
        var vb = sortValue(b, key);
        if (va === null && vb === null) return a.code < b.code ? -1 : 1;
        if (va === null) return 1; // nothing to rank: last, in either direction
        if (vb === null) return -1;
        var c = key === "name" ? String(va).localeCompare(String(vb), "zh-CN") : va - vb;
        return c * sort.dir || (a.code < b.code ? -1 : 1);
      });
      return rows;
    }

    function cell(row, column, rank) {
      var td = el("td", "col-" + column.kind);
      var value = row[column.key];
      if (column.kind === "rank") {
        td.textContent = rank || "";
      } else if (column.kind === "name") {
        if (row.village_id) {
          var button = geoapp.button("village-link", row.name);
          button.addEventListener("click", function (e) {
            e.stopPropagation();
            select(row.village_id, "table");
          });
          td.appendChild(button);
        } else {
          td.textContent = row.name;
        }
      } else if (column.kind === "rate") {
        td.textContent = pct(value);
        if (value !== null && value !== undefined) {
          var bar = el("span", "rate-bar");
          bar.style.width = Math.min(100, value * 100) + "%";
          bar.style.backgroundColor = colourOf(value);
          td.appendChild(bar);
        }
      } else if (column.kind === "stage") {
        td.textContent = value ? opts.stageLabels[value] || value : "—";
        if (value) td.classList.add("stage-" + value);
      } else if (column.kind === "forecast") {
        var f = forecastOf(row);
        var shown = forecastText(f);
        td.textContent = shown.text;
        td.classList.add("outlook-" + shown.cls);
        if (f && f.pace_per_day !== null)
          td.title = fmt(T.pace, { pace: f.pace_per_day.toFixed(1), days: windowDays() });
      } else if ((column.kind === "money" || column.kind === "points") && (value === null || value === undefined)) {
        td.textContent = "—";
        td.title = T.undecided;
      } else {
        td.textContent = count(value);
      }
      return td;
    }

    function definitionOf(key) {
      var defs = data.coverage ? data.coverage.definitions : {};
      if (key === "forecast") return T.forecastDefinition;
      return defs[DEFINITION_OF[key] || key] || "";
    }

    function drawHead() {
      var thead = table.tHead;
      thead.textContent = "";
      var tr = el("tr");
      columns.forEach(function (column) {
        var th = el("th", "col-" + column.kind);
        th.scope = "col";
        var title = definitionOf(column.key);
        if (title) th.title = title;
        if (column.kind === "rank") {
          th.textContent = column.label;
        } else {
          var button = geoapp.button("sort", column.label);
          button.dataset.key = column.key;
          button.addEventListener("click", function () {
            if (sort.key === column.key) sort.dir = -sort.dir;
            else {
              sort.key = column.key;
              sort.dir = column.kind === "name" || column.kind === "forecast" ? 1 : -1;
            }
            drawTable();
          });
          th.appendChild(button);
          if (sort.key === column.key) {
            th.setAttribute("aria-sort", sort.dir > 0 ? "ascending" : "descending");
            button.appendChild(el("span", "sort-mark", sort.dir > 0 ? " ▲" : " ▼"));
          }
        }
        tr.appendChild(th);
      });
      thead.appendChild(tr);
    }

    function drawTable() {
      if (!data.coverage) return;
      drawHead();
      var body = table.tBodies[0];
      body.textContent = "";
      sortedRows().forEach(function (row, i) {
        var tr = el("tr");
        tr.dataset.village = row.village_id;
        if (row.village_id === state.village) tr.className = "selected";
        columns.forEach(function (column) {
          tr.appendChild(cell(row, column, i + 1));
        });
        tr.addEventListener("click", function () {
          select(row.village_id, "table");
        });
        body.appendChild(tr);
      });
      var foot = table.tFoot;
      foot.textContent = "";
      [data.coverage.station, data.coverage.total].forEach(function (row) {
        if (!row) return;
        var tr = el("tr", row.code === "total" ? "total" : "station");
        columns.forEach(function (column) {
          tr.appendChild(cell(row, column, null));
        });
        foot.appendChild(tr);
      });
      view.sort = { key: sort.key, dir: sort.dir };
    }

    function drawDefinitions() {
      var list = $("definitions-list");
      list.textContent = "";
      var defs = data.coverage.definitions;
      DEFINITION_ORDER.forEach(function (key) {
        if (defs[key]) list.appendChild(el("li", null, defs[key]));
      });
      list.appendChild(el("li", null, T.forecastDefinition));
    }

    // -- the village card ----------------------------------------------------------------
    function rowOf(id) {
      if (!data.coverage || !id) return null;
      for (var i = 0; i < data.coverage.villages.length; i++) {
        if (data.coverage.villages[i].village_id === id) return data.coverage.villages[i];
      }
      return null;
    }

    function selectedRow() {
      return rowOf(state.village);
    }

    function drawCard() {
      card.textContent = "";
      if (!data.coverage) return;
      var row = selectedRow();
      var shown = row || data.coverage.total;
      var head = el("div", "card-head");
      head.appendChild(el("h2", null, shown.name));
      head.appendChild(el("span", "card-date", fmt(T.asOf, { date: state.asOf })));
      card.appendChild(head);
      var figures = el("dl", "card-figures");
      columns.forEach(function (column) {
        if (column.kind === "rank" || column.kind === "name") return;
        var wrap = el("div", "figure");
        var dt = el("dt", null, column.label);
        var title = definitionOf(column.key);
        if (title) dt.title = title;
        var td = cell(shown, column, null);
        var dd = el("dd", td.className);
        while (td.firstChild) dd.appendChild(td.firstChild);
        if (td.title) dd.title = td.title;
        wrap.appendChild(dt);
        wrap.appendChild(dd);
        figures.appendChild(wrap);
      });
      card.appendChild(figures);
      if (row) {
        var link = el("a", "open-map", T.openMap);
        link.href = opts.urls.townMap + "#village=" + encodeURIComponent(row.village_id);
        card.appendChild(link);
      } else {
        card.appendChild(el("p", "hint", T.pickVillage));
      }
    }

    // -- the progress chart --------------------------------------------------------------
    function fillChartVillages() {
      while (chartVillage.options.length > 1) chartVillage.remove(1);
      data.coverage.villages.forEach(function (row) {
        var option = el("option", null, row.name);
        option.value = row.village_id;
        chartVillage.appendChild(option);
      });
      chartVillage.value = state.village ? String(state.village) : "";
    }
    chartVillage.addEventListener("change", function () {
      select(chartVillage.value ? Number(chartVillage.value) : null, "chart");
    });

    /* The address of one of the page's requests; the page preloads the first ones, written
     * the same way (geoapp/maps/leaders.py: first_requests). */
    function url(name, params) {
      return withQuery(opts.urls[name], params);
    }

    function loadProgress() {
      var mine = ++progressSequence;
      getJSON(url("progress", { kind: state.kind, as_of: state.asOf, village: state.village }))
        .then(function (body) {
          if (mine !== progressSequence) return;
          data.progress = body;
          drawChart();
        })
        .catch(function (err) {
          status(fmt(T.failed, { error: err.message }), true);
        });
    }

    function planShare(day, p) {
      var points = [[p.collection_start, 0]].concat(
        p.stages.map(function (s) {
          return [s.end, s.target];
        })
      );
      if (day <= points[0][0]) return 0;
      for (var i = 1; i < points.length; i++) {
        if (day <= points[i][0]) {
          var span = daysBetween(points[i - 1][0], points[i][0]);
          var done = daysBetween(points[i - 1][0], day);
          return points[i - 1][1] + (points[i][1] - points[i - 1][1]) * (span ? done / span : 1);
        }
      }
      return points[points.length - 1][1];
    }

    function seriesValues(series, labels, share) {
      var byDay = {};
      data.progress.days.forEach(function (day, i) {
        byDay[day] = series.collected[i];
      });
      return labels.map(function (day) {
        if (!(day in byDay)) return null;
        return share ? (byDay[day] / series.task) * 100 : byDay[day];
      });
    }

    /* The forecast's dashed line: from the as-of day at the row's pace until the target. */
    function forecastValues(f, task, labels, share) {
      if (!f || !f.pace_per_day || f.pace_per_day <= 0 || f.outlook === "reached" || !f.outlook) return null;
      return labels.map(function (day) {
        var k = daysBetween(state.asOf, day);
        if (k < 0) return null;
        var value = Math.min(f.need, f.collected + f.pace_per_day * k);
        if (k > 0 && f.collected + f.pace_per_day * (k - 1) >= f.need) return null;
        return share ? (value / task) * 100 : value;
      });
    }

    var asOfLine = {
      id: "asOfLine",
      afterDatasetsDraw: function (c) {
        var i = c.data.labels.indexOf(state.asOf);
        if (i < 0) return;
        var x = c.scales.x.getPixelForValue(i);
        var ctx = c.ctx;
        ctx.save();
        ctx.strokeStyle = "#555";
        ctx.setLineDash([2, 3]);
        ctx.beginPath();
        ctx.moveTo(x, c.chartArea.top);
        ctx.lineTo(x, c.chartArea.bottom);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = "#333";
        ctx.font = "11px " + Chart.defaults.font.family;
        var text = fmt(T.asOf, { date: state.asOf.slice(5) });
        var w = ctx.measureText(text).width;
        ctx.fillText(text, Math.min(x + 3, c.chartArea.right - w), c.chartArea.bottom - 4);
        ctx.restore();
      },
    };

    function drawChart() {
      var p = data.progress;
      // Only the answer for the state shown (another may still be on its way).
      if (!p || p.as_of !== state.asOf || p.kind !== state.kind) return;
      if ((p.village ? p.village.village_id : null) !== state.village) return;
      // The forecast comes with the table's rows: for this day and kind only.
      var fresh = !!data.coverage && data.coverage.as_of === p.as_of && data.coverage.kind === p.kind;
      var lastStage = p.stages[p.stages.length - 1].end;
      var end = state.asOf > lastStage ? state.asOf : lastStage;
      var labels = [];
      for (var day = p.collection_start; day <= end; day = addDays(day, 1)) labels.push(day);
      var town = p.town;
      var village = p.village;
      var main = town || village;
      var share = !!main && main.task > 0;
      var datasets = [];
      var townColour = "#2166ac";
      var villageColour = "#e66101";
      if (share) {
        datasets.push({
          label: T.plan,
          data: labels.map(function (d) {
            return planShare(d, p) * 100;
          }),
          borderColor: "#777",
          borderDash: [6, 4],
          borderWidth: 1.5,
          pointRadius: 0,
          fill: false,
        });
      }
      function add(series, colour, row) {
        if (!series || (share && !(series.task > 0))) return;
        datasets.push({
          label: series.name,
          data: seriesValues(series, labels, share),
          borderColor: colour,
          backgroundColor: colour,
          borderWidth: 2.5,
          pointRadius: 0,
          fill: false,
        });
        var dashed = forecastValues(row, series.task, labels, share);
        if (dashed)
          datasets.push({
            label: series.name + " · " + T.forecastLine,
            data: dashed,
            borderColor: colour,
            borderDash: [4, 4],
            borderWidth: 1.5,
            pointRadius: 0,
            fill: false,
          });
      }
      var townForecast = fresh ? forecastOf(data.coverage.station) : null;
      add(town, townColour, townForecast);
      var villageRow = village && fresh ? forecastOf(rowOf(village.village_id)) : null;
      add(village, villageColour, villageRow);
      var config = {
        type: "line",
        data: { labels: labels, datasets: datasets },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          spanGaps: false,
          interaction: { mode: "index", intersect: false },
          scales: {
            x: {
              ticks: {
                maxTicksLimit: 8,
                maxRotation: 0,
                callback: function (value) {
                  return labels[value].slice(5);
                },
              },
              grid: { display: false },
            },
            y: {
              min: 0,
              suggestedMax: share ? 100 : undefined,
              title: { display: true, text: share ? T.chartTitle : T.chartCounts },
              ticks: {
                callback: function (value) {
                  return share ? value + "%" : Number(value).toLocaleString("zh-CN");
                },
              },
            },
          },
          plugins: {
            legend: { labels: { boxWidth: 14, boxHeight: 2 } },
            tooltip: {
              callbacks: {
                label: function (item) {
                  var v = item.parsed.y;
                  return item.dataset.label + ": " + (share ? v.toFixed(1) + "%" : count(Math.round(v)));
                },
              },
            },
          },
        },
        plugins: [asOfLine],
      };
      if (chart) chart.destroy();
      chart = new Chart($("progress-chart"), config);
      view.chart = {
        withForecast: fresh,
        labels: labels.length,
        datasets: datasets.map(function (d) {
          return d.label;
        }),
        village: village ? village.village_id : null,
        asOf: p.as_of,
        lastValue: (function () {
          var series = datasets.filter(function (d) {
            return d.label === (village || town || {}).name;
          })[0];
          if (!series) return null;
          var i = labels.indexOf(p.as_of);
          return i < 0 ? null : series.data[i];
        })(),
      };
      drawForecastNote(village || town, village ? villageRow : townForecast);
      document.dispatchEvent(new CustomEvent("geoapp:leaders-chart", { detail: view.chart }));
    }

    function drawForecastNote(series, f) {
      var note = $("forecast-note");
      note.textContent = "";
      note.className = "forecast-note";
      if (!series || !f) return;
      var outcome;
      if (!f.outlook) outcome = T.noTask;
      else if (f.outlook === "reached") outcome = T.outcomeReached;
      else if (f.outlook === "stalled") outcome = T.outcomeStalled;
      else if (!f.reach_date) outcome = T.outcomeFar;
      else
        outcome = fmt(f.outlook === "late" ? T.outcomeLate : T.outcomeOnTime, {
          date: f.reach_date,
          deadline: f.deadline,
        });
      note.textContent = fmt(T.forecastNote, {
        name: series.name,
        pace: f.pace_per_day === null ? "0" : f.pace_per_day.toFixed(1),
        days: windowDays(),
        outcome: outcome,
      });
      note.classList.add("outlook-" + (f.outlook || "none"));
    }

    // -- selecting a village -------------------------------------------------------------
    function select(id, source) {
      state.village = id || null;
      remember();
      paintMap();
      drawTable();
      drawCard();
      chartVillage.value = state.village ? String(state.village) : "";
      view.village = state.village;
      loadProgress();
      if (source === "table" || source === "chart") card.scrollIntoView({ block: "nearest" });
      document.dispatchEvent(new CustomEvent("geoapp:leaders-village", { detail: { village: state.village } }));
    }
    leaders.select = select;
    leaders.map = map;
    geoapp.leadersOptions = opts;
    leaders.heat = heat;
    leaders.fillOf = function (id) {
      var v = villages[id];
      return v ? v.polygon.options.fillColor : null;
    };

    // -- loading everything for the state ------------------------------------------------
    /* Every request for the state starts at once (the page preloads the first ones): the
     * map, table and card are drawn when the rows (with their forecasts) are in, the chart
     * when its series are. */
    function reload() {
      var mine = ++sequence;
      view.ready = false;
      status(T.loading);
      remember();
      var rows = getJSON(url("coverage", { kind: state.kind, as_of: state.asOf, forecast: 1 }));
      loadProgress();
      loadHeat();
      Promise.all([rows, villagesLoaded])
        .then(function (answers) {
          if (mine !== sequence) return;
          data.coverage = answers[0];
          if (state.village && !selectedRow()) state.village = null; // not a village of this town
          status("");
          drawLegend();
          if (!fitted) {
            fitted = true;
            fitTown();
          }
          paintMap();
          drawTable();
          drawDefinitions();
          drawCard();
          fillChartVillages();
          drawChart(); // with its dashed lines, if the series came first
          view.ready = true;
          view.asOf = data.coverage.as_of;
          view.kind = state.kind;
          view.rate = state.rate;
          view.village = state.village;
          document.dispatchEvent(new CustomEvent("geoapp:leaders", { detail: { asOf: view.asOf } }));
        })
        .catch(function (err) {
          if (mine === sequence) status(fmt(T.failed, { error: err.message }), true);
        });
    }

    asOfInput.addEventListener("change", function () {
      var value = asOfInput.value;
      if (!value) return;
      if (value < asOfInput.min) value = asOfInput.min;
      if (value > asOfInput.max) value = asOfInput.max;
      asOfInput.value = value;
      state.asOf = value;
      reload();
    });
    kindSelect.addEventListener("change", function () {
      state.kind = kindSelect.value;
      reload();
    });
    rateSelect.addEventListener("change", function () {
      if (sort.key === state.rate) sort.key = rateSelect.value;
      state.rate = rateSelect.value;
      drawLegend();
      paintMap();
      drawTable();
      remember();
      view.rate = state.rate;
      document.dispatchEvent(new CustomEvent("geoapp:leaders", { detail: { asOf: view.asOf } }));
    });
    $("leaders-controls").addEventListener("submit", function (e) {
      e.preventDefault();
    });

    Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
    reload();
  };
})();
