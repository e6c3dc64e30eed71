"""The language of what the assistant says, as the assistant says it: never guessed from words.

Every domain response carries `metadata: {language: en|es}` (domain.yml) and so does every message
an action writes (actions/render.py `in_language`); Rasa hands it to the output channel with the
message. A message without it (one of Rasa's own default messages) takes the conversation's last
known language, else English. Channels use it for what they add around the assistant's words:
"Reply 1 for …" on SMS, their own notes on Telegram, the `lang` of a bubble in the widget.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from bot.choices import LANGUAGES
from bot.storage.settings import retention_seconds

DEFAULT = "en"


def of(message: Mapping[str, Any]) -> Optional[str]:
    """The language a message (what Rasa passes to send_response, or a send_… method's keyword
    arguments) says it is in, or None."""
    metadata = message.get("metadata") if isinstance(message, Mapping) else None
    language = metadata.get("language") if isinstance(metadata, Mapping) else None
    return language if isinstance(language, str) and language in LANGUAGES else None


class LastLanguage:
    """The last language the assistant spoke in each conversation of one channel, in the shared
    state (Redis with several servers), for as long as a conversation is kept."""

    def __init__(self, state: Any, channel: str) -> None:
        self.state, self.channel = state, channel

    def _key(self, conversation: str) -> str:
        return f"{self.channel}:language:{conversation}"

    async def get(self, conversation: str) -> Optional[str]:
        language = await self.state.get(self._key(conversation))
        return language if language in LANGUAGES else None

    async def remember(self, conversation: str, language: Optional[str]) -> None:
        if language in LANGUAGES:
            await self.state.put(self._key(conversation), language, retention_seconds())
