"""The tracker store, the lock store, the shared state and the keys, against this machine's real
SQLite, PostgreSQL and Redis."""

import json
import os
import threading
import time

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.storage import settings
from bot.storage.keys import secret_key
from bot.storage.lock_store import AtomicRedisLockStore, HarborLockStore, redis_arguments
from bot.storage.shared_state import MemoryState, RedisState
from bot.storage.tracker_store import HarborTrackerStore
from tests.conftest import REDIS_URL, run_coroutine
from tests.waiting import wait_until


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path, monkeypatch):
    monkeypatch.setenv("HARBOR_DATA_DIR", str(tmp_path))
    if request.param == "postgresql":
        monkeypatch.setenv("HARBOR_DATABASE_URL", request.getfixturevalue("postgres_url"))
    else:
        monkeypatch.delenv("HARBOR_DATABASE_URL", raising=False)
    store = HarborTrackerStore()
    store.delete_all()
    yield store
    store.delete_all()
    store.engine.dispose()


def tracker_with(sender, text, timestamp=None):
    user = UserUttered(
        text,
        {"name": "ask_t_visa", "confidence": 0.9},
        [{"entity": "GPE", "value": "Rosa Delgado", "start": 0, "end": 5}],
        metadata={"phone": "+17135550199"},
        timestamp=timestamp,
    )
    return DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_listen", timestamp=timestamp),
            user,
            BotUttered("An answer", timestamp=timestamp),
            SlotSet("language", "en", timestamp=timestamp),
        ],
    )


def stored_events(store, sender):
    with store.session_scope() as session:
        rows = (
            session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == sender).order_by(store.SQLEvent.id).all()
        )
        return [json.loads(row.data) for row in rows]


def test_events_are_written_without_personal_data_or_metadata(store):
    run_coroutine(store.save(tracker_with("s1", "my name is Rosa Delgado, call me at 713-555-0182")))
    events = stored_events(store, "s1")
    user = next(e for e in events if e["event"] == "user")
    assert user["text"] == "my name is [name], call me at [phone]"
    assert user["parse_data"]["text"] == user["text"]
    assert user["parse_data"]["entities"][0]["value"] == "[name]"
    assert user["metadata"] == {} and "7135550199" not in json.dumps(events)
    assert run_coroutine(store.retrieve("s1")).latest_message.text == user["text"]


def test_expired_conversations_are_deleted_and_recent_ones_kept(store):
    now = time.time()
    run_coroutine(store.save(tracker_with("old", "what is a t visa", now - 25 * 3600)))
    run_coroutine(store.save(tracker_with("recent", "what is a u visa", now - 3600)))
    assert store.conversation_count() == 2
    assert store.delete_expired(now) > 0  # default window: 24 hours
    assert stored_events(store, "old") == [] and stored_events(store, "recent")


def test_a_server_deletes_expired_conversations_as_it_goes(store, monkeypatch):
    now = time.time()
    run_coroutine(store.save(tracker_with("old", "what is a t visa", now - 25 * 3600)))
    store._next_purge = 0  # the purge is due
    run_coroutine(store.save(tracker_with("new", "hello")))
    assert stored_events(store, "old") == [] and stored_events(store, "new")


def test_the_sqlite_file_is_readable_by_its_owner_only(tmp_path, monkeypatch):
    monkeypatch.setenv("HARBOR_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HARBOR_DATABASE_URL", raising=False)
    HarborTrackerStore().engine.dispose()
    assert (tmp_path / settings.SQLITE_FILE).stat().st_mode & 0o777 == 0o600


def test_retention_settings_are_checked(monkeypatch):
    monkeypatch.setenv("HARBOR_RETENTION_HOURS", "0.5")
    assert settings.retention_seconds() == 1800
    for bad in ("-1", "zero"):
        monkeypatch.setenv("HARBOR_RETENTION_HOURS", bad)
        with pytest.raises(ValueError):
            settings.retention_seconds()


# --- locks --------------------------------------------------------------------------------------


