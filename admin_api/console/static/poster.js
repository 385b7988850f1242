// The poster's "Print" button: shown only where a script runs (without one, the
// browser's own Print menu does the same).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print");
  if (!button) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    window.print();
  });
});
