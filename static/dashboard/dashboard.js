/* The 一屏观 dashboard (/dashboard/): the map, the charts, the live stream, the big screen's cycle.
 *
 * No inline script (the site's CSP): the figures come in <script type="application/json"
 * id="dash-data"> and the settings in #dash-config (json_script), the map's shapes and points
 * from /dashboard/geo/ and /dashboard/points/. Every chart has its numbers as a table next to
 * it (the chart itself is aria-hidden); the map's figures are the ranking table's.
 * Leaflet and ECharts are vendored (static/vendor/): no CDN, the intranet has no internet.
 * Tests read data-shapes / data-points on #dash-map and data-drawn on each .chart.
 */
(function () {
  "use strict";

  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  var data = json("dash-data"), conf = json("dash-config");
  if (!data || !conf) return;
  var root = document.getElementById("dash");
  var dark = conf.layout === "screen";
  var byId = {};
  (data.children || []).forEach(function (c) { byId[c.id] = c; });

  // --- WGS-84 → GCJ-02 (AMap, Tencent tiles): the published approximation ---------------------
  var A = 6378245.0, EE = 0.00669342162296594323;
  function outOfChina(lng, lat) { return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271; }
  function tLat(x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3;
    return r + (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
  }
  function tLng(x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3;
    return r + (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
  }
  function shift(lat, lng) {
    if (conf.tiles_crs !== "gcj02" || outOfChina(lng, lat)) return [lat, lng];
    var dLat = tLat(lng - 105, lat - 35), dLng = tLng(lng - 105, lat - 35);
    var rad = lat / 180 * Math.PI, m = Math.sin(rad);
    m = 1 - EE * m * m;
    var s = Math.sqrt(m);
    dLat = (dLat * 180) / ((A * (1 - EE)) / (m * s) * Math.PI);
    dLng = (dLng * 180) / (A / s * Math.cos(rad) * Math.PI);
    return [lat + dLat, lng + dLng];
  }
  function coordsToLatLng(c) { var p = shift(c[1], c[0]); return L.latLng(p[0], p[1]); }

  // --- colours ---------------------------------------------------------------------------------
  var PALETTE = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"];  // light → dark
  function figure(child) {
    if (!child) return null;
    if (conf.colour === "satisfaction") return child.satisfaction_rate;
    if (conf.colour === "per_1000") return child.per_1000;
    return child.overdue;
  }
  function scale() {
    var vals = (data.children || []).map(figure).filter(function (v) { return v !== null && v !== undefined; });
    var lo = Math.min.apply(null, vals.concat([0])), hi = Math.max.apply(null, vals.concat([0]));
    return function (v) {
      if (v === null || v === undefined) return "#d0d0d0";
      var t = hi > lo ? (v - lo) / (hi - lo) : 0;
      if (conf.colour === "satisfaction") t = 1 - t;  // low satisfaction is the alarm
      return PALETTE[Math.min(PALETTE.length - 1, Math.floor(t * PALETTE.length))];
    };
  }
  function fmt(v) {
    if (v === null || v === undefined) return "—";
    if (conf.colour === "satisfaction") return (v * 100).toFixed(1) + "%";
    return String(v);
  }
  function legend() {
    var el = document.getElementById("dash-legend"), sel = document.getElementById("dash-colour");
    if (!el || !sel) return;
    el.textContent = sel.options[sel.selectedIndex].text + ": " + (conf.colour === "satisfaction" ? "▁ 高 → █ 低" : "▁ 低 → █ 高");
  }

  // --- the map ------------------------------------------------------------------------------------
  var map = null, shapes = null, pointsLayer = null, casePoints = [], areaDots = null;
  function go(child) {
    window.location.href = child.url + "&month=" + encodeURIComponent(conf.month) + "&layout=" + encodeURIComponent(conf.layout);
  }
  function styleShapes() {
    var colourOf = scale();
    if (shapes) shapes.setStyle(function (f) {
      return { color: dark ? "#9ecbff" : "#555", weight: 1.5, fillOpacity: 0.75, fillColor: colourOf(figure(byId[f.properties.id])) };
    });
    if (areaDots) areaDots.eachLayer(function (l) { l.setStyle({ fillColor: colourOf(figure(byId[l.options.areaId])) }); });
    legend();
  }
  function cluster() {
    // Open cases as clusters: points within 40 screen pixels are drawn as one circle with a count.
    if (!map || !pointsLayer) return;
    pointsLayer.clearLayers();
    var cells = {};
    casePoints.forEach(function (p) {
      var ll = shift(p.lat, p.lng), px = map.latLngToLayerPoint(ll);
      var key = Math.floor(px.x / 40) + ":" + Math.floor(px.y / 40);
      var c = cells[key] || (cells[key] = { lat: 0, lng: 0, n: 0, late: 0 });
      c.lat += ll[0]; c.lng += ll[1]; c.n += 1; c.late += p.late ? 1 : 0;
    });
    Object.keys(cells).forEach(function (key) {
      var c = cells[key], at = [c.lat / c.n, c.lng / c.n];
      var m = L.circleMarker(at, {
        radius: c.n > 1 ? Math.min(22, 7 + Math.sqrt(c.n) * 2) : 5,
        color: "#fff", weight: 1, fillOpacity: 0.9,
        fillColor: c.late ? "#b00020" : "#1565c0", className: "case-point", interactive: false
      });
      if (c.n > 1) m.bindTooltip(String(c.n), { permanent: true, direction: "center", className: "cluster-count" });
      pointsLayer.addLayer(m);
    });
  }
  function setupMap() {
    var div = document.getElementById("dash-map");
    if (!div) return;
    if (!window.L) { div.textContent = (document.getElementById("dash-map-note") || {}).textContent || ""; return; }
    var centre = conf.center || [24.91, 118.59];
    map = L.map(div, { scrollWheelZoom: conf.layout !== "phone", attributionControl: !!conf.tiles, keyboard: false });
    if (conf.tiles) L.tileLayer(conf.tiles, { maxZoom: 19, attribution: conf.attribution || "" }).addTo(map);
    else div.classList.add("no-tiles");
    map.setView(shift(centre[0], centre[1]), 12);
    var bounds = L.latLngBounds([]);
    fetch(conf.geo, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (geo) {
      shapes = L.geoJSON(geo, {
        coordsToLatLng: coordsToLatLng,
        onEachFeature: function (f, layer) {
          var c = byId[f.properties.id];
          layer.bindTooltip(f.properties.name + (c ? " · " + fmt(figure(c)) : ""), { sticky: true });
          if (c) layer.on("click", function () { go(c); });
        }
      }).addTo(map);
      var drawn = {};
      geo.features.forEach(function (f) { drawn[f.properties.id] = true; });
      if (geo.features.length) bounds.extend(shapes.getBounds());
      // Areas without an outline: a dot at their centre point.
      areaDots = L.layerGroup().addTo(map);
      (data.children || []).forEach(function (c) {
        if (drawn[c.id] || c.lat === null || c.lng === null) return;
        var at = shift(c.lat, c.lng);
        var dot = L.circleMarker(at, { radius: 12, color: "#333", weight: 1, fillOpacity: 0.85, areaId: c.id });
        dot.bindTooltip(c.name + " · " + fmt(figure(c)));
        dot.on("click", function () { go(c); });
        areaDots.addLayer(dot);
        bounds.extend(at);
      });
      styleShapes();
      div.setAttribute("data-shapes", String(geo.features.length + areaDots.getLayers().length));
      return fetch(conf.points, { credentials: "same-origin" });
    }).then(function (r) { return r.json(); }).then(function (pts) {
      casePoints = pts.points || [];
      pointsLayer = L.layerGroup().addTo(map);
      (pts.centres || []).forEach(function (c) {
        var at = shift(c.lat, c.lng);
        L.marker(at, { icon: L.divIcon({ className: "centre-marker", html: "中", iconSize: [26, 26] }), keyboard: false, title: c.name }).addTo(map);
        bounds.extend(at);
      });
      if (!bounds.isValid()) casePoints.forEach(function (p) { bounds.extend(shift(p.lat, p.lng)); });
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
      cluster();
      map.on("zoomend", cluster);
      div.setAttribute("data-points", String(casePoints.length));
      div.setAttribute("data-ready", "1");
    }).catch(function () { div.setAttribute("data-ready", "error"); });
    var sel = document.getElementById("dash-colour");
    if (sel) sel.addEventListener("change", function () { conf.colour = sel.value; styleShapes(); });
  }

  // --- charts -----------------------------------------------------------------------------------
  var charts = [];
  function pct(v) { return v === null || v === undefined ? null : Math.round(v * 1000) / 10; }
  var text = dark ? "#e8eef7" : "#222";
  function chartOptions(kind) {
    var base = { textStyle: { color: text }, animation: false, grid: { left: 48, right: 24, top: 36, bottom: 36 }, tooltip: { trigger: "axis" } };
    if (kind === "trend") {
      var months = data.trend.map(function (m) { return m.month; });
      return Object.assign(base, {
        legend: { textStyle: { color: text } },
        xAxis: { type: "category", data: months },
        yAxis: [{ type: "value", max: 100, axisLabel: { formatter: "{value}%" } }, { type: "value" }],
        series: [
          { name: "响应率", type: "line", data: data.trend.map(function (m) { return pct(m.response_rate); }) },
          { name: "解决率", type: "line", data: data.trend.map(function (m) { return pct(m.resolution_rate); }) },
          { name: "满意率", type: "line", data: data.trend.map(function (m) { return pct(m.satisfaction_rate); }) },
          { name: "派单量", type: "bar", yAxisIndex: 1, data: data.trend.map(function (m) { return m.dispatched; }) }
        ]
      });
    }
    if (kind === "categories") {
      var cats = data.categories.slice().reverse();
      return Object.assign(base, {
        grid: { left: 110, right: 24, top: 12, bottom: 24 },
        xAxis: { type: "value" },
        yAxis: { type: "category", data: cats.map(function (c) { return c.name; }) },
        series: [{ type: "bar", data: cats.map(function (c) { return c.count; }), itemStyle: { color: "#c0392b" } }]
      });
    }
    if (kind === "centres" && data.centres) {
      var fs = data.centres.by_function;
      return Object.assign(base, {
        legend: { textStyle: { color: text } },
        xAxis: { type: "category", data: fs.map(function (f) { return f.label; }), axisLabel: { interval: 0, rotate: 20 } },
        yAxis: { type: "value" },
        series: [
          { name: "服务人次", type: "bar", data: fs.map(function (f) { return f.services_given; }) },
          { name: "活动报名", type: "bar", data: fs.map(function (f) { return f.signups; }) }
        ]
      });
    }
    return null;
  }
  function setupCharts() {
    if (!window.echarts) return;
    document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      var opts = chartOptions(el.getAttribute("data-chart"));
      if (!opts) return;
      var chart = echarts.init(el, dark ? "dark" : null, { renderer: "canvas" });
      chart.on("finished", function () { el.setAttribute("data-drawn", "1"); });
      chart.setOption(opts);
      charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
  function setupNumbers() {
    document.querySelectorAll(".show-numbers").forEach(function (button) {
      var table = document.getElementById(button.getAttribute("aria-controls"));
      if (!table) return;
      button.addEventListener("click", function () {
        var shown = table.classList.toggle("shown");
        button.setAttribute("aria-expanded", shown ? "true" : "false");
      });
    });
  }

  // --- the live stream --------------------------------------------------------------------------
  function list(title, rows, late) {
    var box = document.createElement("div"), h = document.createElement("h3"), ul = document.createElement("ul");
    h.textContent = title;
    rows.forEach(function (r) {
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = "/desk/c/" + encodeURIComponent(r.number) + "/";
      a.textContent = r.number;
      li.appendChild(a);
      li.appendChild(document.createTextNode(" " + (r.category || "") + " · " + (r.place || "") + " · " + (late ? "限 " + r.due : r.at)));
      ul.appendChild(li);
    });
    box.appendChild(h); box.appendChild(ul);
    return box;
  }
  function refreshStream() {
    var el = document.getElementById("dash-stream");
    if (!el) return;
    fetch(conf.stream, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (s) {
      el.textContent = "";
      el.appendChild(list("新工单", s["new"], false));
      el.appendChild(list("已超期", s.late, true));
    }).catch(function () { /* keep the last list: the next minute tries again */ });
  }

  // --- the big screen: cycle through the areas below -------------------------------------------
  function setupCycle() {
    if (conf.layout !== "screen" || !(data.children || []).length) return;
    var spot = document.createElement("section"), i = -1;
    spot.className = "dash-spotlight";
    spot.setAttribute("aria-live", "polite");
    var map_panel = document.querySelector(".dash-map-panel");
    if (map_panel) map_panel.appendChild(spot);
    function next() {
      i = (i + 1) % data.children.length;
      var c = data.children[i];
      spot.textContent = "";
      var h = document.createElement("h3");
      h.textContent = "第" + c.rank + "名 " + c.name;
      var p = document.createElement("p");
      p.textContent = "派单 " + c.dispatched + " · 超期 " + c.overdue + " · 满意率 " + (c.satisfaction_rate === null ? "—" : (c.satisfaction_rate * 100).toFixed(1) + "%") + " · 综合得分 " + (c.score === null ? "—" : c.score);
      spot.appendChild(h); spot.appendChild(p);
      document.querySelectorAll("#dash-ranking tr[data-area]").forEach(function (tr) {
        tr.classList.toggle("spot", tr.getAttribute("data-area") === String(c.id));
      });
      if (shapes) shapes.eachLayer(function (l) {
        l.setStyle({ weight: l.feature.properties.id === c.id ? 5 : 1.5, color: l.feature.properties.id === c.id ? "#ffd54f" : "#9ecbff" });
      });
      root.setAttribute("data-spot", String(c.id));
    }
    next();
    setInterval(next, (conf.cycle_seconds || 20) * 1000);
  }

  function start() {
    setupMap();
    setupCharts();
    setupNumbers();
    refreshStream();
    setInterval(refreshStream, 60000);
    setupCycle();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
