// Live preview for the SIM form: the same request as its Preview button, sent as you type,
// and the server's preview (or field errors) put in place. Without JavaScript, the button.
"use strict";
(function () {
  var form = document.querySelector("form.sim-form");
  if (!form || !window.fetch || !window.DOMParser) {
    return;
  }
  var timer = null;
  var sent = 0;
  function refresh() {
    var data = new FormData(form);
    data.delete("save");
    data.set("preview", "1");
    var mine = ++sent;
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null || mine !== sent) {
          return;  // a newer request is on its way, or the server refused: keep the page
        }
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("preview");
        var current = document.getElementById("preview");
        var slot = document.getElementById("preview-slot");
        if (current) {
          current.remove();
        }
        if (fresh && slot) {
          slot.appendChild(document.adoptNode(fresh));
        }
      })
      .catch(function () { /* offline: the Preview button still works */ });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
})();
