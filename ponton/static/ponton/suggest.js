// Suggestions while typing in any search box marked data-suggest (ARIA combobox pattern).
(function () {
  "use strict";
  var lang = document.documentElement.lang || "fr";
  document.querySelectorAll("input[data-suggest]").forEach(function (input, n) {
    var list = document.createElement("ul");
    list.className = "suggest";
    list.id = "suggest-" + n;
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.parentNode.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    var timer = null, active = -1, controller = null;

    function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; }
    function select(i) {
      var items = list.querySelectorAll("li");
      items.forEach(function (li, j) { li.setAttribute("aria-selected", j === i ? "true" : "false"); });
      active = i;
      if (items[i]) input.setAttribute("aria-activedescendant", items[i].id);
    }
    function show(results) {
      list.textContent = "";
      results.forEach(function (r, i) {
        var li = document.createElement("li"), a = document.createElement("a");
        li.id = list.id + "-" + i; li.setAttribute("role", "option");
        a.href = r.url; a.textContent = r.title; a.tabIndex = -1;
        li.appendChild(a); list.appendChild(li);
      });
      list.hidden = results.length === 0;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
      active = -1;
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { close(); return; }
      timer = setTimeout(function () {
        if (controller) controller.abort();
        controller = new AbortController();
        fetch("/api/v1/articles/suggest?lang=" + lang + "&q=" + encodeURIComponent(q), { signal: controller.signal })
          .then(function (r) { return r.ok ? r.json() : { results: [] }; })
          .then(function (data) { show(data.results || []); })
          .catch(function () {});
      }, 120);
    });
    input.addEventListener("keydown", function (e) {
      var count = list.querySelectorAll("li").length;
      if (list.hidden || !count) return;
      if (e.key === "ArrowDown") { e.preventDefault(); select((active + 1) % count); }
      else if (e.key === "ArrowUp") { e.preventDefault(); select((active - 1 + count) % count); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); window.location = list.querySelectorAll("a")[active].href; }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  });
})();
