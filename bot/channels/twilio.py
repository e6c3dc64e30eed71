"""SMS and WhatsApp through Twilio, at /webhooks/twilio/webhook.

Registered in credentials.yml as `bot.channels.twilio.HarborTwilioInput`. Compared with
Rasa 3.6.21's own `twilio` channel:

- Every request must carry a valid X-Twilio-Signature (HMAC-SHA1 of the public URL and the
  POST parameters, blank ones included, keyed with TWILIO_AUTH_TOKEN) and come from our account
  (AccountSid); anything else gets 403 and nothing is processed or sent. The URL is the one
  Twilio calls, HARBOR_PUBLIC_URL + the path: without HARBOR_PUBLIC_URL every request is
  refused (checking against the request's own Host header would let its sender choose the URL).
- A MessageSid is answered once: one seen within HARBOR_RETENTION_HOURS + 1 h (kept in the
  shared state, which survives a restart) is a redelivery or a replay, and is dropped.
- Too many messages from one number (bot/channels/limits.py) get one "please slow down" with
  911 and the hotline, then nothing until the window passes.
- Replies fit the channel: all the assistant's messages for one inbound message go out as one
  text, split at paragraph, line, sentence or word ends into parts of at most
  HARBOR_SMS_MAX_CHARS (default and maximum 1600, Twilio's limit), marked "(1/2)", "(2/2)" and
  sent in order; buttons become numbered options ("Reply 1 for …" / "Responda 1 para …", in the
  language the offering message says it is in: bot/channels/reply_language.py), and a reply of
  "1", "2" … picks that option's payload (remembered per conversation, in the shared state).
- Carrier keywords (bot/channels/messages.yml): STOP and the like confirm the opt-out and nothing
  more is sent until START; HELP (AYUDA in Spanish) gets the help text with 911 and the hotline.
  When Twilio's Advanced Opt-Out already answered a keyword (the request carries OptOutType),
  the opt-out is recorded and nothing is sent twice.
- Conversations are kept under an HMAC of the phone number, not the number (common.ConversationIds);
  typed text never reaches Rasa as an intent payload; redelivered messages (same MessageSid) are
  answered once; the REST API is called without blocking the server (aiohttp, not Twilio's
  synchronous client).

Settings (environment variables; the non-secret ones may also be set in credentials.yml, lower case):
  TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN   the account (required; without them every request is refused)
  TWILIO_NUMBER                           SMS sender, E.164 (+15551234567); default: the number written to
  TWILIO_MESSAGING_SERVICE_SID            send SMS through this Messaging Service instead of TWILIO_NUMBER
  TWILIO_WHATSAPP_NUMBER                  WhatsApp sender (whatsapp:+1555… or +1555…); default: the number written to
  TWILIO_API_URL                          REST API base (default https://api.twilio.com)
  HARBOR_PUBLIC_URL                       the public base URL Twilio calls, e.g. https://harbor.example.org
  HARBOR_SMS_MAX_CHARS                    longest part of a reply (default 1600)
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple
from urllib.parse import parse_qs

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from bot import runtime
from bot.channels import plain_text, reply_language
from bot.channels.common import ConversationIds, api_base_url, int_setting, public_base_url, setting
from bot.channels.limits import limiter
from bot.channels.plain_text import Option
from bot.channels.retry import Again, with_retries
from bot.privacy.guard import mark_offered
from bot.settings import session_seconds
from bot.storage.settings import retention_seconds
from bot.storage.shared_state import shared_state

logger = logging.getLogger(__name__)

TWILIO_MAX_CHARS = 1600  # Twilio refuses a longer Body
DEFAULT_API_URL = "https://api.twilio.com"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
MAX_REQUEST_BYTES = 64 * 1024
MIN_AUTH_TOKEN_CHARS = 32  # Twilio's auth tokens are 32 characters
RETRIES = (0.5, 1.5)  # waits before the 2nd and 3rd try of a part (429, 5xx, network)
WHATSAPP = "whatsapp:"


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str = ""
    auth_token: str = ""
    sms_from: str = ""
    messaging_service_sid: str = ""
    whatsapp_from: str = ""
    api_url: str = DEFAULT_API_URL
    public_url: str = ""
    max_chars: int = TWILIO_MAX_CHARS

    @classmethod
    def load(cls, credentials: Optional[Dict[str, Any]] = None) -> "TwilioSettings":
        credentials = credentials or {}
        whatsapp = setting("TWILIO_WHATSAPP_NUMBER", credentials)
        if whatsapp and not whatsapp.startswith(WHATSAPP):
            whatsapp = WHATSAPP + whatsapp
        return cls(
            account_sid=setting("TWILIO_ACCOUNT_SID"),
            auth_token=setting("TWILIO_AUTH_TOKEN"),
            sms_from=setting("TWILIO_NUMBER", credentials),
            messaging_service_sid=setting("TWILIO_MESSAGING_SERVICE_SID", credentials),
            whatsapp_from=whatsapp,
            api_url=api_base_url("TWILIO_API_URL", setting("TWILIO_API_URL", credentials, DEFAULT_API_URL)),
            public_url=public_base_url(setting("HARBOR_PUBLIC_URL", credentials)),
            max_chars=int_setting("HARBOR_SMS_MAX_CHARS", credentials, TWILIO_MAX_CHARS, 60, TWILIO_MAX_CHARS),
        )

    @property
    def configured(self) -> bool:
        return bool(self.account_sid and len(self.auth_token) >= MIN_AUTH_TOKEN_CHARS and self.public_url)


class _Params(dict):
    """POST parameters as lists of values, in the shape Twilio's RequestValidator reads."""

    def getall(self, name: str) -> List[str]:
        return self[name]

    def first(self, name: str) -> str:
        return (self.get(name) or [""])[0]


