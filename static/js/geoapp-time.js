/* Times shown in Beijing time (UTC+8, no daylight saving), whatever the device's zone.
 * The server sends stored times as ISO 8601 UTC ("2016-05-02T01:30:00Z"). */
(function () {
  "use strict";

  var geoapp = (window.geoapp = window.geoapp || {});
  var EIGHT_HOURS = 8 * 3600 * 1000;

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  /* "2016-05-02T01:30:00Z" → "2016-05-02 09:30" (with seconds: "… 09:30:00"); nothing → "—". */
  geoapp.beijingTime = function (iso, withSeconds) {
    if (!iso) return "—";
    var ms = Date.parse(iso);
    if (isNaN(ms)) return "—";
    var d = new Date(ms + EIGHT_HOURS); // read with the UTC getters: Beijing's wall clock
    var text = d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) +
      " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
    return withSeconds ? text + ":" + pad(d.getUTCSeconds()) : text;
  };
})();
