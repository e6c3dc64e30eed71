"""Telegram, at /webhooks/telegram/webhook.

Registered in credentials.yml as `bot.channels.telegram.HarborTelegramInput`. Compared with
Rasa 3.6.21's own `telegram` channel:

- Every request must carry the secret token Telegram was given with setWebhook, in the
  X-Telegram-Bot-Api-Secret-Token header (compared in constant time); anything else gets 403 and
  nothing is processed or sent. (Rasa's channel checks only that the bot's own username matches
  a setting, which anyone can post.)
- Buttons are an inline keyboard, one button per row. A button carries a short random key, not
  the payload: the payload is looked up among the keyboards this conversation was actually
  sent (remembered in memory, bounded), so a forged button cannot inject an intent, and long
  payloads fit Telegram's 64-byte limit. Typed text never reaches Rasa as an intent payload.
- Private chats only (a group would show a survivor's questions to others). /start is passed on
  as a choice, not as text: the conversation starts in the language of the user's Telegram app
  (bot/choices.py; what it means is Rasa's business, config.yml). /help sends the help text with
  911 and the hotline. The connector's own notes (help, "text only", "menu expired", failures)
  are in the language the assistant last spoke in that chat (bot/channels/reply_language.py),
  else the app's.
- Long answers are split at paragraph, line, sentence or word ends into messages of at most
  HARBOR_TELEGRAM_MAX_CHARS (default and maximum 4096, Telegram's limit), sent in order, the
  keyboard under the last one. Redelivered updates (same update_id) are answered once. The chat
  id is kept by Rasa only as an HMAC (common.ConversationIds). Nothing is set up at start: the
  webhook is registered once, with `python -m bot.channels.telegram set-webhook` (README).

Settings (environment variables; the non-secret ones may also be set in credentials.yml, lower case):
  TELEGRAM_BOT_TOKEN          the bot's token from @BotFather (required)
  TELEGRAM_SECRET_TOKEN       32–256 characters A–Z a–z 0–9 _ - (required; given to setWebhook)
  TELEGRAM_API_URL            Bot API base (default https://api.telegram.org)
  HARBOR_PUBLIC_URL           the public base URL, for set-webhook, e.g. https://harbor.example.org
  HARBOR_TELEGRAM_MAX_CHARS   longest message (default 4096)
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import logging
import re
import secrets
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import runtime
from bot.channels import plain_text, reply_language
from bot.channels.common import ConversationIds, api_base_url, int_setting, public_base_url, setting
from bot.channels.limits import limiter
from bot.channels.plain_text import Option
from bot.channels.retry import Again, with_retries
from bot.choices import mark_chosen
from bot.privacy.guard import mark_offered
from bot.settings import session_seconds
from bot.storage.shared_state import shared_state

logger = logging.getLogger(__name__)

TELEGRAM_MAX_CHARS = 4096
DEFAULT_API_URL = "https://api.telegram.org"
WEBHOOK_PATH = "/webhooks/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_FORMAT = re.compile(r"^[A-Za-z0-9_-]{32,256}$")
ALLOWED_UPDATES = ["message", "callback_query"]
MAX_REQUEST_BYTES = 256 * 1024
REDELIVERY_WINDOW = 24 * 60 * 60  # an update_id seen within this is a redelivery: dropped
RETRIES = (0.5, 1.5)
MAX_RETRY_AFTER = 5.0  # seconds we wait when Telegram says "too many requests"


@dataclass(frozen=True)
class TelegramSettings:
    token: str = ""
    secret: str = ""
    api_url: str = DEFAULT_API_URL
    public_url: str = ""
    max_chars: int = TELEGRAM_MAX_CHARS

    @classmethod
    def load(cls, credentials: Optional[Dict[str, Any]] = None) -> "TelegramSettings":
        credentials = credentials or {}
        secret = setting("TELEGRAM_SECRET_TOKEN")
        if secret and not SECRET_FORMAT.match(secret):
            raise ValueError(
                "TELEGRAM_SECRET_TOKEN: 32–256 characters, only A–Z a–z 0–9 _ and - (for example: openssl rand -hex 32)"
            )
        return cls(
            token=setting("TELEGRAM_BOT_TOKEN"),
            secret=secret,
            api_url=api_base_url("TELEGRAM_API_URL", setting("TELEGRAM_API_URL", credentials, DEFAULT_API_URL)),
            public_url=public_base_url(setting("HARBOR_PUBLIC_URL", credentials)),
            max_chars=int_setting("HARBOR_TELEGRAM_MAX_CHARS", credentials, TELEGRAM_MAX_CHARS, 60, TELEGRAM_MAX_CHARS),
        )

    @property
    def configured(self) -> bool:
        return bool(self.token and self.secret)


def language_of(user: Optional[Dict[str, Any]]) -> str:
    """The language of the user's Telegram app: 'es' for Spanish, otherwise 'en'."""
    code = str((user or {}).get("language_code") or "")
    return "es" if code.lower().startswith("es") else "en"


# --- the Bot API -------------------------------------------------------------------------------------


