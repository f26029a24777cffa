/* The unread count beside "Notifications" in the top bar. New notifications arrive over the
 * staff socket (live.js) within seconds and show for a moment in a corner; the count is also
 * read once a minute, which catches anything the socket missed. Text is set with textContent. */
(function () {
  "use strict";
  var badge = document.querySelector("[data-unread]");
  if (!badge) { return; }
  function show(unread) {
    badge.textContent = unread > 99 ? "99+" : String(unread);
    badge.hidden = unread === 0;
  }
  function refresh() {
    fetch("/api/v1/notifications/unread", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body) show(body.unread); })
      .catch(function () { /* offline for a moment: keep the last count */ });
  }
  var shelf = document.createElement("div");
  shelf.className = "toasts";
  shelf.setAttribute("role", "status");
  shelf.setAttribute("aria-live", "polite");
  document.body.appendChild(shelf);
  function toast(frame) {
    var note = document.createElement("a");
    note.className = "toast";
    note.href = frame.ticket_id ? "/agent/notifications/" + encodeURIComponent(frame.id) + "/open" : "/agent/notifications";
    note.textContent = frame.text;
    shelf.appendChild(note);
    setTimeout(function () { note.remove(); }, 10000);
  }
  refresh();
  setInterval(refresh, 60000);
  if (window.staffLive) {
    window.staffLive.on("notification", function (frame) { show(frame.unread); toast(frame); });
    window.staffLive.on("open", refresh);
  }
})();
