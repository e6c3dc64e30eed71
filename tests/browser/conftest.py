"""Browser tests: the web widget in real headless Chromium (Debian's), against the real servers.

One assistant (action server + Rasa server with the widget channel) runs for the whole session
on ports of its own; two small local web servers play a partner site that embeds the widget and
a stranger site that is not allowed to. Every page runs in a context that refuses requests to
any host but 127.0.0.1 (and records them), and that fails the test on any Content-Security-
Policy or Trusted Types violation or uncaught page error.

Set HARBOR_TEST_SERVER=http://127.0.0.1:PORT to use an assistant you already started (with
HARBOR_WIDGET_ORIGINS=http://127.0.0.1:15399) instead of starting one.
"""

from __future__ import annotations

import http.server
import os
import re
import threading
import time
from pathlib import Path
from typing import Callable, Dict, List

import pytest

from bot.launcher import Stack
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
MODEL = Path(os.environ.get("HARBOR_MODEL", ROOT / "models" / "harbor.tar.gz"))
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
NODE_MODULES = ROOT / "bot" / "widget" / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
SOCKET_IO_CLIENT = NODE_MODULES / "socket.io-client" / "dist" / "socket.io.min.js"

RASA_PORT, ACTION_PORT = 15305, 15355
PARTNER_PORT, STRANGER_PORT = 15399, 15398  # a site allowed to embed the widget, and one that is not
PARTNER = f"http://127.0.0.1:{PARTNER_PORT}"
STRANGER = f"http://127.0.0.1:{STRANGER_PORT}"
PHONE = {"width": 360, "height": 740}
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{32}\.[A-Za-z0-9_-]{43}$")
EXIT_URL = "https://www.google.com/"  # the default quick-exit site, set explicitly for the tests
NEUTRAL_PAGE = "<!doctype html><title>Weather</title><p>Sunny</p>"


# --- servers -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def server_url(tmp_path_factory) -> str:
    external = os.environ.get("HARBOR_TEST_SERVER")
    if external:
        yield external.rstrip("/")
        return
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (or `make test`) first")
    missing = [p for p in (AXE, SOCKET_IO_CLIENT) if not p.exists()]
    if missing:
        pytest.fail(f"widget packages missing ({missing[0]}): run `make install`")
    logs = tmp_path_factory.mktemp("browser-logs")
    with Stack(
        MODEL,
        rasa_port=RASA_PORT,
        action_port=ACTION_PORT,
        log_dir=logs,
        env={"HARBOR_WIDGET_ORIGINS": PARTNER, "HARBOR_EXIT_URL": EXIT_URL},
    ) as stack:
        yield stack.url


def host_pages(server: str) -> Dict[str, str]:
    """Pages of the partner and stranger sites (both serve the same files)."""
    direct = """<!doctype html><html lang="en"><title>Direct</title>
<script src="/socket.io.min.js"></script>
<script>
  // Opens a socket straight to the Harbor server; resolves "connected" or "refused".
  window.tryConnect = function (server, transports) {
    return new Promise(function (resolve) {
      var s = io(server, {transports: transports, reconnection: false, timeout: 5000});
      s.on("connect", function () { s.disconnect(); resolve("connected"); });
      s.on("connect_error", function () { resolve("refused"); });
    });
  };
</script><h1>Direct</h1></html>"""
    return {
        "/partner.html": f"""<!doctype html><html lang="en"><head><title>Partner organisation</title></head>
<body><h1>Partner organisation</h1><p>We help people.</p>
<script src="{server}/widget/embed.js"></script></body></html>""",
        "/frame.html": f"""<!doctype html><html lang="en"><title>Frame</title>
<iframe id="chat" title="chat" src="{server}/widget/" width="360" height="600"></iframe></html>""",
        "/direct.html": direct,
    }


class HostPages(http.server.BaseHTTPRequestHandler):
    pages: Dict[str, str] = {}

    def do_GET(self):  # http.server's naming
        if self.path == "/socket.io.min.js":
            body, kind = SOCKET_IO_CLIENT.read_bytes(), "text/javascript"
        elif self.path in self.pages:
            body, kind = self.pages[self.path].encode(), "text/html; charset=utf-8"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def host_sites(server_url):
    handler = type("Pages", (HostPages,), {"pages": host_pages(server_url)})
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) for port in (PARTNER_PORT, STRANGER_PORT)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"partner": PARTNER, "stranger": STRANGER}
    for server in servers:
        server.shutdown()
        server.server_close()


