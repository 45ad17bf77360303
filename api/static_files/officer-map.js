/* The officer's grids map (/grids): grids, retailers, rule layers, search, the licence
   check on click and "where am I". Written for gridmgmt; plain Leaflet and markercluster.
   Every value from the server is put into the page as text (textContent), never as HTML. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("om-config").textContent);
  var T = config.strings;
  var STATUS_COLOURS = {active: "#2e7d32", suspended: "#f9a825", closed: "#757575"};
  var LABEL_MIN_ZOOM = 8;

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) {
      return values[key] === undefined || values[key] === null ? "" : String(values[key]);
    });
  }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function table(rows) {
    var t = el("table", "om-popup");
    rows.forEach(function (row) {
      if (row[1] === null || row[1] === undefined || row[1] === "") { return; }
      var tr = el("tr");
      tr.appendChild(el("th", null, row[0]));
      tr.appendChild(el("td", null, row[1]));
      t.appendChild(tr);
    });
    return t;
  }
  function setStatus(text) { document.getElementById("om-status").textContent = text; }
  function getJSON(url) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) {
        if (!r.ok) { throw new Error(r.status + " " + r.statusText); }
        return r.json();
      });
  }

  var map = L.map("om-map", {minZoom: 3, maxZoom: 19, zoomControl: true});
  map.setView([40.9, 114.0], 8);
  L.control.scale({imperial: false}).addTo(map);
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, {attribution: config.tileAttribution || "", maxZoom: 19}).addTo(map);
  }
  window.gmOfficerMap = map;

  var layers = {
    grids: L.layerGroup(),
    labels: L.layerGroup(),
    retailers: L.markerClusterGroup({
      chunkedLoading: true, disableClusteringAtZoom: 16, showCoverageOnHover: false,
      maxClusterRadius: 60
    }),
    red_lines: L.layerGroup(),
    spacing: L.layerGroup(),
    borders: L.layerGroup(),
    checkpoints: L.layerGroup()
  };
  var loaded = {};
  var markers = {};
  var rows = [];
  var columns = [];
  var gridShapes = [];

  /* --- grids and their labels -------------------------------------------------------- */
  function gridTooltip(p) {
    var box = el("div");
    box.appendChild(el("strong", null, T.grid + " " + p.grid_id));
    if (p.monopoly_officer) { box.appendChild(el("div", null, T.officer + ": " + p.monopoly_officer)); }
    box.appendChild(el("div", null, T.retailers + ": " + (p.n_retailers || 0) + " · " +
      T.keyRetailers + ": " + (p.n_key_retailers || 0)));
    return box;
  }
  /* The officer's own grids (config.myGrids) stand out, and the map opens on them. */
  var mine = {};
  (config.myGrids || []).forEach(function (id) { mine[String(id)] = true; });
  var myBounds = L.latLngBounds([]);
  function gridStyle(feature) {
    if (mine[String(feature.properties.grid_id)]) {
      return {color: "#e65100", weight: 3, fillColor: "#ffb74d", fillOpacity: 0.18, className: "om-my-grid"};
    }
    return {color: "#00695c", weight: 1.5, fillColor: "#4db6ac", fillOpacity: 0.06};
  }
  function drawGrids(collection) {
    var geo = L.geoJSON(collection, {
      style: gridStyle,
      onEachFeature: function (feature, layer) {
        layer.bindTooltip(gridTooltip(feature.properties), {sticky: true});
        gridShapes.push({id: String(feature.properties.grid_id), layer: layer});
        if (mine[String(feature.properties.grid_id)]) { myBounds.extend(layer.getBounds()); }
      }
    });
    geo.addTo(layers.grids);
    return geo;
  }
  /* Labels only where they fit: a label is placed when its grid is wide enough on screen
     and it overlaps no label placed before, so dense county seats never become a blot. */
  function placeLabels() {
    layers.labels.clearLayers();
    if (!map.hasLayer(layers.grids) || map.getZoom() < LABEL_MIN_ZOOM) { return; }
    var view = map.getBounds();
    var placed = [];
    gridShapes.forEach(function (shape) {
      var bounds = shape.layer.getBounds();
      if (!view.intersects(bounds)) { return; }
      var nw = map.latLngToContainerPoint(bounds.getNorthWest());
      var se = map.latLngToContainerPoint(bounds.getSouthEast());
      var width = 8 + 7 * shape.id.length;
      if (se.x - nw.x < width || se.y - nw.y < 18) { return; }
      var centre = shape.layer.getCenter();
      var p = map.latLngToContainerPoint(centre);
      var rect = {x0: p.x - width / 2, x1: p.x + width / 2, y0: p.y - 9, y1: p.y + 9};
      var clash = placed.some(function (r) {
        return rect.x0 < r.x1 + 4 && rect.x1 + 4 > r.x0 && rect.y0 < r.y1 + 2 && rect.y1 + 2 > r.y0;
      });
      if (clash) { return; }
      placed.push(rect);
      var label = el("span", "om-grid-label-text", shape.id);
      L.marker(centre, {
        interactive: false, keyboard: false,
        icon: L.divIcon({className: "om-grid-label", html: label.outerHTML, iconSize: [width, 18]})
      }).addTo(layers.labels);
    });
  }
  map.on("zoomend moveend", placeLabels);

  /* --- retailers ---------------------------------------------------------------------- */
  function value(row, name) { return row[columns.indexOf(name)]; }
  function radius(tier) { return 4 + Math.min(Math.max(Number(tier) || 1, 1), 30) / 10; }
  function retailerPopup(row) {
    var box = el("div", "om-retailer-popup");
    box.appendChild(el("strong", "om-name", value(row, "name")));
    box.appendChild(table([
      [T.licence, value(row, "licence_no")],
      [T.address, value(row, "address")],
      [T.status, config.statusLabels[value(row, "status")] || value(row, "status")],
      [T.tier, value(row, "tier")],
      [T.grid, value(row, "grid_id")],
      [T.key, value(row, "key_retailer") ? "★" : ""]
    ]));
    var link = el("a", "om-open", T.openFile);
    link.href = config.retailerPage + encodeURIComponent(value(row, "licence_no"));
    box.appendChild(link);
    return box;
  }
  function drawRetailers(data) {
    columns = data.retailer_columns;
    rows = data.retailers;
    var list = rows.map(function (row) {
      var key = value(row, "key_retailer");
      var marker = L.circleMarker([row[row.length - 2], row[row.length - 1]], {
        radius: radius(value(row, "tier")) + (key ? 1.5 : 0),
        color: key ? "#b71c1c" : "#ffffff",
        weight: key ? 2.5 : 1,
        fillColor: STATUS_COLOURS[value(row, "status")] || "#546e7a",
        fillOpacity: 0.9,
        bubblingMouseEvents: false,
        className: "om-retailer" + (key ? " om-retailer-key" : "")
      });
      marker.bindPopup(function () { return retailerPopup(row); }, {maxWidth: 320});
      marker.bindTooltip(el("span", null, value(row, "name")));
      markers[value(row, "licence_no")] = marker;
      return marker;
    });
    layers.retailers.addLayers(list);
  }

  /* --- schools, checkpoints and rule layers -------------------------------------------- */
  function drawSchools(schools) {
    schools.forEach(function (s) {
      L.circleMarker([s[2], s[3]], {radius: 4, color: "#c62828", weight: 2, fillColor: "#fff",
        fillOpacity: 1, bubblingMouseEvents: false})
        .bindTooltip(el("span", null, T.school + ": " + s[0])).addTo(layers.red_lines);
    });
  }
  function drawCheckpoints(points) {
    points.forEach(function (c) {
      L.marker([c[2], c[3]], {
        icon: L.divIcon({className: "om-checkpoint", iconSize: [12, 12]}), keyboard: false
      }).bindTooltip(el("span", null, T.checkpoint + ": " + c[0])).addTo(layers.checkpoints);
    });
  }
  function pointLayer(points, style, popup, group) {
    points.forEach(function (p) {
      L.circleMarker([p[p.length - 2], p[p.length - 1]], Object.assign({bubblingMouseEvents: false}, style))
        .bindPopup(function () { return popup(p); }, {maxWidth: 320})
        .addTo(group);
    });
  }
  var RULE_LAYERS = {
    red_lines: function (data, group) {
      L.geoJSON(data.zones, {
        style: {color: "#c62828", weight: 1.5, dashArray: "4 3", fillColor: "#c62828", fillOpacity: 0.12},
        interactive: false
      }).addTo(group);
      pointLayer(data.points, {radius: 6, color: "#fff", weight: 1.5, fillColor: "#b71c1c",
        fillOpacity: 0.95, className: "om-red-line-violator"}, function (p) {
        var box = el("div");
        box.appendChild(el("strong", null, T.insideRedLine));
        box.appendChild(table([[T.licence, p[0]], [T.retailers, p[1]], [T.school, p[2]],
          [T.distance, p[3]], [T.limit, p[4]]]));
        return box;
      }, group);
    },
    spacing: function (data, group) {
      L.geoJSON(data.lines, {
        style: {color: "#ef6c00", weight: 3, opacity: 0.85},
        onEachFeature: function (feature, layer) {
          var p = feature.properties;
          layer.bindTooltip(el("span", null, fill(T.tooClose, {a: p.licence_no_a, b: p.licence_no_b,
            distance: p.distance_m, required: p.required_m})));
        }
      }).addTo(group);
      if (data.total > data.lines.features.length) {
        addNote(fill(T.spacingShown, {shown: data.lines.features.length, total: data.total}));
      }
    },
    borders: function (data, group) {
      L.geoJSON(data.bands, {
        style: function (f) {
          var colour = f.properties.kind === "province" ? "#8e24aa" : "#1e88e5";
          return {stroke: false, fillColor: colour, fillOpacity: 0.12};
        },
        interactive: false
      }).addTo(group);
      pointLayer(data.points, {radius: 5, color: "#5e35b1", weight: 1, fillColor: "#5e35b1",
        fillOpacity: 0.7, className: "om-border-market"}, function (p) {
        var box = el("div");
        box.appendChild(el("strong", null, T.borderMarket));
        box.appendChild(table([[T.licence, p[0]], [T.retailers, p[1]], [T.neighbour, p[2]],
          [T.toBorder, p[3]]]));
        return box;
      }, group);
    }
  };
  function addNote(text) {
    var notes = document.getElementById("om-notes");
    var exists = Array.prototype.some.call(notes.children, function (li) { return li.textContent === text; });
    if (!exists) { notes.appendChild(el("li", null, text)); }
  }
  function loadRuleLayer(name) {
    if (loaded[name]) { return Promise.resolve(); }
    loaded[name] = true;
    var url = config.layerApi + name + "?county=" + encodeURIComponent(config.county);
    return getJSON(url).then(function (data) {
      RULE_LAYERS[name](data, layers[name]);
      (data.notes || []).forEach(addNote);
    }).catch(function (error) {
      loaded[name] = false;
      setStatus(fill(T.failed, {error: error.message}));
    });
  }
  function showLayer(name, on) {
    if (on) {
      layers[name].addTo(map);
      if (RULE_LAYERS[name]) { loadRuleLayer(name); }
      if (name === "grids") { layers.labels.addTo(map); }
    } else {
      map.removeLayer(layers[name]);
      if (name === "grids") { map.removeLayer(layers.labels); }
    }
    placeLabels();
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-layer]"), function (box) {
    box.addEventListener("change", function () { showLayer(box.getAttribute("data-layer"), box.checked); });
  });

  /* --- search -------------------------------------------------------------------------- */
  function focusRetailer(licence) {
    var marker = markers[licence];
    if (!marker) { return; }
    if (!map.hasLayer(layers.retailers)) {
      document.querySelector('[data-layer="retailers"]').checked = true;
      showLayer("retailers", true);
    }
    // Past disableClusteringAtZoom every marker stands alone: open its popup once drawn.
    map.setView(marker.getLatLng(), Math.max(map.getZoom(), 17), {animate: false});
    var tries = 0;
    (function open() {
      if (map.hasLayer(marker)) { marker.openPopup(); return; }
      if (++tries < 20) { setTimeout(open, 100); }
    })();
  }
  function resultItem(row, extra) {
    var li = el("li");
    var button = el("button", "om-hit");
    button.type = "button";
    button.appendChild(el("span", "om-hit-name", value(row, "name")));
    button.appendChild(el("span", "om-hit-sub", value(row, "licence_no") + (extra ? " · " + extra : "") +
      (value(row, "address") ? " · " + value(row, "address") : "")));
    button.addEventListener("click", function () { focusRetailer(value(row, "licence_no")); });
    li.appendChild(button);
    return li;
  }
  var searchTimer = null;
  function search() {
    var list = document.getElementById("om-results");
    list.textContent = "";
    var q = document.getElementById("om-q").value.trim().toLowerCase();
    if (!q) { return; }
    var hits = rows.filter(function (row) {
      return ["licence_no", "name", "address"].some(function (c) {
        var v = value(row, c);
        return v && String(v).toLowerCase().indexOf(q) !== -1;
      });
    });
    if (!hits.length) { list.appendChild(el("li", "om-note", T.noMatch)); return; }
    list.appendChild(el("li", "om-note", fill(T.matches, {count: hits.length})));
    hits.slice(0, 20).forEach(function (row) { list.appendChild(resultItem(row)); });
  }
  document.getElementById("om-q").addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(search, 150);
  });

  /* --- the licence check on click --------------------------------------------------------- */
  var checkOn = document.getElementById("om-check");
  function checkAnswer(answer) {
    var box = el("div", "om-check-answer");
    box.appendChild(el("div", "om-verdict " + (answer.allowed ? "om-ok" : "om-no"), answer.verdict));
    var list = el("ul", "om-reasons");
    answer.reasons.forEach(function (r) {
      list.appendChild(el("li", "om-reason om-reason-" + r.code + (r.blocking ? " om-blocking" : ""), r.text));
    });
    box.appendChild(list);
    answer.notes.forEach(function (n) { box.appendChild(el("p", "om-check-note", n)); });
    return box;
  }
  map.on("click", function (e) {
    if (!checkOn.checked) { return; }
    var popup = L.popup({maxWidth: 340, className: "om-check-popup"}).setLatLng(e.latlng)
      .setContent(el("div", null, T.checking)).openOn(map);
    var url = config.checkApi + "?lon=" + e.latlng.lng.toFixed(7) + "&lat=" + e.latlng.lat.toFixed(7) +
      "&crs=" + encodeURIComponent(config.tileCrs || "wgs84");
    getJSON(url).then(function (answer) { popup.setContent(checkAnswer(answer)); })
      .catch(function (error) { popup.setContent(el("div", "om-no", fill(T.checkFailed, {error: error.message}))); });
  });

  /* --- where am I ------------------------------------------------------------------------- */
  var youMarker = null;
  function whereText(text) { document.getElementById("om-where-text").textContent = text; }
  function showWhere(answer) {
    if (youMarker) { map.removeLayer(youMarker); }
    youMarker = L.circleMarker([answer.lat, answer.lon], {radius: 8, color: "#fff", weight: 3,
      fillColor: "#1976d2", fillOpacity: 1, className: "om-you"}).bindTooltip(el("span", null, T.you)).addTo(map);
    map.setView([answer.lat, answer.lon], Math.max(map.getZoom(), 15));
    whereText(answer.grid ? fill(T.youAreIn, {grid: answer.grid.grid_id, county: answer.grid.county_code})
      : T.inNoGrid);
    var list = document.getElementById("om-near");
    list.textContent = "";
    if (answer.retailers.length) { list.appendChild(el("li", "om-note", T.nearest)); }
    answer.retailers.forEach(function (r) {
      var row = rows.filter(function (x) { return value(x, "licence_no") === r.licence_no; })[0];
      if (row) {
        list.appendChild(resultItem(row, fill(T.metres, {distance: Math.round(r.distance_m)})));
      } else {
        list.appendChild(el("li", null, r.name + " · " + fill(T.metres, {distance: Math.round(r.distance_m)})));
      }
    });
  }
  document.getElementById("om-where").addEventListener("click", function () {
    if (!navigator.geolocation || window.isSecureContext === false) { whereText(T.noGeolocation); return; }
    whereText(T.locating);
    navigator.geolocation.getCurrentPosition(function (position) {
      var url = config.whereApi + "?lon=" + position.coords.longitude.toFixed(7) + "&lat=" +
        position.coords.latitude.toFixed(7);
      getJSON(url).then(showWhere).catch(function (error) {
        whereText(fill(T.unavailable, {error: error.message}));
      });
    }, function (error) {
      whereText(error.code === 1 ? T.denied : fill(T.unavailable, {error: error.message}));
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  });

  /* --- start ------------------------------------------------------------------------------ */
  if (!config.county) { return; }
  setStatus(T.loading);
  getJSON(config.mapApi + "?county=" + encodeURIComponent(config.county)).then(function (data) {
    var geo = drawGrids(data.grids);
    drawRetailers(data);
    drawSchools(data.schools);
    drawCheckpoints(data.checkpoints);
    Array.prototype.forEach.call(document.querySelectorAll("[data-layer]"), function (box) {
      if (box.checked) { showLayer(box.getAttribute("data-layer"), true); }
    });
    var bounds = myBounds.isValid() ? myBounds : geo.getBounds();
    if (!bounds.isValid() && rows.length) {
      bounds = L.latLngBounds(rows.map(function (r) { return [r[r.length - 2], r[r.length - 1]]; }));
    }
    if (bounds.isValid()) { map.fitBounds(bounds, {padding: [10, 10]}); }
    setStatus(fill(T.loaded, {retailers: rows.length, grids: gridShapes.length}));
    document.getElementById("om-map").setAttribute("data-ready", "true");
  }).catch(function (error) { setStatus(fill(T.failed, {error: error.message})); });
})();
