/* The agent workspace, live. A push only says "something changed": the page then
   re-reads from the server (the queue, or the thread after its last message id),
   so a dropped connection or a missed push loses nothing. */
(function () {
  "use strict";

  function live(path, onChange, onState) {
    var delay = 1000, socket = null, pinger = null;
    function connect() {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + location.host + path);
      socket.onopen = function () {
        delay = 1000;
        onState(true);
        onChange({ what: "resync" });  // whatever happened while we were away
        announce({ what: "resync" });
        pinger = setInterval(function () { socket.send(JSON.stringify({ type: "ping" })); }, 25000);
      };
      socket.onmessage = function (e) {
        var data = JSON.parse(e.data);
        if (data.type === "changed") { onChange(data); announce(data); }
      };
      socket.onclose = function (e) {
        clearInterval(pinger);
        onState(false);
        if (e.code === 4403 || e.code === 4404) return;  // not allowed: retrying will not help
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 15000);
      };
    }
    connect();
  }

  // Other parts of the page (the screen-pop) hear every push too.
  function announce(data) {
    document.dispatchEvent(new CustomEvent("ponton:changed", { detail: data }));
  }

  function debounce(fn, ms) {
    var timer = null;
    return function (arg) { clearTimeout(timer); timer = setTimeout(function () { fn(arg); }, ms); };
  }

  function beep() {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.08;
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.2);
    } catch (err) { /* no audio: the visual notice is enough */ }
  }

  var liveState = document.querySelector("[data-live-state]");
  function showState(box) {
    return function (online) {
      if (!liveState) return;
      liveState.textContent = online ? box.dataset.live : box.dataset.offline;
      liveState.classList.toggle("offline", !online);
    };
  }

  var availability = document.querySelector("[data-availability]");
  if (availability) availability.addEventListener("change", function () { availability.form.submit(); });

  // The queues -------------------------------------------------------------------
  var inbox = document.querySelector("[data-inbox]");
  if (inbox) {
    var notice = document.querySelector("[data-notice]");
    var sound = document.querySelector("[data-sound]");
    if (sound) {
      sound.checked = localStorage.getItem("ponton.sound") === "1";
      sound.addEventListener("change", function () {
        localStorage.setItem("ponton.sound", sound.checked ? "1" : "0");
        if (sound.checked) beep();
      });
    }
    var refresh = debounce(function () {
      fetch(inbox.dataset.fragment, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) { inbox.innerHTML = html; })
        .catch(function () { /* the next push or reconnection retries */ });
    }, 150);
    live(inbox.dataset.socket, function (change) {
      refresh();
      if (change.what === "handoff") {
        notice.hidden = false;
        notice.textContent = inbox.dataset.newLabel + " (#" + change.conversation + ")";
        if (sound && sound.checked) beep();
      }
    }, showState(inbox));
  }

  // Calls for this agent: the screen-pop ----------------------------------------------
  var pop = document.querySelector("[data-screen-pop]");
  if (pop) {
    var rereadPop = debounce(function () {
      fetch(pop.dataset.fragment, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) { pop.innerHTML = html; pop.hidden = !html.trim(); })
        .catch(function () { /* the next push or reconnection retries */ });
    }, 100);
    document.addEventListener("ponton:changed", function (e) {
      if (e.detail.what === "call" || e.detail.what === "resync") rereadPop();
    });
  }

  // One conversation -------------------------------------------------------------
  var thread = document.querySelector("[data-thread]");
  if (thread) {
    var lastId = function () {
      var items = thread.querySelectorAll("[data-message]");
      return items.length ? items[items.length - 1].dataset.message : "0";
    };
    var fetching = false, again = false;
    var reread = function () {
      if (fetching) { again = true; return; }
      fetching = true;
      fetch(thread.dataset.fragment + "?after=" + lastId(), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) { if (html.trim()) thread.insertAdjacentHTML("beforeend", html); })
        .catch(function () {})
        .then(function () { fetching = false; if (again) { again = false; reread(); } });
    };
    live(thread.dataset.socket, reread, function () {});

    var reply = document.querySelector("[data-reply]");
    var insert = function (text) {
      var start = reply.selectionStart || reply.value.length;
      reply.value = reply.value.slice(0, start) + text + reply.value.slice(start);
      reply.focus();
    };
    var saved = document.querySelector("[data-saved-reply]");
    if (saved) saved.addEventListener("change", function () { if (saved.value) insert(saved.value); saved.value = ""; });
    document.querySelectorAll("[data-insert]").forEach(function (button) {
      button.addEventListener("click", function () { insert(button.dataset.insert + "\n"); });
    });
  }
})();
