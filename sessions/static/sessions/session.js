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
})();
