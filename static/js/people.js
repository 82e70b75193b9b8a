/* People list: an officer's "Show" reveals one full value (audited on the server). */
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.reveal");
    if (!button) return;
    var row = button.closest("tr[data-person]");
    var field = button.getAttribute("data-field");
    fetch("/api/people/" + row.getAttribute("data-person") + "/reveal", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ field: field }),
    })
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) throw new Error(body.message || "HTTP " + r.status);
          return body;
        });
      })
      .then(function (body) {
        row.querySelector('.value[data-field="' + field + '"]').textContent = body.value || "—";
        button.remove();
      })
      .catch(function (err) {
        button.textContent = String(err.message || err);
      });
  });
})();
