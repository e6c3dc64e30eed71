"""A choice made with one of Harbor's own controls, not typed: Telegram's /start, the widget's
language switch. Shared by the channels that offer the controls, the privacy guard that lets the
choice through, and the NLU component that says what it means (bot/nlu/choice.py).

Channels say what the person chose in channel-neutral words and know no intent:
    {"start": True, "language": "es"}   a conversation starts, in Spanish (Telegram's /start)
    {"language": "en"}                   the person chose English (the widget's switch)

Only channel code can make a choice: it marks the UserMessage object (`mark_chosen`), which no
request can do. The privacy guard replaces every message's metadata with the marked choice or
nothing (bot/privacy/guard.py), so metadata a REST caller or a web page sends never reaches Rasa,
however it imitates a choice. Values are checked at both ends: `start` is True or absent, and
`language` one of LANGUAGES; anything else is no choice at all.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

KEY = "harbor"  # the message metadata Rasa sees: {"harbor": {…the choice…}}
LANGUAGES = ("en", "es")
FIELDS = ("start", "language")
_MARK = "harbor_choice"


def choice(value: Any) -> Optional[Dict[str, Any]]:
    """The valid choice in `value` (a dict such as {"language": "es"}), or None."""
    if not isinstance(value, dict) or not value or set(value) - set(FIELDS):
        return None
    start, language = value.get("start"), value.get("language")
    if start is not None and start is not True:
        return None
    if language is not None and not (isinstance(language, str) and language in LANGUAGES):
        return None
    chosen = {"start": True} if start else {}
    if language is not None:
        chosen["language"] = language
    return chosen or None


def mark_chosen(message: Any, value: Dict[str, Any]) -> Any:
    """Marks a UserMessage as made with one of the channel's own controls. Channel code only."""
    checked = choice(value)
    if checked is None:
        raise ValueError(f"not a choice: {value!r}")
    setattr(message, _MARK, checked)
    return message


def chosen(message: Any) -> Optional[Dict[str, Any]]:
    """The choice channel code marked on a UserMessage, or None."""
    return choice(getattr(message, _MARK, None))


def as_metadata(value: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The message metadata that carries a choice to Rasa (None for no choice)."""
    checked = choice(value)
    return {KEY: checked} if checked else None


def from_metadata(metadata: Any) -> Optional[Dict[str, Any]]:
    """The choice in a message's metadata, as the guard put it there, or None."""
    return choice(metadata.get(KEY)) if isinstance(metadata, dict) else None
