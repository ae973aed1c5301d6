// The supervision page re-reads itself when the inbox websocket says something
// changed (pushes carry no data), and once a minute so waiting times keep growing.
(function () {
  "use strict";
  var board = document.getElementById("board");
  var status = document.getElementById("board-status");
  if (!board || !status || !window.fetch) return;
  var pending = null;
  var delay = 1000;

  function refresh() {
    pending = null;
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("board");
        var freshStatus = page.getElementById("board-status");
        if (!fresh) return;
        board.replaceChildren.apply(board, Array.prototype.slice.call(fresh.childNodes));
        if (freshStatus) status.textContent = freshStatus.textContent;
      })
      .catch(function () { /* the next push or the next minute tries again */ });
  }

  function soon() {
    if (pending === null) pending = window.setTimeout(refresh, 700);  // a burst of pushes, one read
  }

  function connect() {
    if (!window.WebSocket) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/inbox/");
    socket.onopen = function () { delay = 1000; };
    socket.onmessage = function (event) {
      try {
        if (JSON.parse(event.data).type === "changed") soon();
      } catch (error) { /* not ours */ }
    };
    socket.onclose = function () {
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
      soon();  // something may have changed while we were away
    };
  }

  connect();
  window.setInterval(refresh, 60000);
})();
