/* Behaviour that used to sit in inline attributes, which the Content-Security-Policy does
 * not run: <select data-autosubmit> submits its form on change, and <form data-confirm="…">
 * asks before it submits, then sends confirmed=1 (a server that asks again when the field
 * is missing, as the import rollback does, then need not: a click before this script has
 * run is asked there). Delegated from the document, so fragments swapped in by htmx work
 * too. Loaded with `defer` on every page. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.form && field.hasAttribute && field.hasAttribute("data-autosubmit")) {
      field.form.submit();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (!question) return;
    if (!window.confirm(question)) {
      event.preventDefault();
      return;
    }
    if (!form.querySelector("input[name=confirmed]")) {
      var confirmed = document.createElement("input");
      confirmed.type = "hidden";
      confirmed.name = "confirmed";
      confirmed.value = "1";
      form.appendChild(confirmed);
    }
  });
})();