def parse_form(body: bytes) -> _Params:
    # Sanic's request.form drops blank values, but Twilio signs them too: parse the body here.
    return _Params(parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True))


# --- output: collect, then render for SMS --------------------------------------------------------


class TwilioReplies(OutputChannel):
    """Collects what the assistant says to one inbound message; the connector sends it after.

    Each message keeps the language it says it is in (bot/channels/reply_language.py);
    `known` is the conversation's last known language, for messages that say none."""

    @classmethod
    def name(cls) -> Text:
        return "twilio"

    def __init__(self, known: Optional[str] = None) -> None:
        self.items: List[Tuple[str, List[Option], Optional[str]]] = []
        self.known = known

    def _add(self, text: str, options: List[Option], kwargs: Dict[str, Any]) -> None:
        self.items.append((text or "", options, reply_language.of(kwargs)))

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        self._add(text, [], kwargs)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        self._add(text, plain_text.options_of(buttons), kwargs)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        self._add(image, [], kwargs)

    async def send_attachment(self, recipient_id: Text, attachment: Text, **kwargs: Any) -> None:
        self._add(str(attachment or ""), [], kwargs)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        logger.debug("Twilio channel: custom message not sent (plain-text channel).")

    @property
    def language(self) -> Optional[str]:
        """The language the assistant spoke last in this turn, else the one known before."""
        return next((language for _, _, language in reversed(self.items) if language), self.known)

    def render(self) -> Tuple[str, List[Option]]:
        """One text (the messages in order, then the numbered options) and the options.

        "Reply 1 for …" is in the language of the message that offered the options; when that
        message says none, the language spoken before it, else English."""
        texts = [t.strip() for t, _, _ in self.items if t and t.strip()]
        options = [o for _, opts, _ in self.items for o in opts]
        if options:
            language, offered = self.known, None
            for _, opts, said in self.items:
                language = said or language
                if opts:
                    offered = language
            texts.append(plain_text.option_lines(options, offered or reply_language.DEFAULT))
        return "\n\n".join(texts), options