def test_tickets_issued_by_two_servers_at_once_are_all_kept(redis_url):
    """Rasa's own RedisLockStore loses tickets here (read, change, write back): ours does not."""
    servers = [AtomicRedisLockStore(key_prefix="harbortest", **redis_arguments(redis_url)) for _ in range(2)]
    tickets, start = [], threading.Barrier(16)

    def issue(number):
        start.wait()
        for _ in range(10):
            tickets.append(servers[number % 2].issue_ticket("conversation"))

    threads = [threading.Thread(target=issue, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lock = servers[0].get_lock("conversation")
    assert sorted(tickets) == list(range(160)) and len(lock.tickets) == 160
    for ticket in tickets:
        servers[ticket % 2].cleanup("conversation", ticket)
    assert servers[0].get_lock("conversation") is None


def test_the_lock_store_follows_the_environment(monkeypatch):
    monkeypatch.delenv("HARBOR_REDIS_URL", raising=False)
    assert type(HarborLockStore()).__name__ == "InMemoryLockStore"
    monkeypatch.setenv("HARBOR_REDIS_URL", REDIS_URL)
    assert isinstance(HarborLockStore(), AtomicRedisLockStore)
    assert redis_arguments("rediss://u:p%40ss@cache:6380/2") == {
        "host": "cache",
        "port": 6380,
        "db": 2,
        "username": "u",
        "password": "p@ss",
        "use_ssl": True,
    }
    with pytest.raises(ValueError):
        redis_arguments("http://cache")


# --- shared state and keys ------------------------------------------------------------------------


def test_memory_state_is_bounded_in_size_and_time():
    now = [0.0]
    state = MemoryState(size=2, clock=lambda: now[0])

    async def check():
        await state.put("a", 1, ttl=10)
        await state.put("b", [1, 2])
        await state.put("c", 3, ttl=10)
        assert await state.get("a") is None and await state.get("b") == [1, 2] and len(state) == 2
        now[0] = 11
        assert await state.get("c") is None and await state.get("b") == [1, 2]
        assert await state.first_time("sid", 5) and not await state.first_time("sid", 5)
        assert await state.pop("b") == [1, 2] and await state.get("b") is None

    run_coroutine(check())


def test_redis_state_is_shared_and_expires(redis_url):
    async def check():
        one, two = RedisState(redis_url), RedisState(redis_url)  # as two servers would
        await one.put("options:x", [["T visa", "/ask_t_visa"]], ttl=60)
        assert await two.get("options:x") == [["T visa", "/ask_t_visa"]]
        assert await two.pop("options:x") == [["T visa", "/ask_t_visa"]] and await one.get("options:x") is None
        assert await one.first_time("sid:1", 60) and not await two.first_time("sid:1", 60)
        await one.put("short", True, ttl=0.2)
        assert await two.get("short") is True

    run_coroutine(check())
    wait_until(
        lambda: run_coroutine(RedisState(redis_url).get("short")) is None, timeout=5, what="the short-lived key expired"
    )


def test_keys_are_made_once_kept_private_and_overridden_by_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HARBOR_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HARBOR_CHANNEL_KEY", raising=False)
    first = secret_key("HARBOR_CHANNEL_KEY")
    assert len(first) == 64 and secret_key("HARBOR_CHANNEL_KEY") == first  # survives a restart
    assert os.stat(tmp_path / "keys" / "harbor_channel_key").st_mode & 0o777 == 0o600
    monkeypatch.setenv("HARBOR_CHANNEL_KEY", "from-the-environment-" + "x" * 16)
    assert secret_key("HARBOR_CHANNEL_KEY") == b"from-the-environment-" + b"x" * 16
    monkeypatch.setenv("HARBOR_CHANNEL_KEY", "short")  # refused, not used
    with pytest.raises(ValueError, match="at least 32"):
        secret_key("HARBOR_CHANNEL_KEY")


def test_an_event_broker_gets_the_events_scrubbed_too(tmp_path, monkeypatch):
    """Rasa streams new events to a broker before it writes them: they must be scrubbed there too."""
    import sqlite3

    from rasa.core.brokers.sql import SQLEventBroker

    monkeypatch.setenv("HARBOR_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HARBOR_DATABASE_URL", raising=False)
    broker = SQLEventBroker(dialect="sqlite", db=str(tmp_path / "broker.db"))
    store = HarborTrackerStore(event_broker=broker)
    run_coroutine(store.save(tracker_with("b1", "my name is Rosa Delgado, call me at 713-555-0182")))
    with sqlite3.connect(tmp_path / "broker.db") as db:
        published = " ".join(data for (data,) in db.execute("select data from events"))
    assert "my name is [name], call me at [phone]" in published
    assert "Delgado" not in published and "555-0182" not in published and "7135550199" not in published
    store.engine.dispose()


def test_a_conversation_can_be_deleted_at_once(store):
    run_coroutine(store.save(tracker_with("gone", "hello")))
    run_coroutine(store.save(tracker_with("kept", "hello")))
    assert run_coroutine(store.delete("gone")) > 0
    assert stored_events(store, "gone") == [] and stored_events(store, "kept")


def test_the_redis_lock_key_is_an_hmac_of_the_conversation_id(redis_url):
    import redis

    locks = AtomicRedisLockStore(key_prefix="harbortest", **redis_arguments(redis_url))
    ticket = locks.issue_ticket("+17135550199")
    keys = [k.decode() for k in redis.Redis.from_url(redis_url).scan_iter(match="harbortest*")]
    assert keys and not any("7135550199" in k for k in keys)
    assert locks.get_lock("+17135550199").tickets
    locks.cleanup("+17135550199", ticket)
    assert locks.get_lock("+17135550199") is None
