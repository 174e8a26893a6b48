/* Copy-link buttons (progressive enhancement): every link stays visible, selectable text; with
   JavaScript and a clipboard, the button next to it (hidden until now) copies it.
   <button class="copy-link" data-copy-target="ID of the link" data-copy-status="ID of a
   role=status element" data-copied="…" data-copy-failed="…" hidden> */
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) {
    return; /* no clipboard: the buttons stay hidden, the links stay text */
  }
  var buttons = document.querySelectorAll("button.copy-link[data-copy-target]");
  Array.prototype.forEach.call(buttons, function (button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (!target) {
      return;
    }
    function say(attribute) {
      if (status) {
        status.textContent = button.getAttribute(attribute) || "";
      }
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = target.getAttribute("href") || target.textContent.trim();
      navigator.clipboard.writeText(text).then(
        function () { say("data-copied"); },
        function () { say("data-copy-failed"); }
      );
    });
  });
})();
