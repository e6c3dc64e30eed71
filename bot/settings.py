"""Settings that several modules read, in one place, from the environment (docs: README "Configuration").

    HARBOR_MAX_MESSAGE_CHARS   what the assistant reads of one message (default 2000): longer
                               messages keep their beginning and their end
    HARBOR_MAX_REQUEST_BYTES   the largest HTTP request body the server reads (default 1 MiB)
"""
from __future__ import annotations

import os

DEFAULT_MAX_MESSAGE_CHARS = 2000
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


def _int(name: str, default: int, lowest: int, highest: int) -> int:
    raw = os.environ.get(name, "").strip()
    return whole_number(name, raw, lowest, highest) if raw else default


def max_message_chars() -> int:
    return _int("HARBOR_MAX_MESSAGE_CHARS", DEFAULT_MAX_MESSAGE_CHARS, 200, 100_000)


def max_request_bytes() -> int:
    return _int("HARBOR_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES, 64 * 1024, 64 * 1024 * 1024)
