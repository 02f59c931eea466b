/* Survey charts (results and index trend). No inline script (the CSP): the figures come in
 * <script type="application/json" id="survey-chart"> / #survey-trend (json_script). Each chart
 * has a table with the same figures next to it (the chart is aria-hidden). ECharts is vendored.
 * Tests read data-drawn on each .chart. */
(function () {
  "use strict";

  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  var COLOURS = ["#a4161a", "#0a3a8c", "#0b5d1e", "#7a4b00", "#5a189a", "#333333"];

  function draw(el, option) {
    if (typeof echarts === "undefined") return;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    option.color = COLOURS;
    option.animation = false;
    chart.setOption(option);
    el.setAttribute("data-drawn", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function bars(labels, series, horizontal) {
    var cat = { type: "category", data: labels, axisLabel: { interval: 0, width: 120, overflow: "truncate" } };
    var val = { type: "value", minInterval: 1 };
    return {
      grid: { left: horizontal ? 120 : 40, right: 16, top: series.length > 1 ? 32 : 16, bottom: 32 },
      legend: series.length > 1 ? { top: 0 } : undefined,
      tooltip: { trigger: "axis" },
      xAxis: horizontal ? val : cat,
      yAxis: horizontal ? cat : val,
      series: series.map(function (s) { return { type: "bar", name: s.name, data: s.values }; })
    };
  }

  function start() {
    var chart = json("survey-chart");
    if (chart) {
      var byId = {};
      chart.questions.forEach(function (q) { byId[q.id] = q; });
      document.querySelectorAll(".chart[data-chart=question]").forEach(function (el) {
        var q = byId[el.getAttribute("data-question")];
        if (q) draw(el, bars(q.labels, [{ name: "", values: q.counts }], true));
      });
      var areas = document.querySelector(".chart[data-chart=areas]");
      if (areas) draw(areas, bars(chart.areas.labels, chart.areas.series, false));
    }
    var trend = json("survey-trend");
    if (trend) {
      document.querySelectorAll(".chart[data-chart=trend]").forEach(function (el) {
        var index = trend.indices[+el.getAttribute("data-index")];
        if (!index) return;
        var lines = [{ type: "line", name: "总体", data: index.overall, connectNulls: true }];
        index.areas.forEach(function (a) { lines.push({ type: "line", name: a.name, data: a.values, connectNulls: true }); });
        draw(el, {
          grid: { left: 40, right: 16, top: 40, bottom: 32 },
          legend: { top: 0, type: "scroll" },
          tooltip: { trigger: "axis" },
          xAxis: { type: "category", data: trend.rounds },
          yAxis: { type: "value", min: 0, max: 100 },
          series: lines
        });
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
