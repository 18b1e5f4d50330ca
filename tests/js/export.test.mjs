// static/js/export.js: a direct export downloads and the page stays, so it says so and holds
// the button for a moment; a scheduled export submits as usual.
import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { openPage, restoreTimers, useFakeTimers } from "./helpers.mjs";

const PAGE = `<div id="export-status" class="messages" role="status" aria-live="polite"></div>
<form method="post" id="export-form">
  <label><input type="checkbox" name="schedule"> Schedule</label>
  <button type="submit" id="export-submit">Export</button>
</form>
<template id="export-started"><li class="message success">Your export has started: the file downloads in a moment.</li></template>`;

let page;
let timers;

async function load(body = PAGE) {
  page = await openPage(body, { url: "http://school.test/bulk/export/", scripts: ["static/js/export.js"] });
  return page;
}

function submit() {
  const event = new page.window.Event("submit", { bubbles: true, cancelable: true });
  page.document.getElementById("export-form").dispatchEvent(event);
  return event;
}

beforeEach(() => {
  timers = useFakeTimers();
});

afterEach(() => {
  // real timers first: closing the window clears its timers (Node 18's mock trips on that)
  restoreTimers();
  const errors = page ? page.errors : [];
  if (page) page.close();
  page = null;
  assert.deepEqual(errors, [], "no script error on the page");
});

test("export_submit_says_the_download_has_started", async () => {
  await load();

  const event = submit();

  const status = page.document.getElementById("export-status");
  assert.equal(
    status.querySelector("li.message.success").textContent,
    "Your export has started: the file downloads in a moment.",
  );
  assert.equal(event.defaultPrevented, false);
});

test("export_button_is_held_for_two_and_a_half_seconds", async () => {
  await load();
  const button = page.document.getElementById("export-submit");

  submit();
  const right_after = button.disabled;
  timers.tick(2499);
  const just_before = button.disabled;
  timers.tick(1);

  assert.equal(right_after, true);
  assert.equal(just_before, true);
  assert.equal(button.disabled, false);
});

test("export_scheduled_export_submits_as_usual", async () => {
  await load();
  page.document.querySelector("input[name=schedule]").checked = true;

  submit();

  assert.equal(page.document.getElementById("export-status").textContent, "");
  assert.equal(page.document.getElementById("export-submit").disabled, false);
});

test("export_second_export_replaces_the_message", async () => {
  await load();

  submit();
  timers.tick(2500);
  submit();

  assert.equal(page.document.querySelectorAll("#export-status li").length, 1);
});

test("export_script_on_a_page_without_the_form_does_nothing", async () => {
  await load("<main><form id='other'></form></main>");

  page.document.getElementById("other").dispatchEvent(new page.window.Event("submit", { bubbles: true }));

  assert.equal(page.document.querySelector("main").children.length, 1);
});
