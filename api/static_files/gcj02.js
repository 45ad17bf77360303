// WGS-84 <-> GCJ-02 ("Mars coordinates", used by Amap/Tencent tiles) for map pages whose
// geometry comes from the public JSON API, which stays WGS-84. Written for gridmgmt from the
// published formula; it follows gridmgmt/crs.py term for term (same constants, same order of
// operations) so the browser and the server shift a point alike, and the inverse is solved by
// the same fixed-point iteration. Points outside the rough China box pass through unchanged.
//
//   GmGcj02.wgsToGcj(lon, lat) -> [lon, lat]
//   GmGcj02.gcjToWgs(lon, lat) -> [lon, lat]
//   var view = GmGcj02.display("gcj02" | "wgs84");
//   view.toMap(lon, lat) -> L.latLng-ready [lat, lon] in the tiles' coordinates
//   view.fromMap(latlng) -> [lon, lat] in WGS-84 (latlng from a Leaflet click or drawing)
(function (global) {
  "use strict";

  var A = 6378245;                       // Krasovsky 1940 semi-major axis (m)
  var EE = 0.00669342162296594323;       // its first eccentricity squared
  var LON_BOX = [72.004, 137.8347];
  var LAT_BOX = [0.8293, 55.8271];
  var TOLERANCE_DEG = 1e-9;
  var MAX_ITERATIONS = 30;
  var PI = Math.PI;

  function inChina(lon, lat) {
    return lon >= LON_BOX[0] && lon <= LON_BOX[1] && lat >= LAT_BOX[0] && lat <= LAT_BOX[1];
  }

  function radians(deg) { return deg * PI / 180; }

  // The shift in metres, then metres to degrees on the ellipsoid at the input latitude.
  function shift(lon, lat) {
    var x = lon - 105;
    var y = lat - 35;
    var fastX = 2 * Math.sin(x * 6 * PI) + 2 * Math.sin(x * 2 * PI);
    var dLatM = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)) +
      (fastX + 2 * Math.sin(y * PI) + 4 * Math.sin(y / 3 * PI) + 16 * Math.sin(y / 12 * PI) +
        32 * Math.sin(y / 30 * PI)) * 20 / 3;
    var dLonM = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) +
      (fastX + 2 * Math.sin(x * PI) + 4 * Math.sin(x / 3 * PI) + 15 * Math.sin(x / 12 * PI) +
        30 * Math.sin(x / 30 * PI)) * 20 / 3;
    var radLat = radians(lat);
    var magic = 1 - EE * Math.pow(Math.sin(radLat), 2);
    var latDegArclen = radians((A * (1 - EE)) / Math.pow(magic, 1.5));
    var lonDegArclen = radians(A * Math.cos(radLat) / Math.sqrt(magic));
    return [lon + dLonM / lonDegArclen, lat + dLatM / latDegArclen];
  }

  function wgsToGcj(lon, lat) {
    return inChina(lon, lat) ? shift(lon, lat) : [lon, lat];
  }

  function gcjToWgs(lon, lat) {
    if (!inChina(lon, lat)) { return [lon, lat]; }
    // Rough first guess: subtract the shift measured at the GCJ-02 point; then iterate.
    var rough = shift(lon, lat);
    var guessLon = lon - (rough[0] - lon);
    var guessLat = lat - (rough[1] - lat);
    for (var i = 0; i < MAX_ITERATIONS; i++) {
      var forward = shift(guessLon, guessLat);
      var dLon = forward[0] - lon;
      var dLat = forward[1] - lat;
      guessLon -= dLon;
      guessLat -= dLat;
      if (Math.max(Math.abs(dLon), Math.abs(dLat)) < TOLERANCE_DEG) { break; }
    }
    return [guessLon, guessLat];
  }

  // Conversions between stored WGS-84 and the coordinates of a map's tiles.
  function display(tileCrs) {
    var gcj = String(tileCrs || "wgs84").toLowerCase() === "gcj02";
    return {
      gcj02: gcj,
      toMap: function (lon, lat) {
        var p = gcj ? wgsToGcj(lon, lat) : [lon, lat];
        return [p[1], p[0]];
      },
      fromMap: function (latlng) {
        return gcj ? gcjToWgs(latlng.lng, latlng.lat) : [latlng.lng, latlng.lat];
      }
    };
  }

  global.GmGcj02 = {inChina: inChina, wgsToGcj: wgsToGcj, gcjToWgs: gcjToWgs, display: display};
})(window);
