/* Export page: the file arrives as a download and the page stays, so say so, and let
 * people export again after a moment. Scheduled exports submit as usual. */
(function () {
  "use strict";

  var form = document.getElementById("export-form");
  if (!form) return;
  form.addEventListener("submit", function () {
    var schedule = form.querySelector("input[name=schedule]");
    if (schedule && schedule.checked) return;
    var status = document.getElementById("export-status");
    status.innerHTML = document.getElementById("export-started").innerHTML;
    var button = document.getElementById("export-submit");
    button.disabled = true;
    setTimeout(function () { button.disabled = false; }, 2500);
  });
})();
