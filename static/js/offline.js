/* The collector's phone with no signal (issue 11, part 1).
 *
 *  - registers the service worker (/sw.js: the page, its files and the village's layers
 *    kept for offline use) and asks for persistent storage;
 *  - every submission goes into a queue in IndexedDB first (its client id, the house's
 *    version the form was opened at, the parts the collector changed, the visit proof),
 *    then is sent; the queue is sent in order whenever the network is back, one sender at
 *    a time (a Web Lock shared by the tabs), and an item leaves the queue only when the
 *    server has acknowledged it (a replayed client id is answered with the stored answer);
 *  - a conflict (409: someone changed the same parts of the house) stays queued, marked,
 *    and is shown side by side with the server's version: keep mine / take theirs / edit;
 *  - the badge "N 条未上传" is always on the map; the map draws the queued houses with
 *    their new status; the queue can be saved to a file and loaded back.
 * Everything user-typed is set with textContent, never as HTML. */
(function () {
  "use strict";
  var geoapp = (window.geoapp = window.geoapp || {});
  var DB_NAME = "geoapp-offline";
  var STORE = "queue";
  var LOCK = "geoapp-sync";
  var RETRY_MS = 30000;
  var QUIET_MS = 15000; // the offline copies wait for the person's calls at most this long

  /* -- IndexedDB: one store of queued submissions, keyed by client id ---------------- */
  var dbPromise = null;
  function openDb() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        var store = request.result.createObjectStore(STORE, { keyPath: "client_id" });
        store.createIndex("seq", "seq");
      };
      request.onsuccess = function () {
        resolve(request.result);
      };
      request.onerror = function () {
        reject(request.error);
      };
    });
    return dbPromise;
  }
  function tx(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result;
        t.oncomplete = function () {
          resolve(result);
        };
        t.onerror = t.onabort = function () {
          reject(t.error);
        };
        work(t.objectStore(STORE), function (value) {
          result = value;
        });
      });
    });
  }
  var owner = null; // the logged-in account: only its own records are shown and sent
  function all() {
    return tx("readonly", function (store, done) {
      var request = store.index("seq").getAll();
      request.onsuccess = function () {
        done(
          (request.result || []).filter(function (item) {
            return item.user === undefined || item.user === null || item.user === owner;
          })
        );
      };
    });
  }
  function get(clientId) {
    return tx("readonly", function (store, done) {
      var request = store.get(clientId);
      request.onsuccess = function () {
        done(request.result || null);
      };
    });
  }
  function put(item) {
    return tx("readwrite", function (store) {
      store.put(item);
    });
  }
  function remove(clientId) {
    return tx("readwrite", function (store) {
      store.delete(clientId);
    });
  }

  /* One sender at a time, across the tabs of this browser. */
  function withLock(work) {
    if (navigator.locks && navigator.locks.request) return navigator.locks.request(LOCK, work);
    return work();
  }

  /* -- the parts of the house the collector changed (sent as "changed") --------------- */
  var HOUSE_FIELDS = ["use", "floors", "structure", "owner_name", "empty"];
  function partOf(target) {
    if (!target || !target.closest) return null;
    if (target.closest("section.household, .households, .add-household")) return "households";
    if (target.closest("fieldset.unit, .units, .add-unit")) return "units";
    if (target.closest(".house-fields") && HOUSE_FIELDS.indexOf(target.name) >= 0) return target.name;
    return null;
  }
  function track(event) {
    var form = event.target && event.target.closest && event.target.closest("form.house-form");
    if (!form) return;
    if (event.type === "click" && !event.target.closest("button")) return;
    var part = partOf(event.target);
    if (!part) return;
    form.geoappChanged = form.geoappChanged || {};
    form.geoappChanged[part] = true;
  }
  // Capture: a "remove" button takes its block out of the form in its own handler.
  ["input", "change", "click"].forEach(function (type) {
    document.addEventListener(type, track, true);
  });

  geoapp.offline = function (map, opts) {
    var T = opts.text;
    var meta = document.querySelector('meta[name="geoapp-user"]'); // map.html: the map itself is shared by a role
    owner = opts.user !== undefined ? opts.user : meta && meta.content ? Number(meta.content) : null;
    opts.user = owner;
    var state = { items: [], sending: false, persisted: null, message: "" };
    var api = {};
    geoapp.offline.api = api;

    /* -- the badge and its panel ------------------------------------------------------ */
    var el = geoapp.el;
    var badge = el("button", "geoapp-offline-badge");
    badge.type = "button";
    badge.setAttribute("aria-haspopup", "dialog");
    map.getContainer().appendChild(badge);
    L.DomEvent.disableClickPropagation(badge);
    var panel = el("div", "geoapp-offline-panel");
    panel.setAttribute("role", "dialog");
    document.body.appendChild(panel);
    var toast = el("div", "geoapp-offline-toast");
    toast.setAttribute("role", "status");
    document.body.appendChild(toast);
    var toastTimer = null;
    function say(text) {
      toast.textContent = text;
      toast.classList.add("open");
      clearTimeout(toastTimer);
      toastTimer = setTimeout(function () {
        toast.classList.remove("open");
      }, 4000);
    }

    function count(n) {
      return T.unsent.replace("{n}", n);
    }
    function drawBadge() {
      var n = state.items.length;
      var conflicts = state.items.filter(function (i) {
        return i.state !== "pending";
      }).length;
      badge.textContent = count(n) + (conflicts ? " · " + T.needsYou.replace("{n}", conflicts) : "");
      badge.classList.toggle("empty", n === 0);
      badge.classList.toggle("conflict", conflicts > 0);
      badge.classList.toggle("offline", !navigator.onLine);
      badge.dataset.count = n;
    }

    function refresh() {
      return all().then(function (items) {
        state.items = items;
        drawBadge();
        drawStatuses();
        if (panel.classList.contains("open")) drawPanel();
        return items;
      });
    }

    /* The map shows the queued houses as collected (a held one keeps its own colour). */
    function drawStatuses() {
      if (!geoapp.setHouseStatus || !geoapp.status) return;
      state.items.forEach(function (item) {
        if (item.state === "pending") geoapp.setHouseStatus(item.building_id, "collected");
      });
    }
    document.addEventListener("geoapp:loaded", function (e) {
      if (e.detail.kind === "buildings") {
        drawStatuses();
        prefetch();
      }
    });

    function stateLabel(item) {
      if (item.state === "conflict") return T.conflict;
      if (item.state === "error") return T.held;
      return T.waiting;
    }

    function button(className, text, action) {
      var b = geoapp.button(className, text);
      b.addEventListener("click", action);
      return b;
    }

    function drawPanel() {
      panel.textContent = "";
      var head = el("header");
      head.appendChild(el("h2", null, count(state.items.length)));
      head.appendChild(button("close", T.close, function () {
        panel.classList.remove("open");
      }));
      panel.appendChild(head);
      panel.appendChild(el("p", "network", navigator.onLine ? T.online : T.offlineNow));
      var storage = state.persisted === true ? T.persisted : state.persisted === false ? T.notPersisted : T.persistUnknown;
      panel.appendChild(el("p", "storage", storage));
      if (state.message) panel.appendChild(el("p", "message", state.message));
      var list = el("ol", "queue");
      state.items.forEach(function (item) {
        var li = el("li", "queued " + item.state);
        li.dataset.clientId = item.client_id;
        li.dataset.building = item.building_id;
        li.appendChild(el("span", "address", item.address || "#" + item.building_id));
        li.appendChild(el("span", "when", geoapp.beijingTime ? geoapp.beijingTime(item.queued_at) : item.queued_at));
        li.appendChild(el("span", "state", stateLabel(item)));
        if (item.message) li.appendChild(el("span", "why", item.message));
        if (item.state === "conflict") {
          li.appendChild(button("compare", T.compare, function () {
            compare(item, li);
          }));
        }
        if (item.state === "error") {
          li.appendChild(button("retry", T.retry, function () {
            item.state = "pending";
            item.message = "";
            put(item).then(refresh).then(sync);
          }));
          li.appendChild(button("discard", T.discard, function () {
            if (window.confirm(T.discardConfirm)) remove(item.client_id).then(refresh);
          }));
        }
        list.appendChild(li);
      });
      panel.appendChild(list);
      var actions = el("div", "actions");
      actions.appendChild(button("send-now", T.sendNow, function () {
        sync();
      }));
      actions.appendChild(button("save-file", T.saveFile, saveFile));
      var load = button("load-file", T.loadFile, function () {
        picker.click();
      });
      actions.appendChild(load);
      var picker = el("input");
      picker.type = "file";
      picker.accept = "application/json,.json";
      picker.className = "file-picker";
      picker.addEventListener("change", function () {
        if (picker.files && picker.files[0]) loadFile(picker.files[0]);
      });
      actions.appendChild(picker);
      panel.appendChild(actions);
    }
    badge.addEventListener("click", function () {
      toast.classList.remove("open");
      if (panel.classList.toggle("open")) drawPanel();
    });

    /* -- the side-by-side view of a conflict ----------------------------------------- */
    function labelOf(part) {
      if (part === "households") return T.households;
      if (part === "units") return T.units;
      return T.f[part] || part;
    }
    function useLabel(code) {
      var found = (opts.uses || []).filter(function (u) {
        return u[0] === code;
      })[0];
      return found ? found[1] : code;
    }
    function describe(part, source, payload) {
      if (part === "households") {
        var people = [];
        (source.households || []).forEach(function (h) {
          (h.members || h.people || []).forEach(function (p) {
            if (p.name) people.push(p.name);
          });
        });
        return people.length ? people.join("、") : "—";
      }
      if (part === "units") {
        var names = (source.units || source.unit_details || []).map(function (u) {
          return u.name || "—";
        });
        return names.length ? names.join("、") : "—";
      }
      var value = payload ? (source.building || {})[part] : source[part];
      if (part === "use" && payload && source.empty) value = "empty";
      if (value === null || value === undefined || value === "") return "—";
      return part === "use" ? useLabel(value) : String(value);
    }

    function compare(item, li) {
      var box = li.querySelector(".side-by-side");
      if (box) {
        box.remove();
        return;
      }
      box = el("div", "side-by-side");
      li.appendChild(box);
      box.appendChild(el("p", null, T.loading));
      fetch(opts.urls.building + item.building_id, { credentials: "same-origin" })
        .then(function (r) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.json();
        })
        .then(function (theirs) {
          box.textContent = "";
          var table = el("table", "compare");
          var head = el("tr");
          [T.part, T.mine, T.theirs].forEach(function (t) {
            head.appendChild(el("th", null, t));
          });
          table.appendChild(head);
          var parts = (item.conflict && item.conflict.fields) || [];
          parts.forEach(function (part) {
            if (part === "*") part = "households";
            var row = el("tr");
            row.dataset.part = part;
            row.appendChild(el("th", null, labelOf(part)));
            row.appendChild(el("td", "mine", describe(part, item.payload, true)));
            row.appendChild(el("td", "theirs", describe(part, theirs, false)));
            table.appendChild(row);
          });
          box.appendChild(table);
          var choices = el("div", "choices");
          choices.appendChild(button("keep-mine", T.keepMine, function () {
            // Mine again, on the version the form was opened at: only the parts I changed
            // are applied, and where both sides changed the same part, mine is kept.
            item.payload.keep_mine = true;
            item.state = "pending";
            item.message = "";
            item.conflict = null;
            put(item).then(refresh).then(sync);
          }));
          choices.appendChild(button("take-theirs", T.takeTheirs, function () {
            remove(item.client_id).then(function () {
              geoapp.setHouseStatus(item.building_id, theirs.status);
              return refresh();
            });
          }));
          choices.appendChild(button("edit", T.editAgain, function () {
            remove(item.client_id).then(function () {
              panel.classList.remove("open");
              return refresh();
            }).then(function () {
              if (geoapp.openForm) geoapp.openForm(item.building_id);
            });
          }));
          box.appendChild(choices);
        })
        .catch(function () {
          box.textContent = T.compareOffline;
        });
    }

    /* -- sending ------------------------------------------------------------------------ */
    function post(item) {
      return fetch(item.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": geoapp.csrf() },
        body: JSON.stringify(item.payload),
      });
    }

    /* Send one queued item (under the lock). Resolves to {response, body} when the server
     * answered, or null when the network did not (the item stays queued). */
    function sendOne(item) {
      return get(item.client_id).then(function (current) {
        if (!current) return { done: true }; // sent by another tab meanwhile
        return post(current).then(
          function (r) {
            return r.json().then(
              function (body) {
                return { response: r, body: body, item: current };
              },
              function () {
                return { response: r, body: {}, item: current };
              }
            );
          },
          function () {
            return null;
          }
        );
      });
    }

    function acknowledged(result) {
      var body = result.body;
      return remove(result.item.client_id).then(function () {
        if (geoapp.setHouseStatus) geoapp.setHouseStatus(body.building_id, body.status);
        document.dispatchEvent(new CustomEvent("geoapp:synced", { detail: body }));
      });
    }

    function hold(result, kind) {
      var item = result.item;
      item.state = kind;
      item.message = result.body.message || "HTTP " + result.response.status;
      item.conflict = result.body.conflict || null;
      return put(item);
    }

    /* The queue, oldest first; stops at the first item the network did not carry. */
    function sync() {
      if (state.sending || !navigator.onLine) return Promise.resolve();
      state.sending = true;
      drawBadge();
      return withLock(function () {
        return all().then(function (items) {
          var pending = items.filter(function (i) {
            return i.state === "pending";
          });
          var sent = 0;
          function next(i) {
            if (i >= pending.length) return sent;
            return sendOne(pending[i]).then(function (result) {
              if (result === null) return sent; // no network: try again later
              if (result.done) return next(i + 1);
              var status = result.response.status;
              if (result.response.ok) {
                sent += 1;
                return acknowledged(result).then(function () {
                  return next(i + 1);
                });
              }
              if (status === 401 || status === 403 || status === 429 || status >= 500) {
                state.message = result.body.message || "HTTP " + status;
                return sent; // log in again, or wait: nothing is lost
              }
              return hold(result, status === 409 && result.body.conflict ? "conflict" : "error").then(function () {
                return next(i + 1);
              });
            });
          }
          return next(0);
        });
      })
        .then(function (sent) {
          if (sent) {
            say(T.uploaded.replace("{n}", sent));
            if (geoapp.layers && geoapp.layers.streets) geoapp.layers.streets.reload();
          }
        })
        .catch(function (err) {
          state.message = String(err && err.message ? err.message : err);
        })
        .then(function () {
          state.sending = false;
          return refresh();
        });
    }
    api.sync = sync;
    api.items = function () {
      return all();
    };

    /* collect.js hands every submission here: queued first, then sent. The form gets the
     * server's answer, or (no network) a stand-in saying it is queued. */
    geoapp.offline.submit = function (detail, payload, form) {
      var changed = (form && form.geoappChanged) || {};
      payload.changed = Object.keys(changed);
      var item = {
        client_id: payload.client_id,
        seq: Date.now() + Math.random(),
        building_id: detail.id,
        user: opts.user,
        address: detail.address,
        url: opts.urls.building + detail.id + "/submission",
        payload: payload,
        queued_at: new Date().toISOString(),
        state: "pending",
      };
      function queued() {
        say(T.savedOnPhone);
        return refresh().then(function () {
          var body = { building_id: detail.id, status: "collected", queued: true };
          return new Response(JSON.stringify(body), { status: 202, headers: { "Content-Type": "application/json" } });
        });
      }
      return put(item).then(function () {
        if (!navigator.onLine) return queued(); // surely no network: do not even try
        return withLock(function () {
          return sendOne(item).then(function (result) {
            if (result === null || result.done) return null;
            var status = result.response.status;
            if (status >= 500 || status === 429 || status === 401) return null; // kept: sent later (after a login)
            // Answered: acknowledged, or refused for the form to show (the form is still open).
            return remove(item.client_id).then(function () {
              return new Response(JSON.stringify(result.body), {
                status: status,
                headers: { "Content-Type": "application/json" },
              });
            });
          });
        }).then(function (response) {
          if (response === null) return queued();
          return refresh().then(function () {
            return response;
          });
        });
      });
    };

    /* -- save to a file, load back -------------------------------------------------------- */
    function saveFile() {
      all().then(function (items) {
        var blob = new Blob([JSON.stringify({ kind: "geoapp-queue", version: 1, items: items }, null, 1)], {
          type: "application/json",
        });
        var a = el("a");
        a.href = URL.createObjectURL(blob);
        a.download = T.fileName.replace("{date}", new Date().toISOString().slice(0, 10)) + ".json";
        document.body.appendChild(a);
        a.click();
        setTimeout(function () {
          URL.revokeObjectURL(a.href);
          a.remove();
        }, 1000);
      });
    }
    function loadFile(file) {
      var reader = new FileReader();
      reader.onload = function () {
        var data;
        try {
          data = JSON.parse(reader.result);
        } catch (e) {
          data = null;
        }
        if (!data || data.kind !== "geoapp-queue" || !Array.isArray(data.items)) {
          state.message = T.badFile;
          refresh();
          return;
        }
        var valid = data.items.filter(function (i) {
          return i && typeof i.client_id === "string" && i.payload && Number(i.building_id) > 0;
        });
        all()
          .then(function (items) {
            var known = {};
            items.forEach(function (i) {
              known[i.client_id] = true;
            });
            var fresh = valid.filter(function (i) {
              return !known[i.client_id];
            });
            return Promise.all(
              fresh.map(function (i) {
                return put({
                  client_id: i.client_id,
                  seq: Number(i.seq) || Date.now(),
                  building_id: Number(i.building_id),
                  user: opts.user,
                  address: String(i.address || ""),
                  url: opts.urls.building + Number(i.building_id) + "/submission",
                  payload: i.payload,
                  queued_at: String(i.queued_at || new Date().toISOString()),
                  state: "pending",
                });
              })
            ).then(function () {
              state.message = T.loaded.replace("{n}", fresh.length);
            });
          })
          .then(refresh)
          .then(sync);
      };
      reader.readAsText(file);
    }

    /* -- offline copies of the houses' details (uncollected: nobody's personal data) ------ */
    var prefetched = false;
    /* The uncollected houses drawn: from the houses' columns (no object per house) when the
     * whole town is drawn at once, from each drawn layer otherwise. */
    function uncollected(layer) {
      var ids = [],
        cloud = layer.cloud && layer.cloud(),
        i;
      if (cloud) {
        var code = cloud.statuses.indexOf("uncollected");
        for (i = 0; i < cloud.ids.length; i++) if (cloud.codes[i] === code) ids.push(cloud.ids[i]);
        return ids;
      }
      layer.eachLayer(function (sub) {
        if (sub.feature && sub.feature.properties.s === "uncollected") ids.push(sub.feature.id);
      });
      return ids;
    }
    /* Until no call the person made is waiting (dom.js), at most QUIET_MS: a house opened
     * or a layer asked while the copies are fetched is answered first. */
    function quiet() {
      if (!geoapp.pending || geoapp.pending() === 0) return Promise.resolve();
      return new Promise(function (resolve) {
        var timer = setTimeout(done, QUIET_MS);
        function done() {
          clearTimeout(timer);
          document.removeEventListener("geoapp:idle", done);
          resolve();
        }
        document.addEventListener("geoapp:idle", done);
      });
    }
    function prefetch() {
      if (prefetched || !navigator.onLine || !navigator.serviceWorker) return;
      if (!navigator.serviceWorker.controller) {
        // Asked through the worker or not kept at all: wait until it takes this page over.
        navigator.serviceWorker.addEventListener("controllerchange", prefetch, { once: true });
        return;
      }
      var layer = geoapp.layers && geoapp.layers.buildings;
      if (!layer) return;
      prefetched = true;
      var ids = uncollected(layer).slice(0, opts.prefetchLimit || 500);
      var i = 0;
      function worker() {
        if (i >= ids.length || !navigator.onLine) return Promise.resolve();
        var url = new URL(opts.urls.building + ids[i++], location.href).href;
        return quiet()
          .then(function () {
            return caches.match(url);
          })
          .then(function (hit) {
            // Kept already: a stale copy is fine (the server merges or reports a conflict).
            return hit || fetch(url, { credentials: "same-origin", priority: "low" });
          })
          .catch(function () {
            return null;
          })
          .then(worker);
      }
      Promise.all([worker(), worker()]).then(function () {
        document.documentElement.dataset.offlinePrefetched = String(ids.length);
        document.dispatchEvent(new CustomEvent("geoapp:prefetched", { detail: { count: ids.length } }));
      });
    }

    /* -- the service worker and persistent storage ---------------------------------------- */
    /* Sent to the worker that is active even if it does not control this page yet: a
     * worker that took over after the page loaded may claim it late (or, if the page
     * navigated while it installed, not at all), and the first visit must still be kept. */
    function fillCache(worker) {
      if (!worker) return;
      var urls = [location.href.split("#")[0]].concat(opts.precache || []);
      performance.getEntriesByType("resource").forEach(function (entry) {
        urls.push(entry.name);
      });
      // Basemap tiles asked before the worker took over and still loading are not entries yet.
      Array.prototype.forEach.call(document.querySelectorAll("img.leaflet-tile"), function (img) {
        if (img.src) urls.push(img.src);
      });
      worker.postMessage({ type: "cache", urls: urls });
    }
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.addEventListener("message", function (event) {
        if (event.data && event.data.type === "cached") {
          document.documentElement.dataset.offlineReady = "1";
          prefetch();
        }
      });
      navigator.serviceWorker
        .register(opts.urls.worker, { scope: "/" })
        .then(function () {
          return navigator.serviceWorker.ready;
        })
        .then(function (registration) {
          fillCache(registration.active);
        })
        .catch(function (err) {
          state.message = T.noWorker + " " + String(err && err.message ? err.message : err);
        });
    }
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persisted().then(function (already) {
        return already || navigator.storage.persist();
      }).then(function (granted) {
        state.persisted = !!granted;
        badge.dataset.persisted = granted ? "1" : "0";
        if (panel.classList.contains("open")) drawPanel();
      });
    }

    /* Logging out forgets the offline copies (houses' details); the unsent records stay. */
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.action || form.action.indexOf(opts.urls.logout) < 0 || form.dataset.cleared) return;
      event.preventDefault();
      var done = function () {
        form.dataset.cleared = "1";
        form.submit();
      };
      if (!window.caches) return done();
      caches
        .keys()
        .then(function (keys) {
          return Promise.all(
            keys
              .filter(function (k) {
                return k.indexOf("geoapp-") === 0;
              })
              .map(function (k) {
                return caches.delete(k);
              })
          );
        })
        .then(done, done);
    });

    window.addEventListener("online", function () {
      drawBadge();
      sync();
    });
    window.addEventListener("offline", drawBadge);
    setInterval(function () {
      if (navigator.onLine) sync();
    }, RETRY_MS);
    refresh().then(function () {
      if (navigator.onLine) sync();
    });
    return api;
  };
})();
