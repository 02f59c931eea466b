// The desk's case page: one action form open at a time, its first field focused, and a form
// sent once (a second click waits for the first answer). The page works without this script.
(function () {
  "use strict";
  var acts = document.querySelectorAll(".case-actions details.act");
  acts.forEach(function (details) {
    details.addEventListener("toggle", function () {
      if (!details.open) return;
      acts.forEach(function (other) { if (other !== details) other.open = false; });
      var first = details.querySelector("textarea, select, input:not([type=hidden])");
      if (first && !first.closest("fieldset")) first.focus({ preventScroll: true });
    });
  });
  document.querySelectorAll(".case-actions form, form.reveal").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-busy", "true"); });
    });
  });
})();
