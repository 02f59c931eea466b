/* Small place maps for the desk (Leaflet, vendored in static/vendor/leaflet/).
 *
 * Load with {% load desk_map %}{% map_assets %} (the tile URL and the default centre come from
 * settings.LINLI, read off this script's own tag). Then, anywhere on the page:
 *
 *   <div class="place-map" data-lat="24.9" data-lng="118.6" data-label="甲1号楼"></div>
 *       a small map with a marker (nothing is drawn without coordinates);
 *   <div class="place-map" data-pick-lat="#id_lat" data-pick-lng="#id_lng"></div>
 *       the user picks a point (a click or tap, or the button under the map for the map's
 *       centre) and it fills those inputs, firing "change" on the latitude input.
 *
 * Other scripts move a map with  div.dispatchEvent(new CustomEvent("place-map:show",
 * {detail: {lat, lng, label}}))  (the pick inputs are not touched). Without tiles the map is a
 * plain grid: the marker and the picked point still work, in WGS-84 like grids.Area.
 */
(function () {
  "use strict";
  var me = document.currentScript;
  var conf = me ? me.dataset : {};
  var centre = [parseFloat(conf.centerLat) || 24.91, parseFloat(conf.centerLng) || 118.59];

  function num(v) { var n = parseFloat(v); return isFinite(n) ? n : null; }
  function round(v) { return Math.round(v * 1e6) / 1e6; }

  function setup(div) {
    if (div.getAttribute("data-map-ready")) return;
    div.setAttribute("data-map-ready", "1");
    var pickLat = div.dataset.pickLat ? document.querySelector(div.dataset.pickLat) : null;
    var pickLng = div.dataset.pickLng ? document.querySelector(div.dataset.pickLng) : null;
    var picking = !!(pickLat && pickLng);
    var lat = num(div.dataset.lat), lng = num(div.dataset.lng);
    if (picking && num(pickLat.value) !== null && num(pickLng.value) !== null) {
      lat = num(pickLat.value); lng = num(pickLng.value);
    }
    if (!picking && (lat === null || lng === null)) { div.hidden = true; return; }
    if (!window.L) {  // the library did not load: say where, in words
      if (lat !== null) div.textContent = (div.dataset.label || "") + " " + round(lat) + ", " + round(lng);
      return;
    }
    var map = L.map(div, { scrollWheelZoom: false, attributionControl: !!conf.tiles });
    if (conf.tiles) {
      L.tileLayer(conf.tiles, { maxZoom: 19, attribution: conf.attribution || "" }).addTo(map);
    } else {
      div.classList.add("no-tiles");
      if (conf.msgNoTiles) div.setAttribute("title", conf.msgNoTiles);
    }
    var marker = null;
    function show(a, b, label) {
      if (a === null || b === null) return;
      if (!marker) marker = L.marker([a, b], { keyboard: false }).addTo(map);
      marker.setLatLng([a, b]);
      if (label) marker.bindTooltip(label, { permanent: !picking, direction: "top" });
      map.setView([a, b], Math.max(map.getZoom() || 0, 17));
    }
    map.setView(lat !== null ? [lat, lng] : centre, lat !== null ? 17 : 14);
    show(lat, lng, div.dataset.label);
    div.addEventListener("place-map:show", function (e) {
      var d = e.detail || {};
      show(num(d.lat), num(d.lng), d.label);
    });
    if (!picking) return;
    function pick(latlng) {
      pickLat.value = round(latlng.lat); pickLng.value = round(latlng.lng);
      show(latlng.lat, latlng.lng);
      pickLat.dispatchEvent(new Event("change", { bubbles: true }));
    }
    map.on("click", function (e) { pick(e.latlng); });
    var button = document.createElement("button");
    button.type = "button"; button.className = "place-map-centre";
    button.textContent = conf.msgPickCentre || "Use the centre of the map";
    button.addEventListener("click", function () { pick(map.getCenter()); });
    div.insertAdjacentElement("afterend", button);
    // A map laid out while hidden (a closed <details>) needs its size again once shown.
    var details = div.closest("details");
    if (details) details.addEventListener("toggle", function () { map.invalidateSize(); });
  }

  function all() { document.querySelectorAll(".place-map").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  else all();
  window.LinliMaps = { setup: setup };
})();
