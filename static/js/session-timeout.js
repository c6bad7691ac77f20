// The idle time-out warning. The server signs a person out after data-idle-seconds without activity
// (clinic.security.middleware.SessionPolicyMiddleware); this opens the dialog in base.html data-warn-seconds before,
// and "Stay signed in" pings the keep-alive address, which counts as activity. Polls that refresh a page by
// themselves (htmx "every 30s") are marked as background requests so that they do not keep a session alive.
(function () {
  "use strict";

  var body = document.body;
  var idleSeconds = parseInt(body.dataset.idleSeconds || "0", 10);
  var warnSeconds = parseInt(body.dataset.warnSeconds || "120", 10);
  var dialog = document.getElementById("session-timeout");
  if (!idleSeconds || !dialog) return;

  var countdown = dialog.querySelector("[data-countdown]");
  var lastActivity = Date.now();
  var ticker = null;

  function secondsLeft() {
    return Math.round(idleSeconds - (Date.now() - lastActivity) / 1000);
  }

  function describe(seconds) {
    if (seconds >= 90) return Math.round(seconds / 60) + " minutes";
    if (seconds > 1) return seconds + " seconds";
    return "a moment";
  }

  function signedOut() {
    window.location.assign(body.dataset.signedOutUrl + "&next=" + encodeURIComponent(window.location.pathname));
  }

  function tick() {
    var left = secondsLeft();
    if (left <= -3) {
      // A few seconds late, so that the server has ended the session when the sign-in page asks.
      signedOut();
      return;
    }
    if (left <= warnSeconds) {
      if (countdown) countdown.textContent = describe(Math.max(left, 0));
      if (!dialog.open) dialog.showModal();
    } else if (dialog.open) {
      dialog.close();
    }
  }

  function activity() {
    lastActivity = Date.now();
    if (dialog.open) dialog.close();
  }

  function staySignedIn() {
    var csrf = JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    fetch(body.dataset.keepAliveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" },
    }).then(function (response) {
      if (response.ok) {
        activity();
      } else {
        signedOut();
      }
    }, function () { /* offline: the next tick tries again or signs out */ });
  }

  dialog.querySelector("[data-stay-signed-in]").addEventListener("click", staySignedIn);
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();
    staySignedIn();
  });

  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.triggeringEvent) {
      event.detail.headers["X-Background-Refresh"] = "1";
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.requestConfig && !event.detail.requestConfig.headers["X-Background-Refresh"]) activity();
  });

  ticker = window.setInterval(tick, 1000);
  window.addEventListener("pagehide", function () { window.clearInterval(ticker); });
})();
