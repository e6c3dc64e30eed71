"""What the messaging connectors share: settings from the environment, small bounded memories,
pseudonymous conversation ids.

Memories live in the Rasa process only (like Harbor's conversations): bounded in size and in
time, gone when the server stops.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
import time
from collections import OrderedDict
from typing import Any, Callable, Dict, Generic, Hashable, Optional, TypeVar
from urllib.parse import urlsplit

V = TypeVar("V")

LOOPBACK_HOSTS = {"localhost"}


# --- settings -------------------------------------------------------------------------------

def setting(name: str, credentials: Optional[Dict[str, Any]] = None, default: str = "") -> str:
    """An environment variable, else the same key in lower case in credentials.yml.

    Secrets (tokens) must come from the environment: callers pass no credentials for them.
    """
    value = os.environ.get(name)
    if value is None and credentials:
        value = credentials.get(name.lower())
    return str(value if value is not None else default).strip()


def int_setting(name: str, credentials: Optional[Dict[str, Any]], default: int,
                lowest: int, highest: int) -> int:
    raw = setting(name, credentials, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}: {raw!r} is not a whole number") from None
    if not lowest <= value <= highest:
        raise ValueError(f"{name}: {value} is outside {lowest}–{highest}")
    return value


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def api_base_url(name: str, value: str) -> str:
    """An API base URL: https, or http on this machine only (a fake API in tests), no path tail."""
    parts = urlsplit(value)
    host = parts.hostname or ""
    if not host or parts.query or parts.fragment or \
            not (parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host))):
        raise ValueError(f"{name}: {value!r} must be an https:// URL (http:// only for 127.0.0.1)")
    return value.rstrip("/")


def public_base_url(value: str) -> str:
    """HARBOR_PUBLIC_URL: the address the providers call, e.g. https://harbor.example.org."""
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"HARBOR_PUBLIC_URL: {value!r} is not a URL like https://harbor.example.org")
    return value.rstrip("/")


# --- bounded memories -------------------------------------------------------------------------

class BoundedMemory(Generic[V]):
    """A dict that keeps at most `size` entries, each for at most `ttl` seconds (LRU)."""

    def __init__(self, size: int, ttl: float, clock: Callable[[], float] = time.monotonic):
        self.size, self.ttl, self.clock = size, ttl, clock
        self._items: "OrderedDict[Hashable, tuple]" = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, key: Hashable, value: V) -> None:
        self._items[key] = (self.clock(), value)
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def get(self, key: Hashable) -> Optional[V]:
        item = self._items.get(key)
        if item is None:
            return None
        stored, value = item
        if self.clock() - stored > self.ttl:
            del self._items[key]
            return None
        return value

    def pop(self, key: Hashable) -> Optional[V]:
        value = self.get(key)
        self._items.pop(key, None)
        return value


class RecentIds:
    """Ids seen lately (Twilio MessageSid, Telegram update_id): drops a redelivered message."""

    def __init__(self, size: int = 4096, ttl: float = 3600):
        self._seen: BoundedMemory[bool] = BoundedMemory(size, ttl)

    def seen(self, key: Optional[Hashable]) -> bool:
        """True when `key` was seen before; remembers it otherwise. None is never 'seen'."""
        if key is None or key == "":
            return False
        if self._seen.get(key):
            return True
        self._seen.put(key, True)
        return False


# --- conversation ids ----------------------------------------------------------------------------

class ConversationIds:
    """Pseudonymous conversation ids: an HMAC of the phone number or chat id, never the number.

    Rasa keeps the conversation (and logs at DEBUG) under this id; the real address stays in the
    connector only for the time it takes to answer. The key comes from HARBOR_CHANNEL_KEY; without
    it, a random key per process (conversations already end when the process stops).
    """

    def __init__(self, key: Optional[bytes] = None):
        self._key = key or os.environ.get("HARBOR_CHANNEL_KEY", "").encode() or secrets.token_bytes(32)

    def of(self, channel: str, address: str) -> str:
        digest = hmac.new(self._key, f"{channel}\n{address}".encode(), hashlib.sha256).hexdigest()
        return f"{channel}-{digest[:32]}"