# --- browser -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed at /usr/bin/chromium: run `make install`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Watch:
    """What a context did that it must not: third-party requests, CSP violations, page errors."""

    def __init__(self):
        self.foreign: List[str] = []
        self.exits: List[str] = []
        self.violations: List[str] = []
        self.errors: List[str] = []
        self.exit_hosts = {"www.google.com"}  # EXIT_URL's host

    def watch_page(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Trusted Type" in text or "TrustedHTML" in text:
            self.violations.append(text)

    def route(self, route) -> None:
        url = route.request.url
        host = re.sub(r"^[a-z]+://([^/:]+).*$", r"\1", url)
        if host == "127.0.0.1" or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        elif host in self.exit_hosts and route.request.is_navigation_request():
            self.exits.append(url)  # quick exit: a neutral page, made here, no network
            route.fulfill(status=200, content_type="text/html", body=NEUTRAL_PAGE)
        else:
            self.foreign.append(url)
            route.abort()


@pytest.fixture
def watch():
    return Watch()


@pytest.fixture
def new_context(browser, watch):
    """Makes browser contexts (phone-sized by default) that are watched and closed after the test."""
    contexts = []

    def make(**options):
        settings = {
            "viewport": PHONE,
            "device_scale_factor": 2,
            "is_mobile": True,
            "has_touch": True,
            "locale": "en-US",
        }
        settings.update(options)
        context = browser.new_context(**settings)
        context.route("**/*", watch.route)
        context.on("page", watch.watch_page)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert not watch.foreign, f"requests to other hosts: {watch.foreign}"
    assert not watch.violations, f"CSP / Trusted Types violations: {watch.violations}"
    assert not watch.errors, f"uncaught errors in the page: {watch.errors}"


@pytest.fixture
def context(new_context):
    return new_context()


# --- the widget, as a person uses it -------------------------------------------------------------


class Widget:
    """The chat page, driven the way a person would: typing, clicking, pressing keys."""

    def __init__(self, page, base: str):
        self.page, self.base = page, base

    def open(self, query: str = "") -> "Widget":
        self.page.goto(f"{self.base}/widget/{query}")
        self.wait_for_session()
        return self

    def wait_for_session(self, timeout: float = 15_000) -> str:
        self.page.wait_for_function(
            "() => (sessionStorage.getItem('harbor.session') || '').length > 40", timeout=timeout
        )
        return self.session_id()

    def session_id(self) -> str:
        return self.page.evaluate("() => sessionStorage.getItem('harbor.session')")

    @property
    def bot_messages(self):
        return self.page.locator(".msg-bot:not(.intro)")

    def bot_texts(self) -> List[str]:
        return [
            t.strip()
            for t in self.page.eval_on_selector_all(
                ".msg-bot:not(.intro)", "els => els.map(e => (e.querySelector('.text') || e).textContent)"
            )
        ]

    def quick_replies(self):
        return self.page.locator(".replies.quick button")

    def wait_for_replies(self, before: int, timeout: float = 30_000, settle: float = 0.8) -> List[str]:
        """Waits for bot messages beyond the first `before`, until no more arrive for `settle` s."""
        self.page.wait_for_function(
            "n => document.querySelectorAll('.msg-bot:not(.intro)').length > n", arg=before, timeout=timeout
        )
        seen = {"count": -1, "since": time.monotonic()}

        def settled() -> bool:
            now = self.bot_messages.count()
            if now != seen["count"]:
                seen.update(count=now, since=time.monotonic())
            return time.monotonic() - seen["since"] >= settle

        wait_until(settled, timeout=timeout / 1000, interval=0.1, what="the replies to settle")
        return self.bot_texts()[before:]

    def say(self, text: str) -> List[str]:
        before = self.bot_messages.count()
        self.page.get_by_label(re.compile("Your message|Su mensaje")).fill(text)
        self.page.keyboard.press("Enter")
        return self.wait_for_replies(before)

    def click_reply(self, title: str) -> List[str]:
        before = self.bot_messages.count()
        self.quick_replies().filter(has_text=title).first.click()
        return self.wait_for_replies(before)


@pytest.fixture
def widget(context, server_url) -> Widget:
    return Widget(context.new_page(), server_url)


@pytest.fixture(scope="session")
def make_widget(server_url) -> Callable:
    return lambda page: Widget(page, server_url)
