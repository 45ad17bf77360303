/* The retailer file's small map: where the shop is, on the bureau's tiles if it has any (the
   page gives the point already in the tiles' coordinates). Written for gridmgmt; plain Leaflet. */
(function () {
  "use strict";
  var box = document.getElementById("om-mini");
  if (!box || !window.L) { return; }
  var at = [Number(box.getAttribute("data-lat")), Number(box.getAttribute("data-lon"))];
  var tiles = box.getAttribute("data-tile-url");
  var map = L.map(box, {zoomControl: true, attributionControl: !!tiles}).setView(at, 15);
  if (tiles) {
    L.tileLayer(tiles, {attribution: box.getAttribute("data-tile-attribution") || "tiles", maxZoom: 19}).addTo(map);
  }
  window.gmRetailerMap = map;
  var label = document.createElement("span");
  label.textContent = box.getAttribute("data-name");
  L.circleMarker(at, {radius: 8, color: "#fff", weight: 2, fillColor: "#00695c", fillOpacity: 1})
    .bindTooltip(label, {permanent: true, direction: "top", offset: [0, -8]}).addTo(map);
})();
