// static/js/grade-grid.js with the page's htmx: keyboard moves between cells, and saving a
// cell (the request, the cell after success, a refusal, a lost connection, the retry).
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";

import { advance, fakeXhr, key, openPage, restoreTimers, useFakeTimers } from "./helpers.mjs";

const URL_CELL = "/courses/3/grades/cell/";
const STUDENTS = [
  { pk: 11, name: "Alexiou Anna", grades: ["80", ""] },
  { pk: 12, name: "Bekas Babis", grades: ["", "55"] },
  { pk: 13, name: "Christou Chloe", grades: ["70", "90"] },
];
const COLUMNS = ["Midterm", "Final exam"];

// The cell as templates/academics/_grade_cell_td.html renders it.
function cellHtml(student, column, value, { original = value, state = "", error = "" } = {}) {
  const stateClass = state ? ` ${state}` : "";
  return `<td class="cell${stateClass}">
  <form method="post" action="${URL_CELL}" hx-post="${URL_CELL}" hx-trigger="change" hx-target="closest td" hx-swap="outerHTML" hx-sync="this:queue last"><input type="hidden" name="csrfmiddlewaretoken" value="form-token">
    <input type="hidden" name="student" value="${student.pk}">
    <input type="hidden" name="assignment" value="${column}">
    <input class="grade-input" name="grade" inputmode="decimal" autocomplete="off" size="5"
           value="${value}" data-original="${original}"
           aria-label="${student.name}, ${column}"${error ? ' aria-invalid="true"' : ""}>
    ${error ? `<p class="cell-error" role="alert">${error}</p>` : ""}
  </form>
</td>`;
}

function finalHtml(student, text, oob = false) {
  return `<td id="final-${student.pk}" class="num final-col"${oob ? ' hx-swap-oob="true"' : ""}>${text}</td>`;
}

function gridHtml() {
  const rows = STUDENTS.map(
    (student) =>
      `<tr><th scope="row" class="sticky-col"><a href="/students/${student.pk}/">${student.name}</a></th>${student.grades
        .map((value, index) => cellHtml(student, COLUMNS[index], value))
        .join("")}${finalHtml(student, "—")}</tr>`,
  ).join("");
  return `<table class="table grade-grid" id="grade-grid" data-grade-grid><thead><tr><th>Student</th><th>Midterm</th><th>Final exam</th><th>Final grade</th></tr></thead><tbody>${rows}</tbody></table>
  <form id="elsewhere"><input class="grade-input" id="outside" value="1"></form>`;
}

const HEAD = `<meta name="htmx-config" content='{"includeIndicatorStyles": false, "allowEval": false}'>`;

let page;
let requests;

async function load() {
  requests = [];
  page = await openPage(gridHtml(), {
    url: "http://school.test/courses/3/grades/",
    head: HEAD,
    // base.html: hx-headers on <body> carries the CSRF token
    scripts: ["static/vendor/htmx-2.0.11.min.js", "static/js/grade-grid.js"],
    before(window) {
      window.document.body.setAttribute("hx-headers", '{"X-CSRFToken": "page-token"}');
      fakeXhr(window, requests);
    },
  });
  await new Promise((resolve) => setImmediate(resolve)); // htmx processes the page
  return page;
}

function cell(name, column) {
  return page.document.querySelector(`input[aria-label="${name}, ${column}"]`);
}

function focused() {
  return page.document.activeElement.getAttribute("aria-label");
}

// The user types a new value and leaves the cell: the browser fires "change", then focusout.
function typeAndLeave(input, value) {
  input.focus();
  input.value = value;
  input.dispatchEvent(new page.window.Event("change", { bubbles: true }));
  input.blur();
}

function settle() {
  advance(100, 10); // htmx swaps at once and settles after 20 ms
}

beforeEach(() => {
  useFakeTimers();
});

afterEach(() => {
  // real timers first: closing the window clears its timers (Node 18's mock trips on that)
  restoreTimers();
  const errors = page ? page.errors : [];
  if (page) page.close();
  page = null;
  assert.deepEqual(errors, [], "no script error on the page");
});

