"""The lock store: one message at a time per conversation, across every Rasa server.

endpoints.yml names `HarborLockStore`: Redis when HARBOR_REDIS_URL is set (needed when several
Rasa servers share conversations), else Rasa's in-memory lock store (one server).

Rasa 3.6's RedisLockStore changes a conversation's ticket lock by reading it, changing it and
writing it back. Two servers doing that at once overwrite each other: a ticket is lost and its
message waits until the lock expires (60 s). Here every change is a Redis transaction (WATCH /
MULTI / EXEC) that is retried if another server changed the lock in between.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any, Callable, Optional, Text, Tuple, TypeVar
from urllib.parse import unquote, urlsplit

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore, RedisLockStore

from bot.storage import settings
from bot.storage.keys import secret_key

logger = logging.getLogger(__name__)

KEY_PREFIX = "harbor"
T = TypeVar("T")


def redis_arguments(url: str) -> dict:
    """RedisLockStore's arguments from a redis:// or rediss:// URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ValueError(f"HARBOR_REDIS_URL: {url!r} is not a URL like redis://127.0.0.1:6379/0")
    path = parts.path.strip("/")
    return {
        "host": parts.hostname,
        "port": parts.port or 6379,
        "db": int(path) if path.isdigit() else 0,
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "use_ssl": parts.scheme == "rediss",
    }


class AtomicRedisLockStore(RedisLockStore):
    """RedisLockStore whose lock changes are transactions, safe with several servers.

    The Redis key is an HMAC of the conversation id, never the id itself."""

    _lock_key_secret: Optional[bytes] = None

    def lock_key(self, conversation_id: Text) -> str:
        if self._lock_key_secret is None:
            self._lock_key_secret = secret_key("HARBOR_CHANNEL_KEY")
        return hmac.new(self._lock_key_secret, f"lock\n{conversation_id}".encode(), hashlib.sha256).hexdigest()[:32]

    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        raw = self.red.get(self.key_prefix + self.lock_key(conversation_id))
        return TicketLock.from_dict(json.loads(raw)) if raw else None

    def delete_lock(self, conversation_id: Text) -> None:
        self.red.delete(self.key_prefix + self.lock_key(conversation_id))

    def save_lock(self, lock: TicketLock) -> None:
        self.red.set(self.key_prefix + self.lock_key(lock.conversation_id), lock.dumps())

    def _change(
        self, conversation_id: Text, change: Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], T]]
    ) -> T:
        """Applies `change` to the stored lock atomically; a returned lock of None deletes it."""
        import redis

        key = self.key_prefix + self.lock_key(conversation_id)
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    new_lock, result = change(lock)
                    pipe.multi()
                    if new_lock is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, new_lock.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # another server changed this lock meanwhile: read it again

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: Optional[TicketLock]) -> Tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, issue)
        except Exception as error:  # noqa: BLE001 - as Rasa's: the caller expects a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: Text) -> None:
        def drop_expired(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self._finish(conversation_id, ticket_number, delete_when_idle=False)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        self._finish(conversation_id, ticket_number, delete_when_idle=True)

    def _finish(self, conversation_id: Text, ticket_number: int, delete_when_idle: bool) -> None:
        """Removes the ticket; with `delete_when_idle`, the whole lock if no one else waits."""

        def finish(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock:
                lock.remove_ticket_for(ticket_number)
                if delete_when_idle and not lock.is_someone_waiting():
                    lock = None
            return lock, None

        self._change(conversation_id, finish)


def from_environment(endpoint_config: Any = None) -> LockStore:
    from bot import runtime

    runtime.install()  # however Rasa was started
    url = settings.redis_url()
    store = AtomicRedisLockStore(key_prefix=KEY_PREFIX, **redis_arguments(url)) if url else InMemoryLockStore()
    store.harbor = True
    return store


def is_harbor_lock_store(store: Any) -> bool:
    return getattr(store, "harbor", False) is True


class HarborLockStore(LockStore):
    """What endpoints.yml names (Rasa wants a class): builds the lock store the environment asks for."""

    def __new__(cls, endpoint_config: Any = None) -> LockStore:  # type: ignore[misc]
        return from_environment(endpoint_config)
