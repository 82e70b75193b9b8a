/* Editing street-front blocks on the map (officers and administrators), with Leaflet.draw:
 * draw a new block, reshape one, split one along a line, merge two neighbours. The server
 * checks every change (a valid polygon, no overlap, at least one house, a line that crosses
 * the block) and refuses it with the reason; nothing is changed then. Administrators also
 * choose blocks on the map (click to choose, click again to leave out) and assign them to
 * an officer with a due date (POST /api/blocks/assignment). */
(function () {
  "use strict";
  var geoapp = (window.geoapp = window.geoapp || {});

  function localise(t) {
    // Leaflet.draw's own words, in the page's language.
    var d = L.drawLocal.draw.handlers;
    d.polygon.tooltip = { start: t.polyStart, cont: t.polyCont, end: t.polyEnd };
    d.polyline.tooltip = { start: t.lineStart, cont: t.lineCont, end: t.lineEnd };
    d.polyline.error = t.crossing;
    L.drawLocal.edit.handlers.edit.tooltip = { text: t.editText, subtext: t.editSub };
  }

  /* A write; a refusal throws an Error whose message gives the server's reasons. */
  function request(method, url, body) {
    return geoapp.call(method, url, body).catch(function (e) {
      if (e.status === undefined) throw e;
      var data = e.body || {};
      var msg = e.message;
      if (data.errors && data.errors.length) msg += " " + data.errors.map(function (x) { return x.message; }).join(" ");
      throw new Error(msg);
    });
  }

  /* A drawn point as stored: [lon, lat] in WGS84 (shifted back from a GCJ-02 basemap). */
  function wgsPair(p) {
    var w = geoapp.fromMap ? geoapp.fromMap(p) : p;
    return [w.lng, w.lat];
  }

  function ring(latlngs) {
    var coords = latlngs.map(wgsPair);
    coords.push(coords[0]);
    return coords;
  }

  geoapp.blockEditor = function (map, opts) {
    var t = opts.text;
    localise(t);
    var el = geoapp.el;
    var state = { mode: null, handler: null, first: null, editing: null, chosen: {} };
    var a = opts.assign || null;
    var assignBox, assignCount, officerSelect, dueInput;
    var CHOSEN = { color: "#08519c", weight: 5, dashArray: null, fillOpacity: 0.45 };
    var control = L.control({ position: "topleft" });
    var box, status, buttons = {};

    function say(text, error) {
      status.textContent = text || "";
      status.className = "block-edit-status" + (error ? " error" : "");
      status.hidden = !text;
    }

    function stop() {
      if (state.handler) state.handler.disable();
      if (state.editing) {
        state.editing.editing.disable();
        map.removeLayer(state.editing);
      }
      state.mode = state.handler = state.first = state.editing = null;
      Object.keys(state.chosen).forEach(function (id) { unchoose(id); });
      if (assignBox) assignBox.hidden = true;
      geoapp.clickHook = state.previousHook || null;
      Object.keys(buttons).forEach(function (k) { buttons[k].classList.remove("on"); });
      buttons.save.hidden = true;
    }

    function done(text) {
      stop();
      say(text);
      document.dispatchEvent(new CustomEvent("geoapp:blocks-changed"));
      window.setTimeout(function () { window.location.reload(); }, 600);
    }

    function fail(err) {
      say(String(err.message || err), true);
    }

    function start(mode, hint) {
      stop();
      state.mode = mode;
      buttons[mode].classList.add("on");
      say(hint);
      state.previousHook = geoapp.clickHook;
      geoapp.clickHook = function (layerOpts, sub) {
        if (layerOpts.kind !== "blocks" || !state.mode) return false;
        picked(sub);
        return true;
      };
    }

    function unchoose(id) {
      var sub = state.chosen[id];
      if (sub && sub.geoappStyle) sub.setStyle(sub.geoappStyle);
      delete state.chosen[id];
    }

    function counted() {
      assignCount.textContent = a.text.chosen.replace("%(n)s", String(Object.keys(state.chosen).length));
    }

    function assign() {
      var ids = Object.keys(state.chosen).map(Number);
      if (!ids.length) return fail(a.text.none);
      if (!officerSelect.value) return fail(a.text.noOfficer);
      request("POST", a.url, { blocks: ids, officer: officerSelect.value, due: dueInput.value || null })
        .then(function () { done(a.text.assigned); }, fail);
    }

    function picked(sub) {
      var id = sub.feature.id;
      if (state.mode === "assign") {
        if (state.chosen[id]) {
          unchoose(id);
        } else {
          var o = sub.options;
          sub.geoappStyle = { color: o.color, weight: o.weight, dashArray: o.dashArray, fillOpacity: o.fillOpacity };
          sub.setStyle(CHOSEN);
          state.chosen[id] = sub;
        }
        counted();
        say(a.text.hint);
      } else if (state.mode === "reshape") {
        var poly = L.polygon(sub.getLatLngs(), { color: "#e6550d", weight: 3 }).addTo(map);
        poly.editing.enable();
        state.editing = poly;
        state.block = id;
        buttons.save.hidden = false;
        say(t.reshapeHint);
      } else if (state.mode === "split") {
        state.block = id;
        state.handler = new L.Draw.Polyline(map, { shapeOptions: { color: "#e6550d" }, showLength: false });
        state.handler.enable();
        say(t.splitLine);
      } else if (state.mode === "merge") {
        if (state.first === null) {
          state.first = id;
          say(t.mergeSecond);
        } else {
          request("POST", opts.url + "/" + state.first + "/merge", { other: id }).then(function () { done(t.merged); }, fail);
        }
      }
    }

    map.on(L.Draw.Event.CREATED, function (e) {
      if (state.mode === "draw") {
        request("POST", opts.url, { geometry: { type: "Polygon", coordinates: [ring(e.layer.getLatLngs()[0])] } })
          .then(function () { done(t.created); }, function (err) { stop(); fail(err); });
      } else if (state.mode === "split") {
        var line = e.layer.getLatLngs().map(wgsPair);
        request("POST", opts.url + "/" + state.block + "/split", { line: { type: "LineString", coordinates: line } })
          .then(function () { done(t.split); }, function (err) { stop(); fail(err); });
      }
    });

    control.onAdd = function () {
      box = el("div", "leaflet-bar block-edit");
      // Folded to one button until wanted: the tools would cover the map on a phone.
      var toggle = el("button", "block-edit-toggle", t.title);
      toggle.type = "button";
      toggle.setAttribute("aria-expanded", "false");
      box.appendChild(toggle);
      var tools = el("div", "block-edit-tools");
      tools.hidden = true;
      box.appendChild(tools);
      toggle.addEventListener("click", function () {
        tools.hidden = !tools.hidden;
        toggle.setAttribute("aria-expanded", String(!tools.hidden));
        if (tools.hidden) { stop(); say(""); }
      });
      [["draw", t.draw], ["reshape", t.reshape], ["split", t.splitB], ["merge", t.merge], ["save", t.save], ["cancel", t.cancel]].forEach(function (b) {
        var button = el("button", "block-edit-" + b[0], b[1]);
        button.type = "button";
        buttons[b[0]] = button;
        tools.appendChild(button);
      });
      buttons.save.hidden = true;
      if (a) {
        var assignButton = el("button", "block-edit-assign", a.text.button);
        assignButton.type = "button";
        buttons.assign = assignButton;
        tools.insertBefore(assignButton, buttons.save);
        assignBox = el("div", "block-assign");
        assignBox.hidden = true;
        assignCount = el("p", "block-assign-count");
        assignBox.appendChild(assignCount);
        var officerLabel = el("label", null, a.text.officer + " ");
        officerSelect = el("select");
        officerSelect.name = "officer";
        officerSelect.appendChild(el("option", null, "—")).value = "";
        a.officers.forEach(function (o) {
          var option = el("option", null, o[1] === o[0] ? o[0] : o[1] + " (" + o[0] + ")");
          option.value = o[0];
          officerSelect.appendChild(option);
        });
        officerLabel.appendChild(officerSelect);
        assignBox.appendChild(officerLabel);
        var dueLabel = el("label", null, a.text.due + " ");
        dueInput = el("input");
        dueInput.type = "date";
        dueInput.name = "due";
        dueLabel.appendChild(dueInput);
        assignBox.appendChild(dueLabel);
        var send = el("button", "block-assign-send", a.text.send);
        send.type = "button";
        send.addEventListener("click", assign);
        assignBox.appendChild(send);
        tools.insertBefore(assignBox, buttons.save);
        assignButton.addEventListener("click", function () {
          start("assign", a.text.hint);
          assignBox.hidden = false;
          counted();
        });
      }
      status = el("div", "block-edit-status");
      status.hidden = true;
      tools.appendChild(status);
      L.DomEvent.disableClickPropagation(box);
      buttons.draw.addEventListener("click", function () {
        start("draw", t.drawHint);
        state.handler = new L.Draw.Polygon(map, { allowIntersection: false, showArea: false, shapeOptions: { color: "#e6550d" } });
        state.handler.enable();
      });
      buttons.reshape.addEventListener("click", function () { start("reshape", t.pickBlock); });
      buttons.split.addEventListener("click", function () { start("split", t.pickBlock); });
      buttons.merge.addEventListener("click", function () { start("merge", t.mergeFirst); });
      buttons.cancel.addEventListener("click", function () { stop(); say(""); });
      buttons.save.addEventListener("click", function () {
        var latlngs = state.editing.getLatLngs()[0];
        request("PUT", opts.url + "/" + state.block + "/shape", { geometry: { type: "Polygon", coordinates: [ring(latlngs)] } })
          .then(function () { done(t.reshaped); }, fail);
      });
      return box;
    };
    control.addTo(map);
    // On a phone the editor's wide button would sit over a popup's left side: it steps aside
    // while a popup is open (blocks.css).
    map.on("popupopen", function () { map.getContainer().classList.add("geoapp-popup-open"); });
    map.on("popupclose", function () { map.getContainer().classList.remove("geoapp-popup-open"); });
    geoapp.blockEditorState = state;
  };
})();
