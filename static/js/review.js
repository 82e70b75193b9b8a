/* The officer's review panel: a right-side panel on a desktop, a bottom sheet on a phone.
 * It opens from a house's map popup, from the review list or from a search, and shows the
 * house, its visit proof, who is registered (masked), what changed since the last check and
 * its re-visit tasks, with verify / return (common reasons) and the re-visit result.
 * After an action it is drawn again from the server: it shows the new state only.
 * Text is set with textContent only (never innerHTML): names typed by users stay text. */
(function () {
  "use strict";

  var geoapp = (window.geoapp = window.geoapp || {});

  var el = geoapp.el; // static/js/dom.js
  var button = geoapp.button;

  var fill = geoapp.fill;

  /* The review tools read every answer as {ok, status, body}, refusals included. */
  function call(url, method, body) {
    return geoapp.call(method || "GET", url, body).then(
      function (data) {
        return { ok: true, status: 200, body: data };
      },
      function (e) {
        if (e.status === undefined) throw e; // the network, not the server
        return { ok: false, status: e.status, body: e.body };
      }
    );
  }

  function time(iso) {
    return geoapp.beijingTime ? geoapp.beijingTime(iso) : iso || "—";
  }

  function panelFor(opts) {
    var T = opts.text;
    var root = el("aside", "review-panel");
    root.setAttribute("role", "dialog");
    root.setAttribute("aria-label", T.title);
    root.hidden = true;
    var head = el("div", "panel-head");
    var title = el("h2", "panel-title", T.title);
    var close = button("panel-close", "×");
    close.setAttribute("aria-label", T.close);
    close.title = T.close;
    head.appendChild(title);
    head.appendChild(close);
    var body = el("div", "panel-body");
    root.appendChild(head);
    root.appendChild(body);
    document.body.appendChild(root);
    // The map must not take clicks or scrolls inside the panel for its own.
    ["click", "dblclick", "mousedown", "touchstart", "wheel"].forEach(function (name) {
      root.addEventListener(name, function (e) { e.stopPropagation(); });
    });

    var state = { id: null, sequence: 0 };

    function closePanel() {
      root.hidden = true;
      root.classList.remove("open");
      document.body.classList.remove("review-open");
      state.id = null;
    }
    close.addEventListener("click", closePanel);
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && !root.hidden) closePanel();
    });

    function value(field, v) {
      if (v === null || v === undefined || v === "") return T.emptyValue;
      if (typeof v === "boolean") return opts.values.bool[String(v)];
      var map = opts.values[field];
      if (map && map[v] !== undefined) return map[v];
      return String(v);
    }

    function section(title, className) {
      var box = el("section", "panel-section " + (className || ""));
      if (title) box.appendChild(el("h3", null, title));
      body.appendChild(box);
      return box;
    }

    function row(table, label, text, className) {
      if (text === undefined || text === null || text === "") return;
      var tr = el("tr", className);
      tr.appendChild(el("th", null, label));
      tr.appendChild(el("td", null, text));
      table.appendChild(tr);
    }

    function houseSection(info, notice) {
      var h = info.house;
      title.textContent = h.address;
      if (notice) body.appendChild(el("p", "review-done", notice));
      var box = section(null, "house");
      var badge = el("span", "status-badge status-" + h.status, opts.status[h.status] || h.status);
      box.appendChild(badge);
      var table = el("table", "facts");
      row(table, T.village, h.village + (h.street != null ? " · " + (h.street || T.unnamed) : ""));
      row(table, T.use, opts.uses[h.use] || h.use);
      row(table, T.floors, h.floors);
      row(table, T.returnedBecause, h.status === "returned" ? h.return_reason : null, "reason");
      box.appendChild(table);
    }

    /* A flagged visit, named and explained: what is wrong with the proof and what to do. */
    function flagBox(flag, distance, accuracy) {
      var warn = el("div", "flag-box");
      warn.appendChild(el("strong", null, opts.flags[flag] || flag));
      var n = flag === "vague" ? accuracy : distance;
      var help = T.flagHelp[flag] || "";
      if (n === null || n === undefined) help = flag === "no_position" ? help : "";
      if (help) warn.appendChild(el("p", null, fill(help, { n: Math.round(n || 0) })));
      return warn;
    }

    function proofSection(info) {
      var box = section(T.proof, "proof");
      var v = info.visit;
      var h = info.house;
      if (!v) {
        box.appendChild(el("p", "hint", T.noVisit));
        if (h.visit_flag) box.appendChild(flagBox(h.visit_flag, h.visit_distance_m, null));
        return;
      }
      var table = el("table", "facts");
      row(table, T.collector, v.collector_name + (v.collector && v.collector !== v.collector_name ? " (" + v.collector + ")" : ""));
      row(table, T.submittedAt, time(v.submitted_at));
      row(table, T.deviceTime, v.device_time ? time(v.device_time) : null);
      row(table, T.distance, v.distance_m === null ? null : fill(T.metres, { n: Math.round(v.distance_m) }));
      row(table, T.accuracy, v.accuracy_m === null ? null : "±" + fill(T.metres, { n: Math.round(v.accuracy_m) }));
      if (v.empty) row(table, T.status, T.empty);
      box.appendChild(table);
      var flag = h.visit_flag || null;
      if (flag) {
        box.appendChild(flagBox(flag, v.distance_m, v.accuracy_m));
      } else if (v.flag && h.status !== "collected") {
        box.appendChild(el("p", "hint", fill(T.flagOriginal, { flag: opts.flags[v.flag] || v.flag })));
      } else if (!v.flag) {
        box.appendChild(el("p", "proof-ok", T.proofOk));
      }
    }

    function changesSection(info) {
      var c = info.changes;
      var box = section(T.changes, "changes");
      var last = c.last_check;
      if (!last) box.appendChild(el("p", "last-check", T.neverChecked));
      else if (!last.action) box.appendChild(el("p", "last-check", fill(T.lastCheckOld, { at: time(last.at) })));
      else {
        var action = last.action === "house.verify" ? T.verified : T.returned;
        box.appendChild(el("p", "last-check", fill(T.lastCheck, { action: action, at: time(last.at), who: last.actor })));
      }
      if (c.submissions || c.edits) box.appendChild(el("p", "hint", fill(T.submissions, { n: c.submissions, e: c.edits })));
      if (c.nothing && !c.people_count) {
        box.appendChild(el("p", "no-changes", T.noChanges));
        return;
      }
      var list = el("ul", "change-list");
      Object.keys(c.house).forEach(function (field) {
        var pair = c.house[field];
        list.appendChild(el("li", "house-change", (opts.fields[field] || field) + "：" + value(field, pair[0]) + " → " + value(field, pair[1])));
      });
      if (c.people_count) list.appendChild(el("li", "people-count", fill(T.peopleCount, { before: c.people_count[0], after: c.people_count[1] })));
      c.added.forEach(function (p) {
        list.appendChild(el("li", "added", T.added + "：" + [p.name, p.id_number].filter(Boolean).join(" · ")));
      });
      c.removed.forEach(function (p) {
        list.appendChild(el("li", "removed", T.removedPeople + "：" + [p.name, p.id_number].filter(Boolean).join(" · ")));
      });
      c.changed.forEach(function (p) {
        var parts = Object.keys(p.fields).map(function (field) {
          var pair = p.fields[field];
          return (opts.fields[field] || field) + " " + value(field, pair[0]) + " → " + value(field, pair[1]);
        });
        list.appendChild(el("li", "changed", T.changedPeople + "：" + (p.name || "") + "（" + parts.join("；") + "）"));
      });
      if (c.moved_in) list.appendChild(el("li", null, fill(T.movedIn, { n: c.moved_in })));
      if (c.move_requests) list.appendChild(el("li", null, fill(T.moveRequests, { n: c.move_requests })));
      if (c.units_removed) list.appendChild(el("li", null, fill(T.unitsRemoved, { n: c.units_removed })));
      box.appendChild(list);
    }

    function peopleSection(detail) {
      var box = section(T.people, "people");
      var households = (detail && detail.households) || [];
      var count = 0;
      households.forEach(function (h, i) {
        if (!h.people.length) return;
        box.appendChild(el("h4", null, fill(T.household, { n: h.number || i + 1 })));
        var list = el("ul", "people-list");
        h.people.forEach(function (p) {
          count += 1;
          var li = el("li", "person");
          li.appendChild(el("span", "name", p.name));
          var rest = [p.relation, opts.values.sex[p.sex], p.id_number, p.phone].filter(Boolean).join(" · ");
          li.appendChild(el("span", "detail", rest));
          list.appendChild(li);
        });
        box.appendChild(list);
      });
      if (!count) box.appendChild(el("p", "hint", T.noPeople));
    }

    function message(box) {
      var m = el("div", "review-message");
      m.setAttribute("role", "alert");
      box.appendChild(m);
      return m;
    }

    function showError(target, answer) {
      target.textContent = "";
      var text = (answer.body && answer.body.message) || "HTTP " + answer.status;
      if (answer.status === 409) {
        target.className = "review-message review-conflict";
        target.appendChild(el("strong", null, T.conflict));
        target.appendChild(el("p", null, text));
        var again = button("reload-house", T.reload);
        again.addEventListener("click", function () { load(state.id); });
        target.appendChild(again);
      } else {
        target.className = "review-message review-error";
        target.appendChild(el("p", null, text));
      }
    }

    function reasonPicker(box, hint) {
      var label = el("label", "reason-choice");
      label.appendChild(el("span", null, T.reasonChoice));
      var select = el("select");
      select.name = "reason_code";
      var none = el("option", null, T.reasonNone);
      none.value = "";
      select.appendChild(none);
      opts.reasons.forEach(function (pair) {
        var o = el("option", null, pair[1]);
        o.value = pair[0];
        select.appendChild(o);
      });
      label.appendChild(select);
      box.appendChild(label);
      var text = el("textarea");
      text.name = "reason";
      text.rows = 3;
      text.maxLength = 500;
      text.placeholder = hint;
      box.appendChild(text);
      return function () {
        return { reason_code: select.value || undefined, reason: text.value };
      };
    }

    function act(url, payload, notice, box, msg) {
      var buttons = box.querySelectorAll("button");
      buttons.forEach(function (b) { b.disabled = true; });
      return call(url, "POST", payload)
        .then(function (answer) {
          if (!answer.ok) {
            buttons.forEach(function (b) { b.disabled = false; });
            showError(msg, answer);
            return;
          }
          document.dispatchEvent(new CustomEvent("geoapp:reviewed", { detail: notice.event(answer.body) }));
          load(state.id, notice.text(answer.body));
        })
        .catch(function (err) {
          buttons.forEach(function (b) { b.disabled = false; });
          showError(msg, { status: 0, body: { message: String(err.message || err) } });
        });
    }

    function houseEvent(a) {
      return { building_id: a.building_id, status: a.status, version: a.version };
    }

    function revisitSection(info) {
      var pending = info.revisits.filter(function (r) { return r.status === "pending"; });
      var done = info.revisits.filter(function (r) { return r.status !== "pending"; });
      if (!info.revisits.length) return;
      var box = section(T.revisit, "revisit");
      done.forEach(function (r) {
        var line = [fill(T.revisitSample, { n: r.sample_id }), opts.revisit[r.status], time(r.decided_at), r.decided_by, r.reason];
        box.appendChild(el("p", "revisit-done", line.filter(Boolean).join(" · ")));
      });
      pending.forEach(function (r) {
        var wrap = el("div", "revisit-task");
        wrap.appendChild(el("p", null, fill(T.revisitSample, { n: r.sample_id }) + " · " + opts.revisit.pending));
        var msg = null;
        var right = button("revisit-confirm", T.revisitConfirm);
        var wrong = button("revisit-wrong", T.revisitWrong);
        var url = opts.urls.revisits + r.id + "/result";
        var notice = function (status) {
          return {
            text: function () { return T.done[status]; },
            event: function (a) {
              return { building_id: a.building_id, status: a.house_status, version: a.house_version, revisit: a.id, result: a.status };
            },
          };
        };
        right.addEventListener("click", function () {
          act(url, { result: "confirmed", version: r.version }, notice("confirmed"), wrap, msg);
        });
        wrong.addEventListener("click", function () {
          wrong.hidden = true;
          right.hidden = true;
          var form = el("div", "reason-form");
          var read = reasonPicker(form, T.revisitReasonHint);
          var confirm = button("confirm-wrong", T.revisitConfirmWrong);
          confirm.addEventListener("click", function () {
            var picked = read();
            act(url, { result: "wrong", version: r.version, reason_code: picked.reason_code, reason: picked.reason }, notice("wrong"), wrap, msg);
          });
          form.appendChild(confirm);
          wrap.insertBefore(form, msg);
        });
        wrap.appendChild(right);
        wrap.appendChild(wrong);
        msg = message(wrap);
        box.appendChild(wrap);
      });
    }

    function actionsSection(info) {
      var h = info.house;
      if (h.status !== "collected" && h.status !== "verified") return;
      var box = section(T.actions, "actions geoapp-review");
      var msg = null;
      var url = opts.urls.review + h.id + "/review";
      if (h.status === "collected") {
        if (info.self_submitted) {
          box.appendChild(el("p", "own-submission", T.ownSubmission));
        } else {
          var checked = null;
          if (h.visit_flag) {
            var label = el("label", "visit-checked");
            checked = el("input");
            checked.type = "checkbox";
            checked.name = "visit_checked";
            label.appendChild(checked);
            label.appendChild(el("span", null, T.visitChecked));
            box.appendChild(label);
          }
          var verify = button("verify", T.verify);
          verify.addEventListener("click", function () {
            var payload = { action: "verify", version: h.version, visit_checked: checked ? checked.checked : undefined };
            act(url, payload, { text: function () { return T.done.verified; }, event: houseEvent }, box, msg);
          });
          box.appendChild(verify);
        }
      }
      var giveBack = button("return", T.giveBack);
      giveBack.addEventListener("click", function () {
        giveBack.hidden = true;
        var form = el("div", "reason-form");
        var read = reasonPicker(form, T.reasonHint);
        var confirm = button("confirm-return", T.confirmReturn);
        confirm.addEventListener("click", function () {
          var picked = read();
          var payload = { action: "return", version: h.version, reason_code: picked.reason_code, reason: picked.reason };
          act(url, payload, { text: function () { return T.done.returned; }, event: houseEvent }, box, msg);
        });
        form.appendChild(confirm);
        box.insertBefore(form, msg);
        form.querySelector("select").focus();
      });
      box.appendChild(giveBack);
      msg = message(box);
    }

    function links(info) {
      var box = el("p", "panel-links");
      var history = el("a", "history", T.history);
      history.href = opts.urls.history + "?object_type=building&object_id=" + encodeURIComponent(info.house.id);
      box.appendChild(history);
      if (!document.querySelector(".folium-map")) {
        var map = el("a", "on-map", T.onMap);
        map.href = opts.urls.map + "#house=" + info.house.id + "&lat=" + info.house.lat.toFixed(7) + "&lon=" + info.house.lon.toFixed(7);
        box.appendChild(map);
      }
      body.appendChild(box);
    }

    function load(id, notice) {
      var mine = ++state.sequence;
      state.id = id;
      root.hidden = false;
      root.classList.add("open");
      document.body.classList.add("review-open");
      root.setAttribute("data-building", String(id));
      root.removeAttribute("data-ready");
      if (!notice) {
        body.textContent = "";
        title.textContent = T.title;
        body.appendChild(el("p", "hint", T.loading));
      }
      Promise.all([call(opts.urls.review + id + "/review"), call(opts.urls.building + id)])
        .then(function (answers) {
          if (mine !== state.sequence) return;
          var info = answers[0];
          var detail = answers[1];
          body.textContent = "";
          if (!info.ok) {
            showError(message(body), info);
            return;
          }
          houseSection(info.body, notice);
          actionsSection(info.body);
          revisitSection(info.body);
          proofSection(info.body);
          changesSection(info.body);
          if (detail.ok) peopleSection(detail.body);
          else showError(message(section(T.people, "people")), detail);
          links(info.body);
          body.scrollTop = 0;
          root.setAttribute("data-ready", String(info.body.house.version));
        })
        .catch(function (err) {
          if (mine !== state.sequence) return;
          body.textContent = "";
          body.appendChild(el("p", "review-error", String(err.message || err)));
        });
    }

    return { open: function (id) { load(id); }, close: closePanel, root: root };
  }

  /* One panel per page. */
  geoapp.reviewPanel = function (opts) {
    if (!geoapp._reviewPanel) geoapp._reviewPanel = panelFor(opts);
    return geoapp._reviewPanel;
  };

  /* On the map: the house popup offers "Review…", which opens the panel. */
  geoapp.reviewer = function (map, opts) {
    var panel = geoapp.reviewPanel(opts);
    geoapp.popupHooks = geoapp.popupHooks || [];
    geoapp.popupHooks.push(function (box, detail) {
      if (detail.status === "uncollected") return;
      var wrap = el("div", "geoapp-review-open");
      var open = button("open-review", opts.text.open);
      open.addEventListener("click", function () {
        panel.open(detail.id);
      });
      wrap.appendChild(open);
      if (window.L) {
        L.DomEvent.disableClickPropagation(wrap);
        L.DomEvent.on(wrap, "click", L.DomEvent.stopPropagation);
      }
      box.appendChild(wrap);
    });
    document.addEventListener("geoapp:reviewed", function (e) {
      if (geoapp.setHouseStatus && e.detail.status) geoapp.setHouseStatus(e.detail.building_id, e.detail.status);
      map.closePopup(); // its status line is out of date; the panel shows the new state
    });
  };

  /* On the review list: open the panel from a row, bulk verify, draw a re-visit sample. */
  geoapp.reviewPage = function (opts) {
    var T = opts.text;
    var panel = geoapp.reviewPanel(opts);
    document.addEventListener("click", function (e) {
      var open = e.target.closest("button.open-panel");
      if (open) panel.open(Number(open.getAttribute("data-building")));
    });
    document.addEventListener("geoapp:reviewed", function (e) {
      if (!e.detail.status) return;
      var rows = document.querySelectorAll('tr[data-building="' + e.detail.building_id + '"]');
      rows.forEach(function (row) {
        if (row.hasAttribute("data-version")) row.setAttribute("data-version", String(e.detail.version));
        if (row.hasAttribute("data-status")) row.setAttribute("data-status", e.detail.status);
        row.classList.add("reviewed");
        var cell = row.querySelector(".status");
        if (cell) cell.textContent = opts.status[e.detail.status] || e.detail.status;
      });
      if (e.detail.revisit) {
        var task = document.querySelector('#pending-revisits tr[data-revisit="' + e.detail.revisit + '"] .result');
        if (task) task.textContent = opts.revisit[e.detail.result] || e.detail.result;
      }
    });

    var bulk = document.getElementById("bulk-verify");
    if (bulk) {
      var viewed = document.getElementById("bulk-viewed");
      var note = document.getElementById("bulk-message");
      var sync = function () { bulk.disabled = !viewed.checked; };
      viewed.addEventListener("change", sync);
      sync();
      bulk.addEventListener("click", function () {
        var rows = Array.prototype.slice.call(document.querySelectorAll('#review-queue tbody tr[data-building][data-status="collected"]'));
        var items = rows.map(function (r) {
          return { id: Number(r.getAttribute("data-building")), version: Number(r.getAttribute("data-version")) };
        });
        bulk.disabled = true;
        call(opts.urls.bulk, "POST", { collector: bulk.getAttribute("data-collector"), items: items }).then(function (answer) {
          note.textContent = "";
          if (!answer.ok) {
            note.className = answer.status === 409 ? "review-message review-conflict" : "review-message review-error";
            note.textContent = (answer.body && answer.body.message) || "HTTP " + answer.status;
            sync();
            return;
          }
          note.className = "review-message review-done";
          note.textContent = fill(T.bulkDone, { n: answer.body.verified });
          answer.body.items.forEach(function (a) {
            document.dispatchEvent(new CustomEvent("geoapp:reviewed", { detail: { building_id: a.building_id, status: a.status, version: a.version } }));
          });
          viewed.checked = false;
          viewed.disabled = true;
        });
      });
    }

    var form = document.getElementById("sample-form");
    if (form) {
      var out = document.getElementById("sample-message");
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var target = form.elements.drawfrom.value;
        var payload = { size: Number(form.elements.size.value) };
        if (target.indexOf("village:") === 0) payload.village = Number(target.slice(8));
        else if (target.indexOf("collector:") === 0) payload.collector = target.slice(10);
        if (form.elements.seed.value !== "") payload.seed = Number(form.elements.seed.value);
        call(opts.urls.samples, "POST", payload).then(function (answer) {
          if (!answer.ok) {
            out.className = "review-message review-error";
            out.textContent = (answer.body && answer.body.message) || "HTTP " + answer.status;
            return;
          }
          window.location.reload();
        });
      });
    }
  };

  document.addEventListener("DOMContentLoaded", function () {
    var script = document.getElementById("review-options");
    if (script) geoapp.reviewPage(JSON.parse(script.textContent));
  });
})();
