// Small behaviours for the clinic's pages. No inline scripts anywhere, so a strict CSP (script-src 'self') holds.
(function () {
  "use strict";

  // Dismiss a notice (partials/messages.html): <button class="notice__close" data-dismiss="notice">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss='notice']");
    if (!button) return;
    var notice = button.closest(".notice");
    if (notice) notice.remove();
    var main = document.getElementById("main");
    if (main) main.focus({ preventScroll: true });
  });
})();
