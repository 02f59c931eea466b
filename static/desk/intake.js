/* The desk's intake form (/desk/new/), in place: the caller looked up as the phone is typed,
 * the place found as it is typed (or from a point picked on the map), likely duplicates shown
 * as soon as place and category are known, the answer box shown for a consultation answered at
 * once (即时办结), and a full number revealed without leaving the page.
 *
 * Without this script the form's own buttons do all of it by submitting the form (see
 * services/desk/intake.py); this file only saves round trips. No inline handlers (CSP). */
(function () {
  "use strict";
  var form = document.querySelector("form[data-intake]");
  if (!form) return;
  var d = form.dataset;
  var $ = function (sel, root) { return (root || form).querySelector(sel); };

  function csrf() { var i = $("input[name=csrfmiddlewaretoken]"); return i ? i.value : ""; }
  function get(url, json) {
    return fetch(url, {
      credentials: "same-origin",
      headers: { Accept: json ? "application/json" : "text/html" }
    }).then(function (r) {
      return (json ? r.json() : r.text()).then(function (body) { return { ok: r.ok, body: body }; });
    });
  }
  function debounce(fn, ms) {
    var t; return function () { var a = arguments; clearTimeout(t); t = setTimeout(function () { fn.apply(null, a); }, ms); };
  }
  function say(box, text, cls) {
    box.textContent = ""; if (!text) return;
    var p = document.createElement("p"); p.className = cls || "note"; p.textContent = text; box.appendChild(p);
  }
  function failed(box) { say(box, d.msgFailed, "error"); }

  // --- the caller ------------------------------------------------------------------------------
  var phone = $("input[name=phone]"), callerBox = $("[data-caller]"), nameInput = $("input[name=reporter_name]");
  var lastPhone = "";
  function lookup(force) {
    var value = phone.value.trim();
    if (!value || (value === lastPhone && !force)) return;
    lastPhone = value;
    say(callerBox, d.msgSearching);
    get(d.callerUrl + "?phone=" + encodeURIComponent(value), false).then(function (res) {
      callerBox.innerHTML = res.body;
      var card = $("[data-caller-card]", callerBox);
      if (!card) return;
      if (nameInput && !nameInput.value && card.dataset.name) nameInput.value = card.dataset.name;
      if (card.dataset.building && !placeInput().value) {
        var use = document.createElement("button");
        use.type = "button"; use.className = "use-address";
        use.textContent = d.msgUseAddress + " " + card.dataset.buildingLabel;
        use.addEventListener("click", function () {
          choose({ id: card.dataset.building, label: card.dataset.buildingLabel });
          var address = $("input[name=address]");
          if (address && !address.value && card.dataset.room) address.value = card.dataset.room;
          use.remove();
        });
        card.insertBefore(use, card.firstChild);
      }
    }, function () { failed(callerBox); });
  }
  phone.addEventListener("change", function () { lookup(false); });
  phone.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); lookup(true); } });
  $("[data-lookup]").addEventListener("click", function (e) { e.preventDefault(); lookup(true); });

  // A full number: the "show" button posts the reason (kept in the access log).
  callerBox.addEventListener("click", function (e) {
    var button = e.target.closest("[data-reveal]");
    if (!button) return;
    e.preventDefault();
    var id = button.value, box = button.parentNode, out = $("[data-revealed]", box);
    var body = new FormData();
    body.append("resident", id); body.append("field", "phone");
    body.append("reason", ($("input[name='reason-" + id + "']", box) || {}).value || "");
    fetch(d.callerUrl, {
      method: "POST", credentials: "same-origin", body: body,
      headers: { Accept: "application/json", "X-CSRFToken": csrf() }
    }).then(function (r) { return r.json(); }).then(function (res) {
      if (res.value !== undefined) { out.textContent = res.value; out.className = "ok"; return; }
      var errs = res.errors || {}, text = [];
      Object.keys(errs).forEach(function (k) { text = text.concat(errs[k]); });
      out.textContent = text.join(" "); out.className = "error";
    }, function () { out.textContent = d.msgFailed; out.className = "error"; });
  });

  // --- the place -----------------------------------------------------------------------------
  var q = $("input[name=q]"), results = $("[data-place-results]"), chosen = $("[data-place-chosen]");
  var map = $(".place-map.pick"), mapStatus = $("[data-map-status]");
  var lat = $("input[name=lat]"), lng = $("input[name=lng]");
  function placeInput() {
    var input = $("input[type=hidden][name=place]", chosen);
    if (!input) {
      input = document.createElement("input"); input.type = "hidden"; input.name = "place";
      chosen.appendChild(input);
    }
    return input;
  }
  function choose(hit) {
    results.textContent = "";  // also drops the no-script radio list
    var input = placeInput();
    input.value = hit.id;
    Array.prototype.forEach.call(chosen.querySelectorAll("p"), function (p) { p.remove(); });
    var p = document.createElement("p"); p.className = "chosen";
    p.textContent = d.msgChosen + " "; var b = document.createElement("strong"); b.textContent = hit.label;
    p.appendChild(b); chosen.appendChild(p);
    var error = $("#place-error"); if (error) error.remove();
    if (map && hit.lat != null) {
      map.dispatchEvent(new CustomEvent("place-map:show", { detail: { lat: hit.lat, lng: hit.lng, label: hit.label } }));
    }
    duplicates();
  }
  function search(now) {
    var value = q.value.trim();
    if (!value) { results.textContent = ""; return; }
    if (now) say(results, d.msgSearching);
    get(d.placesUrl + "?q=" + encodeURIComponent(value), true).then(function (res) {
      var body = res.body || {}, rows = body.results || [];
      results.textContent = "";
      if (body.message) say(results, body.message, "error");
      if (!rows.length) return;
      var list = document.createElement("ul"); list.className = "place-options";
      rows.forEach(function (hit) {
        var li = document.createElement("li"), button = document.createElement("button");
        button.type = "button"; button.textContent = hit.label;
        var kind = document.createElement("span"); kind.className = "kind"; kind.textContent = hit.kind_label;
        button.appendChild(kind);
        button.addEventListener("click", function () { choose(hit); });
        li.appendChild(button); list.appendChild(li);
      });
      results.appendChild(list);
    }, function () { failed(results); });
  }
  q.addEventListener("input", debounce(function () { search(false); }, 250));
  q.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); search(true); } });
  $("[data-find]").addEventListener("click", function (e) { e.preventDefault(); search(true); });
  // A no-script result list may be on the page (after a search without this script).
  results.addEventListener("change", function (e) {
    if (e.target.name === "place") {
      var label = e.target.closest("label");
      choose({ id: e.target.value, label: label ? label.textContent.trim() : e.target.value });
    }
  });

  // A point picked on the map: the nearest building in the user's area (the point is kept).
  if (lat) lat.addEventListener("change", function () {
    say(mapStatus, d.msgSearching);
    get(d.placesUrl + "?lat=" + encodeURIComponent(lat.value) + "&lng=" + encodeURIComponent(lng.value), true)
      .then(function (res) {
        var body = res.body || {}, rows = body.results || [];
        say(mapStatus, body.message || "", rows.length ? "note" : "error");
        if (rows.length) { var hit = rows[0]; hit.lat = null; choose(hit); }
      }, function () { failed(mapStatus); });
  });

  // --- duplicates --------------------------------------------------------------------------------
  var category = $("select[name=category]"), dupBox = $("[data-duplicates]"), seen = $("[data-seen]");
  function duplicates() {
    var place = placeInput().value;
    if (!place || !category.value) { return; }
    get(d.duplicatesUrl + "?place=" + encodeURIComponent(place) + "&category=" + encodeURIComponent(category.value), false)
      .then(function (res) {
        dupBox.innerHTML = res.ok ? res.body : "";
        var list = $("[data-numbers]", dupBox);
        if (list && list.dataset.numbers) {
          var have = seen.value ? seen.value.split(",") : [];
          list.dataset.numbers.split(",").forEach(function (n) { if (have.indexOf(n) < 0) have.push(n); });
          seen.value = have.join(",");  // shown here, so saving as new needs no second look
        }
      }, function () { failed(dupBox); });
  }
  category.addEventListener("change", duplicates);

  // --- 即时办结 -----------------------------------------------------------------------------------
  var type = $("select[name=case_type]"), answerBox = $("[data-answer-now]");
  var answerNow = $("input[name=answer_now]"), answer = $("[data-answer]");
  function answerShown() {
    var consultation = type.value === "consultation";
    answerBox.hidden = !consultation;
    if (!consultation) answerNow.checked = false;
    answer.hidden = !answerNow.checked;
  }
  type.addEventListener("change", answerShown);
  answerNow.addEventListener("change", answerShown);
  answerShown();

  // One submission at a time (the server files each idempotency key once anyway).
  form.addEventListener("submit", function (e) {
    if (form.dataset.sending) { e.preventDefault(); return; }
    form.dataset.sending = "1";
    var save = $("[data-save]"); if (save) save.textContent = d.msgSaving;
  });
  window.addEventListener("pageshow", function () { delete form.dataset.sending; });
})();
