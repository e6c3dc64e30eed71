"""Small state the channels share between messages: numbered options offered by SMS, Telegram
menus, SMS opt-outs, redelivered message ids, ended widget sessions.

In the Rasa process by default (bounded in size and time); in Redis when HARBOR_REDIS_URL is set,
so that several Rasa servers behind a load balancer see the same state. Values are small JSON.
Keys hold only pseudonymous ids (HMACs), never a phone number.
"""
from __future__ import annotations

import json
import time
from collections import OrderedDict
from functools import lru_cache
from typing import Any, Callable, Hashable, Optional

from bot.storage import settings

PREFIX = "harbor:state:"


class MemoryState:
    """A dict with an expiry per entry that keeps at most `size` entries (least recently written go)."""

    def __init__(self, size: int = 100_000, clock: Callable[[], float] = time.monotonic):
        self.size, self.clock = size, clock
        self._items: "OrderedDict[Hashable, tuple]" = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    async def get(self, key: str) -> Any:
        item = self._items.get(key)
        if item is None:
            return None
        expires, value = item
        if expires is not None and self.clock() >= expires:
            del self._items[key]
            return None
        return value

    async def put(self, key: str, value: Any, ttl: Optional[float] = None) -> None:
        self._items[key] = (None if ttl is None else self.clock() + ttl, value)
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    async def pop(self, key: str) -> Any:
        value = await self.get(key)
        self._items.pop(key, None)
        return value

    async def first_time(self, key: str, ttl: float) -> bool:
        """True the first time `key` is seen within `ttl` seconds (a redelivery is not)."""
        if await self.get(key) is not None:
            return False
        await self.put(key, True, ttl)
        return True


class RedisState:
    """The same, in Redis: every Rasa server sees it."""

    def __init__(self, url: str):
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    async def get(self, key: str) -> Any:
        raw = await self._redis.get(PREFIX + key)
        return None if raw is None else json.loads(raw)

    async def put(self, key: str, value: Any, ttl: Optional[float] = None) -> None:
        await self._redis.set(PREFIX + key, json.dumps(value),
                              px=None if ttl is None else max(1, int(ttl * 1000)))

    async def pop(self, key: str) -> Any:
        raw = await self._redis.getdel(PREFIX + key)
        return None if raw is None else json.loads(raw)

    async def first_time(self, key: str, ttl: float) -> bool:
        return bool(await self._redis.set(PREFIX + key, "true", nx=True, px=max(1, int(ttl * 1000))))


@lru_cache(maxsize=None)
def _state_for(url: Optional[str]):
    return RedisState(url) if url else MemoryState()


def shared_state():
    """This process's shared state, as HARBOR_REDIS_URL says."""
    return _state_for(settings.redis_url())
