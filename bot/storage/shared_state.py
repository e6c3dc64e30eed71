"""Small state the channels share between messages: numbered options and buttons offered,
Telegram menus, SMS opt-outs, seen message ids, ended widget sessions, rate-limit counts.

In a SQLite file by default (HARBOR_DATA_DIR/state.db, readable by its owner only), so that an
opt-out, an ended widget session or a seen message id survives a restart; in Redis when
HARBOR_REDIS_URL is set, so that several Rasa servers behind a load balancer see the same state.
Every entry but opt-outs expires. Values are small JSON. Keys hold only pseudonymous ids
(HMACs), never a phone number.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
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

    async def incr(self, key: str, ttl: float) -> int:
        """Adds one to a counter that starts at 0 and lives `ttl` seconds from its first count."""
        item = self._items.get(key)
        if item is None or (item[0] is not None and self.clock() >= item[0]):
            self._items[key] = (self.clock() + ttl, 1)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
            return 1
        expires, value = item
        self._items[key] = (expires, value + 1)
        return value + 1


class RedisState:
    """The same, in Redis: every Rasa server sees it."""

    def __init__(self, url: str):
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    async def get(self, key: str) -> Any:
        raw = await self._redis.get(PREFIX + key)
        return None if raw is None else json.loads(raw)

    async def put(self, key: str, value: Any, ttl: Optional[float] = None) -> None:
        await self._redis.set(PREFIX + key, json.dumps(value), px=None if ttl is None else max(1, int(ttl * 1000)))

    async def pop(self, key: str) -> Any:
        raw = await self._redis.getdel(PREFIX + key)
        return None if raw is None else json.loads(raw)

    async def first_time(self, key: str, ttl: float) -> bool:
        return bool(await self._redis.set(PREFIX + key, "true", nx=True, px=max(1, int(ttl * 1000))))

    async def incr(self, key: str, ttl: float) -> int:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(PREFIX + key)
            pipe.pexpire(PREFIX + key, max(1, int(ttl * 1000)), nx=True)
            count, _ = await pipe.execute()
        return int(count)


class SqliteState:
    """The same, in a SQLite file: one server, kept across restarts. Each call is one short
    statement on a local file (tens of microseconds), so it runs on the caller's thread."""

    def __init__(self, path: str, clock: Callable[[], float] = time.time):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        self.clock = clock
        self._lock = threading.Lock()
        self._writes = 0
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT, expires REAL)")
        self._db.execute("DELETE FROM state WHERE expires IS NOT NULL AND expires <= ?", (self.clock(),))

    def _expiry(self, ttl: Optional[float]) -> Optional[float]:
        return None if ttl is None else self.clock() + ttl

    async def get(self, key: str) -> Any:
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM state WHERE key = ? AND (expires IS NULL OR expires > ?)", (key, self.clock())
            ).fetchone()
        return None if row is None else json.loads(row[0])

    async def put(self, key: str, value: Any, ttl: Optional[float] = None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO state VALUES (?, ?, ?)", (key, json.dumps(value), self._expiry(ttl))
            )
            self._writes += 1
        if self._writes % 1000 == 0:  # expired entries go now and then, not only at start
            self.purge()

    async def pop(self, key: str) -> Any:
        value = await self.get(key)
        with self._lock:
            self._db.execute("DELETE FROM state WHERE key = ?", (key,))
        return value

    async def first_time(self, key: str, ttl: float) -> bool:
        with self._lock:
            now = self.clock()
            self._db.execute("DELETE FROM state WHERE key = ? AND expires <= ?", (key, now))
            inserted = self._db.execute("INSERT OR IGNORE INTO state VALUES (?, 'true', ?)", (key, now + ttl))
            return inserted.rowcount == 1

    async def incr(self, key: str, ttl: float) -> int:
        with self._lock:
            now = self.clock()
            self._db.execute("DELETE FROM state WHERE key = ? AND expires <= ?", (key, now))
            self._db.execute("INSERT OR IGNORE INTO state VALUES (?, '0', ?)", (key, now + ttl))
            self._db.execute("UPDATE state SET value = CAST(value AS INTEGER) + 1 WHERE key = ?", (key,))
            return int(self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()[0])

    def purge(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM state WHERE expires IS NOT NULL AND expires <= ?", (self.clock(),))


STATE_FILE = "state.db"


@lru_cache(maxsize=None)
def _state_for(url: Optional[str], folder: str):
    return RedisState(url) if url else SqliteState(os.path.join(folder, STATE_FILE))


def shared_state():
    """This process's shared state, as HARBOR_REDIS_URL (and HARBOR_DATA_DIR) say."""
    return _state_for(settings.redis_url(), str(settings.data_dir()))
