/* Live chats for agents: new visitor messages arrive over the staff socket (live.js); replies go through the
 * API with the session's CSRF token. Text is only ever set with textContent. */
(function () {
  "use strict";
  var panes = document.getElementById("chat-panes");
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var canReply = panes.dataset.canReply === "yes";

  function line(pane, who, text) {
    var log = pane.querySelector(".chat-log");
    var row = document.createElement("div");
    row.className = "chat-line from-" + who;
    row.textContent = text;
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }

  function wire(pane) {
    var form = pane.querySelector(".chat-reply");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var input = form.querySelector("input");
      var text = input.value.trim();
      if (!text) return;
      input.disabled = true;
      fetch("/api/v1/tickets/" + pane.dataset.ticket + "/messages", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ kind: "reply", body: text })
      }).then(function (response) {
        if (response.ok) { line(pane, "agent", text); input.value = ""; }
        else { response.json().then(function (e) { line(pane, "error", e.error.message); }); }
      }).finally(function () { input.disabled = false; input.focus(); });
    });
  }

  function paneFor(frame) {
    var pane = panes.querySelector('[data-ticket="' + frame.ticket_id + '"]');
    if (pane) return pane;
    pane = document.createElement("section");
    pane.className = "card chat-pane";
    pane.dataset.ticket = frame.ticket_id;
    var head = document.createElement("header");
    head.className = "chat-pane-head";
    var link = document.createElement("a");
    link.href = "/agent/tickets/" + frame.ticket_id;
    link.textContent = "#" + frame.ticket_id;
    head.appendChild(link);
    head.appendChild(document.createTextNode(" " + frame.subject));
    var log = document.createElement("div");
    log.className = "chat-log";
    log.setAttribute("role", "log");
    pane.appendChild(head); pane.appendChild(log);
    if (canReply) {
      var form = document.createElement("form");
      form.className = "chat-reply";
      var input = document.createElement("input");
      input.name = "body"; input.autocomplete = "off";
      input.placeholder = panes.dataset.replyLabel;
      input.setAttribute("aria-label", panes.dataset.replyLabel);
      var button = document.createElement("button");
      button.type = "submit"; button.className = "primary"; button.textContent = panes.dataset.sendLabel;
      form.appendChild(input); form.appendChild(button); pane.appendChild(form);
    }
    panes.prepend(pane);
    wire(pane);
    document.getElementById("chats-empty").hidden = true;
    return pane;
  }

  panes.querySelectorAll(".chat-pane").forEach(wire);
  window.staffLive.on("chat", function (frame) { line(paneFor(frame), "visitor", frame.body); });
})();
