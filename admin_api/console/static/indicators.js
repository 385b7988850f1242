/* The M&E dashboard's charts (and a feedback point's results page's): Chart.js (vendored) draws the numbers the page carries in
   <script type="application/json" id="indicator-data">. No inline script (the CSP forbids
   it); each chart's table beside it holds the same numbers for screen readers. */
(function () {
  "use strict";
  var source = document.getElementById("indicator-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var Chart = window.Chart;
  // Colour-blind-safe palette (Okabe–Ito), then greys.
  var palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
                 "#F0E442", "#000000", "#7f7f7f", "#b0b0b0"];
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;

  function datasets(spec) {
    return spec.series.map(function (series, index) {
      var colour = palette[index % palette.length];
      return {
        label: series.label,
        data: series.data,
        backgroundColor: colour,
        borderColor: colour,
        borderWidth: 0
      };
    });
  }

  function draw(id, spec, type, scales) {
    var canvas = document.getElementById(id);
    if (!canvas) {
      return;
    }
    new Chart(canvas, {
      type: type,
      data: { labels: spec.labels, datasets: datasets(spec) },
      options: {
        responsive: true,
        plugins: { legend: { position: "bottom", display: spec.series.length > 1 } },
        scales: scales
      }
    });
    // Tests and people with a slow machine can tell a drawn chart from a blank one.
    canvas.setAttribute("data-drawn", "true");
  }

  draw("chart-by-category", data.by_category, "bar", {
    x: { stacked: true },
    y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }
  });
  draw("chart-sla", data.sla, "bar", {
    y: { min: 0, max: 100, ticks: { callback: function (v) { return v + " %"; } } }
  });
  draw("chart-satisfaction", data.satisfaction, "bar", {
    y: { beginAtZero: true, ticks: { precision: 0 } }
  });
  // Feedback points: a bar per answer of each question (a withheld count is null).
  (data.feedback || []).forEach(function (spec) {
    draw(spec.id, spec, "bar", { y: { beginAtZero: true, ticks: { precision: 0 } } });
  });
}());
