// Quick exit: leave for a neutral site without leaving this page in the history (the
// link alone works without JavaScript, but then "back" returns here).
document.addEventListener("DOMContentLoaded", function () {
  var link = document.getElementById("quick-exit");
  if (!link) return;
  link.addEventListener("click", function (event) {
    event.preventDefault();
    window.location.replace(link.href);
  });
});
