/* Harbor web widget: a small, hand-written client for Rasa's socket.io channel.
 *
 * Safety rules this file keeps:
 * - Message text reaches the DOM only through text nodes (textContent / createTextNode);
 *   links are built with createElement and only for http(s) URLs and phone numbers. The page's
 *   CSP also enforces Trusted Types with no policy, so an HTML string cannot reach a DOM sink.
 * - Nothing is written to localStorage, cookies or IndexedDB. sessionStorage holds the
 *   server-issued session id and the language, and is cleared by Quick exit.
 * - Quick exit (button or Escape) clears storage, ends the session and replaces the page
 *   (location.replace) so that Back does not return to it.
 */
(function () {
  "use strict";

  // Contact details come from data/contacts.yml: the server writes them into the page's <html>
  // attributes (bot/channels/socketio.py), so no number is typed here.
  var root = document.documentElement;
  var EMERGENCY = root.getAttribute("data-emergency-phone") || "";
  var EMERGENCY_TEL = "tel:" + EMERGENCY.replace(/\D/g, "");
  var HOTLINE = root.getAttribute("data-hotline-phone") || "";
  var HOTLINE_TEL = "tel:+" + HOTLINE.replace(/\D/g, "");
  var HOTLINE_TEXT = root.getAttribute("data-hotline-text") || "";
  var HOTLINE_SMS = "sms:" + HOTLINE_TEXT.replace(/\D/g, "");
  var CONNECT_TIMEOUT_MS = 5000; // not connected by then: show the hotline
  var SESSION_KEY = "harbor.session";
  var LANG_KEY = "harbor.lang";
  var BOT_LANG_KEY = "harbor.botLang";

  var STRINGS = {
    en: {
      exit: "Quick exit",
      close: "Close chat",
      hint: "Esc leaves this page at once.",
      language: "Language",
      conversation: "Conversation",
      welcome: "Hi, I'm Harbor, an automated assistant. Type your question below. " +
        "Please don't type your name or address. In danger? Call " + EMERGENCY + ".",
      botSays: "Harbor:",
      youSay: "You:",
      inputLabel: "Your message",
      placeholder: "Type a message…",
      send: "Send",
      typing: "Harbor is typing",
      replies: "Suggested replies",
      newTab: "(opens in a new tab)",
      errorTitle: "Harbor is not answering right now.",
      errorHelp: ["You can call the National Human Trafficking Hotline at ", HOTLINE_TEL, HOTLINE,
        " or text ", HOTLINE_SMS, HOTLINE_TEXT, ", 24 hours a day."],
      errorDanger: ["In danger? Call ", EMERGENCY_TEL, EMERGENCY, "."]
    },
    es: {
      exit: "Salida rápida",
      close: "Cerrar chat",
      hint: "Esc cierra esta página al instante.",
      language: "Idioma",
      conversation: "Conversación",
      welcome: "Hola, soy Harbor, un asistente automático. Escriba su pregunta abajo. " +
        "No escriba su nombre ni su dirección. ¿Está en peligro? Llame al " + EMERGENCY + ".",
      botSays: "Harbor:",
      youSay: "Usted:",
      inputLabel: "Su mensaje",
      placeholder: "Escriba un mensaje…",
      send: "Enviar",
      typing: "Harbor está escribiendo",
      replies: "Respuestas sugeridas",
      newTab: "(se abre en una pestaña nueva)",
      errorTitle: "Harbor no responde en este momento.",
      errorHelp: ["Puede llamar a la Línea Nacional contra la Trata de Personas al ", HOTLINE_TEL,
        HOTLINE, " o enviar un texto al ", HOTLINE_SMS, HOTLINE_TEXT, ", las 24 horas."],
      errorDanger: ["¿Está en peligro? Llame al ", EMERGENCY_TEL, EMERGENCY, "."]
    }
  };

  var EXIT_URL = root.getAttribute("data-exit-url") || "https://www.google.com/";
  // No reply by then: show the hotline. The server sets it (HARBOR_ACTION_TIMEOUT plus a margin,
  // bot/settings.py), so the page never gives up before the server's own fallback has answered.
  var REPLY_TIMEOUT_MS = parseInt(root.getAttribute("data-reply-timeout-ms"), 10);
  if (!(REPLY_TIMEOUT_MS > 0)) { REPLY_TIMEOUT_MS = 15 * 1000; }
  var params = new URLSearchParams(window.location.search);
  var framed = window.parent !== window;
  var viaEmbed = framed && params.get("embed") === "1";

  var log = document.getElementById("log");
  var statusBox = document.getElementById("status");
  var errorBox = document.getElementById("error");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var exitButton = document.getElementById("exit");
  var closeButton = document.getElementById("close");
  var langButtons = Array.prototype.slice.call(document.querySelectorAll("[data-lang]"));

  // --- sessionStorage, and nothing else -----------------------------------------------------
  function stored(key) {
    try { return window.sessionStorage.getItem(key); } catch (e) { return null; }
  }
  function store(key, value) {
    try { window.sessionStorage.setItem(key, value); } catch (e) { /* private mode: keep in memory */ }
  }
  function forgetEverything() {
    try { window.sessionStorage.clear(); } catch (e) { /* nothing stored */ }
  }

  // --- language -------------------------------------------------------------------------------
  function pickLanguage() {
    var wanted = params.get("lang") || stored(LANG_KEY) || (navigator.language || "");
    return wanted.slice(0, 2).toLowerCase() === "es" ? "es" : "en";
  }
  var lang = pickLanguage();
  var botLang = stored(BOT_LANG_KEY) || "en"; // the bot's `language` slot starts as "en"
  // The language of the assistant's last message, as the server says it (`language` on each
  // message; the person may write Spanish on an English page): the `lang` of its bubbles.
  var replyLang = botLang;

  function t(key) { return STRINGS[lang][key]; }

  function applyLanguage() {
    root.lang = lang;
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (el) {
      el.textContent = t(el.getAttribute("data-i18n"));
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n-label]"), function (el) {
      el.setAttribute("aria-label", t(el.getAttribute("data-i18n-label")));
    });
    input.placeholder = t("placeholder");
    langButtons.forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-lang") === lang));
    });
    document.querySelector(".intro").lang = lang;
    if (!errorBox.hidden) { renderError(); }
    if (statusBox.textContent) { statusBox.textContent = t("typing"); }
  }

  function switchLanguage(next) {
    if (next === lang && next === botLang) { return; }
    lang = next;
    store(LANG_KEY, lang);
    applyLanguage();
    tellBotLanguage();
  }

  function tellBotLanguage() {
    botLang = lang;
    store(BOT_LANG_KEY, botLang);
    send({ language: lang }, null);   // the page's own control: sent as a choice, never as typed text
  }

  // --- rendering: text nodes only -------------------------------------------------------------
  var LINKABLE = /(https?:\/\/[^\s<>"']+)|(\b1-\d{3}-\d{3}-\d{4}\b)/g;

  function safeHttpUrl(candidate) {
    try {
      var url = new URL(candidate);
      return (url.protocol === "https:" || url.protocol === "http:") ? url.href : null;
    } catch (e) { return null; }
  }

  function trimUrl(raw) {
    // Leave trailing punctuation (and an unbalanced closing parenthesis) out of the link.
    var url = raw;
    for (;;) {
      var last = url.charAt(url.length - 1);
      if (".,;:!?'\"]}".indexOf(last) >= 0) { url = url.slice(0, -1); continue; }
      if (last === ")" && (url.split("(").length < url.split(")").length)) { url = url.slice(0, -1); continue; }
      return url;
    }
  }

  function externalLink(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.referrerPolicy = "no-referrer";
    var hint = document.createElement("span");
    hint.className = "sr-only";
    hint.textContent = " " + t("newTab");
    a.appendChild(hint);
    return a;
  }

  function phoneLink(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  // Appends `text` to `parent`: plain text nodes, with http(s) URLs and phone numbers as links.
  function appendLinkified(parent, text) {
    var at = 0;
    var match;
    LINKABLE.lastIndex = 0;
    while ((match = LINKABLE.exec(text)) !== null) {
      var raw = match[0];
      var link = null;
      if (match[1]) {
        raw = trimUrl(raw);
        var href = safeHttpUrl(raw);
        if (href) { link = externalLink(href, raw); }
      } else {
        link = phoneLink("tel:+" + raw.replace(/\D/g, ""), raw);
      }
      if (!link) { continue; }
      parent.appendChild(document.createTextNode(text.slice(at, match.index)));
      parent.appendChild(link);
      at = match.index + raw.length;
      LINKABLE.lastIndex = at;
    }
    parent.appendChild(document.createTextNode(text.slice(at)));
  }

  function scrollToEnd() { log.scrollTop = log.scrollHeight; }

  function addBubble(who, text) {
    var bubble = document.createElement("div");
    bubble.className = "msg msg-" + who;
    if (who === "bot") { bubble.lang = replyLang; }
    var speaker = document.createElement("span");
    speaker.className = "sr-only";
    speaker.textContent = (who === "bot" ? t("botSays") : t("youSay")) + " ";
    bubble.appendChild(speaker);
    var body = document.createElement("span");
    body.className = "text";
    appendLinkified(body, String(text));
    bubble.appendChild(body);
    log.appendChild(bubble);
    scrollToEnd();
    return bubble;
  }

  function removeQuickReplies() {
    var focused = document.activeElement;
    var hadFocus = false;
    Array.prototype.forEach.call(log.querySelectorAll(".replies.quick"), function (group) {
      if (group.contains(focused)) { hadFocus = true; }
      group.remove();
    });
    if (hadFocus) { input.focus(); }
  }

  // `options`: [{title, payload}] from quick_replies, or [{title, payload|url, type}] from buttons.
  function addChoices(options, quick) {
    var group = document.createElement("div");
    group.className = "replies" + (quick ? " quick" : "");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", t("replies"));
    group.lang = replyLang;
    options.forEach(function (option) {
      if (!option || typeof option.title !== "string") { return; }
      var url = option.type === "web_url" ? safeHttpUrl(option.url || option.payload || "") : null;
      if (url) {
        var a = externalLink(url, option.title);
        a.className = "button-link";
        group.appendChild(a);
        return;
      }
      if (typeof option.payload !== "string" || !option.payload) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = option.title;
      button.addEventListener("click", function () {
        if (quick) { removeQuickReplies(); }
        send(option.payload, option.title);
        if (document.activeElement === document.body) { input.focus(); }
      });
      group.appendChild(button);
    });
    if (group.childNodes.length) {
      log.appendChild(group);
      scrollToEnd();
    }
  }

  function showBotMessage(message) {
    if (!message || typeof message !== "object") { return; }
    if (message.language === "en" || message.language === "es") { replyLang = message.language; }
    if (typeof message.text === "string" && message.text) { addBubble("bot", message.text); }
    var attachment = message.attachment;
    if (attachment && attachment.type === "image" && attachment.payload) {
      var src = safeHttpUrl(attachment.payload.src || "");
      if (src) { var p = addBubble("bot", ""); p.appendChild(externalLink(src, src)); }
    }
    if (Array.isArray(message.buttons) && message.buttons.length) { addChoices(message.buttons, false); }
    if (Array.isArray(message.quick_replies) && message.quick_replies.length) {
      addChoices(message.quick_replies, true);
    }
  }

  // --- typing indicator and error state -------------------------------------------------------
  var problems = {}; // reason -> true; the error shows while any is set

  function renderError() {
    errorBox.textContent = "";
    var title = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = t("errorTitle");
    title.appendChild(strong);
    errorBox.appendChild(title);
    [t("errorHelp"), t("errorDanger")].forEach(function (parts) {
      var p = document.createElement("p");
      for (var i = 0; i < parts.length; i++) {
        var part = parts[i];
        if (/^(tel|sms):/.test(part)) {
          p.appendChild(phoneLink(part, parts[i + 1]));
          i += 1;
        } else {
          p.appendChild(document.createTextNode(part));
        }
      }
      errorBox.appendChild(p);
    });
  }

  function setProblem(reason, on) {
    if (on) { problems[reason] = true; } else { delete problems[reason]; }
    var show = Object.keys(problems).length > 0;
    if (show && errorBox.hidden) {
      errorBox.hidden = false;
      renderError();   // filled after it is shown, so screen readers announce it
      hideTyping();
    } else if (!show && !errorBox.hidden) {
      errorBox.hidden = true;
      errorBox.textContent = "";
    }
  }

  function showTyping() { statusBox.textContent = t("typing"); }
  function hideTyping() { statusBox.textContent = ""; }

  var replyTimer = null;
  function waitForReply() {
    window.clearTimeout(replyTimer);
    replyTimer = window.setTimeout(function () { setProblem("silent", true); }, REPLY_TIMEOUT_MS);
  }
  function replied() {
    window.clearTimeout(replyTimer);
    replyTimer = null;
    setProblem("silent", false);
    hideTyping();
  }

  var connectTimer = null;
  function expectConnection() {
    if (connectTimer === null) {
      connectTimer = window.setTimeout(function () { setProblem("offline", true); }, CONNECT_TIMEOUT_MS);
    }
  }
  function connectionUp() {
    window.clearTimeout(connectTimer);
    connectTimer = null;
    setProblem("offline", false);
  }

  // --- socket.io ------------------------------------------------------------------------------
  var ended = false;
  var sessionId = null;
  var queue = [];
  var socket = window.io({
    path: "/socket.io",
    transports: ["websocket", "polling"],
    tryAllTransports: true,
    reconnectionDelayMax: 5000,
    withCredentials: false
  });

  expectConnection();

  socket.on("connect", function () {
    socket.emit("session_request", { session_id: stored(SESSION_KEY) });
  });

  socket.on("session_confirm", function (id) {
    if (ended || typeof id !== "string") { return; }
    sessionId = id;
    store(SESSION_KEY, id);
    connectionUp();
    var pending = queue;
    queue = [];
    pending.forEach(function (text) { emitMessage(text); });
  });

  socket.on("bot_uttered", function (message) {
    if (ended) { return; }
    replied();
    showBotMessage(message);
  });

  socket.on("connect_error", function () { expectConnection(); });
  socket.on("disconnect", function () {
    sessionId = null;
    if (!ended) { expectConnection(); }
  });

  function emitMessage(text) {
    var data = typeof text === "string" ? { message: text } : { language: text.language };
    data.session_id = sessionId;
    data.customData = {};
    socket.emit("user_uttered", data);
  }

  // Sends `text` (typed text, a button's key, or {language}) to the assistant; shows `display`
  // as the user's bubble (none when null).
  function send(text, display) {
    if (ended || !text) { return; }
    if (display !== null) { addBubble("user", display); }
    if (sessionId && socket.connected) { emitMessage(text); } else { queue.push(text); }
    showTyping();
    waitForReply();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    removeQuickReplies();
    if (botLang !== lang) { tellBotLanguage(); } // a Spanish page starts a Spanish conversation
    send(text, text);
  });

  langButtons.forEach(function (button) {
    button.addEventListener("click", function () { switchLanguage(button.getAttribute("data-lang")); });
  });

  // --- quick exit -----------------------------------------------------------------------------
  function endSession() {
    ended = true;
    forgetEverything();
    window.clearTimeout(replyTimer);
    window.clearTimeout(connectTimer);
    try {
      if (socket.connected) { socket.emit("session_end"); }
      socket.disconnect();
    } catch (e) { /* leaving anyway */ }
    log.textContent = "";
    input.value = "";
  }

  function quickExit() {
    endSession();
    if (viaEmbed) {
      window.parent.postMessage({ type: "harbor:exit" }, "*"); // embed.js replaces the host page
      return;
    }
    if (framed) {
      try { window.top.location.replace(EXIT_URL); return; } catch (e) { /* fall through */ }
    }
    window.location.replace(EXIT_URL);
  }

  exitButton.addEventListener("click", quickExit);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" || event.key === "Esc") {
      event.preventDefault();
      quickExit();
    }
  });

  if (viaEmbed) {
    closeButton.hidden = false;
    closeButton.addEventListener("click", function () {
      window.parent.postMessage({ type: "harbor:close" }, "*");
    });
    window.addEventListener("message", function (event) {
      if (event.source !== window.parent || !event.data) { return; }
      if (event.data.type === "harbor:end") {  // Quick exit pressed on the host page
        endSession();
        window.parent.postMessage({ type: "harbor:ended" }, "*");
      } else if (event.data.type === "harbor:focus") {
        input.focus();
      }
    });
  }

  applyLanguage();
})();
