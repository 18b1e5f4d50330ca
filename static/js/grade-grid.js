// Keyboard moves in the grade grid: Enter/↓ next student, Shift+Enter/↑ previous,
// ←/→ (at the edge of the text) other assignments, Esc restores the saved value.
// Saving itself is HTMX: each cell posts on "change", which fires when focus leaves.
(function () {
  "use strict";

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
})();
