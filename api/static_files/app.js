// The header menu on narrow screens: the button opens and closes it; Escape or a click
// elsewhere closes it. Written for gridmgmt; no library.
(function () {
  "use strict";
  var bar = document.querySelector(".gm-bar.gm-has-menu");
  if (!bar) { return; }
  var button = bar.querySelector(".gm-menu-toggle");
  function setOpen(open) {
    bar.classList.toggle("gm-open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  button.addEventListener("click", function (event) {
    event.stopPropagation();
    setOpen(!bar.classList.contains("gm-open"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { setOpen(false); }
  });
  document.addEventListener("click", function (event) {
    if (!bar.contains(event.target)) { setOpen(false); }
  });
})();

// Behaviour declared in the markup, so pages need no inline handlers (the CSP forbids them):
// <select data-autosubmit> submits its form when changed; <form data-no-submit> never submits.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("[data-autosubmit]") && target.form) {
      target.form.submit();
    }
  });
  document.addEventListener("submit", function (event) {
    if (event.target && event.target.matches && event.target.matches("[data-no-submit]")) {
      event.preventDefault();
    }
  });
})();
