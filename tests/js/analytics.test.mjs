// static/js/analytics.js: the dashboard's JSON (json_script blocks) turned into Chart.js
// configurations, the heat map's colours, redrawing when htmx swaps the filters' result, and
// an at-risk filter chosen while that result loads chosen again in the new card.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { advance, fakeXhr, openPage, restoreTimers, useFakeTimers } from "./helpers.mjs";

// A Chart.js stand-in that keeps what it was given.
function fakeChart(made) {
  return class FakeChart {
    constructor(canvas, config) {
      this.canvas = canvas;
      this.config = config;
      this.destroyed = false;
      made.push(this);
    }

    destroy() {
      this.destroyed = true;
    }
  };
}

function json(id, value) {
  return `<script id="${id}" type="application/json">${JSON.stringify(value)}</script>`;
}

const CANVASES = ["chart-histogram", "chart-letters", "chart-trend", "chart-courses"]
  .map((id) => `<canvas id="${id}"></canvas>`)
  .join("");

// as apps/analytics/stats.py bins grades: ten bins of ten points
const HISTOGRAM = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((low) => ({
  from: low * 10,
  to: low * 10 + 10,
  count: low === 8 ? 4 : 1,
}));
const LETTERS = [
  { label: "A", count: 3 },
  { label: "B", count: 5 },
  { label: "F", count: 1 },
];
const TREND = [
  { week_start: "2025-03-03", rate: 92.5 },
  { week_start: "2025-03-10", rate: 88 },
  { week_start: "2025-03-17", rate: null },
];
const COURSES = [
  { course_code: "CS101", average_final_grade: 71.2, attendance_rate: 93.1 },
  { course_code: "MA201", average_final_grade: null, attendance_rate: 80 },
];

function bodyHtml({ histogram = HISTOGRAM, letters = LETTERS, trend = TREND, courses = COURSES, labels = "", heat = "" } = {}) {
  return `<div id="analytics-body">${CANVASES}
    <table id="analytics-heatmap"><tbody><tr>${heat}</tr></tbody></table>
    ${json("data-histogram", histogram)}${json("data-letters", letters)}
    ${json("data-trend", trend)}${json("data-courses", courses)}
    ${labels}</div>`;
}

let page;
let made;

async function load(body = bodyHtml(), { gettext, withChart = true } = {}) {
  made = [];
  page = await openPage(body, {
    url: "http://school.test/analytics/",
    scripts: ["static/js/analytics.js"],
    before(window) {
      if (withChart) window.Chart = fakeChart(made);
      if (gettext) window.gettext = gettext;
    },
  });
  return page;
}

function chart(id) {
  return made.filter((item) => item.canvas.id === id).at(-1);
}

function heatColours() {
  return Array.from(page.document.querySelectorAll("#analytics-heatmap td")).map((cell) => cell.style.background);
}

// The page's arrays belong to its own realm; compare them as plain data.
function plain(value) {
  return JSON.parse(JSON.stringify(value));
}

afterEach(() => {
  restoreTimers(); // the tests that fake them (htmx settles on a timer)
  const errors = page ? page.errors : [];
  if (page) page.close();
  page = null;
  assert.deepEqual(errors, [], "no script error on the page");
});

test("analytics_draws_the_four_charts_on_load", async () => {
  await load();

  assert.deepEqual(
    made.map((item) => [item.canvas.id, item.config.type]),
    [
      ["chart-histogram", "bar"],
      ["chart-letters", "bar"],
      ["chart-trend", "line"],
      ["chart-courses", "bar"],
    ],
  );
});

test("analytics_histogram_labels_each_bin_by_its_range_and_counts_it", async () => {
  await load();

  const { labels, datasets } = chart("chart-histogram").config.data;

  assert.equal(labels.length, 10);
  assert.equal(labels[0], "0–10");
  assert.equal(labels[9], "90–100");
  assert.deepEqual(plain(datasets[0].data), [1, 1, 1, 1, 1, 1, 1, 1, 4, 1]);
  assert.equal(datasets[0].label, "Grades");
});

test("analytics_letters_chart_keeps_the_servers_order", async () => {
  await load();

  const { labels, datasets } = chart("chart-letters").config.data;

  assert.deepEqual(plain(labels), ["A", "B", "F"]);
  assert.deepEqual(plain(datasets[0].data), [3, 5, 1]);
  assert.equal(datasets[0].label, "Final grades");
});

test("analytics_trend_is_a_line_by_week_on_a_0_to_100_scale_with_gaps_kept", async () => {
  await load();

  const { config } = chart("chart-trend");

  assert.deepEqual(plain(config.data.labels), ["2025-03-03", "2025-03-10", "2025-03-17"]);
  assert.deepEqual(plain(config.data.datasets[0].data), [92.5, 88, null]);
  assert.deepEqual(plain(config.options.scales.y), { min: 0, max: 100 });
  assert.equal(config.data.datasets[0].label, "Attendance rate");
});

