/* The one socket a staff page keeps open to /agent/live. Other scripts subscribe to a frame
 * type with staffLive.on(type, fn); "open" and "close" tell them when it comes and goes. It
 * connects once every deferred script has subscribed, and reconnects with a growing pause. */
(function () {
  "use strict";
  var handlers = {};
  var retry = 500;
  function emit(type, frame) {
    (handlers[type] || []).forEach(function (fn) { fn(frame); });
  }
  function connect() {
    var socket = new WebSocket(location.origin.replace(/^http/, "ws") + "/agent/live");
    socket.onopen = function () { retry = 500; emit("open", {}); };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame && typeof frame.type === "string") emit(frame.type, frame);
    };
    socket.onclose = function () {
      emit("close", {});
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    };
  }
  window.staffLive = {
    on: function (type, fn) { (handlers[type] = handlers[type] || []).push(fn); }
  };
  document.addEventListener("DOMContentLoaded", connect);
})();