# --- the REST API ----------------------------------------------------------------------------------


class TwilioMessages:
    """Sends text through Twilio's Messages API, parts in order, without blocking the server."""

    def __init__(self, settings: TwilioSettings):
        self.settings = settings

    @property
    def url(self) -> str:
        return f"{self.settings.api_url}/2010-04-01/Accounts/{self.settings.account_sid}/Messages.json"

    def sender_for(self, to: str, written_to: str) -> Dict[str, str]:
        s = self.settings
        if to.startswith(WHATSAPP):
            sender = s.whatsapp_from or written_to
            return {"From": sender if sender.startswith(WHATSAPP) else WHATSAPP + sender}
        if s.messaging_service_sid:
            return {"MessagingServiceSid": s.messaging_service_sid}
        return {"From": s.sms_from or written_to}

    async def send(self, to: str, written_to: str, parts: List[str]) -> int:
        """Sends the parts in order; stops at the first that fails. Returns how many were sent."""
        if not parts:
            return 0
        sender = self.sender_for(to, written_to)
        auth = aiohttp.BasicAuth(self.settings.account_sid, self.settings.auth_token)
        sent = 0
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
            for part in parts:
                if not await self._send_one(session, auth, {"To": to, **sender, "Body": part}):
                    break
                sent += 1
        return sent

    async def _send_one(self, session: aiohttp.ClientSession, auth: aiohttp.BasicAuth, form: Dict[str, str]) -> bool:
        async def attempt(number: int) -> Any:
            try:
                async with session.post(self.url, data=form, auth=auth) as reply:
                    if reply.status in (200, 201):
                        return True
                    code = await _error_code(reply)
                    # Never the number or the text in the log: only what went wrong.
                    logger.warning("Twilio refused a message: HTTP %s, error %s (try %d).", reply.status, code, number)
                    return Again() if reply.status == 429 or reply.status >= 500 else False
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                logger.warning("Twilio API unreachable (%s, try %d).", type(error).__name__, number)
                return Again()

        return bool(await with_retries(attempt, RETRIES))


async def _error_code(reply: aiohttp.ClientResponse) -> Any:
    try:
        return (await reply.json(content_type=None)).get("code")
    except (ValueError, aiohttp.ClientError, AttributeError):
        return None


# --- the channel ---------------------------------------------------------------------------------------


