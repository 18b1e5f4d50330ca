/* The admin export page's "Select all" box (django-import-export wires it with an inline
 * onchange, which the Content-Security-Policy does not run). */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var toggle = event.target;
    if (!toggle.matches || !toggle.matches("input.select-toggle")) return;
    document.querySelectorAll('.selectable-field-export-row input[type="checkbox"]')
      .forEach(function (checkbox) { checkbox.checked = toggle.checked; });
  });
})();
