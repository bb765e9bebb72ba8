// Draws the dashboard charts from the JSON the page embeds. Without JavaScript (or if
// Chart.js fails to load) the tables under each chart stay the way to read the numbers.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("ll-chart-data").textContent);
  if (typeof Chart === "undefined") { return; }
  Chart.defaults.animation = false; // draw at once: screenshots and slow machines see the final chart

  function hourLabel(iso) {
    var d = new Date(iso);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " + pad(d.getUTCHours()) + ":00";
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    var chart = new Chart(canvas, config);
    canvas.dataset.rendered = "true";
    canvas.closest("section").querySelector(".ll-fallback").removeAttribute("open");
    return chart;
  }

  var s = data.series;
  draw("chart-throughput", {
    type: "bar",
    data: {
      labels: s.hours.map(hourLabel),
      datasets: [
        { label: "Succeeded", data: s.succeeded, backgroundColor: "#3f8f4f", stack: "items" },
        { label: "Dead", data: s.dead, backgroundColor: "#c0392b", stack: "items" },
        { label: "Retries", data: s.retries, type: "line", borderColor: "#e67e22", backgroundColor: "#e67e22" }
      ]
    },
    options: { responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
  draw("chart-latency", {
    type: "bar",
    data: { labels: data.latency.labels, datasets: [{ label: "Items", data: data.latency.counts, backgroundColor: "#2c6ea3" }] },
    options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } },
               scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
})();
