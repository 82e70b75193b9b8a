/* WGS84 <-> GCJ-02 for maps drawn on Gaode/Tencent tiles: the same formula as geoapp/domain/gcj02.py
   (Krasovsky a = 6378245, e^2 = 0.00669342162296594323; inverse by iteration; no shift outside China).
   Features and the phone's position are shifted for display only; what is stored or sent stays WGS84. */
(function (root) {
  "use strict";
  var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;

  function inChina(lon, lat) {
    return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
  }

  function delta(lon, lat) {
    var x = lon - 105.0, y = lat - 35.0, s = Math.sqrt(Math.abs(x));
    var common = (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    var tLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * s + common;
    tLat += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    tLat += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    var tLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * s + common;
    tLon += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    tLon += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    var radLat = lat / 180.0 * PI;
    var magic = 1.0 - EE * Math.sin(radLat) * Math.sin(radLat);
    var sqrtMagic = Math.sqrt(magic);
    return [
      (tLon * 180.0) / (A / sqrtMagic * Math.cos(radLat) * PI),
      (tLat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrtMagic) * PI)
    ];
  }

  /* [lon, lat] WGS84 -> [lon, lat] GCJ-02 */
  function toGcj(lon, lat) {
    if (!inChina(lon, lat)) { return [lon, lat]; }
    var d = delta(lon, lat);
    return [lon + d[0], lat + d[1]];
  }

  /* [lon, lat] GCJ-02 -> [lon, lat] WGS84 (iterated to 1e-10 degrees) */
  function toWgs(lon, lat) {
    if (!inChina(lon, lat)) { return [lon, lat]; }
    var wLon = lon, wLat = lat;
    for (var i = 0; i < 30; i++) {
      var d = delta(wLon, wLat);
      var eLon = wLon + d[0] - lon, eLat = wLat + d[1] - lat;
      wLon -= eLon; wLat -= eLat;
      if (Math.abs(eLon) < 1e-10 && Math.abs(eLat) < 1e-10) { break; }
    }
    return [wLon, wLat];
  }

  var api = { toGcj: toGcj, toWgs: toWgs, inChina: inChina };
  if (typeof module !== "undefined" && module.exports) { module.exports = api; }
  root.GeoappGcj02 = api;
})(typeof window !== "undefined" ? window : this);