class HarborTwilioInput(InputChannel):
    """SMS and WhatsApp through Twilio, signature-checked, with numbered options and keywords."""

    @classmethod
    def name(cls) -> Text:
        return "twilio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(TwilioSettings.load(credentials or {}))

    def __init__(
        self, settings: Optional[TwilioSettings] = None, ids: Optional[ConversationIds] = None, state: Any = None
    ) -> None:
        runtime.install()
        self.settings = settings or TwilioSettings()
        self.ids = ids or ConversationIds()
        self.api = TwilioMessages(self.settings)
        # Numbered options offered, opt-outs and seen MessageSids: in Redis when several servers
        # share the work (bot/storage/shared_state.py). Opt-outs are kept until START: the user
        # asked us to keep that. Twilio itself also blocks SMS to numbers that sent STOP.
        self.state = shared_state() if state is None else state
        self.languages = reply_language.LastLanguage(self.state, "twilio")
        self.limits = limiter()
        if not self.settings.configured:
            logger.warning(
                "Twilio channel: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN (32 characters) or "
                "HARBOR_PUBLIC_URL is not set; /webhooks/twilio/webhook refuses every request."
            )

    # security ------------------------------------------------------------------------------------

    def signed_url(self, request: Request) -> str:
        """The URL Twilio called: HARBOR_PUBLIC_URL + path (+ query)."""
        query = f"?{request.query_string}" if request.query_string else ""
        return f"{self.settings.public_url}{request.path}{query}"

    def authentic(self, request: Request, params: _Params) -> bool:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not (self.settings.configured and signature):
            return False
        if not RequestValidator(self.settings.auth_token).validate(self.signed_url(request), params, signature):
            return False
        return params.first("AccountSid") == self.settings.account_sid

    # webhook -------------------------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = runtime.harden(Blueprint("harbor_twilio_webhook", __name__))

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            if len(request.body or b"") > MAX_REQUEST_BYTES:
                return response.text("Payload too large", status=413)
            params = parse_form(request.body or b"")
            if not self.authentic(request, params):
                logger.warning(
                    "Twilio webhook: request refused (bad or missing X-Twilio-Signature%s).",
                    "" if self.settings.public_url else "; HARBOR_PUBLIC_URL is not set",
                )
                return response.text("Forbidden", status=403)
            try:
                await self.handle(params, on_new_message)
            except Exception as error:  # noqa: BLE001 - never make Twilio retry a message
                logger.error("Twilio channel failed to answer a message (%s).", type(error).__name__)
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return webhook

    async def handle(self, params: _Params, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """One authentic inbound message: keywords, numbered options, the assistant, the reply."""
        sender, written_to = params.first("From"), params.first("To")
        body = params.first("Body")
        message_sid = params.first("MessageSid")
        if not sender or (
            message_sid and not await self.state.first_time(f"twilio:sid:{message_sid}", retention_seconds() + 3600)
        ):
            return
        conversation = self.ids.of("whatsapp" if sender.startswith(WHATSAPP) else "sms", sender)
        options_key, opt_out_key = f"twilio:options:{conversation}", f"twilio:opted-out:{conversation}"
        stopped = bool(await self.state.get(opt_out_key))

        # carrier keywords (Twilio's Advanced Opt-Out says which with OptOutType, and has replied)
        found = plain_text.keyword(body, opted_out=stopped)
        twilio_type = params.first("OptOutType").strip().lower()
        kind = twilio_type if twilio_type in ("stop", "start", "help") else (found[0] if found else None)
        if kind:
            language = found[1] if found else "en"
            if kind == "stop":
                await self.state.put(opt_out_key, True)
                await self.state.pop(options_key)
                reply = plain_text.bilingual("stopped")
            elif kind == "start":
                await self.state.pop(opt_out_key)
                reply = plain_text.bilingual("started")
            else:
                reply = plain_text.text("help", language)
            if not twilio_type:
                await self.api.send(sender, written_to, [reply])
            return
        if stopped:
            return  # opted out: nothing is sent until START

        if not body.strip():  # a photo, a voice note, a location…
            await self.api.send(sender, written_to, [plain_text.bilingual("text_only")])
            return

        if not await self.limits.conversation_allowed(conversation):
            if await self.state.first_time(f"twilio:slowed:{conversation}", self.limits.settings.conversation[1]):
                await self.api.send(sender, written_to, [plain_text.bilingual("slow_down")])
            return

        number = plain_text.chosen_number(body)
        offered = await self.state.get(options_key) or []
        replies = TwilioReplies(await self.languages.get(conversation))
        if number and 1 <= number <= len(offered):  # an option we offered: its payload, as a button
            message = mark_offered(
                UserMessage(offered[number - 1][1], replies, conversation, input_channel=self.name())
            )
        else:
            text = plain_text.as_user_text(body)
            if not text:
                return
            message = UserMessage(text, replies, conversation, input_channel=self.name())

        failed = False
        try:
            await on_new_message(message)
        except Exception as error:  # noqa: BLE001 - the user still gets the numbers that matter
            failed = True
            logger.error("Rasa failed on a Twilio message (%s).", type(error).__name__)

        reply, options = replies.render()
        await self.languages.remember(conversation, replies.language)
        if options:
            await self.state.put(options_key, [[o.title, o.payload] for o in options], session_seconds())
        else:
            await self.state.pop(options_key)
        if not reply and failed:
            reply = plain_text.bilingual("unavailable")
        await self.api.send(sender, written_to, plain_text.split_marked(reply, self.settings.max_chars))
