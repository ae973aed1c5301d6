/* The workspace, live. A push only says "something changed": the page then re-reads
   from the server (the list, the conversation's head, the thread after its last
   message id), so a dropped connection or a missed push loses nothing.

   Every message of the sockets is also dispatched on `document` as a
   "ponton:push" event (detail: the message), so a feature can react to its own
   pushes (an incoming call's card) without touching this file. */
(function () {
  "use strict";
  var me = document.body.dataset.me;
  var typing = window.PontonStaff ? window.PontonStaff.typing : function () { return false; };

  function emit(data) {
    document.dispatchEvent(new CustomEvent("ponton:push", { detail: data }));
  }

  function live(path, onMessage, onState) {
    var delay = 1000, socket = null, pinger = null, link = { send: function () {} };
    function connect() {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + location.host + path);
      link.send = function (data) { if (socket.readyState === 1) socket.send(JSON.stringify(data)); };
      socket.onopen = function () {
        delay = 1000;
        onState(true);
        onMessage({ type: "changed", what: "resync" });  // whatever happened while we were away
        emit({ type: "changed", what: "resync" });
        pinger = setInterval(function () { link.send({ type: "ping" }); }, 25000);
      };
      socket.onmessage = function (e) {
        var data = JSON.parse(e.data);
        onMessage(data);
        emit(data);
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
    return link;
  }

  function debounce(fn, ms) {
    var timer = null;
    return function (arg) { clearTimeout(timer); timer = setTimeout(function () { fn(arg); }, ms); };
  }

  function get(url) {
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); });
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

  var notice = document.querySelector("[data-notice]");
  function tell(text) {
    if (!notice) return;
    notice.hidden = false;
    notice.textContent = text;
  }

  var liveState = document.querySelector("[data-live-state]");
  var inbox = document.querySelector("[data-inbox]");
  function showState(online) {
    if (!liveState || !inbox) return;
    liveState.textContent = online ? inbox.dataset.live : inbox.dataset.offline;
    liveState.classList.toggle("offline", !online);
  }

  // The list and the selection for bulk actions ---------------------------------------
  var list = document.querySelector("[data-list]");
  var bulk = document.querySelector("[data-bulk]");
  var selected = {};
  var countLabel = document.querySelector("[data-selected-count]");
  var countTemplate = countLabel ? countLabel.textContent : "";
  function showSelection() {
    var n = Object.keys(selected).length;
    if (countLabel) countLabel.textContent = n ? countLabel.dataset.selected.replace("{n}", n) : countTemplate;
    if (bulk) bulk.classList.toggle("idle", !n);  // the actions show once something is ticked
  }
  function restoreSelection() {
    document.querySelectorAll("[data-select]").forEach(function (box) { box.checked = !!selected[box.value]; });
    showSelection();
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("[data-select]")) {
      if (e.target.checked) selected[e.target.value] = true; else delete selected[e.target.value];
      showSelection();
    }
  });
  showSelection();
  if (bulk) bulk.addEventListener("submit", function () {
    // Ticked rows a refresh removed from view are still sent.
    Object.keys(selected).forEach(function (id) {
      if (!document.querySelector("[data-select][value='" + id + "']:checked")) {
        var input = document.createElement("input");
        input.type = "hidden"; input.name = "ids"; input.value = id;
        bulk.appendChild(input);
      }
    });
  });

  var mentionCount = document.querySelector("[data-mention-count]");
  var sound = document.querySelector("[data-sound]");
  if (sound) {
    sound.checked = localStorage.getItem("ponton.sound") === "1";
    sound.addEventListener("change", function () {
      localStorage.setItem("ponton.sound", sound.checked ? "1" : "0");
      if (sound.checked) beep();
    });
  }

  var refreshList = debounce(function () {
    if (!list) return;
    get(inbox.dataset.fragment)
      .then(function (html) { list.innerHTML = html; restoreSelection(); })
      .catch(function () { /* the next push or reconnection retries */ });
  }, 150);

  if (inbox) {
    live(inbox.dataset.socket, function (change) {
      if (change.type !== "changed") return;
      refreshList();
      if (change.what === "handoff") {
        tell(inbox.dataset.newLabel + " (#" + change.conversation + ")");
        if (sound && sound.checked) beep();
      } else if (change.what === "mention") {
        tell(inbox.dataset.mentionLabel + " (#" + change.conversation + ")");
        if (mentionCount) {
          mentionCount.textContent = String((parseInt(mentionCount.textContent, 10) || 0) + 1);
          mentionCount.parentNode.classList.add("has-new");
        }
        if (sound && sound.checked) beep();
      }
    }, showState);
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
    document.addEventListener("ponton:push", function (e) {
      if (e.detail.what === "call" || e.detail.what === "resync") rereadPop();
    });
  }

  // One conversation ---------------------------------------------------------------------
  var thread = document.querySelector("[data-thread]");
  var head = document.querySelector("[data-head]");
  var reply = document.querySelector("[data-reply]");
  var composer = document.querySelector("[data-composer]");
  var watchers = document.querySelector("[data-watchers]");
  var socket = null;

  if (thread) {
    var lastId = function () {
      var items = thread.querySelectorAll("[data-message]");
      return items.length ? items[items.length - 1].dataset.message : "0";
    };
    var scrollDown = function () { thread.scrollTop = thread.scrollHeight; };
    scrollDown();
    var fetching = false, again = false;
    var reread = function () {
      if (fetching) { again = true; return; }
      fetching = true;
      get(thread.dataset.fragment + "?after=" + lastId())
        .then(function (html) { if (html.trim()) { thread.insertAdjacentHTML("beforeend", html); scrollDown(); } })
        .catch(function () {})
        .then(function () { fetching = false; if (again) { again = false; reread(); } });
    };
    var rereadHead = debounce(function () {
      if (!head) return;
      get(head.dataset.fragment).then(function (html) { head.innerHTML = html; }).catch(function () {});
    }, 150);

    // Who else has it open ------------------------------------------------------------------
    var others = {};
    var showWatchers = function () {
      if (!watchers) return;
      var now = Date.now(), viewing = [], writing = [];
      Object.keys(others).forEach(function (id) {
        var o = others[id];
        if (now - o.at > 60000) { delete others[id]; return; }
        (o.activity === "typing" && now - o.typedAt < 8000 ? writing : viewing).push(o.name);
      });
      var text = "";
      if (writing.length) text = watchers.dataset.typing.replace("{names}", writing.join(", "));
      else if (viewing.length) text = watchers.dataset.viewing.replace("{names}", viewing.join(", "));
      watchers.hidden = !text;
      if (watchers.textContent !== text) watchers.textContent = text;
    };
    setInterval(showWatchers, 4000);

    socket = live(thread.dataset.socket, function (data) {
      if (data.type === "changed") {
        reread();
        if (data.what !== "message" && data.what !== "note" && data.what !== "resync") rereadHead();
        if (data.what === "resync") socket && socket.send({ type: "activity", activity: "viewing" });
      } else if (data.type === "activity" && String(data.agent) !== me) {
        if (data.activity === "left") delete others[data.agent];
        else {
          var o = others[data.agent] || { name: data.name, typedAt: 0 };
          if (data.activity === "typing") o.typedAt = Date.now();
          o.activity = data.activity; o.at = Date.now(); o.name = data.name;
          others[data.agent] = o;
          // A newcomer learns who was already there.
          if (data.activity === "viewing" && !o.answered) { o.answered = true; socket.send({ type: "activity", activity: "viewing" }); }
        }
        showWatchers();
      }
    }, showState);
    setInterval(function () { socket.send({ type: "activity", activity: "viewing" }); }, 20000);
  }

  // The composer: reply or note, drafts, saved replies, links -----------------------------------
  if (reply && composer) {
    // Drafts live in this browser (localStorage), per agent and conversation: kept across
    // reloads and navigation at no cost to the server, and never sent before "Send".
    var key = "ponton.draft." + composer.dataset.draftKey;
    var modes = composer.querySelectorAll("[data-mode]");
    var setMode = function (mode) {
      modes.forEach(function (r) { r.checked = r.dataset.mode === mode; });
      composer.classList.toggle("note", mode === "note");
      reply.placeholder = mode === "note" ? reply.dataset.placeholderNote : reply.dataset.placeholderReply;
    };
    var draftState = composer.querySelector("[data-draft-state]");
    try {
      var saved = JSON.parse(localStorage.getItem(key) || "null");
      if (saved && saved.text) { reply.value = saved.text; setMode(saved.mode || "reply"); }
    } catch (err) { /* an unreadable draft is dropped */ }
    var currentMode = function () { var r = composer.querySelector("[data-mode]:checked"); return r ? r.dataset.mode : "reply"; };
    var saveDraft = debounce(function () {
      if (reply.value.trim()) localStorage.setItem(key, JSON.stringify({ text: reply.value, mode: currentMode(), at: Date.now() }));
      else localStorage.removeItem(key);
    }, 300);
    modes.forEach(function (r) { r.addEventListener("change", function () { setMode(r.dataset.mode); saveDraft(); }); });
    var lastTyping = 0;
    reply.addEventListener("input", function () {
      saveDraft();
      if (socket && Date.now() - lastTyping > 3000) { lastTyping = Date.now(); socket.send({ type: "activity", activity: "typing" }); }
    });
    reply.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); composer.requestSubmit(); }
      else if (e.key === "Escape") reply.blur();
    });
    composer.addEventListener("submit", function () { localStorage.removeItem(key); });

    var insert = function (text) {
      var start = reply.selectionStart || reply.value.length;
      reply.value = reply.value.slice(0, start) + text + reply.value.slice(start);
      reply.focus();
      saveDraft();
    };
    var savedReply = document.querySelector("[data-saved-reply]");
    if (savedReply) savedReply.addEventListener("change", function () { if (savedReply.value) insert(savedReply.value); savedReply.value = ""; });
    document.querySelectorAll("[data-insert]").forEach(function (button) {
      button.addEventListener("click", function () { insert(button.dataset.insert + "\n"); });
    });
  }

  // Keyboard shortcuts (the help is "?", in staff.js) -----------------------------------
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-conversation] [data-open]")); }
  function move(step) {
    var links = rows();
    if (!links.length) return;
    var at = links.findIndex(function (a) { return a.getAttribute("aria-current") === "true"; });
    var next = at === -1 ? (step > 0 ? 0 : links.length - 1) : at + step;
    if (next >= 0 && next < links.length) location.href = links[next].href;
  }
  function press(selector) { var b = document.querySelector(selector); if (b) b.click(); }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e) || document.querySelector("dialog[open]")) return;
    var handled = true;
    switch (e.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "r": if (reply) { setModeFromKey("reply"); reply.focus(); } else handled = false; break;
      case "n": if (reply) { setModeFromKey("note"); reply.focus(); } else handled = false; break;
      case "a": press("[data-action=assign-me]"); break;
      case "s": press("[data-action=solve]"); break;
      case "m": var pick = document.querySelector("[data-saved-reply]"); if (pick) pick.focus(); else handled = false; break;
      case "x":
        var current = document.querySelector("[data-conversation].current [data-select]") ||
          (document.activeElement && document.activeElement.closest && document.activeElement.closest("[data-conversation]") &&
           document.activeElement.closest("[data-conversation]").querySelector("[data-select]"));
        if (current) { current.click(); } else handled = false;
        break;
      default: handled = false;
    }
    if (handled) e.preventDefault();
  });
  function setModeFromKey(mode) {
    var radio = composer && composer.querySelector("[data-mode=" + mode + "]");
    if (radio && !radio.checked) { radio.checked = true; radio.dispatchEvent(new Event("change")); }
  }
})();
