// The dispatcher's page: the depot's day on a Leaflet map, plans as background jobs with
// progress and cancel, stop moves and drops, closures, versions, the week. Written for
// gridmgmt; no library besides Leaflet. User text goes into the page as text, never HTML.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("gd-config").textContent);
  var T = config.messages;
  var COLOURS = ["#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628",
    "#f781bf", "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e"];
  var ORIGIN_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"};
  var state = {day: null, moves: {}, drops: {}, closure: null, job: null, poll: null};
  if (!config.depot) { return; }

  function $(id) { return document.getElementById(id); }
  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return String(values[key]); });
  }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }
  function number(value, digits) {
    return Number(value).toLocaleString(document.documentElement.lang || "zh-CN",
      {maximumFractionDigits: digits === undefined ? 1 : digits});
  }
  function api(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin", headers: ORIGIN_HEADERS,
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.detail || response.statusText);
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }
  function query(extra) {
    var params = new URLSearchParams({depot: config.depot, date: config.date});
    Object.keys(extra || {}).forEach(function (k) { params.set(k, extra[k]); });
    return params.toString();
  }

  // ---- the map -------------------------------------------------------------------------
  // Stored geometry (and the JSON API) is WGS-84; tiles may be GCJ-02: every overlay is
  // shifted onto the tiles, and what the dispatcher draws is shifted back before sending.
  var view = GmGcj02.display(config.tileCrs);
  function at(lon, lat) { return view.toMap(lon, lat); }
  var map = L.map("gd-map", {zoomControl: true, preferCanvas: false});
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, {attribution: config.tileAttribution || "tiles", maxZoom: 18}).addTo(map);
  }
  map.setView([40.9, 113.9], 9);
  window.gmDispatchMap = map;
  var layers = {routes: L.layerGroup().addTo(map), closures: L.layerGroup().addTo(map)};
  var colourOf = {};

  function stopIcon(number, colour, marked) {
    var node = el("div", number, "gd-stop" + (marked ? " gd-marked" : ""));
    node.style.background = colour;
    return L.divIcon({html: node, className: "gd-stop-icon", iconSize: [22, 22], iconAnchor: [11, 11]});
  }
  function depotIcon() {
    return L.divIcon({html: el("div", "", "gd-depot"), className: "gd-depot-icon", iconSize: [18, 18], iconAnchor: [9, 9]});
  }

  function stopPopup(stop, routes) {
    var box = el("div", null, "gd-popup");
    box.appendChild(el("strong", stop.name));
    var dl = el("dl");
    [[T.route, stop.route_id], [T.stop, stop.sequence], [T.arrival, stop.arrival + (stop.window ? " (" + stop.window + ")" : "")],
     [T.cartons, stop.cartons], [T.phone, stop.phone], [T.address, stop.address]].forEach(function (pair) {
      if (pair[1] === "" || pair[1] === null || pair[1] === undefined) { return; }
      dl.appendChild(el("dt", pair[0]));
      dl.appendChild(el("dd", pair[1]));
    });
    box.appendChild(dl);
    if (!$("gd-replan")) { return box; }
    var row = el("div", null, "gd-popup-actions");
    var select = el("select");
    select.setAttribute("aria-label", T.move_to);
    routes.forEach(function (r) {
      if (r.route_id === stop.route_id) { return; }
      var option = el("option", r.route_id);
      option.value = r.route_id;
      select.appendChild(option);
    });
    var move = el("button", T.move);
    move.type = "button";
    move.disabled = select.options.length === 0;
    move.addEventListener("click", function () {
      state.moves[stop.licence] = {route: select.value, name: stop.name};
      delete state.drops[stop.licence];
      map.closePopup();
      renderEdits();
    });
    var drop = el("button", T.drop);
    drop.type = "button";
    drop.addEventListener("click", function () {
      state.drops[stop.licence] = {name: stop.name};
      delete state.moves[stop.licence];
      map.closePopup();
      renderEdits();
    });
    row.appendChild(select);
    row.appendChild(move);
    row.appendChild(drop);
    box.appendChild(row);
    return box;
  }

  function drawDay(day) {
    layers.routes.clearLayers();
    layers.closures.clearLayers();
    colourOf = {};
    var depot = L.marker(at(day.depot.lon, day.depot.lat), {icon: depotIcon(), zIndexOffset: 1000});
    depot.bindTooltip(el("span", T.depot + " " + day.depot.name));
    depot.addTo(layers.routes);
    if (!day.plan) { return; }
    day.plan.routes.forEach(function (route, i) {
      colourOf[route.route_id] = COLOURS[i % COLOURS.length];
      var line = L.polyline(route.line.map(function (p) { return at(p[0], p[1]); }),
        {color: colourOf[route.route_id], weight: 3, opacity: 0.8});
      line.bindTooltip(el("span", route.route_id + " · " + number(route.km) + " km"));
      line.addTo(layers.routes);
    });
    day.plan.stops.forEach(function (stop) {
      var marked = state.moves[stop.licence] || state.drops[stop.licence];
      var marker = L.marker(at(stop.lon, stop.lat), {icon: stopIcon(stop.sequence, colourOf[stop.route_id], marked), title: stop.name});
      marker.bindTooltip(el("span", stop.sequence + ". " + stop.name));
      marker.bindPopup(function () { return stopPopup(stop, day.plan.routes); }, {maxWidth: 300});
      marker.addTo(layers.routes);
    });
    day.plan.closures.forEach(function (feature) {
      L.geoJSON(feature, {style: {color: "#b71c1c", weight: 2, fillOpacity: 0.15},
        coordsToLatLng: function (c) { return L.latLng(at(c[0], c[1])); }}).addTo(layers.closures);
    });
  }
  // The view of a day loaded: its routes, or the depot. Set at once, not animated: a view
  // change asked for while a zoom animation runs is dropped by Leaflet. Edits redraw the
  // day without moving the map, so the dispatcher keeps the place they are working on.
  function fitDay(day) {
    var depotAt = at(day.depot.lon, day.depot.lat);
    if (!day.plan) { map.setView(depotAt, 10, {animate: false}); return; }
    var bounds = L.latLngBounds([depotAt]);
    day.plan.routes.forEach(function (route) {
      route.line.forEach(function (p) { bounds.extend(at(p[0], p[1])); });
    });
    map.fitBounds(bounds, {padding: [24, 24], animate: false});
  }

  // ---- the panel -----------------------------------------------------------------------
  function renderFigures(day) {
    var box = $("gd-figures");
    box.textContent = "";
    $("gd-no-plan").hidden = !!day.plan;
    $("gd-no-plan").textContent = day.plan ? "" : T.no_plan;
    if (!day.indicators) { return; }
    var f = day.indicators;
    [[T.km, number(f.km)], [T.hours, number(f.hours)], [T.vehicles, f.vehicles + " / " + f.fleet],
     [T.served, f.served + " / " + f.orders], [T.on_time, number(f.on_time_share * 100, 0) + "%"],
     [T.unserved, f.unserved]].forEach(function (pair) {
      var item = el("div", null, "gd-figure");
      item.appendChild(el("dd", pair[1]));
      item.appendChild(el("dt", pair[0]));
      box.appendChild(item);
    });
  }

  function renderRoutes(day) {
    var body = $("gd-routes").tBodies[0];
    body.textContent = "";
    (day.plan ? day.plan.routes : []).forEach(function (r) {
      var tr = el("tr");
      var swatch = el("td");
      swatch.appendChild(el("span", "", "gd-swatch")).style.background = colourOf[r.route_id];
      tr.appendChild(swatch);
      [r.route_id, r.stops, number(r.km), r.load + "/" + r.capacity, r.start + "–" + r.end].forEach(function (v) { tr.appendChild(el("td", v)); });
      body.appendChild(tr);
    });
    var unserved = $("gd-unserved");
    unserved.textContent = "";
    if (day.plan && day.plan.unserved.length) {
      unserved.appendChild(el("h3", T.unserved + " (" + day.plan.unserved.length + ")"));
      var ul = el("ul", null, "gd-list");
      day.plan.unserved.forEach(function (u) {
        ul.appendChild(el("li", u.name + " — " + (document.documentElement.lang.indexOf("zh") === 0 ? u.reason_zh : u.reason)));
      });
      unserved.appendChild(ul);
    }
  }

  function renderVersions(day) {
    var body = $("gd-versions").tBodies[0];
    body.textContent = "";
    var versions = day.versions.slice().reverse();
    versions.forEach(function (v, i) {
      var tr = el("tr");
      ["a", "b"].forEach(function (which) {
        var td = el("td");
        var radio = el("input");
        radio.type = "radio";
        radio.name = "gd-" + which;
        radio.value = v.version;
        radio.setAttribute("aria-label", which.toUpperCase() + " " + v.version);
        radio.checked = (which === "a" && i === 1) || (which === "b" && i === 0);
        td.appendChild(radio);
        tr.appendChild(td);
      });
      var made = v.created_at.replace("T", " ").slice(0, 16) + " · " + v.created_by;
      var label = el("td", v.version + (v.current ? " · " + T.current : ""));
      label.title = T.made + " " + made;
      tr.appendChild(label);
      [T["kind_" + v.kind] || v.kind, number(v.km), v.vehicles, number(v.hours), v.orders_served,
       v.orders_unserved].forEach(function (x) { tr.appendChild(el("td", x)); });
      body.appendChild(tr);
    });
    $("gd-compare").disabled = versions.length < 2;
  }

  function renderManifests(day) {
    Array.prototype.forEach.call($("gd-manifests").querySelectorAll("a"), function (a) {
      var lang = (document.documentElement.lang || "zh").indexOf("zh") === 0 ? "zh" : "en";
      a.href = "/api/v1/routes/manifest?" + query({format: a.dataset.format, lang: lang});
      a.classList.toggle("gd-disabled", !day.plan);
      if (!day.plan) { a.removeAttribute("href"); }
    });
  }

  function renderEdits() {
    var list = $("gd-edits");
    if (!list) { return; }
    list.textContent = "";
    Object.keys(state.moves).forEach(function (lic) {
      addEdit(list, fmt(T.moved_to, {name: state.moves[lic].name, route: state.moves[lic].route}), function () { delete state.moves[lic]; });
    });
    Object.keys(state.drops).forEach(function (lic) {
      addEdit(list, fmt(T.dropped, {name: state.drops[lic].name}), function () { delete state.drops[lic]; });
    });
    if (state.closure) {
      addEdit(list, T.closure + ": " + fmt(T.closure_ready, {n: state.closure.length}), function () { state.closure = null; drawClosurePreview(); });
    }
    var pending = list.children.length > 0;
    $("gd-replan").disabled = !pending || !state.day || !state.day.plan || !!state.job;
    $("gd-clear").disabled = !pending;
    if (state.day) { drawDay(state.day); drawClosurePreview(); }
  }
  function addEdit(list, text, undo) {
    var li = el("li", text);
    var button = el("button", T.undo);
    button.type = "button";
    button.addEventListener("click", function () { undo(); renderEdits(); });
    li.appendChild(button);
    list.appendChild(li);
  }

  var preview = L.layerGroup().addTo(map);
  function drawClosurePreview() {
    preview.clearLayers();
    if (state.closure) {
      L.polygon(state.closure, {color: "#b71c1c", weight: 2, dashArray: "5 4", fillOpacity: 0.1}).addTo(preview);
    }
  }

  function load() {
    return api("GET", "/api/v1/routes/day?" + query()).then(function (day) {
      state.day = day;
      fitDay(day);
      renderFigures(day);
      renderRoutes(day);
      renderVersions(day);
      renderManifests(day);
      renderEdits();
      document.body.dataset.planVersion = day.plan ? day.plan.version : "";
    }).catch(function (error) { showOutcome(fmt(T.failed, {message: error.message}), true); });
  }

  // ---- jobs ----------------------------------------------------------------------------
  function showOutcome(text, bad) {
    var box = $("gd-outcome") || $("gd-no-plan");
    box.hidden = false;
    box.textContent = text;
    box.classList.toggle("gd-bad", !!bad);
  }
  function busy(on) {
    ["gd-plan", "gd-week", "gd-replan"].forEach(function (id) { if ($(id)) { $(id).disabled = on; } });
    $("gd-job").hidden = !on;
    if (!on) { renderEdits(); }
  }
  function seconds() { return Math.max(1, Math.min(600, Number($("gd-seconds").value) || 10)); }

  // A job or request refused because the day's plan changed since it was read (409, or a
  // job that failed as a conflict): say so, drop the edits made on the old plan, show the new.
  function conflicted() {
    state.moves = {}; state.drops = {}; state.closure = null; drawClosurePreview();
    $("gd-draw-hint").textContent = "";
    showOutcome(T.changed_meanwhile, true);
    load();
  }

  function follow(job, done, onConflict) {
    state.job = job;
    busy(true);
    $("gd-progress").value = 0;
    $("gd-job-message").textContent = T.queued;
    showOutcome("");
    function tick() {
      api("GET", "/api/v1/jobs/" + encodeURIComponent(job.id)).then(function (view) {
        $("gd-progress").value = view.progress;
        $("gd-job-message").textContent = view.state === "queued" ? T.queued :
          T.solving + " · " + Math.round(view.progress * 100) + "%";
        if (view.state === "succeeded") { finish(); done(view.result); }
        else if (view.state === "failed" && onConflict && view.error && view.error.kind === "conflict") { finish(); onConflict(); }
        else if (view.state === "failed") { finish(); showOutcome(fmt(T.failed, {message: view.error ? view.error.message : ""}), true); }
        else if (view.state === "cancelled") { finish(); showOutcome(T.cancelled, true); }
        else { state.poll = window.setTimeout(tick, 600); }
      }).catch(function (error) { finish(); showOutcome(fmt(T.failed, {message: error.message}), true); });
    }
    function finish() { window.clearTimeout(state.poll); state.job = null; busy(false); }
    tick();
  }
  function submit(url, body, done, onConflict) {
    busy(true);
    api("POST", url, body).then(function (job) { follow(job, done, onConflict); })
      .catch(function (error) {
        busy(false);
        if (onConflict && error.status === 409) { onConflict(); return; }
        showOutcome(fmt(T.failed, {message: error.message}), true);
      });
  }

  function nextDay(iso) {
    var day = new Date(iso + "T00:00:00Z");
    day.setUTCDate(day.getUTCDate() + 1);
    return day.toISOString().slice(0, 10);
  }

  function closureMode() {
    var checked = document.querySelector("input[name=gd-mode]:checked");
    return checked ? checked.value : "skip";
  }

  if ($("gd-plan")) {
    $("gd-plan").addEventListener("click", function () {
      submit("/api/v1/routes/jobs/plan", {depot_code: config.depot, date: config.date, time_limit: seconds()}, function (result) {
        showOutcome(fmt(T.succeeded, {version: result.plan_version}));
        load();
      });
    });
    $("gd-week").addEventListener("click", function () {
      submit("/api/v1/routes/jobs/week", {depot_code: config.depot, week_of: config.date, time_limit: seconds()}, function (result) {
        showOutcome(fmt(T.week_done, {days: Object.keys(result.versions).length}));
        renderWeek(result);
        load();
      });
    });
    $("gd-cancel").addEventListener("click", function () {
      if (!state.job) { return; }
      api("POST", "/api/v1/jobs/" + encodeURIComponent(state.job.id) + "/cancel").catch(function () {});
    });
    $("gd-clear").addEventListener("click", function () { state.moves = {}; state.drops = {}; state.closure = null; drawClosurePreview(); renderEdits(); });
    $("gd-replan").addEventListener("click", function () {
      var body = {depot_code: config.depot, date: config.date, time_limit: seconds(),
        cancel: Object.keys(state.drops), moves: {}};
      // The version the edits were made on: a plan stored since makes the replan a conflict.
      if (state.day && state.day.plan) { body.base_version = state.day.plan.version; }
      Object.keys(state.moves).forEach(function (lic) { body.moves[lic] = state.moves[lic].route; });
      if (state.closure) {
        var ring = state.closure.map(function (p) { return view.fromMap(p); });
        ring.push(ring[0]);
        var old = state.day.plan ? state.day.plan.closures : [];
        body.closures = old.concat([{type: "Feature", geometry: {type: "Polygon", coordinates: [ring]},
          properties: {id: "closure-" + Date.now(), start: config.date, end: nextDay(config.date), reason: "dispatcher"}}]);
        body.closure_mode = closureMode();
      }
      submit("/api/v1/routes/jobs/replan", body, function (result) {
        state.moves = {}; state.drops = {}; state.closure = null; drawClosurePreview();
        $("gd-draw-hint").textContent = "";
        var moved = result.moved && result.moved.length ? " · " + fmt(T.moved_n, {n: result.moved.length}) : "";
        showOutcome(fmt(T.succeeded, {version: result.plan_version}) + moved);
        load();
      }, conflicted);
    });
    var tool = GmPolygonDraw(map, {
      onPoint: function () { $("gd-draw-hint").textContent = T.draw_hint; },
      onDone: function (points) {
        state.closure = points;
        $("gd-draw-hint").textContent = fmt(T.closure_ready, {n: points.length});
        drawClosurePreview();
        renderEdits();
      },
      onCancel: function () { $("gd-draw-hint").textContent = T.need_three; }
    });
    $("gd-draw").addEventListener("click", function () {
      if (tool.isActive()) { tool.finish(); return; }
      $("gd-draw-hint").textContent = T.draw_hint;
      tool.start();
      $("gd-map").scrollIntoView({block: "nearest"});
    });
  }

  function renderWeek(result) {
    $("gd-week-box").hidden = false;
    var body = $("gd-week-table").tBodies[0];
    body.textContent = "";
    Object.keys(result.days).sort().forEach(function (day) {
      var d = result.days[day];
      var tr = el("tr");
      [day, d.stops, number(d.km), d.vehicles, d.unserved].forEach(function (v) { tr.appendChild(el("td", v)); });
      var td = el("td");
      var link = el("a", T.open_day);
      link.href = "/dispatch?" + new URLSearchParams({depot: config.depot, date: day}).toString();
      td.appendChild(link);
      tr.appendChild(td);
      body.appendChild(tr);
    });
  }

  $("gd-compare").addEventListener("click", function () {
    var a = document.querySelector("input[name=gd-a]:checked");
    var b = document.querySelector("input[name=gd-b]:checked");
    var out = $("gd-diff");
    out.textContent = "";
    if (!a || !b || a.value === b.value) { out.appendChild(el("p", T.compare_pick, "gd-note")); return; }
    api("GET", "/api/v1/routes/plans/compare?" + query({a: a.value, b: b.value})).then(function (diff) {
      var table = el("table", null, "gd-table");
      var head = el("tr");
      ["", "A v" + diff.a.version, "B v" + diff.b.version].forEach(function (h) { head.appendChild(el("th", h)); });
      table.appendChild(head);
      [["km", T.km], ["vehicles", T.vehicles], ["hours", T.hours], ["stops", T.served], ["unserved", T.unserved]].forEach(function (pair) {
        var tr = el("tr");
        tr.appendChild(el("th", pair[1]));
        tr.appendChild(el("td", number(diff.a[pair[0]])));
        tr.appendChild(el("td", number(diff.b[pair[0]])));
        table.appendChild(tr);
      });
      out.appendChild(table);
      function list(title, rows, text) {
        if (!rows.length) { return; }
        out.appendChild(el("h3", title + " (" + rows.length + ")"));
        var ul = el("ul", null, "gd-list");
        rows.forEach(function (r) { ul.appendChild(el("li", text(r))); });
        out.appendChild(ul);
      }
      list(T.moved_between, diff.moved, function (r) { return r.name + ": " + r.a + " → " + r.b; });
      list(fmt(T.only_in, {version: diff.a.version}), diff.only_a, function (r) { return r.name; });
      list(fmt(T.only_in, {version: diff.b.version}), diff.only_b, function (r) { return r.name; });
      if (!diff.moved.length && !diff.only_a.length && !diff.only_b.length) { out.appendChild(el("p", T.no_difference, "gd-note")); }
    }).catch(function (error) { out.appendChild(el("p", fmt(T.failed, {message: error.message}), "gd-bad")); });
  });

  load();
})();