describe("keyboard", () => {
  test("grade_grid_enter_moves_to_the_next_student_in_the_same_assignment", async () => {
    await load();
    const start = cell("Alexiou Anna", "Final exam");
    start.focus();

    const event = key(start, "Enter");

    assert.equal(focused(), "Bekas Babis, Final exam");
    assert.equal(event.defaultPrevented, true);
  });

  test("grade_grid_shift_enter_moves_to_the_previous_student", async () => {
    await load();
    const start = cell("Christou Chloe", "Midterm");
    start.focus();

    key(start, "Enter", { shiftKey: true });

    assert.equal(focused(), "Bekas Babis, Midterm");
  });

  test("grade_grid_enter_on_the_last_row_leaves_the_cell_without_submitting", async () => {
    await load();
    const last = cell("Christou Chloe", "Midterm");
    last.focus();

    const event = key(last, "Enter");

    assert.equal(event.defaultPrevented, true);
    assert.equal(page.document.activeElement, page.document.body);
  });

  test("grade_grid_arrow_down_and_up_move_between_students", async () => {
    await load();
    const start = cell("Alexiou Anna", "Midterm");
    start.focus();

    key(start, "ArrowDown");
    const afterDown = focused();
    key(page.document.activeElement, "ArrowDown");
    key(page.document.activeElement, "ArrowUp");

    assert.equal(afterDown, "Bekas Babis, Midterm");
    assert.equal(focused(), "Bekas Babis, Midterm");
  });

  test("grade_grid_arrows_stop_at_the_edges_of_the_grid", async () => {
    await load();
    const first = cell("Alexiou Anna", "Midterm");
    first.focus();

    const up = key(first, "ArrowUp");
    const left = key(first, "ArrowLeft");

    assert.equal(focused(), "Alexiou Anna, Midterm");
    assert.equal(up.defaultPrevented, false);
    assert.equal(left.defaultPrevented, false);
  });

  test("grade_grid_arrow_right_moves_to_the_next_assignment_when_the_text_is_selected", async () => {
    await load();
    const start = cell("Alexiou Anna", "Midterm");
    start.focus(); // entering a cell selects its content

    const event = key(start, "ArrowRight");

    assert.equal(focused(), "Alexiou Anna, Final exam");
    assert.equal(event.defaultPrevented, true);
  });

  test("grade_grid_arrow_left_moves_the_caret_inside_the_text_before_leaving", async () => {
    await load();
    const start = cell("Christou Chloe", "Final exam"); // "90"
    start.focus();
    start.setSelectionRange(1, 1); // caret between 9 and 0

    const inside = key(start, "ArrowLeft");
    start.setSelectionRange(0, 0);
    key(start, "ArrowLeft");

    assert.equal(inside.defaultPrevented, false); // the browser moves the caret
    assert.equal(focused(), "Christou Chloe, Midterm");
  });

  test("grade_grid_arrow_right_at_the_end_of_the_text_moves_on", async () => {
    await load();
    const start = cell("Christou Chloe", "Midterm"); // "70"
    start.focus();
    start.setSelectionRange(0, 0);

    key(start, "ArrowRight");
    const stayed = focused();
    start.setSelectionRange(2, 2);
    key(start, "ArrowRight");

    assert.equal(stayed, "Christou Chloe, Midterm");
    assert.equal(focused(), "Christou Chloe, Final exam");
  });

  test("grade_grid_entering_a_cell_selects_its_content", async () => {
    await load();
    const target = cell("Christou Chloe", "Final exam");

    target.focus();

    assert.equal(target.selectionStart, 0);
    assert.equal(target.selectionEnd, 2);
  });

  test("grade_grid_escape_restores_the_saved_value", async () => {
    await load();
    const target = cell("Alexiou Anna", "Midterm");
    target.focus();
    target.value = "8";

    const event = key(target, "Escape");

    assert.equal(target.value, "80");
    assert.equal(event.defaultPrevented, true);
    assert.equal(requests.length, 0);
  });

  test("grade_grid_escape_on_an_empty_cell_empties_it_again", async () => {
    await load();
    const target = cell("Bekas Babis", "Midterm");
    target.focus();
    target.value = "12";

    key(target, "Escape");

    assert.equal(target.value, "");
  });

  test("grade_grid_other_keys_are_left_to_the_browser", async () => {
    await load();
    const target = cell("Alexiou Anna", "Midterm");
    target.focus();

    const tab = key(target, "Tab");
    const digit = key(target, "7");

    assert.equal(tab.defaultPrevented, false);
    assert.equal(digit.defaultPrevented, false);
    assert.equal(focused(), "Alexiou Anna, Midterm");
  });

  test("grade_grid_keys_outside_a_grid_do_nothing", async () => {
    await load();
    const outside = page.document.getElementById("outside");
    outside.focus();

    const event = key(outside, "Enter");

    assert.equal(event.defaultPrevented, false);
    assert.equal(page.document.activeElement, outside);
  });
});

