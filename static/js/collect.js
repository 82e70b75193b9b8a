/* Collector tools on the map: counts, "locate me" → nearest uncollected houses and
 * a visiting order, returned records, and the house form (households, people,
 * units) submitted with the visit proof. Everything user-typed is set with
 * textContent/value, never as HTML. */
(function () {
  "use strict";
  var geoapp = (window.geoapp = window.geoapp || {});
  // geoapp-map.js is loaded before this file (the map's own scripts come first).
  var el = geoapp.el;
  var csrf = geoapp.csrf;
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  /* Resident ID (GB 11643) check, for instant feedback; the server decides. */
  var W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  function parseId(value) {
    var v = (value || "").replace(/\s+/g, "").toUpperCase();
    v = v.replace(/[０-９Ｘ]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xfee0);
    });
    if (!/^\d{17}[\dX]$/.test(v)) return null;
    var sum = 0;
    for (var i = 0; i < 17; i++) sum += Number(v[i]) * W[i];
    if ("10X98765432"[sum % 11] !== v[17]) return null;
    var birth = v.slice(6, 10) + "-" + v.slice(10, 12) + "-" + v.slice(12, 14);
    return { number: v, birth: birth, sex: Number(v[16]) % 2 ? "male" : "female" };
  }

  geoapp.collector = function (map, opts) {
    var T = opts.text;
    var container = map.getContainer();
    // "Show where I am" first: the position drawn as a canvas circle (no inline styles).
    if (opts.locate) L.control.locate(L.extend({}, opts.locate, { markerClass: L.CircleMarker })).addTo(map);
    var state = { position: null, addresses: {} };

    /* -- counts at the top ------------------------------------------------------ */
    var counts = el("div", "geoapp-progress");
    container.appendChild(counts);
    L.DomEvent.disableClickPropagation(counts);
    function refreshProgress() {
      return geoapp.call("GET", opts.urls.progress).then(function (p) {
        counts.textContent = "";
        var parts = [
          [T.houses, p.houses.collected + " / " + p.houses.task],
          [T.people, p.people.collected + (p.people.task ? " / " + p.people.task : "")],
          [T.households, p.households.collected],
        ];
        parts.forEach(function (part) {
          var item = el("span", "count");
          item.appendChild(el("b", null, part[0]));
          item.appendChild(el("span", "value", part[1]));
          counts.appendChild(item);
        });
        geoapp.progress = p;
      });
    }

    /* -- bottom sheet: next houses, returned records ----------------------------- */
    var sheet = el("div", "geoapp-sheet");
    var sheetHead = el("div", "sheet-head");
    var sheetTitle = el("div", "sheet-title");
    var closeButton = geoapp.button("sheet-close", "×");
    closeButton.title = T.close;
    closeButton.setAttribute("aria-label", T.close);
    sheetHead.appendChild(sheetTitle);
    sheetHead.appendChild(closeButton);
    var sheetBody = el("ol", "sheet-list");
    var buttons = el("div", "sheet-buttons");
    var returnedButton = geoapp.button("returned", T.returned);
    buttons.appendChild(returnedButton);
    sheet.appendChild(buttons);
    sheet.appendChild(sheetHead);
    sheet.appendChild(sheetBody);
    container.appendChild(sheet);
    L.DomEvent.disableClickPropagation(sheet);
    L.DomEvent.disableScrollPropagation(sheet);

    /* The visiting order on the map: a line from where the collector stands through the
     * houses, each stop numbered as in the list (the list's only numbers). */
    var route = L.layerGroup().addTo(map);
    function drawRoute(from, items) {
      route.clearLayers();
      if (!items.length) return;
      var line = [from].concat(items.map(function (item) { return L.GeoJSON.coordsToLatLng([item.lon, item.lat]); }));
      L.polyline(line, { color: "#136aec", weight: 4, opacity: 0.8, dashArray: "2 8", interactive: false }).addTo(route);
      items.forEach(function (item, i) {
        L.circleMarker(L.GeoJSON.coordsToLatLng([item.lon, item.lat]), { radius: 11, color: "#fff", weight: 2, fillColor: "#136aec", fillOpacity: 1 })
          .bindTooltip(String(i + 1), { permanent: true, direction: "center", className: "route-number" })
          .on("click", function () { openForm(item.id); })
          .addTo(route);
      });
      // the whole route in view, above the list
      map.fitBounds(L.latLngBounds(line), {
        paddingTopLeft: [30, 70],
        paddingBottomRight: [30, (sheet.offsetHeight || 0) + 20],
        maxZoom: 19,
        animate: false,
      });
    }
    geoapp.route = route;

    function closeSheet() {
      sheet.classList.remove("open");
      sheet.dataset.list = "";
      route.clearLayers();
    }
    closeButton.addEventListener("click", closeSheet);

    function showList(kind, title, items, describe, action) {
      sheetTitle.textContent = title;
      sheetBody.textContent = "";
      sheet.dataset.list = kind;
      items.forEach(function (item, index) {
        var li = el("li", "sheet-item");
        li.dataset.building = item.id;
        li.appendChild(el("span", "num", String(index + 1)));
        var text = el("span", "text");
        text.appendChild(el("span", "address", item.address));
        text.appendChild(el("span", "detail", describe(item, index)));
        li.appendChild(text);
        var open = geoapp.button("open", action);
        open.addEventListener("click", function () {
          map.setView(L.GeoJSON.coordsToLatLng([item.lon, item.lat]), Math.max(map.getZoom(), 18), { animate: false });
          openForm(item.id);
        });
        li.appendChild(open);
        sheetBody.appendChild(li);
      });
      if (!items.length) sheetBody.appendChild(el("li", "sheet-empty", T.none));
      sheet.classList.add("open");
    }

    function metres(m) {
      return m >= 1000 ? (m / 1000).toFixed(1) + " km" : Math.round(m) + " m";
    }
    function distanceText(item) {
      if (item.along_streets) return T.walking + " " + metres(item.distance_m);
      return T.straightLine + " " + metres(item.distance_m) + " " + (T.straightWhy[item.straight_reason] || T.straight);
    }

    function loadNext(latlng) {
      state.position = latlng;
      var wgs = geoapp.fromMap ? geoapp.fromMap(latlng) : latlng; // stored and asked in WGS84
      var url = opts.urls.next + "?lon=" + wgs.lng.toFixed(7) + "&lat=" + wgs.lat.toFixed(7) + "&limit=10";
      return geoapp.call("GET", url).then(function (answer) {
        var order = answer.tour.order;
        var items = answer.items.slice().sort(function (a, b) {
          return order.indexOf(a.id) - order.indexOf(b.id);
        });
        geoapp.next = answer;
        showList("next", T.nearest, items, distanceText, T.register);
        drawRoute(latlng, items);
      });
    }
    map.on("locationfound", function (e) {
      loadNext(e.latlng);
    });

    /* Straight-line metres between two points (for sorting the returned houses). */
    function straightMetres(a, b) {
      var rad = Math.PI / 180;
      var x = (b.lng - a.lng) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
      var y = (b.lat - a.lat) * rad;
      return Math.sqrt(x * x + y * y) * 6371000;
    }
    function showReturned() {
      return geoapp.call("GET", opts.urls.returned).then(function (answer) {
        var here = state.position || map.getCenter();
        var items = answer.items.map(function (item) {
          return Object.assign({ distance_m: straightMetres(here, L.GeoJSON.coordsToLatLng([item.lon, item.lat])) }, item);
        });
        items.sort(function (a, b) { return a.distance_m - b.distance_m; });
        route.clearLayers();
        showList("returned", T.returnedTitle, items, function (item) {
          return metres(item.distance_m) + " · " + T.reason + ": " + (item.reason || "—");
        }, T.edit);
      });
    }
    returnedButton.addEventListener("click", showReturned);

    /* -- popups get a "register" button --------------------------------------------- */
    geoapp.popupHooks = geoapp.popupHooks || [];
    geoapp.popupHooks.push(function (box, detail) {
      var button = geoapp.button("register", detail.status === "uncollected" ? T.register : T.edit);
      button.addEventListener("click", function () {
        map.closePopup();
        openForm(detail.id);
      });
      box.appendChild(button);
    });

    /* -- the house form ------------------------------------------------------------ */
    var overlay = el("div", "geoapp-form");
    document.body.appendChild(overlay);

    function field(parent, label, name, value, options) {
      options = options || {};
      var wrap = el("label", "field");
      wrap.appendChild(el("span", "label", label));
      var input;
      if (options.choices) {
        input = el("select");
        if (options.blank) input.appendChild(el("option", null, "—")).value = "";
        options.choices.forEach(function (choice) {
          var option = el("option", null, choice[1]);
          option.value = choice[0];
          input.appendChild(option);
        });
      } else if (options.checkbox) {
        input = el("input");
        input.type = "checkbox";
        input.checked = !!value;
      } else {
        input = el("input");
        input.type = options.type || "text";
        if (options.inputmode) input.inputMode = options.inputmode;
      }
      input.name = name;
      if (!options.checkbox && value !== undefined && value !== null) input.value = value;
      wrap.appendChild(input);
      wrap.appendChild(el("span", "field-error"));
      parent.appendChild(wrap);
      return input;
    }

    function memberBlock(list, person) {
      person = person || {};
      var box = el("fieldset", "member");
      if (person.id) box.dataset.id = person.id;
      box.appendChild(el("legend", null, T.person));
      field(box, T.f.person_name, "name", person.name);
      field(box, T.f.relation, "relation", person.relation, { choices: opts.relations.map(function (r) { return [r, r]; }) });
      field(box, T.f.id_type, "id_type", person.id_type || "resident_id", { choices: opts.idTypes });
      var idInput = field(box, T.f.id_number, "id_number", person.id_number);
      var sex = field(box, T.f.sex, "sex", person.sex, { choices: [["male", T.male], ["female", T.female]], blank: true });
      var birth = field(box, T.f.birth_date, "birth_date", person.birth_date, { type: "date" });
      idInput.addEventListener("change", function () {
        var parsed = parseId(idInput.value);
        var type = box.querySelector('[name="id_type"]').value;
        var error = idInput.parentNode.querySelector(".field-error");
        if (type !== "resident_id" || !idInput.value) return;
        if (!parsed) {
          error.textContent = T.idInvalid;
          return;
        }
        error.textContent = "";
        idInput.value = parsed.number;
        sex.value = parsed.sex; // a corrected number brings its own sex and birth date
        birth.value = parsed.birth;
      });
      if (person.id && state.mayRevealIds && person.id_number && person.id_number.indexOf("*") >= 0) {
        // A returned house: the collector sees the full number they must correct (audited).
        var show = geoapp.button("reveal-id", T.showFullId);
        show.addEventListener("click", function () {
          fetch(opts.urls.people + person.id + "/reveal", {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
            body: JSON.stringify({ field: "id_number" }),
          })
            .then(function (r) {
              return r.json().then(function (body) {
                if (!r.ok) throw new Error(body.message || "HTTP " + r.status);
                idInput.value = body.value;
                show.remove();
              });
            })
            .catch(function (err) {
              idInput.parentNode.querySelector(".field-error").textContent = String(err.message || err);
            });
        });
        idInput.parentNode.insertBefore(show, idInput.nextSibling);
      }
      field(box, T.f.ethnicity, "ethnicity", person.ethnicity || "汉族");
      field(box, T.f.phone, "phone", person.phone, { type: "tel", inputmode: "tel" });
      field(box, T.f.hukou_address, "hukou_address", person.hukou_address);
      field(box, T.f.residence_type, "residence_type", person.residence_type || "registered", { choices: opts.residenceTypes });
      field(box, T.f.separated, "separated", person.separated, { checkbox: true });
      var employers = (state.units || []).map(function (u) { return [String(u.id), u.name]; });
      var employer = field(box, T.f.employer_unit_id, "employer_unit_id", null, { choices: employers, blank: true });
      if (person.employer_unit_id) employer.value = String(person.employer_unit_id);
      var remove = geoapp.button("remove", T.remove);
      remove.addEventListener("click", function () {
        box.remove();
      });
      box.appendChild(remove);
      list.appendChild(box);
      return box;
    }

    function householdBlock(list, household) {
      household = household || { people: [] };
      var box = el("section", "household");
      if (household.id) box.dataset.id = household.id;
      box.appendChild(el("h3", null, T.household));
      field(box, T.f.number, "number", household.number);
      var members = el("div", "members");
      box.appendChild(members);
      (household.people.length ? household.people : [{ relation: "户主" }]).forEach(function (p) {
        memberBlock(members, p);
      });
      var add = geoapp.button("add-member", T.addPerson);
      add.addEventListener("click", function () {
        memberBlock(members, {});
      });
      box.appendChild(add);
      list.appendChild(box);
    }

    function unitBlock(list, unit) {
      unit = unit || {};
      var box = el("fieldset", "unit");
      if (unit.id) box.dataset.id = unit.id;
      box.appendChild(el("legend", null, T.unit));
      field(box, T.f.name, "name", unit.name);
      field(box, T.f.uscc, "uscc", unit.uscc);
      field(box, T.f.kind, "kind", unit.kind || "shop", { choices: opts.unitKinds });
      field(box, T.f.legal_rep, "legal_rep", unit.legal_rep);
      field(box, T.f.phone, "phone", unit.phone, { type: "tel" });
      field(box, T.f.staff, "staff", unit.staff, { type: "number", inputmode: "numeric" });
      var remove = geoapp.button("remove", T.remove);
      remove.addEventListener("click", function () {
        box.remove();
      });
      box.appendChild(remove);
      list.appendChild(box);
    }

    function value(box, name) {
      var input = box.querySelector(':scope > label > [name="' + name + '"]');
      if (!input) return null;
      if (input.type === "checkbox") return input.checked;
      return input.value === "" ? null : input.value;
    }

    function payloadFrom(form, detail) {
      var house = form.querySelector(".house-fields");
      var households = Array.prototype.map.call(form.querySelectorAll("section.household"), function (h) {
        return {
          id: h.dataset.id ? Number(h.dataset.id) : null,
          number: value(h, "number"),
          members: Array.prototype.map.call(h.querySelectorAll("fieldset.member"), function (m) {
            var person = {};
            ["name", "relation", "id_type", "id_number", "sex", "birth_date", "ethnicity", "phone", "hukou_address",
             "residence_type", "separated"].forEach(function (k) { person[k] = value(m, k); });
            var employer = value(m, "employer_unit_id");
            person.employer_unit_id = employer ? Number(employer) : null;
            if (m.dataset.id) person.id = Number(m.dataset.id);
            return person;
          }),
        };
      });
      var units = Array.prototype.map.call(form.querySelectorAll("fieldset.unit"), function (u) {
        var unit = {};
        ["name", "uscc", "kind", "legal_rep", "phone", "staff"].forEach(function (k) { unit[k] = value(u, k); });
        if (u.dataset.id) unit.id = Number(u.dataset.id);
        return unit;
      });
      if (opts.role === "reporter") {
        // A unit reporter sends their own unit only: the households are the village's.
        return { client_id: form.dataset.clientId, version: detail.version, units: units };
      }
      var empty = value(house, "empty");
      return {
        client_id: form.dataset.clientId,
        version: detail.version,
        building: { use: value(house, "use"), floors: value(house, "floors"), structure: value(house, "structure"),
                    owner_name: value(house, "owner_name") },
        empty: empty,
        households: empty ? [] : households,
        units: units,
        moves: form.moves || [],
      };
    }

    function inputForPath(form, path) {
      // households[0].members[1].id_number → the input in that block
      var m = /^households\[(\d+)\](?:\.members\[(\d+)\])?(?:\.(\w+))?$/.exec(path);
      var u = /^units\[(\d+)\](?:\.(\w+))?$/.exec(path);
      var b = /^building\.(\w+)$/.exec(path);
      var box, name;
      if (m) {
        box = form.querySelectorAll("section.household")[Number(m[1])];
        if (box && m[2] !== undefined) box = box.querySelectorAll("fieldset.member")[Number(m[2])];
        name = m[3];
      } else if (u) {
        box = form.querySelectorAll("fieldset.unit")[Number(u[1])];
        name = u[2];
      } else if (b) {
        box = form.querySelector(".house-fields");
        name = b[1];
      } else {
        box = form.querySelector(".house-fields");
        name = path;
      }
      if (!box) return null;
      return (name && box.querySelector('[name="' + name + '"]')) || box;
    }

    function showErrors(form, body) {
      form.querySelectorAll(".field-error").forEach(function (e) { e.textContent = ""; });
      var summary = form.querySelector(".form-errors");
      summary.textContent = body.message || "";
      (body.errors || []).forEach(function (error) {
        var target = inputForPath(form, error.field);
        var slot = target && target.parentNode && target.parentNode.querySelector(".field-error");
        var line = el("div", "error-line", error.message);
        if (slot) slot.textContent = error.message;
        else summary.appendChild(line);
        if (error.move && target) {
          // "direct": registered at another house of this village; "request": elsewhere in the town.
          var request = error.move === "request";
          var move = geoapp.button("confirm-move", request ? T.requestMove : T.confirmMove);
          move.addEventListener("click", function () {
            form.moves = (form.moves || []).concat([target.value.toUpperCase()]);
            move.remove();
            if (slot) slot.textContent = request ? T.moveRequested : T.moveConfirmed;
          });
          (slot || line).appendChild(move);
        }
      });
      var first = form.querySelector(".field-error:not(:empty)");
      if (first) first.scrollIntoView({ block: "center" });
    }

    function position() {
      return new Promise(function (resolve) {
        if (!navigator.geolocation) return resolve(null);
        navigator.geolocation.getCurrentPosition(
          function (p) {
            resolve({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy,
                      time: new Date(p.timestamp).toISOString() });
          },
          function () { resolve(null); },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 }
        );
      });
    }

    function markCollected(answer) {
      geoapp.setHouseStatus(answer.building_id, answer.status);
      if (geoapp.layers.streets) geoapp.layers.streets.reload();
      refreshProgress();
      // The list and the route are asked for again, so their numbers agree.
      if (sheet.dataset.list === "next" && state.position) loadNext(state.position);
      else if (sheet.dataset.list === "returned") showReturned();
      document.dispatchEvent(new CustomEvent("geoapp:submitted", { detail: answer }));
    }

    /* -- drafts: what was typed survives the phone locking or the page reloading ------ */
    var DRAFT = "geoapp-draft:";
    var OPEN = "geoapp-open-form";
    function store() {
      try {
        return window.sessionStorage;
      } catch (e) {
        return null; // storage switched off: the form still works, without drafts
      }
    }
    function loadDraft(id) {
      var s = store();
      try {
        return s ? JSON.parse(s.getItem(DRAFT + id) || "null") : null;
      } catch (e) {
        return null;
      }
    }
    function saveDraft(form, detail) {
      var s = store();
      if (!s || geoapp.form !== form || form.dataset.discarded || !overlay.classList.contains("open")) return;
      var draft = payloadFrom(form, detail);
      draft.moves = form.moves || [];
      try {
        s.setItem(DRAFT + detail.id, JSON.stringify(draft));
      } catch (e) {
        /* full: keep going without a draft */
      }
    }
    function dropDraft(id) {
      var s = store();
      if (s) s.removeItem(DRAFT + id);
    }
    function rememberOpen(id) {
      var s = store();
      if (!s) return;
      if (id) s.setItem(OPEN, String(id));
      else s.removeItem(OPEN);
    }
    /* The house as the draft left it (same version only: a house changed meanwhile starts afresh). */
    function withDraft(detail, draft) {
      var merged = Object.assign({}, detail);
      if (draft.building) Object.assign(merged, draft.building);
      if (draft.households) {
        merged.households = draft.households.map(function (h) {
          return { id: h.id, number: h.number, people: h.members || [] };
        });
      }
      if (draft.units) merged.unit_details = draft.units;
      merged.draftEmpty = !!draft.empty;
      return merged;
    }

    /* -- what was stored, and whether the visit was flagged ------------------------- */
    var confirmBox = el("div", "geoapp-confirm");
    confirmBox.setAttribute("role", "status");
    confirmBox.hidden = true;
    container.appendChild(confirmBox);
    L.DomEvent.disableClickPropagation(confirmBox);
    function confirmSubmission(answer) {
      confirmBox.textContent = "";
      confirmBox.className = "geoapp-confirm" + (answer.visit_flag ? " flagged" : "");
      var head = el("div", "confirm-head");
      head.appendChild(el("strong", null, T.saved.replace("{address}", state.addresses[answer.building_id] || "")));
      var close = geoapp.button("confirm-close", "×");
      close.title = T.close;
      close.setAttribute("aria-label", T.close);
      close.addEventListener("click", function () { confirmBox.hidden = true; });
      head.appendChild(close);
      confirmBox.appendChild(head);
      if (answer.queued) {
        // No network: kept on the phone (offline.js), nothing stored or checked yet.
        confirmBox.appendChild(el("p", "stored", T.queued));
        confirmBox.hidden = false;
        return;
      }
      var what = answer.empty
        ? T.storedEmpty
        : T.stored.replace("{households}", answer.households).replace("{people}", answer.people).replace("{units}", answer.units);
      if (answer.pending_moves) what += " " + T.pendingMoves.replace("{n}", answer.pending_moves);
      if (answer.replayed) what += " " + T.replayed;
      confirmBox.appendChild(el("p", "stored", what));
      var visit;
      if (!answer.visit_flag) visit = T.visitProven.replace("{m}", Math.round(answer.distance_m || 0));
      else
        visit = T.visitFlagged.replace("{why}", opts.flags[answer.visit_flag] || answer.visit_flag) + " " +
          (T.flagHelp[answer.visit_flag] || "").replace("{m}", Math.round(answer.distance_m || 0));
      confirmBox.appendChild(el("p", "visit", visit));
      confirmBox.hidden = false;
    }
    document.addEventListener("geoapp:submitted", function (event) {
      dropDraft(event.detail.building_id);
      rememberOpen(null);
      confirmSubmission(event.detail);
    });

    function openForm(buildingId) {
      geoapp.call("GET", opts.urls.building + buildingId).then(function (detail) {
        state.addresses[detail.id] = detail.address;
        var draft = loadDraft(detail.id);
        if (draft && draft.version !== detail.version) {
          dropDraft(detail.id);
          draft = null;
        }
        var server = detail;
        if (draft) detail = withDraft(detail, draft);
        state.units = server.unit_details || []; // people may work for a unit in their own house
        state.mayRevealIds = !!detail.may_reveal_ids;
        var reporter = opts.role === "reporter";
        overlay.textContent = "";
        var form = el("form", "house-form");
        form.noValidate = true;
        form.dataset.clientId = (draft && draft.client_id) || newId();
        if (draft && draft.moves) form.moves = draft.moves;
        form.dataset.building = detail.id;
        var head = el("header");
        head.appendChild(el("h2", null, detail.address));
        head.appendChild(el("p", "status", geoapp.status.labels[detail.status] || detail.status));
        if (detail.return_reason) head.appendChild(el("p", "reason", T.reason + ": " + detail.return_reason));
        if (draft) {
          var restored = el("p", "draft-restored", T.draftRestored + " ");
          var discard = geoapp.button("discard-draft", T.discardDraft);
          discard.addEventListener("click", function () {
            form.dataset.discarded = "1";
            dropDraft(server.id);
            openForm(server.id);
          });
          restored.appendChild(discard);
          head.appendChild(restored);
        }
        form.appendChild(head);
        form.appendChild(el("div", "form-errors"));
        var house = el("div", "house-fields");
        if (!reporter) {
          field(house, T.f.use, "use", detail.use, { choices: opts.uses });
          field(house, T.f.floors, "floors", detail.floors, { type: "number", inputmode: "numeric" });
          field(house, T.f.structure, "structure", detail.structure);
          field(house, T.f.owner_name, "owner_name", detail.owner_name);
          field(house, T.f.empty, "empty", draft ? detail.draftEmpty : detail.use === "empty" && detail.status !== "uncollected", {
            checkbox: true,
          });
        }
        form.appendChild(house);
        if (!reporter) {
          var households = el("div", "households");
          (detail.households && detail.households.length ? detail.households : [null]).forEach(function (h) {
            householdBlock(households, h);
          });
          form.appendChild(households);
          var addHousehold = geoapp.button("add-household", T.addHousehold);
          addHousehold.addEventListener("click", function () { householdBlock(households, null); });
          form.appendChild(addHousehold);
        }
        var units = el("div", "units");
        (detail.unit_details || []).forEach(function (u) {
          if (!reporter || u.id === opts.unitId) unitBlock(units, u);
        });
        form.appendChild(units);
        if (!reporter) {
          var addUnit = geoapp.button("add-unit", T.addUnit);
          addUnit.addEventListener("click", function () { unitBlock(units, {}); });
          form.appendChild(addUnit);
        }
        var actions = el("div", "actions");
        var submit = el("button", "submit", T.submit);
        submit.type = "submit";
        var cancel = geoapp.button("cancel", T.cancel);
        cancel.addEventListener("click", function () {
          overlay.classList.remove("open");
          rememberOpen(null); // what was typed stays as a draft for this house
        });
        actions.appendChild(submit);
        actions.appendChild(cancel);
        form.appendChild(actions);
        form.addEventListener("submit", function (event) {
          event.preventDefault();
          submit.disabled = true;
          submit.textContent = T.locating;
          position()
            .then(function (visit) {
              var payload = payloadFrom(form, detail);
              payload.visit = visit;
              submit.textContent = T.sending;
              // Offline capture (issue 11, offline.js): queued on the phone first, then sent.
              if (geoapp.offline && geoapp.offline.submit) return geoapp.offline.submit(detail, payload, form);
              return fetch(opts.urls.building + detail.id + "/submission", {
                method: "POST",
                credentials: "same-origin",
                headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
                body: JSON.stringify(payload),
              });
            })
            .then(function (r) {
              return r.json().then(function (body) {
                if (r.ok) {
                  overlay.classList.remove("open");
                  markCollected(body);
                  return;
                }
                if (r.status === 409) body.errors = [];
                form.dataset.clientId = newId(); // the next try is a new submission
                showErrors(form, body);
              });
            })
            .catch(function (err) {
              showErrors(form, { message: String(err.message || err) });
            })
            .then(function () {
              submit.disabled = false;
              submit.textContent = T.submit;
            });
        });
        overlay.appendChild(form);
        overlay.classList.add("open");
        overlay.scrollTop = 0;
        geoapp.form = form;
        rememberOpen(server.id);
        var save = function () { saveDraft(form, server); };
        form.addEventListener("input", save);
        form.addEventListener("change", save);
        form.addEventListener("click", function (event) {
          if (event.target.closest("button")) setTimeout(save, 0); // a person or unit added or removed
        });
        document.addEventListener("visibilitychange", save);
      });
    }
    geoapp.openForm = openForm;
    document.addEventListener("geoapp:reviewed", refreshProgress);
    refreshProgress();
    var reopen = store() && store().getItem(OPEN);
    if (reopen) openForm(Number(reopen)); // the page reloaded with a form open: back to it, as typed
    return { refresh: refreshProgress, loadNext: loadNext };
  };
})();
