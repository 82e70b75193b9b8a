/* The station's units: the unit editor (register, edit, staff), shared by the units
 * register and the map; on the map also the unit layers' legend with counts, a unit
 * opened from a link (#unit=ID&lat=…&lon=…) and placing a unit (#place=ID).
 * Every text is set with textContent: names typed by users never run as code. */
(function () {
  "use strict";

  var geoapp = (window.geoapp = window.geoapp || {});

  var el = geoapp.el; // static/js/dom.js
  var button = geoapp.button;
  var call = geoapp.call;
  var fill = geoapp.fill;


  /* -- the editor ------------------------------------------------------------------ */

  function editor(opts) {
    var overlay = el("div", "units-editor");
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    var box = el("form", "units-editor-box");
    box.noValidate = true;
    overlay.appendChild(box);
    document.body.appendChild(overlay);
    var state = null;

    function field(name, input) {
      var wrap = el("label", "field");
      wrap.appendChild(el("span", "label", opts.labels[name]));
      input.name = name;
      wrap.appendChild(input);
      var error = el("span", "field-error");
      wrap.appendChild(error);
      state.inputs[name] = input;
      state.errors[name] = error;
      return wrap;
    }

    function textInput(value, max) {
      var input = el("input");
      input.type = "text";
      input.value = value || "";
      if (max) input.maxLength = max;
      return input;
    }

    function staffList() {
      var list = state.staffBox;
      list.textContent = "";
      if (!state.staff.length) list.appendChild(el("p", "hint", opts.text.staffNone));
      state.staff.forEach(function (p, i) {
        var item = el("div", "staff-person");
        item.appendChild(el("span", null, p.name + (p.id_number ? " · " + p.id_number : "")));
        var remove = button("remove-staff", opts.text.remove);
        remove.addEventListener("click", function () {
          state.staff.splice(i, 1);
          staffList();
        });
        item.appendChild(remove);
        list.appendChild(item);
      });
    }

    function staffSearch() {
      var wrap = el("div", "staff-search");
      var input = textInput("", 50);
      input.placeholder = opts.text.findHint;
      input.name = "staff_query";
      var find = button("find-staff", opts.text.find);
      var results = el("div", "staff-results");
      find.addEventListener("click", function () {
        results.textContent = "…";
        var url = opts.urls.people + "?per_page=10&q=" + encodeURIComponent(input.value.trim());
        call("GET", url)
          .then(function (page) {
            results.textContent = "";
            if (!page.items.length) results.appendChild(el("p", "hint", opts.text.noMatch));
            page.items.forEach(function (p) {
              var line = el("div", "staff-person");
              line.appendChild(el("span", null, p.name + " · " + (p.id_number || "") + " · " + (p.address || "")));
              var add = button("add-staff", opts.text.add);
              add.addEventListener("click", function () {
                if (!state.staff.some(function (s) { return s.id === p.id; })) state.staff.push(p);
                staffList();
              });
              line.appendChild(add);
              results.appendChild(line);
            });
          })
          .catch(function (err) {
            results.textContent = String(err.message || err);
          });
      });
      input.addEventListener("keydown", function (e) {
        if (e.key === "Enter") {
          e.preventDefault();
          find.click();
        }
      });
      wrap.appendChild(input);
      wrap.appendChild(find);
      wrap.appendChild(results);
      return wrap;
    }

    function render(unit, building) {
      state = { unit: unit, building: building, inputs: {}, errors: {}, staff: (unit && unit.staff_people) || [] };
      box.textContent = "";
      box.appendChild(el("h2", null, unit ? opts.text.editUnit : opts.text.newUnit));
      if (unit && unit.address) box.appendChild(el("p", "hint", unit.address));
      state.message = el("p", "form-message");
      box.appendChild(state.message);
      box.appendChild(field("name", textInput(unit && unit.name, 200)));
      box.appendChild(field("uscc", textInput(unit && unit.uscc, 18)));
      var kind = el("select");
      opts.kinds.forEach(function (pair) {
        var option = el("option", null, pair[1]);
        option.value = pair[0];
        kind.appendChild(option);
      });
      kind.value = (unit && unit.kind) || "shop";
      box.appendChild(field("kind", kind));
      box.appendChild(field("legal_rep", textInput(unit && unit.legal_rep, 50)));
      var phone = textInput("", 20);
      phone.type = "tel";
      if (unit && unit.phone) phone.placeholder = fill(opts.text.phoneKept.replace("%(phone)s", "{phone}"), { phone: unit.phone });
      box.appendChild(field("phone", phone));
      var staff = el("input");
      staff.type = "number";
      staff.min = "0";
      staff.inputMode = "numeric";
      staff.value = unit && unit.staff !== null && unit.staff !== undefined ? unit.staff : "";
      box.appendChild(field("staff", staff));
      var people = el("fieldset", "staff");
      people.appendChild(el("legend", null, opts.text.staffPeople));
      state.staffBox = el("div", "staff-list");
      people.appendChild(state.staffBox);
      people.appendChild(staffSearch());
      box.appendChild(people);
      staffList();
      var actions = el("div", "actions");
      var save = el("button", "save", opts.text.save);
      save.type = "submit";
      var cancel = button("cancel", opts.text.cancel);
      cancel.addEventListener("click", close);
      actions.appendChild(save);
      actions.appendChild(cancel);
      box.appendChild(actions);
      overlay.classList.add("open");
      state.inputs.name.focus();
    }

    function payload() {
      var unit = state.unit;
      var data = {};
      ["name", "uscc", "kind", "legal_rep"].forEach(function (name) {
        var value = state.inputs[name].value.trim();
        var old = unit ? unit[name] || "" : "";
        if (!unit || value !== old) data[name] = value;
      });
      var phone = state.inputs.phone.value.trim();
      if (phone || !unit) data.phone = phone;
      var staff = state.inputs.staff.value.trim();
      var oldStaff = unit && unit.staff !== null && unit.staff !== undefined ? String(unit.staff) : "";
      if (staff !== oldStaff) data.staff = staff === "" ? null : staff;
      var ids = state.staff.map(function (p) { return p.id; });
      var oldIds = unit ? (unit.staff_people || []).map(function (p) { return p.id; }) : [];
      if (ids.join(",") !== oldIds.join(",")) data.staff_ids = ids;
      if (unit) data.version = unit.version;
      else if (state.building) data.building = state.building;
      return data;
    }

    function showErrors(err) {
      Object.keys(state.errors).forEach(function (name) {
        state.errors[name].textContent = "";
      });
      var body = err.body || {};
      state.message.textContent = body.message || String(err);
      state.message.className = "form-message error";
      (body.errors || (body.field ? [{ field: body.field, message: body.message }] : [])).forEach(function (e) {
        var name = String(e.field || "").split(/[.[]/)[0];
        if (state.errors[name]) state.errors[name].textContent = e.message;
      });
      if (err.status === 409) {
        var reload = button("reload", opts.text.reload);
        reload.addEventListener("click", function () {
          open(state.unit.id, state.done);
        });
        state.message.appendChild(document.createTextNode(" "));
        state.message.appendChild(reload);
      }
    }

    box.addEventListener("submit", function (e) {
      e.preventDefault();
      var unit = state.unit;
      var request = unit
        ? call("PATCH", opts.urls.units + "/" + unit.id, payload())
        : call("POST", opts.urls.units, payload());
      request
        .then(function (answer) {
          state.message.textContent = opts.text.saved;
          state.message.className = "form-message ok";
          close();
          if (state.done) state.done(answer);
        })
        .catch(showErrors);
    });

    function close() {
      overlay.classList.remove("open");
    }

    function open(unitId, done, building) {
      if (unitId === null || unitId === undefined) {
        render(null, building);
        state.done = done;
        return;
      }
      call("GET", opts.urls.units + "/" + unitId)
        .then(function (unit) {
          render(unit, null);
          state.done = done;
        })
        .catch(function (err) {
          window.alert(String(err.message || err));
        });
    }

    return { open: open, close: close, element: overlay };
  }
  geoapp.unitEditor = editor;

  /* -- on the map -------------------------------------------------------------------- */

  function symbolIcon(symbol, colour) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("width", "14");
    svg.setAttribute("height", "14");
    svg.setAttribute("viewBox", "0 0 14 14");
    svg.setAttribute("class", "unit-symbol");
    var shape = document.createElementNS(ns, symbol === "triangle" ? "polygon" : "rect");
    if (symbol === "triangle") shape.setAttribute("points", "7,1 13,13 1,13");
    else {
      shape.setAttribute("x", "2");
      shape.setAttribute("y", "2");
      shape.setAttribute("width", "10");
      shape.setAttribute("height", "10");
    }
    shape.setAttribute("fill", colour || "#fff");
    shape.setAttribute("stroke", "#111");
    svg.appendChild(shape);
    return svg;
  }

  function legend(map, opts) {
    var statuses = opts.status.order || Object.keys(opts.status.colours);
    var control = L.control({ position: "bottomright" });
    var body = null;
    control.onAdd = function () {
      var box = el("div", "geoapp-unit-legend");
      box.appendChild(el("strong", null, opts.text.legendTitle));
      var table = el("table");
      var head = el("tr");
      head.appendChild(el("th"));
      statuses.forEach(function (s) {
        var th = el("th");
        var dot = el("span", "geoapp-swatch");
        dot.style.backgroundColor = opts.status.colours[s];
        dot.title = opts.status.labels[s];
        th.appendChild(dot);
        head.appendChild(th);
      });
      head.appendChild(el("th", null, opts.text.total));
      table.appendChild(head);
      body = el("tbody");
      table.appendChild(body);
      box.appendChild(table);
      return box;
    };
    control.addTo(map);
    function update() {
      body.textContent = "";
      opts.layers.forEach(function (spec) {
        var layer = geoapp.layers[spec.kind];
        var counts = {};
        var total = 0;
        if (layer) {
          layer.eachLayer(function (sub) {
            var s = sub.feature.properties.s;
            counts[s] = (counts[s] || 0) + 1;
            total += 1;
          });
        }
        var tr = el("tr");
        tr.setAttribute("data-kind", spec.kind);
        var name = el("th");
        name.appendChild(symbolIcon(spec.symbol));
        name.appendChild(el("span", null, spec.label));
        tr.appendChild(name);
        statuses.forEach(function (s) {
          var td = el("td", null, counts[s] || 0);
          td.title = opts.status.labels[s];
          tr.appendChild(td);
        });
        tr.appendChild(el("td", "total", total));
        body.appendChild(tr);
      });
      geoapp.unitCounts = {};
      opts.layers.forEach(function (spec) {
        var layer = geoapp.layers[spec.kind];
        geoapp.unitCounts[spec.kind] = layer ? layer.getLayers().length : 0;
      });
    }
    document.addEventListener("geoapp:loaded", function (e) {
      if (opts.layers.some(function (spec) { return spec.kind === e.detail.kind; })) update();
    });
    update();
  }

  function unitLayers(opts) {
    return opts.layers
      .map(function (spec) {
        return geoapp.layers[spec.kind];
      })
      .filter(Boolean);
  }

  function findUnit(opts, id) {
    var found = null;
    unitLayers(opts).forEach(function (layer) {
      layer.eachLayer(function (sub) {
        if (sub.feature && sub.feature.id === id) found = { sub: sub, layer: layer };
      });
    });
    return found;
  }

  function openUnit(map, opts, id) {
    var hit = findUnit(opts, id);
    if (!hit) return false;
    map.setView(hit.sub.getLatLng(), 18, { animate: false });
    geoapp.unitPopup(map, hit.sub, hit.layer.options.geoapp);
    return true;
  }

  function reloadUnits(opts) {
    unitLayers(opts).forEach(function (layer) {
      layer.reload();
    });
  }

  /* #unit=12&lat=…&lon=… opens that unit's popup once its layer is drawn. */
  function focusUnit(map, opts) {
    var m = /^#unit=(\d+)(?:&lat=(-?[\d.]+)&lon=(-?[\d.]+))?$/.exec(window.location.hash);
    if (!m) return;
    var id = Number(m[1]);
    var seen = {};
    function look(e) {
      if (!opts.layers.some(function (spec) { return spec.kind === e.detail.kind; })) return;
      seen[e.detail.kind] = true;
      if (openUnit(map, opts, id)) {
        document.removeEventListener("geoapp:loaded", look);
      } else if (Object.keys(seen).length === opts.layers.length) {
        document.removeEventListener("geoapp:loaded", look);
        if (m[2]) map.setView([Number(m[2]), Number(m[3])], 18, { animate: false });
      }
    }
    document.addEventListener("geoapp:loaded", look);
  }

  /* #place=12: the next click on a house puts the unit there; a click elsewhere makes a
   * new building at that point. Each asks first. */
  function placing(map, opts, edit) {
    var m = /^#place=(\d+)$/.exec(window.location.hash);
    if (!m) return;
    var id = Number(m[1]);
    var unit = null;
    var bar = el("div", "unit-place-bar");
    var text = el("p", "unit-place-text", "…");
    var choice = el("div", "unit-place-choice");
    var cancel = button("cancel", opts.text.cancel);
    bar.appendChild(text);
    bar.appendChild(choice);
    bar.appendChild(cancel);
    map.getContainer().parentNode.appendChild(bar);
    var handled = null;
    function stop() {
      geoapp.clickHook = null;
      map.off("click", onMap);
      bar.remove();
      if (window.location.hash.indexOf("#place=") === 0) history.replaceState(null, "", window.location.pathname);
    }
    cancel.addEventListener("click", stop);
    function ask(label, payload) {
      choice.textContent = "";
      var yes = button("confirm-place", label);
      yes.addEventListener("click", function () {
        payload.version = unit.version;
        call("POST", opts.urls.units + "/" + id + "/place", payload)
          .then(function () {
            stop();
            window.location.hash = "#unit=" + id;
            reloadUnits(opts);
            document.addEventListener("geoapp:loaded", function again(e) {
              if (openUnit(map, opts, id)) document.removeEventListener("geoapp:loaded", again);
            });
          })
          .catch(function (err) {
            choice.textContent = String(err.message || err);
          });
      });
      choice.appendChild(yes);
    }
    function onMap(e) {
      if (!unit || handled === e.originalEvent) return;
      var wgs = geoapp.fromMap ? geoapp.fromMap(e.latlng) : e.latlng; // stored in WGS84
      ask(opts.text.placePoint, { lon: Number(wgs.lng.toFixed(7)), lat: Number(wgs.lat.toFixed(7)) });
    }
    call("GET", opts.urls.units + "/" + id)
      .then(function (u) {
        unit = u;
        text.textContent = fill(opts.text.placeTitle, { name: "《" + u.name + "》" });
        geoapp.clickHook = function (layerOpts, sub, e) {
          if (layerOpts.kind !== "buildings") return false;
          handled = e.originalEvent;
          ask(fill(opts.text.placeBuilding, { id: sub.feature.id }), { building: sub.feature.id });
          return true;
        };
        map.on("click", onMap);
      })
      .catch(function (err) {
        text.textContent = String(err.message || err);
      });
    return edit;
  }

  geoapp.units = function (map, opts) {
    var edit = opts.editor ? editor(opts) : null;
    legend(map, opts);
    focusUnit(map, opts);
    if (edit) {
      placing(map, opts, edit);
      geoapp.unitPopupHooks = (geoapp.unitPopupHooks || []).concat(function (box, d) {
        var change = button("edit-unit", opts.text.edit);
        change.addEventListener("click", function () {
          map.closePopup();
          edit.open(d.id, function () {
            reloadUnits(opts);
          });
        });
        box.appendChild(change);
      });
      geoapp.popupHooks = (geoapp.popupHooks || []).concat(function (box, d) {
        var add = button("register-unit", opts.text.registerHere);
        add.addEventListener("click", function () {
          map.closePopup();
          edit.open(null, function () {
            reloadUnits(opts);
          }, d.id);
        });
        box.appendChild(add);
      });
    }
    geoapp.unitTools = { editor: edit, reload: function () { reloadUnits(opts); } };
  };

  /* -- the register page ------------------------------------------------------------- */

  document.addEventListener("DOMContentLoaded", function () {
    var data = document.getElementById("units-options");
    if (!data) return;
    var opts = JSON.parse(data.textContent);
    var edit = editor(opts);
    geoapp.unitTools = { editor: edit };
    function done() {
      window.location.reload();
    }
    document.addEventListener("click", function (e) {
      var target = e.target.closest("button.edit-unit, button.new-unit");
      if (!target) return;
      if (target.classList.contains("new-unit")) edit.open(null, done);
      else edit.open(Number(target.getAttribute("data-unit")), done);
    });
  });
})();
