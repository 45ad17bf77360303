// Cooperation pages: the report's print button (the page prints on A4 by its stylesheet).
document.querySelectorAll(".cr-print").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
