// Copy-to-clipboard for the feed address. Without JavaScript the button stays hidden
// and the address stands in a read-only field, ready to be selected.
"use strict";
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var field = document.getElementById(button.dataset.copy);
  var status = document.querySelector('[data-copy-status="' + button.dataset.copy + '"]');
  if (!field) {
    return;
  }
  field.addEventListener("focus", function () { field.select(); });
  button.hidden = false;
  button.addEventListener("click", function () {
    function done(message) {
      if (status) {
        status.textContent = message;
      }
    }
    if (!navigator.clipboard) {
      field.select();
      done(button.dataset.failed);
      return;
    }
    navigator.clipboard.writeText(field.value).then(
      function () { done(button.dataset.copied); },
      function () { field.select(); done(button.dataset.failed); }
    );
  });
});
