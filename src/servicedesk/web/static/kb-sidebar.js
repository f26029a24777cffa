// The ticket page's "Suggested articles and scripts": put a script (already filled in by the
// server with the customer's name, the agent's, the ticket number) or an article link into the
// reply box at the cursor. A variable the server could not fill ({order_no}) is selected so the
// agent types over it.
(function () {
  "use strict";
  var PLACEHOLDER = /\{[a-z_][a-z0-9_]*\}/;

  function insert(box, text) {
    var start = box.selectionStart, end = box.selectionEnd, value = box.value;
    var before = value.slice(0, start), after = value.slice(end);
    var gap = before && !/\s$/.test(before) ? "\n" : "";
    box.value = before + gap + text + after;
    var at = before.length + gap.length;
    var hole = PLACEHOLDER.exec(text);
    box.focus();
    if (hole) {
      box.setSelectionRange(at + hole.index, at + hole.index + hole[0].length);
    } else {
      box.setSelectionRange(at + text.length, at + text.length);
    }
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-kb-text], [data-kb-link]");
    if (!button) return;
    var box = document.querySelector('form.reply textarea[name="body"]');
    if (!box) return;
    var text = button.getAttribute("data-kb-text");
    if (text === null) {
      text = button.getAttribute("data-kb-title") + " " + window.location.origin + button.getAttribute("data-kb-link");
    }
    insert(box, text);
  });
})();
