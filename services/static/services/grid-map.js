/* The grid worker's map (/cases/grid/map/): the grid's buildings and open cases as points, from
 * the page's map.json, on the vendored Leaflet (static/vendor/leaflet). Tiles come from the
 * div's data-tiles (settings.LINLI["MAP_TILES_URL"]); without them the map is a plain grid and
 * the points are still drawn. Without the library or any coordinates the div stays empty and
 * the lists under it say the same in words. Circle markers: no image files to cache offline. */
(function () {
  "use strict";
  var div = document.getElementById("grid-map");
  if (!div || !window.L) { if (div) div.hidden = true; return; }
  var conf = div.dataset;
  var centre = [parseFloat(conf.centerLat) || 24.91, parseFloat(conf.centerLng) || 118.59];

  function text(tag, value) { var el = document.createElement(tag); el.textContent = value; return el; }
  function popup(title, lines, url) {
    var box = document.createElement("div");
    var link = document.createElement("a"); link.href = url; link.textContent = title;
    box.appendChild(link);
    lines.forEach(function (l) { if (l) box.appendChild(text("div", l)); });
    return box;
  }

  fetch(conf.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (data) {
      var map = L.map(div, { scrollWheelZoom: false, attributionControl: !!conf.tiles });
      if (conf.tiles) {
        L.tileLayer(conf.tiles, { maxZoom: 19, attribution: conf.attribution || "" }).addTo(map);
      } else {
        div.classList.add("no-tiles");
      }
      var points = [];
      data.buildings.forEach(function (b) {
        if (b.lat === null || b.lng === null) return;
        points.push([b.lat, b.lng]);
        L.circleMarker([b.lat, b.lng], { radius: 9, color: "#0a3a8c", weight: 2, fillOpacity: 0.3 })
          .bindPopup(popup(b.name, [b.households + " " + (conf.msgHouseholds || "")], b.url))
          .addTo(map);
      });
      data.cases.forEach(function (c) {
        if (c.lat === null || c.lng === null) return;
        points.push([c.lat, c.lng]);
        var colour = c.card >= 2 ? "#b00020" : c.card === 1 ? "#8a5a00" : "#1f6f43";
        L.circleMarker([c.lat, c.lng], { radius: 7, color: colour, weight: 3, fillOpacity: 0.8 })
          .bindPopup(popup(c.number + " " + c.category, [c.state + " · " + c.place,
                     c.mine ? conf.msgMine : ""], c.url))
          .addTo(map);
      });
      if (points.length) map.fitBounds(points, { padding: [24, 24], maxZoom: 18 });
      else map.setView(centre, 14);
    })
    .catch(function () { div.hidden = true; });
})();
