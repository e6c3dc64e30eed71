"""Widget session ids: issued by the server, bound to one socket, ended by Quick exit.

HARBOR_SESSION_KEY     key that signs session ids; set the same on every Rasa server of one
                       site (default: a key file made once under HARBOR_DATA_DIR/keys/)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Any, Callable, Optional

from bot.settings import session_seconds
from bot.storage.keys import secret_key
from bot.storage.settings import retention_seconds
from bot.storage.shared_state import shared_state

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{32}\.[A-Za-z0-9_-]{43}$")


class SessionIds:
    """Issues session ids and recognises the ones it issued (HMAC-SHA256, constant-time check).

    The key comes from HARBOR_SESSION_KEY, else from a key file made once under HARBOR_DATA_DIR,
    so a conversation survives a restart. An id ended by Quick exit is refused from then on (for
    as long as its conversation could be kept), in the shared state (Redis with several servers).
    """

    def __init__(self, key: Optional[bytes] = None, state: Any = None):
        self._key = key or secret_key("HARBOR_SESSION_KEY")
        self.state = shared_state() if state is None else state

    def _tag(self, token: str) -> str:
        digest = hmac.new(self._key, token.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def new(self) -> str:
        token = secrets.token_urlsafe(24)  # 32 characters, 192 bits
        return f"{token}.{self._tag(token)}"

    def signed(self, value: Any) -> bool:
        if not isinstance(value, str) or not SESSION_ID.match(value):
            return False
        token, tag = value.split(".")
        return hmac.compare_digest(tag, self._tag(token))

    async def issued(self, value: Any) -> bool:
        """Signed by us and not ended by Quick exit."""
        return self.signed(value) and not await self.state.get(f"widget:ended:{value}")

    async def end(self, value: str) -> None:
        await self.state.put(f"widget:ended:{value}", True, retention_seconds() + 3600)
        await self.state.pop(f"widget:holder:{value}")

    # A holder is "<this server's random id>:<socket id>", so that a server can tell a socket of its
    # own that has gone (a page reload: the new socket may take the id) from one on another server.
    server = secrets.token_hex(8)

    async def hold(self, value: str, sid: str, gone: Callable[[str], bool] = lambda _: False) -> bool:
        """Binds the id to one socket; False if another live socket holds it."""
        me = f"{self.server}:{sid}"
        holder = await self.state.get(f"widget:holder:{value}")
        if holder not in (None, me):
            server, _, other = str(holder).partition(":")
            if server != self.server or not gone(other):
                return False
        await self.state.put(f"widget:holder:{value}", me, session_seconds())
        return True

    async def holds(self, value: str, sid: str) -> bool:
        return await self.state.get(f"widget:holder:{value}") == f"{self.server}:{sid}"

    async def release(self, value: str, sid: str) -> None:
        if await self.holds(value, sid):
            await self.state.pop(f"widget:holder:{value}")
