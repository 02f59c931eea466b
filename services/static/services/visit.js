/* The visit form's date: a page kept offline for days still offers the phone's today (when the
 * field holds the day the server drew the page), and never a day after it (the server refuses
 * a visit in the future). A day the worker chose is left alone. */
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  var d = new Date();
  var today = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  document.querySelectorAll("input[type=date][data-today]").forEach(function (input) {
    var drawn = input.getAttribute("data-today");
    if (drawn < today) input.max = today;
    if (!input.value || (input.value === drawn && drawn < today)) input.value = today;
  });
})();
