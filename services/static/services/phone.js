/* The phone pages' helpers: the cascading place picker (community → grid → estate → building),
 * "use my location" (matched to a grid by the server), a filter over the category list, and
 * similar open cases shown before submitting (follow one instead of filing again).
 * Without JavaScript the worker pages still work (plain selects); the resident form needs the
 * picker or the location button to fill the hidden place field. */
(function () {
  "use strict";
  var node = document.getElementById("linli-phone-i18n");
  var t = node ? JSON.parse(node.textContent) : {};
  function msg(key, fallback) { return t[key] || fallback; }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    });
  }
  function locate(url) {
    return new Promise(function (resolve, reject) {
      if (!navigator.geolocation) { reject(); return; }
      navigator.geolocation.getCurrentPosition(function (pos) {
        var lat = pos.coords.latitude, lng = pos.coords.longitude;
        getJSON(url + "?lat=" + lat + "&lng=" + lng).then(function (res) {
          if (res.ok) { res.body.lat = lat; res.body.lng = lng; resolve(res.body); } else { reject(); }
        }, reject);
      }, reject, { enableHighAccuracy: true, timeout: 10000 });
    });
  }

  // Resident form: cascading selects fill the hidden place field with the deepest pickable one.
  document.querySelectorAll("[data-place-picker]").forEach(function (box) {
    var hidden = box.querySelector("input[name=place]"), levels = box.querySelector("[data-levels]");
    var status = box.querySelector("[data-place-status]"), url = box.getAttribute("data-places-url");
    var form = box.closest("form");
    function level(parentId, depth) {
      while (levels.children.length > depth) levels.removeChild(levels.lastChild);
      return getJSON(url + (parentId ? "?parent=" + parentId : "")).then(function (res) {
        var rows = (res.body && res.body.results) || [];
        if (!rows.length) return;
        var wrap = document.createElement("div"); wrap.className = "field";
        var id = "place-level-" + depth, label = document.createElement("label");
        label.htmlFor = id; label.textContent = msg("kind_" + rows[0].kind, rows[0].kind);
        var select = document.createElement("select"); select.id = id; select.setAttribute("data-level", depth);
        select.appendChild(new Option(msg("choose", "Choose…"), ""));
        rows.forEach(function (r) { var o = new Option(r.name, r.id); o.setAttribute("data-pickable", r.pickable ? "1" : ""); select.appendChild(o); });
        select.addEventListener("change", function () {
          var opt = select.options[select.selectedIndex];
          if (opt && opt.getAttribute("data-pickable")) hidden.value = select.value;
          else if (!select.value) hidden.value = "";
          if (select.value) level(select.value, depth + 1).then(similar); else similar();
        });
        wrap.appendChild(label); wrap.appendChild(select); levels.appendChild(wrap);
      });
    }
    level("", 0);
    var button = box.querySelector("[data-locate]");
    if (button) button.addEventListener("click", function () {
      status.textContent = msg("locating", "Finding your location…");
      locate(box.getAttribute("data-locate-url")).then(function (place) {
        hidden.value = place.id;
        form.querySelector("input[name=lat]").value = place.lat;
        form.querySelector("input[name=lng]").value = place.lng;
        status.textContent = msg("located", "Place found:") + " " + place.label;
        similar();
      }, function () { status.textContent = msg("nolocation", "Your location could not be found. Choose the place."); });
    });
  });

  // Worker forms: the place is a plain select; the location button picks the grid in it.
  document.querySelectorAll("[data-gps-select]").forEach(function (box) {
    var select = document.getElementById(box.getAttribute("data-gps-select"));
    var status = box.querySelector("[data-place-status]"), button = box.querySelector("[data-locate]");
    if (!button) return;
    button.addEventListener("click", function () {
      status.textContent = msg("locating", "Finding your location…");
      locate(box.getAttribute("data-locate-url")).then(function (place) {
        var found = Array.prototype.some.call(select.options, function (o) { return o.value === String(place.id); });
        if (found) select.value = String(place.id);
        box.querySelector("input[name=lat]").value = place.lat;
        box.querySelector("input[name=lng]").value = place.lng;
        status.textContent = msg("located", "Place found:") + " " + place.label;
      }, function () { status.textContent = msg("nolocation", "Your location could not be found. Choose the place."); });
    });
  });

  // Category search: hide the options that do not match (the list is ordered most used first).
  document.querySelectorAll("[data-filter-select]").forEach(function (input) {
    var select = document.getElementById(input.getAttribute("data-filter-select"));
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase(), first = null;
      Array.prototype.forEach.call(select.options, function (o) {
        var show = !o.value || !q || o.text.toLowerCase().indexOf(q) >= 0;
        o.hidden = !show; if (show && o.value && !first) first = o;
      });
      if (first && q) { select.value = first.value; similar(); }
    });
  });

  // Similar open cases in the same grid and category, before the resident submits.
  function similar() {
    var box = document.querySelector("[data-similar]"); if (!box) return;
    var form = box.closest("form");
    var category = form.querySelector("[name=category]").value, place = form.querySelector("[name=place]").value;
    if (!category || !place) { box.hidden = true; return; }
    getJSON(box.getAttribute("data-url") + "?category=" + category + "&place=" + place).then(function (res) {
      var list = box.querySelector("ul"); list.innerHTML = "";
      var follow = document.getElementById("follow-form");
      if (follow) { follow.elements.category.value = category; follow.elements.place.value = place; }
      var rows = (res.body && res.body.results) || [];
      box.hidden = !rows.length;
      rows.forEach(function (r) {
        var li = document.createElement("li");
        // What, where and when only: a neighbour's words and name are never shown here.
        li.textContent = r.created + " · " + r.category + " · " + r.place + " ";
        // The button submits the separate follow form (forms cannot nest).
        var b = document.createElement("button"); b.type = "submit"; b.setAttribute("form", "follow-form");
        b.setAttribute("formaction", box.getAttribute("data-follow-url").replace("NUMBER", encodeURIComponent(r.ref)));
        b.textContent = msg("follow", "Follow this one instead");
        li.appendChild(b); list.appendChild(li);
      });
    });
  }
  document.querySelectorAll("[data-similar]").forEach(function (box) {
    var sel = box.closest("form").querySelector("[name=category]");
    if (sel) sel.addEventListener("change", similar);
  });
})();
