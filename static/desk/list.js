/* The desk's case list: "tick all" for bulk dispatch, and how many are ticked. No inline
   handlers (the CSP forbids them); the page works without this file, one tick at a time. */
(function () {
  "use strict";
  var form = document.querySelector("[data-bulk]");
  if (!form) return;
  var all = form.querySelector("[data-select-all]");
  var count = form.querySelector("[data-bulk-count]");
  var submit = form.querySelector("[data-bulk-submit]");
  var template = form.getAttribute("data-count-text") || "{count}";
  function boxes() { return form.querySelectorAll("input[name=case]"); }
  function update() {
    var ticked = form.querySelectorAll("input[name=case]:checked").length;
    if (count) count.textContent = ticked ? template.replace("{count}", ticked) : "";
    if (submit) submit.disabled = ticked === 0;
    if (all) {
      var n = boxes().length;
      all.checked = n > 0 && ticked === n;
      all.indeterminate = ticked > 0 && ticked < n;
    }
  }
  if (all) {
    all.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = all.checked; });
      update();
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "case") update();
  });
  update();
})();