test("analytics_course_comparison_has_two_series_and_a_legend", async () => {
  await load();

  const { config } = chart("chart-courses");

  assert.deepEqual(plain(config.data.labels), ["CS101", "MA201"]);
  assert.deepEqual(
    plain(config.data.datasets.map((set) => [set.label, set.data])),
    [
      ["Average final grade", [71.2, null]],
      ["Attendance rate", [93.1, 80]],
    ],
  );
  assert.equal(config.options.plugins.legend.display, true);
  assert.equal(chart("chart-histogram").config.options.plugins.legend.display, false);
});

test("analytics_course_comparison_shows_at_most_thirty_courses", async () => {
  const many = Array.from({ length: 45 }, (_, i) => ({
    course_code: `C${i}`,
    average_final_grade: i,
    attendance_rate: 50,
  }));
  await load(bodyHtml({ courses: many }));

  const { labels, datasets } = chart("chart-courses").config.data;

  assert.equal(labels.length, 30);
  assert.equal(labels.at(-1), "C29");
  assert.equal(datasets[0].data.length, 30);
});

test("analytics_charts_are_fixed_size_and_not_animated", async () => {
  await load();

  const { options } = chart("chart-letters").config;

  assert.equal(options.responsive, true);
  assert.equal(options.maintainAspectRatio, false);
  assert.equal(options.animation, false);
});

test("analytics_empty_data_draws_empty_charts", async () => {
  await load(bodyHtml({ histogram: [], letters: [], trend: [], courses: [] }));

  assert.equal(made.length, 4);
  for (const item of made) {
    assert.deepEqual(plain(item.config.data.labels), []);
    assert.ok(item.config.data.datasets.every((set) => set.data.length === 0));
  }
});

test("analytics_missing_data_blocks_count_as_empty", async () => {
  await load(`<div id="analytics-body">${CANVASES}</div>`);

  assert.equal(made.length, 4);
  assert.deepEqual(plain(chart("chart-courses").config.data.labels), []);
});

test("analytics_without_canvases_or_chart_library_draws_nothing", async () => {
  await load(bodyHtml().replace(CANVASES, ""));
  const withoutCanvas = made.length;
  page.close();

  await load(bodyHtml(), { withChart: false });

  assert.equal(withoutCanvas, 0);
  assert.equal(made.length, 0);
  assert.deepEqual(Object.keys(page.window.smsAnalytics.charts), []);
});

test("analytics_series_names_come_from_the_pages_translations", async () => {
  const labels = `<div hidden id="chart-labels" data-grades="Βαθμοί" data-final-grades="Τελικοί βαθμοί"
    data-attendance="Ποσοστό παρουσίας" data-average-final="Μέσος τελικός βαθμός"></div>`;
  await load(bodyHtml({ labels }));

  assert.equal(chart("chart-histogram").config.data.datasets[0].label, "Βαθμοί");
  assert.equal(chart("chart-letters").config.data.datasets[0].label, "Τελικοί βαθμοί");
  assert.equal(chart("chart-trend").config.data.datasets[0].label, "Ποσοστό παρουσίας");
  assert.deepEqual(
    plain(chart("chart-courses").config.data.datasets.map((set) => set.label)),
    ["Μέσος τελικός βαθμός", "Ποσοστό παρουσίας"],
  );
});

test("analytics_series_names_fall_back_to_the_javascript_catalog", async () => {
  const catalog = { Grades: "Βαθμοί", "Attendance rate": "Παρουσίες" };
  await load(bodyHtml(), { gettext: (text) => catalog[text] || text });

  assert.equal(chart("chart-histogram").config.data.datasets[0].label, "Βαθμοί");
  assert.equal(chart("chart-trend").config.data.datasets[0].label, "Παρουσίες");
  assert.equal(chart("chart-letters").config.data.datasets[0].label, "Final grades");
});

test("analytics_heatmap_colours_cells_from_red_to_green_by_rate", async () => {
  const heat = [100, 75, 50, 20, 0].map((rate) => `<td data-rate="${rate}">${rate}%</td>`).join("");
  await load(bodyHtml({ heat }));

  const colours = heatColours();

  assert.deepEqual(colours, [
    "rgb(190, 244, 190)", // hsl(120, 70%, 85%): green
    "rgb(244, 244, 190)", // hsl(60, …): yellow
    "rgb(244, 190, 190)", // hsl(0, …): red
    "rgb(244, 190, 190)", // below 50 stays red
    "rgb(244, 190, 190)",
  ]);
});

test("analytics_heatmap_leaves_cells_without_a_rate_blank", async () => {
  await load(bodyHtml({ heat: '<td data-rate="">·</td><td data-rate="n/a">·</td>' }));

  const colours = heatColours();

  assert.deepEqual(colours, ["", ""]);
});

test("analytics_redraws_when_htmx_swaps_the_dashboard_body", async () => {
  await load();
  const first = chart("chart-letters");
  const body = page.document.getElementById("analytics-body");
  body.innerHTML = bodyHtml({ letters: [{ label: "C", count: 9 }] }).replace(/^<div id="analytics-body">|<\/div>$/g, "");

  body.dispatchEvent(new page.window.CustomEvent("htmx:afterSwap", { bubbles: true, detail: { target: body } }));

  assert.equal(first.destroyed, true);
  assert.deepEqual(plain(chart("chart-letters").config.data.labels), ["C"]);
  assert.equal(page.window.smsAnalytics.charts["chart-letters"], chart("chart-letters"));
  assert.equal(made.length, 8);
});

