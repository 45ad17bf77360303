// A polygon drawing tool on Leaflet: click to add corners, double-click to finish, Escape to
// stop. Written for gridmgmt (no plugin). Usage:
//   var tool = GmPolygonDraw(map, {onDone: function (latlngs) {...}, onCancel: function () {}});
//   tool.start(); tool.stop();
(function (global) {
  "use strict";

  function GmPolygonDraw(map, options) {
    var points = [];
    var layer = L.layerGroup();
    var active = false;
    var lastClick = 0;

    function redraw() {
      layer.clearLayers();
      if (points.length > 1) {
        L.polyline(points, {color: "#b71c1c", weight: 2, dashArray: "4 4"}).addTo(layer);
      }
      points.forEach(function (p) {
        L.circleMarker(p, {radius: 4, color: "#b71c1c", fillOpacity: 1}).addTo(layer);
      });
    }

    function onClick(event) {
      var now = Date.now();
      // The clicks of a double-click add one corner, not two.
      if (now - lastClick < 350 && points.length) { return; }
      lastClick = now;
      points.push(event.latlng);
      redraw();
      if (options.onPoint) { options.onPoint(points.length); }
    }

    function finish() {
      var done = points.slice();
      stop();
      if (done.length >= 3) { options.onDone(done); } else if (options.onCancel) { options.onCancel(done.length); }
    }

    function onDoubleClick(event) {
      L.DomEvent.stop(event);
      finish();
    }

    function onKey(event) {
      if (event.key === "Escape") { points = []; finish(); }
      if (event.key === "Enter") { finish(); }
    }

    function start() {
      if (active) { return; }
      active = true;
      points = [];
      map.closePopup();
      layer.addTo(map);
      map.doubleClickZoom.disable();
      map.getContainer().classList.add("gd-drawing");
      map.on("click", onClick);
      map.on("dblclick", onDoubleClick);
      document.addEventListener("keydown", onKey);
    }

    function stop() {
      if (!active) { return; }
      active = false;
      map.off("click", onClick);
      map.off("dblclick", onDoubleClick);
      document.removeEventListener("keydown", onKey);
      map.getContainer().classList.remove("gd-drawing");
      layer.clearLayers();
      map.removeLayer(layer);
      window.setTimeout(function () { map.doubleClickZoom.enable(); }, 0);
    }

    return {start: start, stop: stop, finish: finish, isActive: function () { return active; }};
  }

  global.GmPolygonDraw = GmPolygonDraw;
})(window);
