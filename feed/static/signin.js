// The sign-in address the server prints (/signin#token=…) signs in at once. The token is in
// the fragment, which the browser never sends: it is taken out of the address bar and
// history first, then put in the form, which is posted as if typed.
"use strict";
(function () {
  var match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  var field = document.getElementById("token");
  if (!match || !field || !field.form) {
    return;
  }
  history.replaceState(null, "", window.location.pathname + window.location.search);
  field.value = decodeURIComponent(match[1]);
  field.form.submit();
})();
