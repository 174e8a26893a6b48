// The credential's language switch on the verifier's result page: shows the chosen language's
// view of the credential without reloading (a page from an upload cannot be fetched again).
// Without JavaScript, the links reload the page with ?cl=<language> where that works.
(function () {
  var nav = document.querySelector(".credential-languages");
  if (!nav) return;
  nav.addEventListener("click", function (event) {
    var link = event.target.closest("[data-show-lang]");
    if (!link) return;
    event.preventDefault();
    var lang = link.getAttribute("data-show-lang");
    document.querySelectorAll(".credential-view").forEach(function (view) {
      view.hidden = view.getAttribute("data-lang") !== lang;
    });
    nav.querySelectorAll("[data-show-lang]").forEach(function (other) {
      if (other === link) other.setAttribute("aria-current", "true");
      else other.removeAttribute("aria-current");
    });
  });
})();
