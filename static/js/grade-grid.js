// Keyboard moves in the grade grid: Enter/↓ next student, Shift+Enter/↑ previous,
// ←/→ (at the edge of the text) other assignments, Esc restores the saved value.
// Saving itself is HTMX: each cell posts on "change", which fires when focus leaves; the
// answer replaces the cell. A save that fails (no connection, or refused) says so in the
// cell and is sent again when the cell is left, since no "change" would fire for it.
(function () {
  "use strict";

  // Django's JavaScript catalog (jsi18n/) may load after this file: look it up when used.
  function gettext(text) {
    return typeof window.gettext === "function" ? window.gettext(text) : text;
  }

  function inputs(grid) {
    return Array.from(grid.querySelectorAll("tbody tr")).map(function (row) {
      return Array.from(row.querySelectorAll("input.grade-input"));
    });
  }

  function position(matrix, input) {
    for (let r = 0; r < matrix.length; r++) {
      const c = matrix[r].indexOf(input);
      if (c !== -1) return [r, c];
    }
    return null;
  }

  function focusCell(matrix, r, c) {
    if (r < 0 || r >= matrix.length) return false;
    const row = matrix[r];
    if (c < 0 || c >= row.length) return false;
    row[c].focus();
    row[c].select();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.classList.contains("grade-input")) return;
    const grid = input.closest("[data-grade-grid]");
    if (!grid) return;
    const matrix = inputs(grid);
    const here = position(matrix, input);
    if (!here) return;
    const [r, c] = here;
    const atStart = input.selectionStart === 0 && input.selectionEnd === 0;
    const atEnd = input.selectionStart === input.value.length;
    const allSelected = input.selectionStart === 0 && input.selectionEnd === input.value.length;
    let moved = false;
    switch (event.key) {
      case "Enter":
        moved = focusCell(matrix, event.shiftKey ? r - 1 : r + 1, c);
        event.preventDefault(); // never submit the cell's form the old way
        if (!moved) input.blur(); // last row: leaving the cell saves it
        return;
      case "ArrowDown":
        moved = focusCell(matrix, r + 1, c);
        break;
      case "ArrowUp":
        moved = focusCell(matrix, r - 1, c);
        break;
      case "ArrowLeft":
        if (atStart || allSelected) moved = focusCell(matrix, r, c - 1);
        break;
      case "ArrowRight":
        if (atEnd || allSelected) moved = focusCell(matrix, r, c + 1);
        break;
      case "Escape":
        input.value = input.dataset.original || "";
        clearSaveFailure(input.closest("td"));
        moved = true;
        break;
      default:
        return;
    }
    if (moved) event.preventDefault();
  });

  // Select the content when a cell is entered, so typing replaces it.
  document.addEventListener("focusin", function (event) {
    const input = event.target;
    if (input instanceof HTMLInputElement && input.classList.contains("grade-input")) {
      input.select();
    }
  });

  // --- a save that did not arrive ------------------------------------------------------------
  function gridCell(element) {
    const cell = element && element.closest ? element.closest("td") : null;
    return cell && cell.closest("[data-grade-grid]") ? cell : null;
  }

  // A short plain-text refusal (the view's 400) is worth showing as it is; anything else
  // (an error page, a proxy's answer) gets a sentence of our own.
  function refusalText(xhr) {
    const body = xhr && xhr.status >= 400 && xhr.status < 500 ? String(xhr.responseText || "").trim() : "";
    if (body && body.length <= 200 && body.indexOf("<") === -1) return body;
    return gettext("Not saved: the server could not store this grade. Press Enter to try again.");
  }

  function showSaveFailure(cell, text) {
    const form = cell.querySelector("form");
    let note = cell.querySelector(".cell-error");
    if (!note) {
      note = document.createElement("p");
      note.className = "cell-error";
      note.setAttribute("role", "alert");
      (form || cell).appendChild(note);
    }
    note.textContent = text;
    cell.classList.remove("saved");
    cell.classList.add("has-error");
    cell.setAttribute("data-save-failed", "");
    const input = cell.querySelector("input.grade-input");
    if (input) input.setAttribute("aria-invalid", "true");
  }

  function clearSaveFailure(cell) {
    if (!cell || !cell.hasAttribute("data-save-failed")) return;
    cell.removeAttribute("data-save-failed");
    cell.classList.remove("has-error");
    const note = cell.querySelector(".cell-error");
    if (note) note.remove();
    const input = cell.querySelector("input.grade-input");
    if (input) input.removeAttribute("aria-invalid");
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    const cell = gridCell(event.target);
    if (cell) cell.removeAttribute("data-save-failed"); // on its way again: no resend on leave
  });

  document.addEventListener("htmx:responseError", function (event) {
    const cell = gridCell(event.target);
    if (cell) showSaveFailure(cell, refusalText(event.detail && event.detail.xhr));
  });

  document.addEventListener("htmx:sendError", function (event) {
    const cell = gridCell(event.target);
    if (cell) showSaveFailure(cell, gettext("Not saved: no connection. Press Enter to try again."));
  });

  // Leaving a failed cell sends it again (a changed value has already gone by "change").
  document.addEventListener("focusout", function (event) {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.classList.contains("grade-input")) return;
    const cell = gridCell(input);
    if (cell && cell.hasAttribute("data-save-failed")) {
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
})();
