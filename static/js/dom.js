/* The small helpers every page script shares: elements built with textContent (never
 * innerHTML, so names typed by users stay text), plain buttons, the CSRF token and JSON
 * requests. Loaded before any other geoapp script. */
(function () {
  "use strict";

  var geoapp = (window.geoapp = window.geoapp || {});

  geoapp.el = function (tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };

  /* A plain button (type "button": it never submits a form by accident). */
  geoapp.button = function (className, text) {
    var node = geoapp.el("button", className, text);
    node.type = "button";
    return node;
  };

  /* The CSRF token every state-changing request carries (from the page's meta tag). */
  geoapp.csrf = function () {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  };

  /* The calls still waiting for their answer: background work (the offline copies of the
   * houses, static/js/offline.js) waits until there are none ("geoapp:idle"), so that what
   * the person asked for is never queued behind it. */
  var pending = 0;
  geoapp.pending = function () {
    return pending;
  };
  function settled() {
    pending -= 1;
    if (pending === 0) document.dispatchEvent(new CustomEvent("geoapp:idle"));
  }

  /* JSON over fetch. Resolves with the answer's body; a refusal rejects with an Error whose
   * message is the server's reason (body.message, or "HTTP 503" for an answer that is not
   * JSON) and which carries ``status`` and ``body`` (body.errors: the fields refused); a
   * network failure rejects with an Error without ``status`` saying so in the page's
   * language (its meta "geoapp-no-network"), not the browser's English "Failed to fetch". */
  geoapp.call = function (method, url, payload) {
    var answer = ask(method, url, payload);
    pending += 1;
    answer.then(settled, settled);
    return answer;
  };

  function ask(method, url, payload) {
    var init = { method: method || "GET", credentials: "same-origin", headers: { Accept: "application/json" } };
    if (payload !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.headers["X-CSRFToken"] = geoapp.csrf();
      init.body = JSON.stringify(payload);
    }
    return fetch(url, init).then(answered, function (err) {
      throw noNetwork(err);
    });
  }

  function answered(r) {
    return r
      .json()
      .catch(function () {
        return { message: "HTTP " + r.status };
      })
      .then(function (body) {
        if (!r.ok) throw refusal(r.status, body);
        return body;
      });
  }

  function noNetwork(cause) {
    var meta = document.querySelector('meta[name="geoapp-no-network"]');
    var err = new Error(meta ? meta.getAttribute("content") : String((cause && cause.message) || cause));
    err.cause = cause;
    return err;
  }

  function refusal(status, body) {
    var err = new Error((body && body.message) || "HTTP " + status);
    err.status = status;
    err.body = body;
    return err;
  }

  /* "{n} m" with {n} = 12; a function replacement keeps "$&" in values literal; a key
   * without a value stays as written. */
  geoapp.fill = function (template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (whole, key) {
      var v = values[key];
      return v === undefined || v === null ? whole : String(v);
    });
  };
})();
