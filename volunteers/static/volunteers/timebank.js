/* The time bank's phone pages: no inline script anywhere (a strict CSP is coming), so the few
 * things the pages do in the browser live here, loaded with <script src defer>.
 *
 * - <form data-confirm="…">: ask before sending (spending 福分, cancelling an order).
 * - Every POST form: after it is sent, its buttons stay disabled (and say their
 *   data-sending text, if they have one), so an elderly user's double tap sends it once
 *   (the server also answers a repeated idempotency key with the first result).
 * - <button data-print>: print the page (the certificate).
 * - The scan page: send the phone's position when it gives one (the radius check).
 */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || (form.method || "").toLowerCase() !== "post") return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    if (form.getAttribute("data-sent") === "1") { event.preventDefault(); return; }
    form.setAttribute("data-sent", "1");
    // Disable after the browser has taken the submitter's value.
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) {
        b.disabled = true;
        b.setAttribute("aria-busy", "true");
        var label = b.getAttribute("data-sending");
        if (label) b.textContent = label;
      });
    }, 0);
  });

  // A page restored from the back/forward cache gets its buttons back.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      form.removeAttribute("data-sent");
      form.querySelectorAll("button[aria-busy]").forEach(function (b) {
        b.disabled = false; b.removeAttribute("aria-busy");
      });
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) { event.preventDefault(); window.print(); }
  });

  var lat = document.getElementById("lat"), lng = document.getElementById("lng");
  if (lat && lng && navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(function (p) {
      lat.value = p.coords.latitude;
      lng.value = p.coords.longitude;
    });
  }
})();
