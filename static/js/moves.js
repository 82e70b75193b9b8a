/* Pending moves in a house's popup (people registered at one house who live at another):
 * the house they would move into or out of, and confirm / reject for those who may decide.
 * Text is set with textContent only. */
(function () {
  "use strict";

  var geoapp = (window.geoapp = window.geoapp || {});

  geoapp.moves = function (map, opts) {
    var el = geoapp.el;
    var T = opts.text;

    function decide(move, body, box, message) {
      return fetch(opts.url + move.id + "/decision", {
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
            box.textContent = "";
            box.appendChild(el("p", "move-done", answer.status === "confirmed" ? T.confirmed : T.rejected));
            document.dispatchEvent(new CustomEvent("geoapp:moved", { detail: answer }));
          });
        })
        .catch(function (err) {
          message.textContent = String(err.message || err);
        });
    }

    function moveItem(detail, move) {
      var item = el("li", "pending-move");
      var who = [move.name, move.id_number, move.relation].filter(Boolean).join(" · ");
      item.appendChild(el("div", "who", who));
      var incoming = move.to_building_id === detail.id;
      var where = incoming
        ? T.movingIn + (move.from_address ? "：" + move.from_village + " " + move.from_address : "（" + T.unknownOrigin + "）")
        : T.movingOut + "：" + move.to_village + " " + move.to_address;
      item.appendChild(el("div", "where", where));
      if (!move.may_decide) return item;
      var message = el("p", "move-error");
      var confirm = geoapp.button("confirm-move", T.confirm);
      confirm.addEventListener("click", function () {
        decide(move, { action: "confirm" }, item, message);
      });
      var reject = geoapp.reasonBox(item, message, {
        className: "reject-move", label: T.reject, hint: T.reasonHint,
        confirmClass: "confirm-reject", confirmLabel: T.confirmReject,
        send: function (reason) { decide(move, { action: "reject", reason: reason }, item, message); },
      });
      item.appendChild(confirm);
      item.appendChild(reject);
      item.appendChild(message);
      return item;
    }

    geoapp.popupHooks = geoapp.popupHooks || [];
    geoapp.popupHooks.push(function (box, detail) {
      if (!detail.pending_moves || !detail.pending_moves.length) return;
      var wrap = el("div", "geoapp-moves");
      wrap.appendChild(el("h4", null, T.title));
      var list = el("ul");
      detail.pending_moves.forEach(function (move) {
        list.appendChild(moveItem(detail, move));
      });
      wrap.appendChild(list);
      L.DomEvent.disableClickPropagation(wrap);
      L.DomEvent.on(wrap, "click", L.DomEvent.stopPropagation);
      box.appendChild(wrap);
    });
  };
})();
