"""Plain-text messaging (SMS, WhatsApp, Telegram): the connectors' words, numbered options,
long answers split into parts, carrier keywords.

Everything here is pure (no I/O except reading bot/channels/messages.yml once) so that it can
be tested without a server. Lengths are counted in UTF-16 code units, as Twilio (UCS-2) and
Telegram count them, so an emoji counts twice and a part never exceeds a channel's limit.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import yaml

from bot.choices import LANGUAGES
from bot.text import fold as text_fold

MESSAGES_FILE = Path(__file__).resolve().parent / "messages.yml"


# --- the connectors' own texts (messages.yml) ----------------------------------------------------


@functools.lru_cache(maxsize=1)
def messages() -> Dict[str, Any]:
    data = yaml.safe_load(MESSAGES_FILE.read_text(encoding="utf-8")) or {}
    for key, value in (data.get("texts") or {}).items():
        if isinstance(value, dict) and set(value) != set(LANGUAGES):
            raise ValueError(f"{MESSAGES_FILE}: texts.{key} needs exactly {LANGUAGES}, has {sorted(value)}")
    return data


def text(key: str, language: str = "en", **values: Any) -> str:
    """A text from messages.yml in `language` (English when unknown), placeholders filled."""
    entry = messages()["texts"][key]
    chosen = entry.get(language, entry["en"]) if isinstance(entry, dict) else entry
    return chosen.format(**values) if values else chosen


def bilingual(key: str) -> str:
    """English, then Spanish: for replies to keywords that speakers of both languages use."""
    return f"{text(key, 'en')}\n{text(key, 'es')}"


# --- length and splitting ---------------------------------------------------------------------------


def units(value: str) -> int:
    """Length in UTF-16 code units (what Twilio and Telegram count)."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in value)


def _fitting_prefix(value: str, limit: int) -> int:
    """The largest i such that value[:i] is at most `limit` units long."""
    used = 0
    for i, ch in enumerate(value):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return i
    return len(value)


# Where a cut may go, best first: before the blank line of a paragraph, before a line break,
# after a sentence (its closing quote or bracket included), at a space. Group 1 is dropped.
_BOUNDARIES = (
    re.compile(r"(\n\s*\n)"),
    re.compile(r"(\n)"),
    re.compile(r"[.!?…:;][\"'”’)\]]*(\s+)"),
    re.compile(r"(\s+)"),
)


def _cut(value: str, limit: int) -> int:
    """Where to end the next part of `value` (at most `limit` units)."""
    window = _fitting_prefix(value, limit)
    if window >= len(value):
        return len(value)
    head = value[: window + 1]  # a boundary may begin right at the limit
    best_any = 0
    for pattern in _BOUNDARIES:
        cuts = [m.start(1) for m in pattern.finditer(head) if 0 < m.start(1) <= window]
        if not cuts:
            continue
        if cuts[-1] >= window // 2:  # a good boundary that fills at least half the part
            return cuts[-1]
        best_any = max(best_any, cuts[-1])
    return best_any or window  # no boundary at all: cut inside a (very long) word


def split(value: str, limit: int) -> List[str]:
    """`value` in parts of at most `limit` units, cut at paragraph, line, sentence or word ends."""
    if limit < 1:
        raise ValueError("limit must be positive")
    rest, parts = value.strip(), []
    while rest:
        end = _cut(rest, limit)
        part = rest[:end].strip()
        if part:
            parts.append(part)
        rest = rest[end:].strip()
    return parts


def split_marked(value: str, limit: int) -> List[str]:
    """Like `split`, but when there is more than one part each starts with "(1/3) " etc., the mark
    included in the limit, so that parts arriving out of order (SMS) can be read in order."""
    parts = split(value, limit)
    if len(parts) <= 1:
        return parts
    total = len(parts)
    while True:  # the mark's width depends on the number of parts: settle it
        mark = units(text("part", index=total, total=total))
        parts = split(value, max(1, limit - mark))
        if len(parts) <= total:
            break
        total = len(parts)
    return [text("part", index=i, total=len(parts)) + p for i, p in enumerate(parts, 1)]


# --- buttons as numbered options ----------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    title: str
    payload: str


def options_of(buttons: Optional[Iterable[Dict[str, Any]]]) -> List[Option]:
    found = []
    for button in buttons or []:
        if not isinstance(button, dict):
            continue
        title = str(button.get("title") or "").strip()
        payload = str(button.get("payload") or "").strip()
        if title and payload:
            found.append(Option(title, payload))
    return found


def option_lines(options: Sequence[Option], language: str, first: int = 1) -> str:
    return "\n".join(text("option", language, number=i, title=o.title) for i, o in enumerate(options, first))


NUMBER_REPLY = re.compile(r"^\s*#?\s*(\d{1,2})\s*[.)]?\s*$")


def chosen_number(message: str) -> Optional[int]:
    """The option a reply such as "2", "2." or " #2 " picks; None for anything else."""
    match = NUMBER_REPLY.match(message or "")
    return int(match.group(1)) if match else None


# --- what the user typed -----------------------------------------------------------------------------


def fold(value: str) -> str:
    """Upper case without accents, trimmed, without a final '.' or '!' (bot.text.fold, upper)."""
    return re.sub(r"[\s.!¡]+$", "", text_fold(value or "").strip()).lstrip("¡").strip().upper()


def keyword(message: str, opted_out: bool = False) -> Optional[Tuple[str, str]]:
    """A carrier keyword: ('stop'|'start'|'help', language) when the whole message is one."""
    word = fold(message)
    if not word or " " in word:
        return None
    table = messages()["keywords"]
    if word in table["stop"]:
        return ("stop", "en")
    if word in table["start"] or (opted_out and word in table.get("start_if_stopped", [])):
        return ("start", "en")
    for language, words in table["help"].items():
        if word in words:
            return ("help", language)
    return None


def as_user_text(message: str) -> str:
    """What the user typed, trimmed. It is never read as an intent payload: the privacy guard
    makes every message plain text unless its channel marks it as an offered button's payload
    (bot/privacy/guard.py); the guard also shortens a long message, keeping its end."""
    return (message or "").strip()
