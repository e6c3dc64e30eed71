"""Buttons as opaque keys: the one way a structured payload reaches the assistant.

Rasa reads a message that starts with "/" as an intent with slots (`/restart`,
`/switch_language{"language":"xx"}`), skipping understanding. Typed text must never do that:
the privacy guard turns every message into plain text (bot/privacy/guard.py) unless its channel
marks it as the payload of a button the assistant offered *in that conversation*.

So a connector never shows a payload. Each button it sends carries a short random key, and the
payload stays here, in the shared state (Redis with several servers), under the conversation's
id, for as long as a session lasts. When a message comes back that is exactly a key offered to
that conversation, the payload behind it is used; anything else is text. A key from another
conversation, an expired key or a forged payload is just text.
"""

from __future__ import annotations

import secrets
from typing import Any, Dict, List, Optional

from rasa.core.channels.channel import UserMessage

from bot.privacy.guard import mark_offered
from bot.settings import session_seconds
from bot.storage.shared_state import shared_state

KEY_PREFIX = "#b-"


class Offers:
    def __init__(self, state: Any = None) -> None:
        self.state = shared_state() if state is None else state

    async def key_for(self, conversation: str, payload: str) -> str:
        key = KEY_PREFIX + secrets.token_urlsafe(9)
        await self.state.put(f"offer:{conversation}:{key}", payload, session_seconds())
        return key

    async def payload(self, conversation: str, text: Any) -> Optional[str]:
        """The payload behind `text` if it is a key offered to this conversation, else None."""
        if not isinstance(text, str):
            return None
        text = text.strip()
        if not text.startswith(KEY_PREFIX) or len(text) > 32:
            return None
        return await self.state.get(f"offer:{conversation}:{text}")

    async def hide(self, conversation: str, message: Dict[str, Any]) -> Dict[str, Any]:
        """A bot message with each button's or quick reply's payload replaced by a key."""
        for field in ("buttons", "quick_replies"):
            options: List[Any] = message.get(field) or []
            hidden = []
            for option in options:
                if not isinstance(option, dict):
                    continue
                option = dict(option)
                payload = option.get("payload")
                if isinstance(payload, str) and payload.startswith("/") and option.get("type") != "web_url":
                    option["payload"] = await self.key_for(conversation, payload)
                hidden.append(option)
            if field in message:
                message = {**message, field: hidden}
        return message

    async def user_message(self, conversation: str, text: str, **kwargs: Any) -> UserMessage:
        """The UserMessage for what came in: an offered button's payload, or typed text."""
        payload = await self.payload(conversation, text)
        message = UserMessage(payload if payload is not None else text, sender_id=conversation, **kwargs)
        return mark_offered(message) if payload is not None else message
