// The unread count beside "Notifications" in the top bar, refreshed every minute.
(function () {
  "use strict";
  var badge = document.querySelector("[data-unread]");
  if (!badge) { return; }
  function refresh() {
    fetch("/api/v1/notifications/unread", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        badge.textContent = body.unread > 99 ? "99+" : String(body.unread);
        badge.hidden = body.unread === 0;
      })
      .catch(function () { /* offline for a moment: keep the last count */ });
  }
  refresh();
  setInterval(refresh, 60000);
})();