test("analytics_ignores_swaps_elsewhere_on_the_page", async () => {
  await load();
  const other = page.document.createElement("div");
  other.id = "export-columns";
  page.document.body.appendChild(other);

  other.dispatchEvent(new page.window.CustomEvent("htmx:afterSwap", { bubbles: true, detail: { target: other } }));
  page.document.dispatchEvent(new page.window.CustomEvent("htmx:afterSwap", { detail: null }));

  assert.equal(made.length, 4);
});

// The page's filters and its at-risk card, as templates/analytics/dashboard.html and
// _at_risk_card.html render them; ``level`` is the level the card was rendered with.
function atRiskCard(level, rows) {
  const select = (name, options) =>
    `<select name="${name}" form="analytics-filters" hx-get="/analytics/" hx-include="#analytics-filters"
       hx-target="#analytics-at-risk-card" hx-swap="outerHTML" hx-sync="#analytics-at-risk-card:replace"
       hx-indicator="#analytics-at-risk-card">${options}</select>`;
  const levels = ["", "high", "medium"]
    .map((value) => `<option value="${value}"${value === level ? " selected" : ""}>${value || "any"}</option>`)
    .join("");
  return `<section id="analytics-at-risk-card"><div id="analytics-at-risk-filters">
    ${select("risk_level", levels)}${select("risk_reason", '<option value="">any</option><option value="trend_declining">declining</option>')}
    </div><p id="rows">${rows}</p></section>`;
}

const DASHBOARD = `<form id="analytics-filters" hx-get="/analytics/" hx-trigger="change"
      hx-target="#analytics-body" hx-swap="innerHTML" hx-indicator="#analytics-body">
  <select name="class_division"><option value="">all</option><option value="A1">A1</option></select></form>
<div id="analytics-body">${atRiskCard("", "Anna, Babis")}</div>`;

let requests;

async function loadDashboard() {
  useFakeTimers();
  requests = [];
  made = [];
  page = await openPage(DASHBOARD, {
    url: "http://school.test/analytics/",
    scripts: ["static/vendor/htmx-2.0.11.min.js", "static/js/app.js", "static/js/analytics.js"],
    before(window) {
      window.Chart = fakeChart(made);
      fakeXhr(window, requests);
    },
  });
  await new Promise((resolve) => setImmediate(resolve)); // htmx processes the page
}

function choose(selector, value) {
  const field = page.document.querySelector(selector);
  field.value = value;
  field.dispatchEvent(new page.window.Event("change", { bubbles: true }));
}

function query(request) {
  return new URL(request.url, "http://school.test/").searchParams;
}

test("analytics_at_risk_level_chosen_while_the_page_loads_is_asked_again_in_the_new_card", async () => {
  await loadDashboard();
  choose("select[name=class_division]", "A1");
  assert.equal(requests.length, 1);
  choose("select[name=risk_level]", "high");

  // The card being replaced does not ask: its answer would be overwritten. Nor does it
  // say it is loading (app.js marks only the requests that are sent).
  assert.equal(requests.length, 1);
  assert.equal(query(requests[0]).get("risk_level"), "");
  assert.equal(page.document.getElementById("analytics-at-risk-card").hasAttribute("aria-busy"), false);
  assert.equal(page.document.getElementById("analytics-body").getAttribute("aria-busy"), "true");

  requests[0].respond(200, atRiskCard("", "Anna, Babis (class A1)"));
  advance(100, 10); // htmx swaps at once and settles after 20 ms

  assert.equal(requests.length, 2);
  assert.equal(query(requests[1]).get("risk_level"), "high");
  assert.equal(query(requests[1]).get("class_division"), "A1");
  assert.equal(page.document.querySelector("select[name=risk_level]").value, "high");
  requests[1].respond(200, atRiskCard("high", "Anna (class A1)"));
  advance(100, 10);
  assert.equal(page.document.getElementById("rows").textContent, "Anna (class A1)");
});

test("analytics_at_risk_choice_is_asked_in_the_old_card_when_the_page_request_fails", async () => {
  await loadDashboard();
  choose("select[name=class_division]", "A1");
  choose("select[name=risk_level]", "high");

  requests[0].respond(500, "Server error");
  advance(100, 10);

  assert.equal(requests.length, 2);
  assert.equal(query(requests[1]).get("risk_level"), "high");
  assert.equal(page.document.getElementById("rows").textContent, "Anna, Babis");
});

test("analytics_at_risk_filter_asks_at_once_when_the_page_is_not_loading", async () => {
  await loadDashboard();
  choose("select[name=risk_level]", "medium");

  assert.equal(requests.length, 1);
  assert.equal(query(requests[0]).get("risk_level"), "medium");
  requests[0].respond(200, atRiskCard("medium", "Babis"));
  advance(100, 10);
  assert.equal(page.document.getElementById("rows").textContent, "Babis");
  assert.equal(requests.length, 1);
});
