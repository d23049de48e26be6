/* Honest Referral pages: small enhancements only; every page works without this file. */
(function () {
  "use strict";

  // "Copy for customer": copy the message; if the clipboard is refused, select it instead.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentElement.querySelector(".copy-status");
    if (!source) return;
    function say(text) { if (status) status.textContent = text; }
    button.addEventListener("click", function () {
      var text = source.value;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () { say("Copied."); },
          function () { source.focus(); source.select(); say("Selected: press Ctrl+C to copy."); }
        );
      } else {
        source.focus();
        source.select();
        say("Selected: press Ctrl+C to copy.");
      }
    });
  });

  // A form posts once: a second click while the first is on its way does nothing.
  var forms = document.querySelectorAll("form[method=post]");
  window.addEventListener("pageshow", function () {  // back to a page kept in memory
    forms.forEach(function (form) { form.removeAttribute("data-sending"); form.removeAttribute("aria-busy"); });
  });
  forms.forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-sending") === "true") {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-sending", "true");
      form.setAttribute("aria-busy", "true");
    });
  });
})();
