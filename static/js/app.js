/* Behaviour that used to sit in inline attributes, which the Content-Security-Policy does
 * not run: <select data-autosubmit> submits its form on change, and <form data-confirm="…">
 * asks before it submits. Delegated from the document, so fragments swapped in by htmx
 * work too. Loaded with `defer` on every page. */
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
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
