// Progressive enhancement only: the report reads the same with scripting off.
(function () {
  "use strict";
  document.documentElement.classList.remove("nojs");

  function copyText(text, button) {
    function done() {
      var old = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = old; }, 1200);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
    } else { fallback(text); done(); }
  }
  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text; area.setAttribute("readonly", ""); area.style.position = "fixed"; area.style.opacity = "0";
    document.body.appendChild(area); area.select();
    try { document.execCommand("copy"); } catch (e) { /* the text stays selectable by hand */ }
    document.body.removeChild(area);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.copy");
    if (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (source) { copyText(source.textContent, button); }
      return;
    }
    var toggle = event.target.closest("button[data-toggle]");
    if (toggle) {
      var scope = document.getElementById(toggle.getAttribute("data-scope"));
      var status = toggle.getAttribute("data-toggle");
      var shown = toggle.getAttribute("aria-pressed") !== "false";
      toggle.setAttribute("aria-pressed", shown ? "false" : "true");
      scope.classList.toggle("hide-" + status, shown);
      return;
    }
    var expand = event.target.closest("button[data-expand]");
    if (expand) {
      var open = expand.getAttribute("data-open") !== "true";
      expand.setAttribute("data-open", open ? "true" : "false");
      expand.textContent = open ? "Collapse all" : "Expand all";
      var all = document.querySelectorAll("#" + expand.getAttribute("data-expand") + " details.failure");
      for (var i = 0; i < all.length; i++) { all[i].open = open; }
    }
  });
  // A link from a matrix cell opens the failure it points at.
  function openTarget() {
    if (!location.hash) { return; }
    var node = document.getElementById(location.hash.slice(1));
    if (node && node.tagName === "DETAILS") { node.open = true; node.scrollIntoView({ block: "start" }); }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
