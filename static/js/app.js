/* Behaviour that used to sit in inline attributes, which the Content-Security-Policy does
 * not run: <select data-autosubmit> submits its form on change, and <form data-confirm="…">
 * asks before it submits, then sends confirmed=1 (a server that asks again when the field
 * is missing, as the import rollback does, then need not: a click before this script has
 * run is asked there). A region htmx is refreshing carries aria-busy until its answer is
 * in. Delegated from the document, so fragments swapped in by htmx work too. Loaded with
 * `defer` on every page. */
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

  // While htmx fetches a region's new content, the region says it is busy: the pages dim
  // it through hx-indicator (a whole school's figures over a range take seconds), and
  // aria-busy tells assistive technology not to read the old figures as current. Marked
  // when the request is sent (htmx:beforeSend), not when it is asked for: a request a
  // listener cancels in htmx:beforeRequest never ends with htmx:afterRequest.
  document.addEventListener("htmx:beforeSend", function (event) {
    var region = event.detail && event.detail.target;
    if (region && region.setAttribute) region.setAttribute("aria-busy", "true");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var region = event.detail && event.detail.target;
    if (region && region.removeAttribute) region.removeAttribute("aria-busy");
  });
})();
