"""What the messaging connectors share: settings from the environment, pseudonymous
conversation ids. (State kept between messages: bot/storage/shared_state.py.)
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
from typing import Any, Dict, Optional
from urllib.parse import urlsplit

from bot.storage.keys import secret_key

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


# --- conversation ids ----------------------------------------------------------------------------

class ConversationIds:
    """Pseudonymous conversation ids: an HMAC of the phone number or chat id, never the number.

    Rasa keeps the conversation under this id; the real address stays in the connector only for
    the time it takes to answer. The key comes from HARBOR_CHANNEL_KEY, else from a key file made
    once under HARBOR_DATA_DIR (bot/storage/keys.py), so a conversation survives a restart.
    """

    def __init__(self, key: Optional[bytes] = None):
        self._key = key or secret_key("HARBOR_CHANNEL_KEY")

    def of(self, channel: str, address: str) -> str:
        digest = hmac.new(self._key, f"{channel}\n{address}".encode(), hashlib.sha256).hexdigest()
        return f"{channel}-{digest[:32]}"
