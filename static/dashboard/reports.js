/* Monthly reports (/dashboard/reports/): while a report is waiting or being built, ask for
 * its progress every two seconds and show it; when ready, show the download link. */
(function () {
  "use strict";
  function watch(row) {
    var status = row.getAttribute("data-status");
    if (status === "done" || status === "failed") return;
    var bar = row.querySelector("progress"), label = row.querySelector(".report-status");
    var cell = row.querySelector(".report-download");
    function tick() {
      fetch(row.getAttribute("data-status-url"), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          bar.value = s.progress; bar.textContent = s.progress + "%";
          label.textContent = s.label;
          row.setAttribute("data-status", s.status);
          if (s.download) {
            var a = document.createElement("a");
            a.href = s.download; a.textContent = "下载（.xlsx）";
            cell.textContent = ""; cell.appendChild(a);
            if (s.pdf) {
              var b = document.createElement("a");
              b.href = s.pdf; b.textContent = "下载（PDF）";
              cell.appendChild(document.createTextNode(" ")); cell.appendChild(b);
            }
          } else if (s.status !== "failed") setTimeout(tick, 2000);
        })
        .catch(function () { setTimeout(tick, 5000); });
    }
    tick();
  }
  function start() { document.querySelectorAll("tr[data-report]").forEach(watch); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
