/* Every staff page: the keyboard-shortcut help ("?"), "/" to search, availability. */
(function () {
  "use strict";

  function typing(e) {
    var t = e.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }
  window.PontonStaff = { typing: typing };

  var help = document.getElementById("shortcuts");
  function openHelp() { if (help && !help.open) help.showModal(); }
  document.querySelectorAll("[data-help-open]").forEach(function (b) { b.addEventListener("click", openHelp); });

  var search = document.querySelector("[data-search]");
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) return;
    if (e.key === "?") { e.preventDefault(); openHelp(); }
    else if (e.key === "/" && search) { e.preventDefault(); search.focus(); search.select(); }
  });

  var availability = document.querySelector("[data-availability]");
  if (availability) availability.addEventListener("change", function () { availability.form.submit(); });
})();
