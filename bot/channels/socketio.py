"""The web widget's channel: Rasa's socket.io channel, fixed and hardened, plus the widget's files.

Registered in credentials.yml as `bot.channels.socketio.HarborSocketIOInput`. Compared with
Rasa 3.6.21's own `socketio` channel:

- Replies are delivered. Rasa's channel does not await `sio.enter_room`, so with
  `session_persistence: true` the socket never joins its session's room and every reply is
  lost (Rasa issue #13027). Here the room is entered (awaited) before `session_confirm`.
- The server issues the session id: 192 random bits plus an HMAC tag. A client may hand back
  an id this server issued (a page reload in the same tab keeps its conversation) while no
  other socket holds it; anything else gets a fresh id. A message is filed under the id bound
  to its socket, never under a `session_id` the message claims, and replies go to that socket
  only: holding someone's id does not let a second socket listen in.
- Origins: every socket.io request must carry an Origin, and it must be the page's own origin
  or a partner site listed in HARBOR_WIDGET_ORIGINS (Rasa's channel accepts every origin, and
  python-socketio checks none when the header is missing). X-Forwarded-Host/-Proto count only
  from a proxy listed in HARBOR_TRUSTED_PROXIES.
- `session_end` (sent by the widget's quick exit) refuses the id from then on, on every
  message and every socket, deletes its stored conversation and disconnects.
- Typed text is text: buttons carry short random keys (bot/channels/offers.py). Too many
  messages from one session or one address get a friendly "slow down" (bot/channels/limits.py).
  A long message is not dropped: the privacy guard keeps its beginning and its end.
- Malformed input (non-dict data, non-text messages, metadata that is not a JSON object) is
  dropped instead of raising; a socket.io packet is at most 64 KB.
- The widget's static files are served at /widget/ (page), /widget/embed.js (the one script
  tag partners add) and a few assets, with a strict Content-Security-Policy and other security
  headers. Third-party code (socket.io-client) comes from npm (bot/widget/package-lock.json),
  installed by `make install`, and is served by us: the widget never loads anything from
  another host.

Settings (environment variables; the first two also as `widget_origins` / `exit_url` in credentials.yml):
  HARBOR_WIDGET_ORIGINS  partner origins allowed to embed the widget and to open a socket,
                         separated by spaces or commas (default: none, the page's own only)
  HARBOR_EXIT_URL        where quick exit goes (default https://www.google.com/)
  HARBOR_SESSION_KEY     key that signs session ids; set the same on every Rasa server of one
                         site (default: a key file made once under HARBOR_DATA_DIR/keys/)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple
from urllib.parse import urlsplit

from rasa.core.channels.channel import InputChannel, UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot import runtime
from bot.channels import plain_text
from bot.channels.common import Caller
from bot.channels.limits import Limiter, limiter
from bot.channels.offers import Offers
from bot.privacy.guard import mark_offered
from bot.settings import session_seconds
from bot.storage.keys import secret_key
from bot.storage.settings import retention_seconds
from bot.storage.shared_state import shared_state

logger = logging.getLogger(__name__)

WIDGET_DIR = Path(__file__).resolve().parent.parent / "widget"
NODE_MODULES = WIDGET_DIR / "node_modules"
WIDGET_PATH = "/widget"
DEFAULT_EXIT_URL = "https://www.google.com/"
MAX_PACKET_BYTES = 64 * 1024
LANGUAGES = ("en", "es")  # what the page's language switch may choose
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{32}\.[A-Za-z0-9_-]{43}$")

JS = "text/javascript; charset=utf-8"
# name under /widget/ -> (file, content type, may other sites load it)
ASSETS: Dict[str, Tuple[Path, str, bool]] = {
    "widget.js": (WIDGET_DIR / "widget.js", JS, False),
    "widget.css": (WIDGET_DIR / "widget.css", "text/css; charset=utf-8", False),
    "icon.svg": (WIDGET_DIR / "icon.svg", "image/svg+xml", False),
    "vendor/socket.io.min.js": (NODE_MODULES / "socket.io-client" / "dist" / "socket.io.min.js", JS, False),
}


# --- settings --------------------------------------------------------------------------------


def parse_origins(value: Any) -> List[str]:
    """'https://a.org, https://b.org' or a list -> normalised origins; refuses anything else."""
    items = value if isinstance(value, (list, tuple)) else re.split(r"[\s,]+", str(value or ""))
    origins = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        parts = urlsplit(item)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
            or "*" in item
        ):
            raise ValueError(f"HARBOR_WIDGET_ORIGINS: {item!r} is not an origin like https://example.org")
        origins.append(f"{parts.scheme}://{parts.netloc.lower()}")
    return origins


def check_exit_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"HARBOR_EXIT_URL: {value!r} is not an http(s) URL")
    return value


@dataclass(frozen=True)
class WidgetSettings:
    origins: Tuple[str, ...] = ()
    exit_url: str = DEFAULT_EXIT_URL

    @classmethod
    def load(cls, credentials: Optional[Dict[str, Any]] = None) -> "WidgetSettings":
        credentials = credentials or {}
        origins = os.environ.get("HARBOR_WIDGET_ORIGINS", credentials.get("widget_origins", ""))
        exit_url = os.environ.get("HARBOR_EXIT_URL") or credentials.get("exit_url") or DEFAULT_EXIT_URL
        return cls(tuple(parse_origins(origins)), check_exit_url(exit_url))


class SessionIds:
    """Issues session ids and recognises the ones it issued (HMAC-SHA256, constant-time check).

    The key comes from HARBOR_SESSION_KEY, else from a key file made once under HARBOR_DATA_DIR,
    so a conversation survives a restart. An id ended by Quick exit is refused from then on (for
    as long as its conversation could be kept), in the shared state (Redis with several servers).
    """

    def __init__(self, key: Optional[bytes] = None, state: Any = None):
        self._key = key or secret_key("HARBOR_SESSION_KEY")
        self.state = shared_state() if state is None else state

    def _tag(self, token: str) -> str:
        digest = hmac.new(self._key, token.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def new(self) -> str:
        token = secrets.token_urlsafe(24)  # 32 characters, 192 bits
        return f"{token}.{self._tag(token)}"

    def signed(self, value: Any) -> bool:
        if not isinstance(value, str) or not SESSION_ID.match(value):
            return False
        token, tag = value.split(".")
        return hmac.compare_digest(tag, self._tag(token))

    async def issued(self, value: Any) -> bool:
        """Signed by us and not ended by Quick exit."""
        return self.signed(value) and not await self.state.get(f"widget:ended:{value}")

    async def end(self, value: str) -> None:
        await self.state.put(f"widget:ended:{value}", True, retention_seconds() + 3600)
        await self.state.pop(f"widget:holder:{value}")

    # A holder is "<this server's random id>:<socket id>", so that a server can tell a socket of its
    # own that has gone (a page reload: the new socket may take the id) from one on another server.
    server = secrets.token_hex(8)

    async def hold(self, value: str, sid: str, gone: Callable[[str], bool] = lambda _: False) -> bool:
        """Binds the id to one socket; False if another live socket holds it."""
        me = f"{self.server}:{sid}"
        holder = await self.state.get(f"widget:holder:{value}")
        if holder not in (None, me):
            server, _, other = str(holder).partition(":")
            if server != self.server or not gone(other):
                return False
        await self.state.put(f"widget:holder:{value}", me, session_seconds())
        return True

    async def holds(self, value: str, sid: str) -> bool:
        return await self.state.get(f"widget:holder:{value}") == f"{self.server}:{sid}"

    async def release(self, value: str, sid: str) -> None:
        if await self.holds(value, sid):
            await self.state.pop(f"widget:holder:{value}")


class WidgetOutput(SocketIOOutput):
    """Replies to the one socket that sent the message, with buttons as opaque keys."""

    def __init__(
        self,
        sio: AsyncServer,
        bot_message_evt: Text,
        sid: str,
        conversation: str,
        offers: Offers,
        namespace: Optional[str],
    ) -> None:
        super().__init__(sio, bot_message_evt)
        self.sid, self.conversation, self.offers, self.namespace = sid, conversation, offers, namespace

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        response = await self.offers.hide(self.conversation, dict(response))
        await self.sio.emit(self.bot_message_evt, response, room=self.sid, namespace=self.namespace)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


# --- security headers ------------------------------------------------------------------------


def page_headers(settings: WidgetSettings) -> Dict[str, str]:
    ancestors = " ".join(("'self'",) + settings.origins)
    csp = "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            "connect-src 'self'",  # the socket.io endpoint, ws:// and http:// alike
            "base-uri 'none'",
            "form-action 'none'",
            "object-src 'none'",
            f"frame-ancestors {ancestors}",
            "require-trusted-types-for 'script'",  # no HTML strings can reach a DOM sink
            "trusted-types 'none'",
        ]
    )
    headers = {
        "Content-Security-Policy": csp,
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    if not settings.origins:
        headers["X-Frame-Options"] = "SAMEORIGIN"  # older browsers; CSP frame-ancestors rules elsewhere
    return {**common_headers(), **headers}


def common_headers() -> Dict[str, str]:
    return {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",  # nothing of the widget kept in the browser's cache
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    }


def asset_headers(shared: bool) -> Dict[str, str]:
    headers = {
        **common_headers(),
        "Cross-Origin-Resource-Policy": "cross-origin" if shared else "same-origin",
        "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    }
    return headers


# --- the channel -----------------------------------------------------------------------------


class WidgetBlueprint(SocketBlueprint):
    """Attaches socket.io (as Rasa's does) and the widget's routes at the server's root."""

    def __init__(
        self, sio: AsyncServer, socketio_path: Text, widget_routes: Callable[[Sanic], None], *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(sio, socketio_path, *args, **kwargs)
        self.ctx.widget_routes = widget_routes

    def register(self, app: Sanic, options: Dict[Text, Any]) -> None:
        self.ctx.widget_routes(app)
        super().register(app, options)


class HarborSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel with server-issued sessions, origin checks and the widget."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        channel = cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            True,  # sessions always persist across reconnects (the id is ours, see module doc)
            credentials.get("socketio_path", "/socket.io"),
            credentials.get("jwt_key"),
            credentials.get("jwt_method", "HS256"),
            credentials.get("metadata_key", "customData"),
        )
        channel.settings = WidgetSettings.load(credentials)
        return channel

    settings: WidgetSettings = WidgetSettings()
    session_ids: Optional[SessionIds] = None
    limits: Optional[Limiter] = None
    key: bytes = b""

    # socket.io ---------------------------------------------------------------------------

    def origin_allowed(self, origin: Optional[str], environ: Dict[str, Any]) -> bool:
        """The page's own origin or a configured one; a request without an Origin is refused."""
        if not origin:
            return False
        request = environ.get("sanic.request")
        if request is not None:
            caller = Caller.of_request(request)
        else:  # not through Sanic (unit tests): only what the socket itself says
            caller = Caller(
                "",
                environ.get("wsgi.url_scheme", "http"),
                environ.get("HTTP_HOST", ""),
                {},
            )
        own = f"{caller.scheme}://{caller.host}".lower() if caller.host else ""
        return origin.lower() == own or origin.lower() in self.settings.origins

    def caller(self, environ: Dict[str, Any]) -> str:
        request = environ.get("sanic.request")
        address = Caller.of_request(request).address if request is not None else ""
        return Caller(address, "", "").pseudonym(self.key)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        runtime.install()
        ids = self.session_ids = self.session_ids or SessionIds()
        self.key = secret_key("HARBOR_CHANNEL_KEY")
        offers, limits = Offers(), self.limits or limiter()
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=self.origin_allowed,
            cors_credentials=False,
            cookie=None,
            max_http_buffer_size=MAX_PACKET_BYTES,
        )
        self.sio = sio
        namespace = self.namespace
        webhook = runtime.harden(
            WidgetBlueprint(sio, self.socketio_path, self.widget_routes, "harbor_socketio_webhook", __name__)
        )

        @webhook.listener("before_server_start")
        async def remember_app(app: Sanic, _loop: Any) -> None:
            self.app = app

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=namespace)
        async def connect(sid: Text, environ: Dict, auth: Any = None) -> bool:
            # python-socketio checks the Origin only when there is one: here it must be there.
            if not self.origin_allowed(environ.get("HTTP_ORIGIN"), environ):
                return False
            await sio.save_session(sid, {"client": self.caller(environ)}, namespace=namespace)
            if self.jwt_key:  # optional JWT check, as in Rasa's channel
                token = auth.get("token") if isinstance(auth, dict) else None
                return bool(token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm))
            return True

        @sio.on("disconnect", namespace=namespace)
        async def disconnect(sid: Text) -> None:
            session_id = (await sio.get_session(sid, namespace=namespace)).get("session_id")
            if session_id:
                await ids.release(session_id, sid)

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: Text, data: Any) -> None:
            claimed = data.get("session_id") if isinstance(data, dict) else None
            session = await sio.get_session(sid, namespace=namespace)

            def gone(other: str) -> bool:  # a socket of this server that is no longer connected
                return not sio.manager.is_connected(other, namespace or "/")

            session_id = claimed if await ids.issued(claimed) and await ids.hold(claimed, sid, gone) else None
            if session_id is None:
                session_id = ids.new()
                await ids.hold(session_id, sid)
            previous = session.get("session_id")
            if previous and previous != session_id:
                await ids.release(previous, sid)
            await sio.save_session(sid, {**session, "session_id": session_id}, namespace=namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        @sio.on("session_end", namespace=namespace)
        async def session_end(sid: Text, _: Any = None) -> None:
            session = await sio.get_session(sid, namespace=namespace)
            session_id = session.get("session_id")
            if session_id and await ids.holds(session_id, sid):
                await ids.end(session_id)
                await self.forget(session_id)
            await sio.save_session(sid, {}, namespace=namespace)
            await sio.disconnect(sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            session = await sio.get_session(sid, namespace=namespace)
            session_id = session.get("session_id")
            if not session_id or not await ids.issued(session_id) or not await ids.holds(session_id, sid):
                logger.warning("socket.io message without a live session of its own; refused.")
                await sio.disconnect(sid, namespace=namespace)
                return
            text = data.get("message") if isinstance(data, dict) else None
            chosen = data.get("language") if isinstance(data, dict) else None
            if text is None and chosen in LANGUAGES:  # the page's language switch, not typed text
                text = "/switch_language" + json.dumps({"language": chosen}, separators=(",", ":"))
            elif not isinstance(text, str) or not text.strip():
                logger.warning("socket.io message that is empty or not text; ignored.")
                return
            else:
                chosen = None
            output = WidgetOutput(sio, self.bot_message_evt, sid, session_id, offers, namespace)
            client = session.get("client", "")
            if not (await limits.client_allowed(client) and await limits.conversation_allowed(session_id)):
                await output._send_message(session_id, {"text": plain_text.bilingual("slow_down")})
                return
            async with limits.answering(client) as allowed:
                if not allowed:
                    await output._send_message(session_id, {"text": plain_text.bilingual("slow_down")})
                    return
                await ids.hold(session_id, sid)  # keeps the binding alive while the session is used
                message = await offers.user_message(session_id, text, output_channel=output, input_channel=self.name())
                await on_new_message(mark_offered(message) if chosen else message)

        return webhook

    async def forget(self, session_id: str) -> None:
        """Deletes the conversation of an ended session from the tracker store, now."""
        agent = getattr(getattr(getattr(self, "app", None), "ctx", None), "agent", None)
        store = getattr(agent, "tracker_store", None)
        store = getattr(store, "_tracker_store", store)
        if agent is None or not hasattr(store, "delete"):
            logger.error(
                "Quick exit: the conversation could not be deleted now (no Harbor tracker "
                "store); it goes with the retention period."
            )
            return
        async with agent.lock_store.lock(session_id):
            await store.delete(session_id)

    def metadata_of(self, data: Dict[str, Any]) -> Dict[str, Any]:
        metadata = data.get(self.metadata_key) or {}
        if isinstance(metadata, str):
            try:
                metadata = json.loads(metadata)
            except ValueError:
                metadata = {}
        return metadata if isinstance(metadata, dict) else {}

    # the widget's files ---------------------------------------------------------------------

    def widget_routes(self, app: Sanic) -> None:
        settings = self.settings
        for path, _, _ in ASSETS.values():
            if not path.is_file():
                logger.error("Widget file %s is missing: run `make install` (npm ci in bot/widget).", path)
        headers = page_headers(settings)

        # Read on each request (a few KB): an edit shows on reload, no restart needed.
        def page() -> str:
            from bot.contacts import widget_values  # contact details: data/contacts.yml
            from bot.settings import reply_timeout_seconds  # the one place for timeouts

            text = (
                (WIDGET_DIR / "index.html")
                .read_text(encoding="utf-8")
                .replace("{{EXIT_URL}}", html.escape(settings.exit_url, quote=True))
                .replace("{{REPLY_TIMEOUT_MS}}", str(round(reply_timeout_seconds() * 1000)))
            )
            for placeholder, value in widget_values().items():
                text = text.replace(placeholder, html.escape(value, quote=True))
            return text

        def embed() -> str:
            from bot.contacts import widget_values  # contact details: data/contacts.yml

            text = (
                (WIDGET_DIR / "embed.js")
                .read_text(encoding="utf-8")
                .replace('"{{EXIT_URL}}"', json.dumps(settings.exit_url))
            )
            for placeholder, value in widget_values().items():
                text = text.replace(f'"{placeholder}"', json.dumps(value))
            return text

        async def widget_page(_: Request) -> HTTPResponse:
            return response.html(page(), headers=headers)

        async def to_widget_page(_: Request) -> HTTPResponse:
            return response.redirect(f"{WIDGET_PATH}/", headers=common_headers())

        async def embed_script(_: Request) -> HTTPResponse:
            return response.text(embed(), content_type=JS, headers=asset_headers(shared=True))

        async def asset(_: Request, name: str, subname: str = "") -> HTTPResponse:
            key = f"{name}/{subname}" if subname else name
            if key not in ASSETS:
                return response.text("Not found", status=404, headers=common_headers())
            path, content_type, shared = ASSETS[key]
            try:
                body = path.read_bytes()
            except OSError:
                return response.text(
                    "Widget files are not installed: run `make install`.", status=503, headers=common_headers()
                )
            return response.raw(body, content_type=content_type, headers=asset_headers(shared))

        app.add_route(widget_page, f"{WIDGET_PATH}/", methods=["GET"], strict_slashes=True, name="harbor_widget_page")
        app.add_route(to_widget_page, WIDGET_PATH, methods=["GET"], strict_slashes=True, name="harbor_widget_redirect")
        app.add_route(embed_script, f"{WIDGET_PATH}/embed.js", methods=["GET"], name="harbor_widget_embed")
        app.add_route(asset, f"{WIDGET_PATH}/<name:str>", methods=["GET"], name="harbor_widget_asset")
        app.add_route(asset, f"{WIDGET_PATH}/<name:str>/<subname:str>", methods=["GET"], name="harbor_widget_asset_sub")
