// Session page: counts down to the next vitals due. The server renders the due time (data-due, epoch milliseconds) and
// refreshes it with every htmx poll; this only ticks the text between polls. No inline scripts (CSP).
(function () {
  "use strict";

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var due = Number(el.getAttribute("data-due"));
      if (isNaN(due)) return;
      var seconds = Math.round((due - now) / 1000);
      var overdue = seconds <= 0;
      var abs = Math.abs(seconds);
      var text = abs >= 3600
        ? Math.floor(abs / 3600) + " h " + Math.floor((abs % 3600) / 60) + " min"
        : Math.floor(abs / 60) + ":" + pad(abs % 60);
      el.textContent = overdue ? "overdue by " + text : "in " + text;
      el.classList.toggle("timer--overdue", overdue);
    });
  }

  tick();
  setInterval(tick, 1000);

  // A refused form comes back with the whole page (400): bring its first field in error into view, and the cursor
  // into it, so the nurse does not have to look for the form among the others.
  var refused = document.querySelector('main [aria-invalid="true"], main .form-errors, main .errorlist');
  if (refused) {
    var folded = refused.closest("details");
    if (folded) folded.open = true;
    refused.scrollIntoView({ block: "center" });
    if (refused.matches("[aria-invalid='true']")) refused.focus({ preventScroll: true });
  }
})();
