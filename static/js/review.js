/* Officers' review of a collected house from its map popup: verify it, or return
 * it to the collector with a reason. Text is set with textContent only. */
(function () {
  "use strict";

  var geoapp = (window.geoapp = window.geoapp || {});

  geoapp.reviewer = function (map, opts) {
    var el = geoapp.el;
    var T = opts.text;

    function send(detail, body, box, message) {
      body.version = detail.version;
      return fetch(opts.url + detail.id + "/review", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": geoapp.csrf() },
        body: JSON.stringify(body),
      })
        .then(function (r) {
          return r.json().then(function (answer) {
            if (!r.ok) {
              message.textContent = answer.message || "HTTP " + r.status;
              return;
            }
            geoapp.setHouseStatus(answer.building_id, answer.status);
            box.textContent = "";
            box.appendChild(el("p", "review-done", geoapp.status.labels[answer.status] || answer.status));
            document.dispatchEvent(new CustomEvent("geoapp:reviewed", { detail: answer }));
          });
        })
        .catch(function (err) {
          message.textContent = String(err.message || err);
        });
    }

    geoapp.popupHooks = geoapp.popupHooks || [];
    geoapp.popupHooks.push(function (box, detail) {
      if (detail.status !== "collected" && detail.status !== "verified") return;
      var wrap = el("div", "geoapp-review");
      var message = el("p", "review-error");
      var checked = null;
      if (detail.status === "collected") {
        if (detail.visit_flag) {
          var label = el("label", "visit-checked");
          checked = el("input");
          checked.type = "checkbox";
          checked.name = "visit_checked";
          label.appendChild(checked);
          label.appendChild(el("span", null, T.visitChecked));
          wrap.appendChild(label);
        }
        var verify = geoapp.button("verify", T.verify);
        verify.addEventListener("click", function () {
          send(detail, { action: "verify", visit_checked: checked ? checked.checked : undefined }, wrap, message);
        });
        wrap.appendChild(verify);
      }
      var giveBack = geoapp.reasonBox(wrap, message, {
        className: "return", label: T.giveBack, hint: T.reasonHint,
        confirmClass: "confirm-return", confirmLabel: T.confirmReturn,
        send: function (reason) { send(detail, { action: "return", reason: reason }, wrap, message); },
      });
      wrap.appendChild(giveBack);
      wrap.appendChild(message);
      L.DomEvent.disableClickPropagation(wrap);
      // Clicks inside stop here, so the map never takes them for a click on the map (which closes popups).
      L.DomEvent.on(wrap, "click", L.DomEvent.stopPropagation);
      box.appendChild(wrap);
    });
  };
})();