describe("saving", () => {
  test("grade_grid_change_posts_the_cell_with_the_csrf_token", async () => {
    await load();

    typeAndLeave(cell("Bekas Babis", "Midterm"), "67,5");

    assert.equal(requests.length, 1);
    const [request] = requests;
    assert.equal(request.method, "POST");
    assert.equal(request.url, URL_CELL);
    assert.equal(request.requestHeaders["HX-Request"], "true");
    assert.equal(request.requestHeaders["X-CSRFToken"], "page-token");
    assert.equal(request.form.get("student"), "12");
    assert.equal(request.form.get("assignment"), "Midterm");
    assert.equal(request.form.get("grade"), "67,5");
    assert.equal(request.form.get("csrfmiddlewaretoken"), "form-token");
  });

  test("grade_grid_saved_cell_is_replaced_by_the_servers_cell_and_final_grade", async () => {
    await load();
    const student = STUDENTS[1];
    typeAndLeave(cell("Bekas Babis", "Midterm"), "67.50");

    requests[0].respond(
      200,
      cellHtml(student, "Midterm", "67.5", { state: "saved" }) +
        finalHtml(student, '<span class="final final-pass"><strong>60.00</strong></span>', true),
    );
    settle();

    const saved = cell("Bekas Babis", "Midterm");
    assert.equal(saved.value, "67.5");
    assert.equal(saved.dataset.original, "67.5");
    assert.ok(saved.closest("td").classList.contains("saved"));
    assert.equal(page.document.getElementById("final-12").textContent, "60.00");
    assert.equal(page.document.querySelectorAll("#grade-grid td.cell").length, 6);
  });

  test("grade_grid_invalid_grade_shows_the_servers_message_in_the_cell", async () => {
    await load();
    const student = STUDENTS[0];
    typeAndLeave(cell("Alexiou Anna", "Final exam"), "abc");

    requests[0].respond(
      200,
      cellHtml(student, "Final exam", "abc", { original: "", state: "has-error", error: "Enter a number." }),
    );
    settle();

    const target = cell("Alexiou Anna", "Final exam");
    assert.equal(target.value, "abc");
    assert.equal(target.getAttribute("aria-invalid"), "true");
    assert.equal(target.closest("td").querySelector(".cell-error").textContent, "Enter a number.");
  });

  test("grade_grid_refused_save_shows_the_refusal_in_the_cell", async () => {
    await load();
    const target = cell("Alexiou Anna", "Midterm");
    typeAndLeave(target, "75");

    requests[0].respond(400, "Unknown student or assignment.");
    settle();

    const td = target.closest("td");
    assert.equal(target.value, "75"); // what was typed stays
    assert.ok(td.classList.contains("has-error"));
    assert.equal(td.querySelector(".cell-error").textContent, "Unknown student or assignment.");
    assert.equal(td.querySelector(".cell-error").getAttribute("role"), "alert");
    assert.equal(target.getAttribute("aria-invalid"), "true");
  });

  test("grade_grid_refusal_with_an_error_page_gets_a_sentence_not_the_page", async () => {
    await load();
    const target = cell("Alexiou Anna", "Midterm");
    typeAndLeave(target, "75");

    requests[0].respond(403, "<!DOCTYPE html><h1>Forbidden <script>window.pwned=1</script></h1>");
    settle();

    const note = target.closest("td").querySelector(".cell-error");
    assert.match(note.textContent, /^Not saved: the server could not store this grade/);
    assert.equal(note.children.length, 0);
    assert.equal(page.window.pwned, undefined);
  });

  test("grade_grid_server_error_says_the_grade_was_not_saved", async () => {
    await load();
    const target = cell("Christou Chloe", "Midterm");
    typeAndLeave(target, "71");

    requests[0].respond(503, "Service unavailable", { "retry-after": "5" });
    settle();

    const td = target.closest("td");
    assert.ok(td.classList.contains("has-error"));
    assert.ok(!td.classList.contains("saved"));
    assert.match(td.querySelector(".cell-error").textContent, /Not saved/);
  });

  test("grade_grid_lost_connection_says_so_in_the_cell", async () => {
    await load();
    const target = cell("Bekas Babis", "Final exam");
    typeAndLeave(target, "58");

    requests[0].fail();
    settle();

    const td = target.closest("td");
    assert.equal(target.value, "58");
    assert.ok(td.classList.contains("has-error"));
    assert.equal(td.querySelector(".cell-error").textContent, "Not saved: no connection. Press Enter to try again.");
  });

  test("grade_grid_failure_message_is_translated", async () => {
    await load();
    const catalog = { "Not saved: no connection. Press Enter to try again.": "Δεν αποθηκεύτηκε." };
    page.window.gettext = (text) => catalog[text] || text;
    const target = cell("Bekas Babis", "Final exam");
    typeAndLeave(target, "58");

    requests[0].fail();

    assert.equal(target.closest("td").querySelector(".cell-error").textContent, "Δεν αποθηκεύτηκε.");
  });

  test("grade_grid_failed_cell_is_sent_again_when_left", async () => {
    await load();
    const target = cell("Bekas Babis", "Final exam");
    typeAndLeave(target, "58");
    requests[0].fail();

    target.focus();
    key(target, "Enter"); // moves on, so the cell is left unchanged

    assert.equal(requests.length, 2);
    assert.equal(requests[1].form.get("grade"), "58");
    assert.equal(focused(), "Christou Chloe, Final exam");
  });

  test("grade_grid_retry_that_succeeds_clears_the_message", async () => {
    await load();
    const student = STUDENTS[1];
    const target = cell("Bekas Babis", "Final exam");
    typeAndLeave(target, "58");
    requests[0].fail();
    target.focus();
    target.blur();

    requests[1].respond(
      200,
      cellHtml(student, "Final exam", "58", { state: "saved" }) + finalHtml(student, "58.00", true),
    );
    settle();

    const td = cell("Bekas Babis", "Final exam").closest("td");
    assert.ok(td.classList.contains("saved"));
    assert.equal(td.querySelector(".cell-error"), null);
    assert.equal(page.document.getElementById("final-12").textContent, "58.00");
  });

  test("grade_grid_changed_value_after_a_failure_is_sent_once", async () => {
    await load();
    const target = cell("Bekas Babis", "Final exam");
    typeAndLeave(target, "58");
    requests[0].fail();

    typeAndLeave(target, "59");

    assert.equal(requests.length, 2);
    assert.equal(requests[1].form.get("grade"), "59");
  });

  test("grade_grid_leaving_a_saved_cell_sends_nothing", async () => {
    await load();
    const target = cell("Alexiou Anna", "Midterm");

    target.focus();
    key(target, "Enter");
    page.document.activeElement.blur();

    assert.equal(requests.length, 0);
  });

  test("grade_grid_escape_after_a_failure_restores_the_saved_value_and_clears_it", async () => {
    await load();
    const target = cell("Alexiou Anna", "Midterm");
    typeAndLeave(target, "75");
    requests[0].fail();
    target.focus();

    key(target, "Escape");
    target.blur();

    const td = target.closest("td");
    assert.equal(target.value, "80");
    assert.equal(td.querySelector(".cell-error"), null);
    assert.ok(!td.classList.contains("has-error"));
    assert.equal(target.hasAttribute("aria-invalid"), false);
    assert.equal(requests.length, 1); // nothing sent again
  });

  test("grade_grid_second_failure_keeps_one_message", async () => {
    await load();
    const target = cell("Alexiou Anna", "Midterm");
    typeAndLeave(target, "75");
    requests[0].fail();
    target.focus();
    target.blur();

    requests[1].respond(502, "<html>Bad gateway</html>");

    const notes = target.closest("td").querySelectorAll(".cell-error");
    assert.equal(notes.length, 1);
    assert.match(notes[0].textContent, /could not store/);
  });
});
