// static/js/admin-export.js: the admin export page's "Select all" box.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { openPage } from "./helpers.mjs";

// The shape of django-import-export's selectable-fields export form.
const PAGE = `<form id="export">
  <div class="form-row aligned"><select name="format"><option>CSV</option></select></div>
  <div class="selectable-field-export-row" resource-index="0">
    <input type="checkbox" class="select-toggle" name="select-all-toggle" checked>
    <label><input type="checkbox" name="grade_student" checked> Student</label>
    <label><input type="checkbox" name="grade_course" checked> Course</label>
    <label><input type="checkbox" name="grade_grade"> Grade</label>
  </div>
  <label><input type="checkbox" name="export_items" id="outside" checked> Only selected rows</label>
</form>`;

let page;

async function load() {
  page = await openPage(PAGE, {
    url: "http://school.test/admin/academics/grade/export/",
    scripts: ["static/js/admin-export.js"],
  });
  return page;
}

function fields() {
  const boxes = page.document.querySelectorAll(".selectable-field-export-row input[name^=grade_]");
  return Array.from(boxes).map((box) => box.checked);
}

function toggle(checked) {
  const box = page.document.querySelector("input.select-toggle");
  box.checked = checked;
  box.dispatchEvent(new page.window.Event("change", { bubbles: true }));
}

afterEach(() => {
  const errors = page ? page.errors : [];
  if (page) page.close();
  page = null;
  assert.deepEqual(errors, [], "no script error on the page");
});

test("admin_export_unticking_select_all_unticks_every_field", async () => {
  await load();

  toggle(false);

  assert.deepEqual(fields(), [false, false, false]);
});

test("admin_export_ticking_select_all_ticks_every_field", async () => {
  await load();

  toggle(true);

  assert.deepEqual(fields(), [true, true, true]);
});

test("admin_export_leaves_boxes_outside_the_field_list_alone", async () => {
  await load();

  toggle(false);

  assert.equal(page.document.getElementById("outside").checked, true);
});

test("admin_export_other_checkboxes_do_not_toggle_the_list", async () => {
  await load();
  const course = page.document.querySelector("input[name=grade_course]");

  course.checked = false;
  course.dispatchEvent(new page.window.Event("change", { bubbles: true }));

  assert.deepEqual(fields(), [true, false, false]);
});
