// Small enhancements only: every action also works without JavaScript (plain forms and links).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    // Queue: one checkbox selects every claim on the page.
    var all = document.getElementById("select-all");
    if (all) {
      all.addEventListener("change", function () {
        document.querySelectorAll('input[name="claims"]').forEach(function (box) { box.checked = all.checked; });
      });
    }
  });
})();
