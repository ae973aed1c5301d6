// Live preview in the article editor, rendered by the server with the published page's sanitiser.
(function () {
  "use strict";
  var body = document.querySelector("textarea[name=body]");
  var preview = document.getElementById("preview");
  if (!body || !preview) return;
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  var timer = null;
  function refresh() {
    var data = new FormData();
    data.append("body", body.value);
    fetch(preview.dataset.previewUrl, { method: "POST", body: data, headers: { "X-CSRFToken": csrf } })
      .then(function (r) { return r.json(); })
      .then(function (d) { preview.innerHTML = d.html; })
      .catch(function () {});
  }
  body.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 300); });
  if (!preview.innerHTML.trim()) refresh();
})();
