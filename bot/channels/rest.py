"""Rasa's REST channel (/webhooks/rest/webhook), strict about what it accepts and whom it lets in.

- Its own conversations: the caller's `sender` names a REST conversation only. The conversation
  is kept under "rest-" + an HMAC of the sender, so no sender can name a conversation of the
  widget, SMS, WhatsApp or Telegram (their ids are made by their channels, with other inputs),
  and the reply carries back only the `sender` the caller sent.
- A token, when the deployer sets one: with HARBOR_REST_TOKEN (at least 32 characters) every
  request must carry `Authorization: Bearer <token>` (compared in constant time), else 401. Set
  it wherever the REST path can be reached from outside this machine (README "Security").
- Typed text is text: buttons in the reply carry short random keys, and only a key offered to
  this conversation is read as its button (bot/channels/offers.py). Only `sender` and `message`
  are read: `metadata` or anything else in the body never reaches the assistant (a choice such
  as a language switch comes only from Harbor's own controls, bot/choices.py).
- Each reply carries the `language` it is in ("en" or "es") when the assistant says it.
- Limits (bot/channels/limits.py): too many messages from one conversation or one address get
  429 with a friendly message that still gives 911 and the hotline. The request body is capped
  before it is read (bot/runtime.py); this route takes at most 256 KB.
- A request it cannot read gets a clean 4xx and a JSON reason:
  400: a body that is not UTF-8 JSON, not an object, without a text `message` or without a
  `sender` of 1 to 128 characters; an empty message; 413: a body over 256 KB.
- When the assistant itself fails, it still answers 200 with the emergency number and the hotline.
Streaming (`?stream=true`) is not offered.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import runtime
from bot.channels import plain_text, reply_language
from bot.channels.common import Caller, setting
from bot.channels.limits import Limiter, limiter
from bot.channels.offers import Offers
from bot.privacy.guard import MAX_SENDER_CHARS
from bot.storage.keys import checked_secret, secret_key

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
ID_PREFIX = "rest-"


def error(status: int, reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


def read_request(body: bytes) -> Tuple[Optional[str], Optional[str], Optional[str]]:
    """(sender, message, None) from a request body, or (None, None, the reason it is refused)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        return None, None, "the body is not UTF-8"
    except ValueError:
        return None, None, "the body is not JSON"
    if not isinstance(data, dict):
        return None, None, "the body must be a JSON object"
    # No sender is refused rather than defaulted: Rasa's "default" would join strangers' conversations.
    message, sender = data.get("message"), data.get("sender")
    if not isinstance(message, str):
        return None, None, "`message` must be text"
    if not message.strip():
        return None, None, "`message` is empty"
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
        return None, None, f"`sender` must be text of 1 to {MAX_SENDER_CHARS} characters"
    return sender, message, None


class RestReplies(CollectingOutputChannel):
    """Collects the replies as Rasa's REST channel does, each with the `language` it says it is in
    (bot/channels/reply_language.py), so that a partner's page can mark it (`lang`)."""

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        language, before = reply_language.of(message), len(self.messages)
        await super().send_response(recipient_id, message)
        for reply in self.messages[before:] if language else []:
            reply["language"] = language


def conversation_of(sender: str, key: bytes) -> str:
    """The REST conversation a sender names: never one of another channel."""
    return ID_PREFIX + hmac.new(key, f"rest\n{sender}".encode(), hashlib.sha256).hexdigest()[:32]


class HarborRestInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def __init__(
        self,
        token: Optional[str] = None,
        key: Optional[bytes] = None,
        offers: Optional[Offers] = None,
        limits: Optional[Limiter] = None,
    ) -> None:
        runtime.install()
        configured = setting("HARBOR_REST_TOKEN") if token is None else token
        self.token = checked_secret("HARBOR_REST_TOKEN", configured).encode() if configured else b""
        self.key = key or secret_key("HARBOR_CHANNEL_KEY")
        self.offers = offers or Offers()
        self.limits = limits or limiter()

    def authorised(self, request: Request) -> bool:
        if not self.token:
            return True
        scheme, _, given = (request.headers.get("Authorization") or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self.token)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = runtime.harden(Blueprint("harbor_rest_webhook", __name__))

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.authorised(request):
                return error(401, "a valid `Authorization: Bearer` token is required")
            body = request.body or b""
            if len(body) > MAX_BODY_BYTES:
                return error(413, f"the body is over {MAX_BODY_BYTES // 1024} KB")
            sender, message, reason = read_request(body)
            if reason:
                return error(400, reason)
            client = Caller.of_request(request).pseudonym(self.key)
            conversation = conversation_of(sender, self.key)
            if not (await self.limits.client_allowed(client) and await self.limits.conversation_allowed(conversation)):
                return self.slow_down(sender)
            async with self.limits.answering(client) as allowed:
                if not allowed:
                    return self.slow_down(sender)
                return await self.answer(sender, conversation, message, on_new_message)

        return webhook

    @staticmethod
    def slow_down(sender: str) -> HTTPResponse:
        return response.json(
            [{"recipient_id": sender, "text": plain_text.bilingual("slow_down")}],
            status=429,
            headers={"Retry-After": "10"},
        )

    async def answer(
        self, sender: str, conversation: str, message: str, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        collector = RestReplies()
        user_message = await self.offers.user_message(
            conversation, message, output_channel=collector, input_channel=self.name()
        )
        try:
            await on_new_message(user_message)
        except Exception as failure:  # noqa: BLE001 - the user still gets the numbers that matter
            logger.error("The assistant failed on a REST message (%s).", type(failure).__name__)
            return response.json([{"recipient_id": sender, "text": plain_text.bilingual("unavailable")}])
        replies: List[Dict[str, Any]] = []
        for reply in collector.messages:
            reply = await self.offers.hide(conversation, dict(reply))
            reply["recipient_id"] = sender  # never the id the conversation is kept under
            replies.append(reply)
        return response.json(replies)
