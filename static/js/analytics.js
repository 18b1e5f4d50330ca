/* Analytics dashboard charts: built from the JSON the server embeds in the page, and
   rebuilt whenever the filters swap in a new fragment (htmx:afterSwap). An at-risk
   filter chosen while that fragment loads is chosen again in the new one. */
(function () {
  "use strict";
  var charts = {};
  var BLUE = "#2f5bea", GREEN = "#1b7f3b", GREY = "#98a2b3";

  // Labels go through Django's JavaScript catalog (jsi18n/) when the page loaded it.
  function gettext(text) {
    return typeof window.gettext === "function" ? window.gettext(text) : text;
  }

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : [];
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas || !window.Chart) return;
    if (charts[id]) charts[id].destroy();
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { display: config.data.datasets.length > 1 } } }, config.options || {});
    charts[id] = new window.Chart(canvas, config);
  }

  function heatColours() {
    document.querySelectorAll("#analytics-heatmap td[data-rate]").forEach(function (cell) {
      var rate = parseFloat(cell.getAttribute("data-rate"));
      if (isNaN(rate)) return;
      var hue = Math.max(0, Math.min(120, (rate - 50) * 2.4));
      cell.style.background = "hsl(" + hue + ", 70%, 85%)";
    });
  }

  // Series names come translated from the page (#chart-labels); else the JS catalog.
  function label(name, fallback) {
    var node = document.getElementById("chart-labels");
    return (node && node.getAttribute("data-" + name)) || gettext(fallback);
  }

  function render() {
    var histogram = data("data-histogram");
    var letters = data("data-letters");
    var trend = data("data-trend");
    var courses = data("data-courses").slice(0, 30);
    draw("chart-histogram", { type: "bar", data: {
      labels: histogram.map(function (b) { return b.from + "–" + b.to; }),
      datasets: [{ label: label("grades", "Grades"), data: histogram.map(function (b) { return b.count; }), backgroundColor: BLUE }] } });
    draw("chart-letters", { type: "bar", data: {
      labels: letters.map(function (b) { return b.label; }),
      datasets: [{ label: label("final-grades", "Final grades"), data: letters.map(function (b) { return b.count; }), backgroundColor: GREEN }] } });
    draw("chart-trend", { type: "line", data: {
      labels: trend.map(function (t) { return t.week_start; }),
      datasets: [{ label: label("attendance", "Attendance rate"), data: trend.map(function (t) { return t.rate; }), borderColor: BLUE, tension: 0.2 }] },
      options: { scales: { y: { min: 0, max: 100 } } } });
    draw("chart-courses", { type: "bar", data: {
      labels: courses.map(function (c) { return c.course_code; }),
      datasets: [
        { label: label("average-final", "Average final grade"), data: courses.map(function (c) { return c.average_final_grade; }), backgroundColor: BLUE },
        { label: label("attendance", "Attendance rate"), data: courses.map(function (c) { return c.attendance_rate; }), backgroundColor: GREY }
      ] }, options: { scales: { y: { min: 0, max: 100 } } } });
    heatColours();
  }

  // A risk level or reason chosen in the at-risk card while the page's filters load (a
  // whole school's range takes seconds) would be lost: the card is about to be replaced by
  // the answer, rendered with the choice it was asked with. So the card does not ask then;
  // its choice is kept and chosen again in the new card once that is in (or in the old
  // one if the page's request failed), which asks with every filter.
  var chosenMeanwhile = {};

  function isBodyTarget(event) {
    return !!(event.detail && event.detail.target && event.detail.target.id === "analytics-body");
  }

  function chooseAgain() {
    var last = null;
    Object.keys(chosenMeanwhile).forEach(function (name) {
      var field = document.querySelector("#analytics-at-risk-filters select[name='" + name + "']");
      if (!field) return;
      field.value = chosenMeanwhile[name];
      last = field;
    });
    chosenMeanwhile = {};
    // One request carries every field of the card (hx-include of the page's form).
    if (last) last.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var field = event.detail && event.detail.elt;
    if (!field || !field.closest || !field.closest("#analytics-at-risk-filters")) return;
    var body = document.getElementById("analytics-body");
    if (body && body.classList.contains("htmx-request")) {
      event.preventDefault();
      chosenMeanwhile[field.name] = field.value;
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (isBodyTarget(event) && !event.detail.successful) chooseAgain();
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (isBodyTarget(event)) chooseAgain();
  });

  window.smsAnalytics = { charts: charts, render: render };
  document.addEventListener("DOMContentLoaded", render);
  document.addEventListener("htmx:afterSwap", function (event) {
    if (isBodyTarget(event)) render();
  });
})();