class TelegramApi:
    """Calls Bot API methods (JSON), retrying briefly on 429, 5xx and network errors."""

    def __init__(self, settings: TelegramSettings, session: aiohttp.ClientSession):
        self.settings, self.session = settings, session

    async def call(self, method: str, payload: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        url = f"{self.settings.api_url}/bot{self.settings.token}/{method}"

        async def attempt(number: int) -> Any:
            try:
                async with self.session.post(url, json=payload) as reply:
                    try:
                        data = await reply.json(content_type=None)
                    except ValueError:
                        data = {}
                    if reply.status == 200 and data.get("ok"):
                        return data.get("result") or {}
                    # The URL holds the token and the payload the user's words: log neither.
                    logger.warning(
                        "Telegram refused %s: HTTP %s, %s (try %d).",
                        method,
                        reply.status,
                        str(data.get("description", ""))[:120],
                        number,
                    )
                    if reply.status == 429:
                        return Again(float((data.get("parameters") or {}).get("retry_after", 1)))
                    return Again() if reply.status >= 500 else None
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                logger.warning("Telegram API unreachable (%s, try %d).", type(error).__name__, number)
                return Again()

        return await with_retries(attempt, RETRIES, longest_wait=MAX_RETRY_AFTER)


class Keyboards:
    """The inline keyboards sent lately: a random key per keyboard -> its options (shared state)."""

    def __init__(self, state: Any) -> None:
        self.state = state

    async def remember(self, conversation: str, options: List[Option]) -> str:
        key = secrets.token_urlsafe(6)
        await self.state.put(
            f"telegram:keyboard:{conversation}:{key}", [[o.title, o.payload] for o in options], session_seconds()
        )
        return key

    async def payload(self, conversation: str, data: str) -> Optional[str]:
        """The payload behind a button's callback data ('key:index'), if we sent that button."""
        key, _, index = (data or "").partition(":")
        if not key or not index.isdigit():
            return None
        options = await self.state.get(f"telegram:keyboard:{conversation}:{key}")
        if not options or not 0 <= int(index) < len(options):
            return None
        return options[int(index)][1]


class TelegramReplies(OutputChannel):
    """Sends the assistant's messages to one chat: split to fit, buttons as an inline keyboard."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    def __init__(self, api: TelegramApi, chat_id: Any, conversation: str, keyboards: Keyboards, max_chars: int) -> None:
        self.api, self.chat_id, self.conversation = api, chat_id, conversation
        self.keyboards, self.max_chars = keyboards, max_chars
        self.sent = 0
        self.language: Optional[str] = None  # the language the assistant spoke last, if it said

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        self.language = reply_language.of(message) or self.language
        await super().send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send(text, [])

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self.send(text, plain_text.options_of(buttons))

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        logger.debug("Telegram channel: custom message not sent.")

    async def send(self, text: str, options: List[Option]) -> None:
        parts = plain_text.split(text or "", self.max_chars)
        if not parts and options:
            parts = ["…"]
        markup = None
        if options:
            key = await self.keyboards.remember(self.conversation, options)
            markup = {
                "inline_keyboard": [[{"text": o.title, "callback_data": f"{key}:{i}"}] for i, o in enumerate(options)]
            }
        for number, part in enumerate(parts, 1):
            payload: Dict[str, Any] = {
                "chat_id": self.chat_id,
                "text": part,
                "link_preview_options": {"is_disabled": True},
            }
            if markup and number == len(parts):
                payload["reply_markup"] = markup
            if await self.api.call("sendMessage", payload) is None:
                return  # the rest would arrive out of order or not at all
            self.sent += 1


# --- the channel ---------------------------------------------------------------------------------------


class HarborTelegramInput(InputChannel):
    """Telegram, secret-token-checked, private chats, inline keyboards."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(TelegramSettings.load(credentials or {}))

    def __init__(
        self, settings: Optional[TelegramSettings] = None, ids: Optional[ConversationIds] = None, state: Any = None
    ) -> None:
        self.settings = settings or TelegramSettings()
        self.ids = ids or ConversationIds()
        # Menus and seen update ids: in Redis when several servers share the work.
        self.state = shared_state() if state is None else state
        self.keyboards = Keyboards(self.state)
        self.languages = reply_language.LastLanguage(self.state, "telegram")
        self.limits = limiter()
        runtime.install()
        if not self.settings.configured:
            logger.warning(
                "Telegram channel: TELEGRAM_BOT_TOKEN or TELEGRAM_SECRET_TOKEN is not set; "
                "/webhooks/telegram/webhook refuses every request."
            )

    def authentic(self, request: Request) -> bool:
        given = request.headers.get(SECRET_HEADER, "")
        return bool(self.settings.configured and given) and hmac.compare_digest(
            given.encode(), self.settings.secret.encode()
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = runtime.harden(Blueprint("harbor_telegram_webhook", __name__))

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            if len(request.body or b"") > MAX_REQUEST_BYTES:
                return response.text("Payload too large", status=413)
            if not self.authentic(request):
                logger.warning("Telegram webhook: request refused (bad or missing %s).", SECRET_HEADER)
                return response.text("Forbidden", status=403)
            try:
                update = json.loads(request.body or b"{}")
            except ValueError:
                update = None
            update_id = update.get("update_id") if isinstance(update, dict) else None
            if not isinstance(update, dict) or (
                update_id is not None
                and not await self.state.first_time(f"telegram:update:{update_id}", REDELIVERY_WINDOW)
            ):
                return response.text("")  # 200: Telegram must not redeliver it
            try:
                async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
                    await self.handle(update, TelegramApi(self.settings, session), on_new_message)
            except Exception as error:  # noqa: BLE001 - never make Telegram redeliver in a loop
                logger.error("Telegram channel failed to answer an update (%s).", type(error).__name__)
            return response.text("")

        return webhook

    async def handle(
        self, update: Dict[str, Any], api: TelegramApi, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        """One authentic update: a text message, a command or a button; anything else is ignored."""
        query = update.get("callback_query")
        message = (query or {}).get("message") if query else update.get("message")
        if not isinstance(message, dict):
            return  # edited messages, channel posts, …: not for this assistant
        chat = message.get("chat") or {}
        user = (query or message).get("from") or {}
        if chat.get("type") != "private" or user.get("is_bot") or chat.get("id") is None:
            if query:
                await api.call("answerCallbackQuery", {"callback_query_id": query.get("id")})
            return
        chat_id = chat["id"]
        conversation = self.ids.of("telegram", str(chat_id))
        app_language = language_of(user)
        language = await self.languages.get(conversation) or app_language  # for the connector's own notes
        replies = TelegramReplies(api, chat_id, conversation, self.keyboards, self.settings.max_chars)

        if not await self.limits.conversation_allowed(conversation):
            if query:
                await api.call("answerCallbackQuery", {"callback_query_id": query.get("id")})
            if await self.state.first_time(f"telegram:slowed:{conversation}", self.limits.settings.conversation[1]):
                await replies.send(plain_text.text("slow_down", language), [])
            return

        trusted, choice = False, None
        if query:
            payload = await self.keyboards.payload(conversation, str(query.get("data") or ""))
            answer: Dict[str, Any] = {"callback_query_id": query.get("id")}
            if payload is None:
                answer["text"] = plain_text.text("expired_option", language)
            await api.call("answerCallbackQuery", answer)  # stops the button's spinner
            if payload is None:
                return
            text, trusted = payload, True  # a button we sent: its payload
        else:
            typed = message.get("text")
            if not isinstance(typed, str):
                await replies.send(plain_text.text("text_only", language), [])
                return
            command = typed.strip().split(maxsplit=1)[0].lower().split("@")[0] if typed.strip() else ""
            if command == "/start":  # the conversation starts, in the language of the app
                text, choice = command, {"start": True, "language": app_language}
            elif command == "/help":
                await replies.send(plain_text.text("help", language), [])
                return
            else:
                text = plain_text.as_user_text(typed)
                if not text:
                    return

        message = UserMessage(text, replies, conversation, input_channel=self.name())
        if trusted:
            mark_offered(message)
        if choice:
            mark_chosen(message, choice)
        try:
            await on_new_message(message)
        except Exception as error:  # noqa: BLE001 - the user still gets the numbers that matter
            logger.error("Rasa failed on a Telegram message (%s).", type(error).__name__)
            if not replies.sent:
                await replies.send(plain_text.text("unavailable", replies.language or language), [])
        await self.languages.remember(conversation, replies.language)


# --- registering the webhook with Telegram (run once) ----------------------------------------------------


def _call_sync(settings: TelegramSettings, method: str, payload: Dict[str, Any]) -> Dict[str, Any]:
    request = urllib.request.Request(
        f"{settings.api_url}/bot{settings.token}/{method}",
        json.dumps(payload).encode(),
        {"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return json.loads(reply.read() or b"{}")
    except urllib.error.HTTPError as error:
        return json.loads(error.read() or b"{}")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description="Register Harbor's webhook with Telegram (reads TELEGRAM_BOT_TOKEN, "
        "TELEGRAM_SECRET_TOKEN, HARBOR_PUBLIC_URL, TELEGRAM_API_URL)."
    )
    parser.add_argument("command", choices=["set-webhook", "webhook-info", "delete-webhook"])
    args = parser.parse_args(argv)
    settings = TelegramSettings.load()
    if not settings.token:
        print("TELEGRAM_BOT_TOKEN is not set.", file=sys.stderr)
        return 2
    if args.command == "set-webhook":
        if not settings.secret:
            print("TELEGRAM_SECRET_TOKEN is not set (e.g. `openssl rand -hex 32`).", file=sys.stderr)
            return 2
        if not settings.public_url.startswith("https://"):
            print("HARBOR_PUBLIC_URL must be the https:// address Telegram can reach.", file=sys.stderr)
            return 2
        result = _call_sync(
            settings,
            "setWebhook",
            {
                "url": settings.public_url + WEBHOOK_PATH,
                "secret_token": settings.secret,
                "allowed_updates": ALLOWED_UPDATES,
            },
        )
    elif args.command == "webhook-info":
        result = _call_sync(settings, "getWebhookInfo", {})
    else:
        result = _call_sync(settings, "deleteWebhook", {})
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0 if result.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
