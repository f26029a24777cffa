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

  // an empty pane: a card with a heading and a log for its lines
  function newPane(className, heading) {
    var pane = document.createElement("section");
    pane.className = className;
    var head = document.createElement("header");
    head.className = "chat-pane-head";
    heading(head);
    var log = document.createElement("div");
    log.className = "chat-log";
    log.setAttribute("role", "log");
    pane.appendChild(head); pane.appendChild(log);
    return pane;
  }

  function paneFor(frame) {
    var pane = panes.querySelector('[data-ticket="' + frame.ticket_id + '"]');
    if (pane) return pane;
    pane = newPane("card chat-pane", function (head) {
      var link = document.createElement("a");
      link.href = "/agent/tickets/" + frame.ticket_id;
      link.textContent = "#" + frame.ticket_id;
      head.appendChild(link);
      head.appendChild(document.createTextNode(" " + frame.subject));
    });
    pane.dataset.ticket = frame.ticket_id;
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

  // the bot's conversations, for those who watch it: lines as they come, a new pane for a new
  // conversation, and the pane goes once the bot has handed the conversation to a person
  var botPanes = document.getElementById("bot-panes");
  function botPaneFor(frame) {
    var pane = botPanes.querySelector('[data-conversation="' + frame.conversation_id + '"]');
    if (pane) return pane;
    pane = newPane("card chat-pane bot-pane", function (head) { head.textContent = frame.customer; });
    pane.dataset.conversation = frame.conversation_id;
    if (botPanes.dataset.canTake === "yes") {
      var form = document.createElement("form");
      form.method = "post"; form.className = "chat-take";
      form.action = "/agent/chats/bot/" + encodeURIComponent(frame.conversation_id) + "/take";
      var token = document.createElement("input");
      token.type = "hidden"; token.name = "csrf"; token.value = csrf;
      var button = document.createElement("button");
      button.type = "submit"; button.className = "primary"; button.textContent = botPanes.dataset.takeLabel;
      form.appendChild(token); form.appendChild(button); pane.appendChild(form);
    }
    botPanes.prepend(pane);
    document.getElementById("bot-empty").hidden = true;
    return pane;
  }
  if (botPanes) {
    window.staffLive.on("bot_chat", function (frame) {
      if (frame.handed_off) {
        var gone = botPanes.querySelector('[data-conversation="' + frame.conversation_id + '"]');
        if (gone) gone.remove();
        return;
      }
      var pane = botPaneFor(frame);
      frame.lines.forEach(function (l) { line(pane, l.from === "visitor" ? "visitor" : "bot", l.body); });
    });
  }
})();
