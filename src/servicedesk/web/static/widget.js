/* servicedesk chat widget: <script src="https://desk.example.com/static/widget.js" defer></script>
 * First-party and dependency-free. Text is only ever set with textContent, never as HTML. */
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = new URL(script ? script.src : location.href).origin;
  var wsUrl = origin.replace(/^http/, "ws") + "/channels/webchat/ws";
  var KEY = "servicedesk.visitor";
  var socket = null, retry = 500, counter = 0;

  function el(tag, style, text) {
    var node = document.createElement(tag);
    if (style) node.style.cssText = style;
    if (text) node.textContent = text;
    return node;
  }
  var box = el("div", "position:fixed;right:20px;bottom:20px;width:320px;height:420px;display:flex;" +
    "flex-direction:column;background:#fff;border:1px solid #d0d7de;border-radius:10px;" +
    "box-shadow:0 8px 24px rgba(0,0,0,.15);font:14px/1.5 -apple-system,'PingFang SC','Noto Sans CJK SC'," +
    "sans-serif;z-index:2147483000;overflow:hidden");
  box.setAttribute("data-servicedesk-chat", "");
  var head = el("div", "background:#0f2744;color:#fff;padding:10px 14px;font-weight:600", "在线客服");
  var log = el("div", "flex:1;overflow-y:auto;padding:10px;background:#f6f8fa");
  log.setAttribute("role", "log");
  var form = el("form", "display:flex;border-top:1px solid #d0d7de");
  var input = el("input", "flex:1;border:0;padding:10px;font:inherit;outline:none");
  input.placeholder = "请输入您的问题…";
  input.setAttribute("aria-label", "message");
  var button = el("button", "border:0;background:#1765d1;color:#fff;padding:0 16px;font:inherit;cursor:pointer", "发送");
  button.type = "submit";
  form.appendChild(input); form.appendChild(button);
  box.appendChild(head); box.appendChild(log); box.appendChild(form);

  var shown = {};
  function show(from, text, id) {
    if (id && shown[id]) return;
    if (id) shown[id] = true;
    var mine = from === "visitor";
    var row = el("div", "display:flex;margin:6px 0;justify-content:" + (mine ? "flex-end" : "flex-start"));
    var bubble = el("div", "max-width:80%;padding:7px 10px;border-radius:8px;white-space:pre-wrap;" +
      "word-break:break-word;background:" + (mine ? "#1765d1;color:#fff" : "#fff;border:1px solid #d0d7de"), text);
    bubble.className = "servicedesk-" + from;
    row.appendChild(bubble); log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }

  function connect() {
    var visitor = localStorage.getItem(KEY) || "";
    socket = new WebSocket(wsUrl + (visitor ? "?visitor=" + encodeURIComponent(visitor) : ""));
    socket.onopen = function () { retry = 500; };
    socket.onmessage = function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "hello") {
        localStorage.setItem(KEY, frame.visitor);
        if (!shown.welcome) { shown.welcome = true; show("agent", frame.welcome); }
      } else if (frame.type === "history") {
        frame.messages.forEach(function (m) { show(m.from, m.body, "s" + m.id); });
      } else if (frame.type === "message") {
        show(frame.from, frame.body, frame.id ? "s" + frame.id : null);
      } else if (frame.type === "notice") {
        show("agent", frame.body);
      } else if (frame.type === "error") {
        show("agent", "（发送失败：" + frame.message + "）");
      }
    };
    socket.onclose = function () {  // reconnect, resuming the history
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    };
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || !socket || socket.readyState !== 1) return;
    var id = "c" + Date.now().toString(36) + "-" + (counter++);
    socket.send(JSON.stringify({ type: "message", id: id, body: text }));
    show("visitor", text, null);
    input.value = "";
  });
  input.addEventListener("input", function () {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify({ type: "typing" }));
  });

  function start() { document.body.appendChild(box); connect(); }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
