// Live countdown of the SLA clocks on the ticket page: wall time to each deadline instant.
// The deadline itself was computed on the business calendar by the server.
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function text(seconds) {
    var s = Math.abs(Math.floor(seconds));
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    var clock = pad(h) + ":" + pad(m) + ":" + pad(s % 60);
    return d > 0 ? d + "d " + clock : clock;
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = (Date.parse(el.getAttribute("data-due")) - now) / 1000;
      var over = left < 0;
      el.textContent = (over ? el.getAttribute("data-over") : el.getAttribute("data-left")) + " " + text(left);
      el.closest(".clock").classList.toggle("overdue", over);
    });
  }
  tick();
  setInterval(tick, 1000);
})();
