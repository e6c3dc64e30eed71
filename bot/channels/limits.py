"""Rate limits: one conversation or one client cannot flood the assistant.

Three limits, each answered with a friendly "please slow down" that still gives 911 and the
hotline (bot/channels/messages.yml `slow_down`), and HTTP 429 where the caller speaks HTTP:

    HARBOR_RATE_CONVERSATION   messages of one conversation per window, "COUNT/SECONDS" (default 20/60)
    HARBOR_RATE_CLIENT         requests of one client address per window (default 1200/10)
    HARBOR_CLIENT_INFLIGHT     messages of one client address being answered at once (default 64)

The defaults let a benchmark's many conversations from one machine through (`make bench` sends
up to 32 at once, about 60 a second) and stop one conversation sending more than a person types,
or one address sending faster than the server answers. Counts live in the shared state (Redis
with several servers), under an HMAC of the address or the conversation id, for one window.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass
from typing import Any, AsyncIterator, Optional, Tuple

from bot.channels.common import setting
from bot.storage.keys import secret_key
from bot.storage.shared_state import shared_state


def _rate(name: str, default: str) -> Tuple[int, float]:
    raw = setting(name, None, default)
    try:
        count, seconds = raw.split("/")
        parsed = (int(count), float(seconds))
    except ValueError:
        raise ValueError(f"{name}: {raw!r} is not COUNT/SECONDS, e.g. {default}") from None
    if parsed[0] < 1 or parsed[1] <= 0:
        raise ValueError(f"{name}: {raw!r} must allow at least one message in a positive time")
    return parsed


@dataclass(frozen=True)
class LimitSettings:
    conversation: Tuple[int, float] = (20, 60.0)
    client: Tuple[int, float] = (1200, 10.0)
    inflight: int = 64

    @classmethod
    def load(cls) -> "LimitSettings":
        inflight = setting("HARBOR_CLIENT_INFLIGHT", None, "64")
        if not inflight.isdigit() or int(inflight) < 1:
            raise ValueError(f"HARBOR_CLIENT_INFLIGHT: {inflight!r} is not a whole number above 0")
        return cls(_rate("HARBOR_RATE_CONVERSATION", "20/60"), _rate("HARBOR_RATE_CLIENT", "1200/10"), int(inflight))


class Limiter:
    def __init__(
        self, settings: Optional[LimitSettings] = None, state: Any = None, key: Optional[bytes] = None
    ) -> None:
        self.settings = settings or LimitSettings.load()
        self.state = shared_state() if state is None else state
        self.key = key or secret_key("HARBOR_CHANNEL_KEY")
        self._inflight: Counter = Counter()  # this process only: what it is answering now

    async def _within(self, name: str, limit: Tuple[int, float]) -> bool:
        count, seconds = limit
        return await self.state.incr(f"rate:{name}", seconds) <= count

    async def conversation_allowed(self, conversation: str) -> bool:
        return await self._within(f"conversation:{conversation}", self.settings.conversation)

    async def client_allowed(self, client: str) -> bool:
        """`client`: a pseudonym of the address (common.Caller.pseudonym)."""
        return await self._within(f"client:{client}", self.settings.client)

    @contextlib.asynccontextmanager
    async def answering(self, client: str) -> AsyncIterator[bool]:
        """Yields False when this client already has too many messages being answered."""
        if self._inflight[client] >= self.settings.inflight:
            yield False
            return
        self._inflight[client] += 1
        try:
            yield True
        finally:
            self._inflight[client] -= 1
            if self._inflight[client] <= 0:
                del self._inflight[client]


_limiter: Optional[Limiter] = None


def limiter() -> Limiter:
    """This process's limiter (settings read once)."""
    global _limiter
    if _limiter is None:
        _limiter = Limiter()
    return _limiter
