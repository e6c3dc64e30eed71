"""Harbor's runtime settings: one place, each read from the environment with its default.

    HARBOR_MAX_MESSAGE_CHARS   what the assistant reads of one message (default 2000 characters;
                               a longer one keeps its beginning and its end)
    HARBOR_MAX_REQUEST_BYTES   a request body over this is refused before it is read (default 1 MiB)
    HARBOR_ACTION_TIMEOUT      seconds Rasa waits for a custom action before it sends the apology
                               with 911 and the hotline (default 10)
    HARBOR_RETENTION_HOURS     a conversation is deleted after this long without a message (default 24)
    HARBOR_PURGE_MINUTES       how often a server deletes expired conversations (default 10)
    session length             domain.yml `session_config.session_expiration_time` (Rasa reads it
                               there; buttons, menus and widget bindings live as long)

Derived: the web widget waits `reply_timeout_seconds()` (the action timeout plus a margin for
the network and the NLU) before it shows the hotline itself, so that it never gives up before the
server's own fallback has had its chance.

A bad value (not a number, or not more than 0) is an error at start, never a silent default.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

DEFAULT_MAX_MESSAGE_CHARS = 2000
DEFAULT_ACTION_TIMEOUT_SECONDS = 10.0
DEFAULT_RETENTION_HOURS = 24.0
DEFAULT_PURGE_MINUTES = 10.0
DEFAULT_SESSION_MINUTES = 60.0
REPLY_MARGIN_SECONDS = 5.0  # NLU, the dialogue policies and the network, on a busy 2-core host


def positive_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}: {raw!r} is not a number") from None
    if value <= 0:
        raise ValueError(f"{name}: {raw!r} must be more than 0")
    return value


def max_message_chars() -> int:
    return int(positive_number("HARBOR_MAX_MESSAGE_CHARS", DEFAULT_MAX_MESSAGE_CHARS))


def action_timeout() -> float:
    """Seconds a custom action may take before the user gets the fallback (bot/resilience.py)."""
    return positive_number("HARBOR_ACTION_TIMEOUT", DEFAULT_ACTION_TIMEOUT_SECONDS)


def reply_timeout_seconds() -> float:
    """How long the widget waits for a reply before it shows the hotline itself."""
    return action_timeout() + REPLY_MARGIN_SECONDS


def retention_seconds() -> float:
    return positive_number("HARBOR_RETENTION_HOURS", DEFAULT_RETENTION_HOURS) * 3600


def purge_interval_seconds() -> float:
    return positive_number("HARBOR_PURGE_MINUTES", DEFAULT_PURGE_MINUTES) * 60


def session_minutes() -> float:
    """Minutes without a message before a new session starts: domain.yml's session_config, the
    one place Rasa reads it from (offered buttons, menus and widget bindings live as long)."""
    return _session_minutes()


@functools.lru_cache(maxsize=1)
def _session_minutes() -> float:
    import yaml

    domain = yaml.safe_load((Path(__file__).resolve().parent.parent / "domain.yml").read_text(encoding="utf-8"))
    minutes = float(((domain or {}).get("session_config") or {}).get("session_expiration_time") or 0)
    return minutes if minutes > 0 else DEFAULT_SESSION_MINUTES


def session_seconds() -> float:
    return session_minutes() * 60


DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024


def whole_number(name: str, raw: str, lowest: int, highest: int) -> int:
    """`raw` as a whole number from `lowest` to `highest`, or a ValueError naming the setting."""
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}: {raw!r} is not a whole number") from None
    if not lowest <= value <= highest:
        raise ValueError(f"{name}: {value} is outside {lowest}–{highest}")
    return value


def max_request_bytes() -> int:
    """HARBOR_MAX_REQUEST_BYTES: a request body over this is refused before it is read (1 MiB)."""
    raw = os.environ.get("HARBOR_MAX_REQUEST_BYTES", "").strip()
    if not raw:
        return DEFAULT_MAX_REQUEST_BYTES
    return whole_number("HARBOR_MAX_REQUEST_BYTES", raw, 64 * 1024, 64 * 1024 * 1024)
