/*
 * Ponton web chat widget: one tag on the help center or on the company's own site.
 *
 *   <script src="https://support.example/static/ponton/widget.js" async
 *           data-ponton-url="https://support.example"      (optional: where Ponton answers)
 *           data-lang="fr"                                  (optional: else the page's language)
 *           data-customer-id="40012345"                     (optional: the signed-in customer's number,
 *           data-customer-hash="HEX HMAC-SHA256 of it"       with its hash computed on the host's server)
 *           data-module="billing"                           (optional: the product module of the page)
 *           data-context-plan="pro"></script>               (optional: any data-context-NAME attribute)
 *
 * It is this one file: it lives in a Shadow DOM with its stylesheet inside the script (STYLES
 * below, adopted as a constructed stylesheet), so it neither leaks styles into the host page
 * nor takes them from it, and it needs no inline script or style, no eval, no second file and
 * nothing from a third party: a host page with a strict Content-Security-Policy lists Ponton's
 * origin in script-src and connect-src only.
 * It says it is an automated assistant, keeps the way to a person visible at every turn,
 * resumes the conversation after a reload, and hears replies at once over a websocket
 * (which only says "changed": it then re-reads), polling slowly as a safety net and fully
 * when the socket cannot connect.
 */
(function () {
  "use strict";
  // The widget's only stylesheet. Inherited properties (font, colour, line height...) would
  // still flow in from the host page through the host element: :host resets them all.
  var STYLES = `
:host { all: initial !important; }
.pw-root { font: 15px/1.45 system-ui, sans-serif; color: #1d2433; text-align: left; direction: ltr; }
.pw-root *, .pw-root *::before, .pw-root *::after { box-sizing: border-box; }
.pw-launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; background: #1f5fbf; color: #fff; border: 0;
  border-radius: 999px; padding: 12px 20px; font: 600 16px/1.2 system-ui, sans-serif; box-shadow: 0 6px 20px rgba(0,0,0,.2); cursor: pointer; }
.pw-panel { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; width: 380px; max-width: calc(100vw - 24px);
  height: 560px; max-height: calc(100vh - 40px); display: flex; flex-direction: column; background: #fff; color: #1d2433;
  border-radius: 14px; box-shadow: 0 12px 40px rgba(20,30,60,.25); font: 15px/1.45 system-ui, sans-serif; overflow: hidden; }
.pw-panel[hidden], .pw-launcher[hidden] { display: none; }
.pw-head { display: flex; align-items: center; gap: 8px; padding: 10px 12px; background: #1f5fbf; color: #fff; }
.pw-title { font-size: 15px; margin: 0; flex: 1; }
.pw-human { background: #0f7b52; color: #fff; border: 0; border-radius: 999px; padding: 6px 12px; font: 600 14px system-ui, sans-serif; cursor: pointer; }
.pw-close { background: none; border: 0; color: #fff; font-size: 24px; line-height: 1; cursor: pointer; padding: 0 4px; }
.pw-status { margin: 0; padding: 0 12px; font-size: 13px; color: #5b6475; min-height: 0; }
.pw-status:not(:empty) { padding: 8px 12px; background: #fff8ec; }
.pw-log { list-style: none; margin: 0; padding: 12px; overflow-y: auto; flex: 1; display: flex; flex-direction: column; gap: 10px; }
.pw-msg { max-width: 88%; padding: 8px 12px; border-radius: 12px; background: #eef1f6; }
.pw-text { margin: 0; white-space: pre-wrap; }
.pw-customer { align-self: flex-end; background: #1f5fbf; color: #fff; }
.pw-agent { background: #e1f3e8; }
.pw-system { background: #fff4e0; align-self: center; font-size: 14px; }
.pw-article { display: block; margin-top: 6px; color: #1f5fbf; font-weight: 600; }
.pw-choices { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }
.pw-choice { border: 1px solid #1f5fbf; background: #fff; color: #1f5fbf; border-radius: 999px; padding: 5px 12px; font: 14px system-ui, sans-serif; cursor: pointer; }
.pw-choice-human { border-color: #0f7b52; color: #0f7b52; font-weight: 600; }
.pw-choice:disabled { opacity: .5; cursor: default; }
.pw-choice-link { background: #1f5fbf; color: #fff; text-decoration: none; font-weight: 600; }
.pw-form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #dde2ea; }
.pw-input { flex: 1; resize: none; font: inherit; padding: 8px 10px; border: 1px solid #b9c1cf; border-radius: 8px; }
.pw-send { background: #1f5fbf; color: #fff; border: 0; border-radius: 8px; padding: 0 14px; font: 600 14px system-ui, sans-serif; cursor: pointer; }
.pw-retry { margin-left: 8px; }
.pw-visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.pw-panel :focus-visible, .pw-launcher:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
@media (max-width: 480px) {
  .pw-panel { right: 0; bottom: 0; width: 100vw; max-width: 100vw; height: 100%; max-height: 100%; border-radius: 0; }
  .pw-launcher { right: 12px; bottom: 12px; }
}
/* Known incidents (ponton/status), under the header. */
.pw-incident { padding: 8px 12px; background: #fff4e0; border-bottom: 1px solid #f3c98b; font-size: 14px; max-height: 35%; overflow-y: auto; }
.pw-incident[hidden] { display: none; }
.pw-incident-item { margin: 0; }
.pw-incident-item + .pw-incident-item { margin-top: 6px; }
.pw-incident-link { color: #1f5fbf; font-weight: 600; }
.pw-launcher.pw-crisis { background: #b42318; }
.pw-phone { margin: 0; padding: 6px 12px; font-size: 14px; background: #eef7f2; }
.pw-phone[hidden] { display: none; }
.pw-phone a { color: #0f7b52; font-weight: 700; }
`;
  if (window.PontonWidget) return;
  var script = document.currentScript || document.querySelector("script[src*='ponton/widget.js']");
  var data = script.dataset;
  var base = new URL(data.pontonUrl || script.src, window.location.href).origin;
  var sameSite = base === window.location.origin;
  var lang = (data.lang || document.documentElement.lang || "fr").slice(0, 2) === "en" ? "en" : "fr";
  var identity = data.customerId && data.customerHash ? { customer_id: data.customerId, hash: data.customerHash } : null;
  // What the host page says about where the customer is: kept within what the server takes
  // (20 attributes of 200 characters), so a long value never stops a message.
  var context = { module: (data.module || "").slice(0, 64), attributes: {} };
  Object.keys(data).forEach(function (key) {
    var m = key.match(/^context([A-Z].*)$/);
    if (!m || Object.keys(context.attributes).length >= 20) return;
    var name = (m[1].charAt(0).toLowerCase() + m[1].slice(1)).slice(0, 64);
    context.attributes[name] = String(data[key]).slice(0, 200);
  });
  var T = {
    fr: {
      open: "Besoin d'aide ?", title: "Assistant automatique", close: "Fermer", human: "Parler à un conseiller",
      intro: "Bonjour ! Je suis un assistant automatique. Posez votre question ; pour parler à une personne, un clic suffit, et je vous dis quand elle peut vous répondre.",
      placeholder: "Écrivez votre question…", send: "Envoyer", error: "Le message n'est pas parti. Réessayer ?",
      retry: "Réessayer", waiting: "Un conseiller va vous répondre ici.", withHuman: "Vous échangez avec un conseiller.",
      closed: "Conversation terminée. Écrivez ici pour la reprendre.", you: "Vous", bot: "Assistant",
      agent: "Conseiller", system: "Information", read: "Lire l'article",
      call: "Ou appelez-nous :", wait: "attente ~%s min", phoneClosed: "fermé pour l'instant", callback: "être rappelé"
    },
    en: {
      open: "Need help?", title: "Automated assistant", close: "Close", human: "Talk to a person",
      intro: "Hello! I'm an automated assistant. Ask your question; to talk to a person, one click is enough, and I tell you when they can answer.",
      placeholder: "Type your question…", send: "Send", error: "The message was not sent. Try again?",
      retry: "Retry", waiting: "An advisor will answer you here.", withHuman: "You are talking with an advisor.",
      closed: "Conversation closed. Write here to pick it up again.", you: "You", bot: "Assistant",
      agent: "Advisor", system: "Information", read: "Read the article",
      call: "Or call us:", wait: "wait ~%s min", phoneClosed: "closed right now", callback: "be called back"
    }
  }[lang];
  // One conversation per customer on this browser: another person signing in on the host
  // site never resumes the previous one's chat.
  var KEY = "ponton-chat:" + base + (identity ? ":" + identity.customer_id : "");
  var state = load();
  var pollTimer = null, sending = false, socket = null, live = false;

  function load() { try { return JSON.parse(localStorage.getItem(KEY)) || {}; } catch (e) { return {}; } }
  function save() { try { localStorage.setItem(KEY, JSON.stringify(state)); } catch (e) { /* private mode */ } }
  function uid() { return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random(); }
  function el(tag, cls, text) { var n = document.createElement(tag); if (cls) n.className = cls; if (text) n.textContent = text; return n; }
  function csrf() { var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/); return m ? decodeURIComponent(m[1]) : ""; }

  function page() {
    var p = {};
    if (/^https?:$/.test(window.location.protocol)) p.url = window.location.href.split("#")[0].slice(0, 2000);
    if (context.module) p.module = context.module;
    if (Object.keys(context.attributes).length) p.attributes = context.attributes;
    return p;
  }

  // The widget's own tree: the host page's rules do not reach in, ours do not leak out.
  // A constructed stylesheet is not a <style> or <link> of the page, so a host's strict
  // style-src neither blocks it nor has to name Ponton; a browser too old to adopt one
  // (before 2023 for Safari) gets a <style> element, styled wherever the host allows it.
  var host = document.createElement("ponton-widget");
  var shadow = host.attachShadow({ mode: "open" });
  var root = el("div", "pw-root");
  if (shadow.adoptedStyleSheets && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLES);
    shadow.adoptedStyleSheets = [sheet];
  } else {
    shadow.appendChild(el("style", "", STYLES));
  }
  shadow.append(root);
  var launcher = el("button", "pw-launcher", T.open);
  launcher.type = "button"; launcher.setAttribute("aria-expanded", "false"); launcher.setAttribute("aria-controls", "pw-panel");
  var panel = el("section", "pw-panel"); panel.id = "pw-panel"; panel.hidden = true;
  panel.setAttribute("role", "dialog"); panel.setAttribute("aria-label", T.title + " · " + T.human);
  var head = el("header", "pw-head");
  var heading = el("h2", "pw-title", T.title);
  var human = el("button", "pw-human", T.human); human.type = "button"; human.setAttribute("data-human-exit", "");
  var close = el("button", "pw-close", "×"); close.type = "button"; close.setAttribute("aria-label", T.close);
  head.append(heading, human, close);
  var status = el("p", "pw-status"); status.setAttribute("role", "status");
  var log = el("ol", "pw-log"); log.setAttribute("role", "log"); log.setAttribute("aria-live", "polite");
  var form = el("form", "pw-form");
  var label = el("label", "pw-visually-hidden", T.placeholder); label.htmlFor = "pw-input";
  var input = el("textarea", "pw-input"); input.id = "pw-input"; input.rows = 2; input.maxLength = 5000; input.placeholder = T.placeholder;
  var send = el("button", "pw-send", T.send); send.type = "submit";
  form.append(label, input, send);
  panel.append(head, status, log, form);
  root.append(launcher, panel);
  // An async tag in <head> may run before <body> exists.
  if (document.body) document.body.appendChild(host);
  else document.addEventListener("DOMContentLoaded", function () { document.body.appendChild(host); });
  log.appendChild(bubble({ author: "assistant", text: T.intro, id: 0 }));

  function bubble(m) {
    var li = el("li", "pw-msg pw-" + m.author);
    li.dataset.id = m.id;
    var who = { customer: T.you, assistant: T.bot, agent: T.agent, system: T.system }[m.author] || "";
    li.appendChild(el("span", "pw-visually-hidden", who + " : "));
    var p = el("p", "pw-text"); p.textContent = m.text; li.appendChild(p);
    (m.articles || []).forEach(function (a) {
      var link = el("a", "pw-article", a.title); link.href = base + a.url; link.target = "_blank"; link.rel = "noopener";
      link.title = T.read; li.appendChild(link);
    });
    if (m.actions && m.actions.length) {
      var choices = el("div", "pw-choices");
      m.actions.forEach(function (a) {
        if (a.url) {  // a page to open (the satisfaction survey), not a choice sent back
          var link = el("a", "pw-choice pw-choice-link", a.label);
          link.href = base + a.url; link.target = "_blank"; link.rel = "noopener";
          choices.appendChild(link);
          return;
        }
        var b = el("button", "pw-choice" + (a.id === "human" ? " pw-choice-human" : ""), a.label);
        b.type = "button";
        if (a.id === "human") b.setAttribute("data-human-exit", "");
        b.addEventListener("click", function () { choose(a.id); });
        choices.appendChild(b);
      });
      li.appendChild(choices);
    }
    return li;
  }

  function render(data) {
    (data.messages || []).forEach(function (m) {
      if (log.querySelector("[data-id='" + m.id + "']")) return;
      log.appendChild(bubble(m));
      state.last = Math.max(state.last || 0, m.id);
    });
    if (data.state) state.state = data.state;
    save();
    status.textContent = state.state === "waiting_human" ? T.waiting : state.state === "with_human" ? T.withHuman : state.state === "closed" ? T.closed : "";
    // Once a person owns the conversation the assistant's old choices are history.
    if (state.state !== "assistant") log.querySelectorAll("button.pw-choice:not(.pw-choice-human)").forEach(function (b) { b.disabled = true; });
    log.scrollTop = log.scrollHeight;
    schedulePoll();
  }

  function request(method, path, body) {
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    if (state.token) headers["X-Conversation-Token"] = state.token;
    if (sameSite && csrf()) headers["X-CSRFToken"] = csrf();
    // Never our cookies on another site: the conversation's token is the credential.
    return fetch(base + "/api/v1/chat/conversations" + path, {
      method: method, headers: headers, credentials: sameSite ? "same-origin" : "omit",
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      if (r.status === 404 && state.id) { state = {}; save(); }
      if (!r.ok) {
        var failure = new Error(String(r.status));
        failure.status = r.status;
        failure.retryAfter = Number(r.headers.get("Retry-After")) || 0;
        throw failure;
      }
      return r.json();
    });
  }

  function post(body) {
    if (sending) return;
    sending = true; send.disabled = true;
    // A closed conversation goes on in place: the server reopens it (with the person who
    // handled it, if one did).
    var first = !state.id;
    body.client_msg_id = uid();
    var where = page();
    if (Object.keys(where).length) body.page = where;
    if (first && identity) body.identity = identity;
    var attempt = function () {
      var call = first ? request("POST", "", Object.assign({ lang: lang }, body)) : request("POST", "/" + state.id + "/messages", body);
      return call.then(function (data) {
        if (first) { state.id = data.id; state.token = data.token; }
        render(data); input.value = "";
      });
    };
    // The server briefly unavailable (503) or the network dropped: try again by ourselves,
    // a few times, after the wait the server asks for. Same client_msg_id on every retry:
    // the server stores the message once.
    var patient = function (left) {
      return attempt().catch(function (failure) {
        var transient = failure.status === 503 || failure.status === undefined;
        if (!transient || left === 0) throw failure;
        var wait = Math.min(Math.max(failure.retryAfter || 2, 1), 30) * 1000;
        return new Promise(function (resolve) { setTimeout(resolve, wait); }).then(function () { return patient(left - 1); });
      });
    };
    patient(3).catch(function () {
      status.textContent = T.error;
      var retry = el("button", "pw-retry", T.retry); retry.type = "button";
      retry.addEventListener("click", function () { retry.remove(); attempt().catch(function () { status.textContent = T.error; }); });
      status.appendChild(retry);
    }).then(function () { sending = false; send.disabled = false; });
  }

  function choose(action) {
    if (!state.id) { post({ text: T.human }); return; }
    post({ action: action });
  }

  function poll() {
    if (!state.id || panel.hidden) return;
    request("GET", "/" + state.id + "/messages?after=" + (state.last || 0)).then(render).catch(function () { schedulePoll(); });
  }
  function schedulePoll() {
    clearTimeout(pollTimer);
    if (!state.id || panel.hidden || state.state === "closed") return;
    listen();
    pollTimer = setTimeout(poll, live ? 30000 : (state.state === "assistant" ? 6000 : 3000));
  }
  function listen() {
    if (socket || !window.WebSocket) return;
    var id = state.id;
    socket = new WebSocket(base.replace(/^http/, "ws") + "/ws/chat/" + id + "/");
    socket.onopen = function () { socket.send(JSON.stringify({ token: state.token })); };
    socket.onmessage = function (e) {
      var data = JSON.parse(e.data);
      if (data.type === "ready") { live = true; poll(); }  // catch up on what came before the socket
      else if (data.type === "changed" && state.id === id) poll();
    };
    socket.onclose = function () { socket = null; live = false; };
  }
  function unlisten() { if (socket) { socket.onclose = null; socket.close(); socket = null; live = false; } }

  // The support phone line, when the company has one: a number is never hidden behind selfcare.
  var phone = null;
  function showPhone() {
    if (phone) return;
    phone = el("p", "pw-phone"); phone.hidden = true; panel.insertBefore(phone, status);
    fetch(base + "/api/v1/voice/line", { credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (line) {
        if (!line || !line.number) return;
        var a = el("a", "pw-phone-number", line.number); a.href = line.tel;
        var when = line.open_now ? (line.expected_wait_minutes ? T.wait.replace("%s", line.expected_wait_minutes) : "") : T.phoneClosed;
        phone.append(T.call + " ", a, when ? " · " + when : "");
        if (line.callback_offered) {
          var cb = el("a", "pw-phone-callback", T.callback); cb.href = base + "/" + lang + "/account/callback/";
          phone.append(" · ", cb);
        }
        phone.hidden = false;
      })
      .catch(function () { /* no line shown: the chat's way to a person stays */ });
  }

  function open() {
    showPhone();
    panel.hidden = false; launcher.setAttribute("aria-expanded", "true"); launcher.hidden = true;
    input.focus();
    if (state.id) request("GET", "/" + state.id + "/messages").then(render).catch(function () {});
  }
  function shut() { panel.hidden = true; launcher.hidden = false; launcher.setAttribute("aria-expanded", "false"); launcher.focus(); clearTimeout(pollTimer); unlisten(); }

  // Known incidents (ponton/status): a banner under the header, with what is known and
  // the next update; the way to a person stays in the header beside it. In a surge the
  // launcher says it too, so customers learn it before they have to ask.
  var TI = {
    fr: { page: "Page d'état", ongoing: "incident en cours", notify: "Me prévenir" },
    en: { page: "Status page", ongoing: "incident in progress", notify: "Notify me" }
  }[lang];
  var incidentBox = el("div", "pw-incident"); incidentBox.hidden = true;
  panel.insertBefore(incidentBox, status);
  function incidents() {
    fetch(base + "/api/v1/status/notice?lang=" + lang, {
      headers: { "Accept": "application/json" }, credentials: sameSite ? "same-origin" : "omit"
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      incidentBox.textContent = "";
      var items = (data && data.incidents) || [];
      incidentBox.hidden = !items.length;
      items.forEach(function (i) {
        var box = el("p", "pw-incident-item"); box.setAttribute("data-incident-banner", ""); box.setAttribute("role", "status");
        box.appendChild(el("strong", "", i.title));
        box.appendChild(el("span", "", " " + [i.message, i.next_update].filter(Boolean).join(" ") + " "));
        var more = el("a", "pw-incident-link", TI.page); more.href = base + i.url; more.target = "_blank"; more.rel = "noopener";
        box.appendChild(more);
        if (i.kind !== "maintenance") {
          var sub = el("a", "pw-incident-link", TI.notify); sub.href = base + i.subscribe_url; sub.target = "_blank"; sub.rel = "noopener";
          box.appendChild(document.createTextNode(" · ")); box.appendChild(sub);
        }
        incidentBox.appendChild(box);
      });
      if (data && data.crisis) { launcher.classList.add("pw-crisis"); launcher.textContent = T.open + " · " + TI.ongoing; }
    }).catch(function () { /* the status stays on the page's own banner */ });
  }
  incidents();
  launcher.addEventListener("click", incidents);

  launcher.addEventListener("click", open);
  close.addEventListener("click", shut);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") shut(); });
  human.addEventListener("click", function () { choose("human"); });
  form.addEventListener("submit", function (e) { e.preventDefault(); var t = input.value.trim(); if (t) post({ text: t }); });
  input.addEventListener("keydown", function (e) { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); } });
  if (state.id && state.open) open();
  window.addEventListener("beforeunload", function () { state.open = !panel.hidden; save(); });
  // A single-page app tells the widget when the customer moves to another module.
  function setContext(next) {
    if (!next) return;
    if (typeof next.module === "string") context.module = next.module.slice(0, 64);
    if (next.attributes && typeof next.attributes === "object") {
      context.attributes = {};
      Object.keys(next.attributes).slice(0, 20).forEach(function (k) {
        if (typeof next.attributes[k] === "string") context.attributes[k.slice(0, 64)] = next.attributes[k].slice(0, 200);
      });
    }
  }
  window.PontonWidget = { open: open, close: shut, setContext: setContext };
})();
