"""The web widget's channel: Rasa's socket.io channel, fixed and hardened. (The widget's files and
settings: bot/channels/widget_files.py; its session ids: bot/channels/widget_sessions.py.)

Registered in credentials.yml as `bot.channels.socketio.HarborSocketIOInput`. Compared with
Rasa 3.6.21's own `socketio` channel:

- Replies are delivered. Rasa's channel does not await `sio.enter_room`, so with
  `session_persistence: true` the socket never joins its session's room and every reply is
  lost (Rasa issue #13027). Here each reply is sent to the one socket bound to the session.
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
- Typed text is text: buttons carry short random keys (bot/channels/offers.py). The page's
  language switch (`{"language": "es"}` instead of a message) is passed on as a choice, not as
  text (bot/choices.py); whatever the page sends as metadata (`customData`) is not. Too many
  messages from one session or one address get a friendly "slow down" (bot/channels/limits.py).
  A long message is not dropped: the privacy guard keeps its beginning and its end.
- Malformed input (non-dict data, non-text messages, a language that is not "en" or "es") is
  dropped instead of raising; a socket.io packet is at most 64 KB.
- The widget's page, embed script and assets are served at /widget/ (bot/channels/widget_files.py).

Settings: HARBOR_WIDGET_ORIGINS, HARBOR_EXIT_URL (widget_files.py), HARBOR_SESSION_KEY (widget_sessions.py).
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot import choices, runtime
from bot.channels import plain_text, reply_language
from bot.channels.common import Caller
from bot.channels.limits import Limiter, limiter
from bot.channels.offers import Offers
from bot.channels.widget_files import WidgetSettings, widget_routes
from bot.channels.widget_sessions import SessionIds
from bot.storage.keys import secret_key

logger = logging.getLogger(__name__)

MAX_PACKET_BYTES = 64 * 1024


class WidgetOutput(SocketIOOutput):
    """Replies to the one socket that sent the message, with buttons as opaque keys, each message
    with the `language` it says it is in (bot/channels/reply_language.py; none when it says none:
    the page then keeps the language of the message before)."""

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
        self.language: Optional[str] = None

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        self.language = reply_language.of(message)
        try:
            await super().send_response(recipient_id, message)
        finally:
            self.language = None

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        response = await self.offers.hide(self.conversation, dict(response))
        if self.language:
            response["language"] = self.language
        await self.sio.emit(self.bot_message_evt, response, room=self.sid, namespace=self.namespace)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


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
            # The page's language switch: a choice made with the page's own control, not text.
            choice = choices.choice({"language": data.get("language")}) if isinstance(data, dict) else None
            if text is None and choice:
                # Nothing was typed: the text kept for the turn is the code chosen (Rasa's pipeline
                # cannot read an empty text); bot/nlu/choice.py says what the choice means.
                text = choice["language"]
            elif not isinstance(text, str) or not text.strip():
                logger.warning("socket.io message that is empty or not text; ignored.")
                return
            else:
                choice = None
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
                await on_new_message(choices.mark_chosen(message, choice) if choice else message)

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

    def widget_routes(self, app: Sanic) -> None:
        widget_routes(app, self.settings)
