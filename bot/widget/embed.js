/* Harbor web widget: the one script tag a partner site adds.
 *
 *   <script src="https://HARBOR-SERVER/widget/embed.js" data-lang="es" defer></script>
 *
 * It adds two buttons at the bottom right of the page, "Chat with Harbor" and "Quick exit".
 * The chat opens in an iframe served by the Harbor server, so the host page's scripts
 * (analytics, session recorders) cannot read the conversation, and the widget keeps its own
 * strict Content-Security-Policy. The host's origin must be listed in the server's
 * HARBOR_WIDGET_ORIGINS. Quick exit (the button, or Escape while the chat is open) ends the
 * chat session and replaces the host page with a neutral site, so Back does not return.
 * Nothing loads from the Harbor server until the chat is opened.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__harborEmbed) { return; }
  window.__harborEmbed = true;

  var EXIT_URL = "{{EXIT_URL}}"; // filled in by the server (HARBOR_EXIT_URL)
  var server = new URL(script.src, window.location.href).origin;
  var wanted = (script.getAttribute("data-lang") || document.documentElement.lang || "").slice(0, 2);
  var lang = wanted.toLowerCase() === "es" ? "es" : "en";
  var T = {
    en: { open: "Chat with Harbor", exit: "Quick exit", frame: "Harbor chat" },
    es: { open: "Chatear con Harbor", exit: "Salida rápida", frame: "Chat de Harbor" }
  }[lang];

  var FONT = "16px/1.3 system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";
  function styled(el, style) {
    // CSSOM only (no style attributes or <style> elements), so a strict host CSP allows it.
    Object.keys(style).forEach(function (k) { el.style[k] = style[k]; });
    return el;
  }
  function button(label, colors) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    return styled(b, {
      font: FONT, fontWeight: "700", minHeight: "44px", padding: "8px 16px", margin: "0",
      borderRadius: "22px", border: "2px solid #fff", cursor: "pointer",
      boxShadow: "0 2px 8px rgba(0,0,0,.35)", background: colors[0], color: colors[1]
    });
  }

  var dock = styled(document.createElement("div"), {
    position: "fixed", right: "16px", bottom: "16px", zIndex: "2147483646",
    display: "flex", gap: "8px", alignItems: "center"
  });
  dock.setAttribute("data-harbor", "dock");
  var openButton = button(T.open, ["#0f3d56", "#fff"]);
  openButton.setAttribute("aria-expanded", "false");
  var exitButton = button(T.exit, ["#b3261e", "#fff"]);
  dock.appendChild(openButton);
  dock.appendChild(exitButton);

  var frame = null;
  var isOpen = false;
  var phone = window.matchMedia("(max-width: 480px)");

  function place() {
    if (!frame) { return; }
    var full = phone.matches;
    styled(frame, full
      ? { top: "0", left: "0", right: "0", bottom: "0", width: "100%", height: "100%", borderRadius: "0" }
      : { top: "auto", left: "auto", right: "16px", bottom: "76px", width: "380px",
          height: "min(640px, calc(100vh - 96px))", borderRadius: "12px" });
  }

  function createFrame() {
    frame = document.createElement("iframe");
    frame.src = server + "/widget/?embed=1&lang=" + lang;
    frame.title = T.frame;
    frame.referrerPolicy = "no-referrer";
    frame.setAttribute("data-harbor", "frame");
    styled(frame, {
      position: "fixed", zIndex: "2147483647", border: "0", background: "#fff",
      boxShadow: "0 4px 24px rgba(0,0,0,.35)", display: "none"
    });
    document.body.appendChild(frame);
    frame.addEventListener("load", function () {
      if (isOpen) { frame.contentWindow.postMessage({ type: "harbor:focus" }, server); }
    });
    place();
  }

  function open() {
    if (!frame) { createFrame(); }
    isOpen = true;
    frame.style.display = "block";
    openButton.setAttribute("aria-expanded", "true");
    frame.focus();
    frame.contentWindow.postMessage({ type: "harbor:focus" }, server);
  }

  function close() {
    if (!frame) { return; }
    isOpen = false;
    frame.style.display = "none";
    openButton.setAttribute("aria-expanded", "false");
    openButton.focus();
  }

  var leaving = false;
  function leave() { window.location.replace(EXIT_URL); }
  function quickExit() {
    if (leaving) { return; }
    leaving = true;
    if (!frame) { leave(); return; }
    // Let the chat clear its storage and end its session first, but never wait long.
    frame.contentWindow.postMessage({ type: "harbor:end" }, server);
    window.setTimeout(leave, 150);
  }

  openButton.addEventListener("click", function () { if (isOpen) { close(); } else { open(); } });
  exitButton.addEventListener("click", quickExit);
  document.addEventListener("keydown", function (event) {
    if (isOpen && (event.key === "Escape" || event.key === "Esc")) { quickExit(); }
  });
  window.addEventListener("message", function (event) {
    if (!frame || event.origin !== server || event.source !== frame.contentWindow || !event.data) { return; }
    var type = event.data.type;
    if (type === "harbor:exit" || type === "harbor:ended") { leaving = true; leave(); }
    else if (type === "harbor:close") { close(); }
  });
  if (phone.addEventListener) { phone.addEventListener("change", place); }

  function mount() { document.body.appendChild(dock); }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();
