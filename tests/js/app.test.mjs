// static/js/app.js: <select data-autosubmit> submits its form on change; <form data-confirm>
// asks first and, once accepted, sends confirmed=1; a region htmx refreshes is busy until its
// answer is in. Delegated from the document, so fragments swapped in later work too.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { advance, fakeXhr, openPage, restoreTimers, useFakeTimers } from "./helpers.mjs";

let page;
let submitted;
let asked;

async function load(body, { answer = true } = {}) {
  submitted = [];
  asked = [];
  page = await openPage(body, {
    scripts: ["static/js/app.js"],
    before(window) {
      // jsdom does not navigate: record the submission instead
      window.HTMLFormElement.prototype.submit = function () {
        submitted.push(this.id);
      };
      window.confirm = (question) => {
        asked.push(question);
        return answer;
      };
    },
  });
  return page;
}

function change(element) {
  element.dispatchEvent(new page.window.Event("change", { bubbles: true }));
}

function submit(form) {
  const event = new page.window.Event("submit", { bubbles: true, cancelable: true });
  form.dispatchEvent(event);
  return event;
}

afterEach(() => {
  restoreTimers(); // the tests that fake them (htmx settles on a timer)
  const errors = page ? page.errors : [];
  if (page) page.close();
  page = null;
  assert.deepEqual(errors, [], "no script error on the page");
});

const LANGUAGE = `<form id="language" method="post" action="/i18n/setlang/">
  <select name="language" data-autosubmit><option value="en">EN</option><option value="el">EL</option></select>
  <select name="other"><option>a</option><option>b</option></select></form>`;

test("app_autosubmit_select_submits_its_form_on_change", async () => {
  await load(LANGUAGE);
  const select = page.document.querySelector("select[data-autosubmit]");

  select.value = "el";
  change(select);

  assert.deepEqual(submitted, ["language"]);
});

test("app_plain_select_does_not_submit", async () => {
  await load(LANGUAGE);

  change(page.document.querySelector("select[name=other]"));

  assert.deepEqual(submitted, []);
});

test("app_autosubmit_works_in_a_fragment_added_later", async () => {
  await load("<main></main>");
  page.document.querySelector("main").innerHTML =
    '<form id="late"><select data-autosubmit><option>x</option></select></form>';

  change(page.document.querySelector("#late select"));

  assert.deepEqual(submitted, ["late"]);
});

test("app_autosubmit_outside_a_form_is_ignored", async () => {
  await load("<select data-autosubmit><option>x</option></select>");

  change(page.document.querySelector("select"));

  assert.deepEqual(submitted, []);
});

const ROLLBACK = `<form id="rollback" method="post" data-confirm="Roll back this import? 120 grades will be restored.">
  <button type="submit">Roll back</button></form><form id="plain" method="post"></form>`;

test("app_confirm_form_asks_and_stops_when_declined", async () => {
  await load(ROLLBACK, { answer: false });

  const event = submit(page.document.getElementById("rollback"));

  assert.deepEqual(asked, ["Roll back this import? 120 grades will be restored."]);
  assert.equal(event.defaultPrevented, true);
});

test("app_confirm_form_asks_and_stops_when_declined_without_marking_it", async () => {
  await load(ROLLBACK, { answer: false });
  const form = page.document.getElementById("rollback");

  submit(form);

  assert.equal(new page.window.FormData(form).get("confirmed"), null);
});

test("app_confirm_form_submits_when_accepted", async () => {
  await load(ROLLBACK, { answer: true });

  const event = submit(page.document.getElementById("rollback"));

  assert.equal(asked.length, 1);
  assert.equal(event.defaultPrevented, false);
});

test("app_confirm_form_sends_confirmed_once_accepted", async () => {
  // The server asks again when the field is missing (a click before this script ran).
  await load(ROLLBACK, { answer: true });
  const form = page.document.getElementById("rollback");

  submit(form);
  submit(form);

  assert.deepEqual(new page.window.FormData(form).getAll("confirmed"), ["1"]);
});

test("app_form_without_confirm_submits_without_asking", async () => {
  await load(ROLLBACK, { answer: false });

  const event = submit(page.document.getElementById("plain"));

  assert.deepEqual(asked, []);
  assert.equal(event.defaultPrevented, false);
});

// The analytics filters as templates/analytics/dashboard.html renders them.
const FILTERS = `<form id="analytics-filters" method="get" action="/analytics/"
      hx-get="/analytics/" hx-trigger="change" hx-target="#analytics-body" hx-swap="innerHTML"
      hx-indicator="#analytics-body">
  <input type="date" name="date_from" value=""></form>
<div id="analytics-body"><div class="an-body"><p id="figure">old figures</p></div></div>`;

let requests;

async function loadFilters() {
  useFakeTimers();
  requests = [];
  page = await openPage(FILTERS, {
    scripts: ["static/vendor/htmx-2.0.11.min.js", "static/js/app.js"],
    before(window) {
      fakeXhr(window, requests);
    },
  });
  await new Promise((resolve) => setImmediate(resolve)); // htmx processes the page
  const input = page.document.querySelector("input[name=date_from]");
  input.value = "2026-10-14";
  input.dispatchEvent(new page.window.Event("change", { bubbles: true }));
  return page.document.getElementById("analytics-body");
}

test("app_region_htmx_refreshes_is_busy_until_its_answer_is_in", async () => {
  const body = await loadFilters();

  assert.equal(requests.length, 1);
  assert.match(requests[0].url, /date_from=2026-10-14/);
  // Dimmed by analytics.css (#analytics-body.htmx-request) and marked for screen readers.
  assert.equal(body.classList.contains("htmx-request"), true);
  assert.equal(body.getAttribute("aria-busy"), "true");
  assert.equal(page.document.getElementById("figure").textContent, "old figures");

  requests[0].respond(200, '<div class="an-body"><p id="figure">new figures</p></div>');
  advance(100, 10); // htmx swaps at once and settles after 20 ms

  assert.equal(page.document.getElementById("figure").textContent, "new figures");
  assert.equal(body.classList.contains("htmx-request"), false);
  assert.equal(body.hasAttribute("aria-busy"), false);
});

test("app_region_is_not_left_busy_when_its_request_fails", async () => {
  const body = await loadFilters();

  assert.equal(body.getAttribute("aria-busy"), "true");

  requests[0].respond(500, "Server error");
  advance(100, 10);

  assert.equal(body.hasAttribute("aria-busy"), false);
  assert.equal(body.classList.contains("htmx-request"), false);
  assert.equal(page.document.getElementById("figure").textContent, "old figures");
});
