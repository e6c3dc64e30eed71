"""Rasa's REST channel (/webhooks/rest/webhook), strict about what it accepts.

Rasa's own answers a malformed request with a 500 or an exception in the log (with the user's
words). This one answers a request it cannot read with a clean 4xx and a JSON reason:
- 400: a body that is not UTF-8 JSON, not an object, without a text `message` or without a
  `sender` of 1 to 128 characters; an empty message;
- 413: a body over 256 KB (a long message is shortened by the privacy guard instead);
and, when the assistant itself fails, still answers 200 with the emergency number and the hotline.
Streaming (`?stream=true`) is not offered. Request metadata is not kept.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import plain_text
from bot.privacy.guard import MAX_SENDER_CHARS

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024


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


class HarborRestInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("harbor_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.body or b""
            if len(body) > MAX_BODY_BYTES:
                return error(413, f"the body is over {MAX_BODY_BYTES // 1024} KB")
            sender, message, reason = read_request(body)
            if reason:
                return error(400, reason)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(message, collector, sender, input_channel=self.name()))
            except Exception as failure:  # noqa: BLE001 - the user still gets the numbers that matter
                logger.error("The assistant failed on a REST message (%s).", type(failure).__name__)
                return response.json([{"recipient_id": sender, "text": plain_text.bilingual("unavailable")}])
            return response.json(collector.messages)

        return webhook
