"""What the messaging connectors share: settings from the environment, pseudonymous
conversation ids. (State kept between messages: bot/storage/shared_state.py.)
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple
from urllib.parse import urlsplit

from bot.settings import whole_number
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


def int_setting(name: str, credentials: Optional[Dict[str, Any]], default: int, lowest: int, highest: int) -> int:
    return whole_number(name, setting(name, credentials, str(default)), lowest, highest)


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
    if (
        not host
        or parts.query
        or parts.fragment
        or not (parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host)))
    ):
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


# --- who is calling: the peer, or the client behind a proxy we trust --------------------------------


def trusted_proxies(value: Optional[str] = None) -> Tuple[Any, ...]:
    """HARBOR_TRUSTED_PROXIES: addresses or networks of the reverse proxies in front of Harbor
    (e.g. "127.0.0.1, 10.0.0.0/8"). Only from these are X-Forwarded-For/-Host/-Proto believed."""
    raw = os.environ.get("HARBOR_TRUSTED_PROXIES", "") if value is None else value
    networks = []
    for item in (i.strip() for i in raw.replace(",", " ").split()):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"HARBOR_TRUSTED_PROXIES: {item!r} is not an address or network") from None
    return tuple(networks)


def _trusted(address: str, proxies: Tuple[Any, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


@dataclass(frozen=True)
class Caller:
    """Where a request comes from, as far as we can believe it."""

    address: str  # the client's address (the proxy's client when the proxy is trusted)
    scheme: str  # http or https, as the client used it
    host: str  # the host name the client asked for

    @classmethod
    def of(cls, peer: str, scheme: str, host: str, headers: Any, proxies: Optional[Tuple[Any, ...]] = None) -> "Caller":
        proxies = trusted_proxies() if proxies is None else proxies
        if not _trusted(peer, proxies):
            return cls(peer, scheme, host)  # forwarded headers from anyone else are ignored
        chain = [h.strip() for h in str(headers.get("X-Forwarded-For") or "").split(",") if h.strip()]
        address = peer
        for hop in reversed(chain):  # the last hop that is not one of our proxies
            address = hop
            if not _trusted(hop, proxies):
                break
        forwarded_scheme = str(headers.get("X-Forwarded-Proto") or "").split(",")[0].strip().lower()
        forwarded_host = str(headers.get("X-Forwarded-Host") or "").split(",")[0].strip()
        return cls(
            address, forwarded_scheme if forwarded_scheme in ("http", "https") else scheme, forwarded_host or host
        )

    @classmethod
    def of_request(cls, request: Any, proxies: Optional[Tuple[Any, ...]] = None) -> "Caller":
        peer = (request.conn_info.client_ip if request.conn_info else "") or ""
        scheme = "https" if request.conn_info and request.conn_info.ssl else "http"
        return cls.of(peer, scheme, request.headers.get("Host", ""), request.headers, proxies)

    def pseudonym(self, key: bytes) -> str:
        """The address as an HMAC: what rate limits count, never the address itself."""
        return hmac.new(key, f"client\n{self.address}".encode(), hashlib.sha256).hexdigest()[:24]
