"""Harbor's tracker store: Rasa's SQL tracker store that scrubs and forgets.

- Where: the SQLite file HARBOR_DATA_DIR/conversations.db, or PostgreSQL when
  HARBOR_DATABASE_URL is set (several Rasa servers share it).
- Scrubbed: every event is cleaned of personal data before it is written (bot/privacy), even
  when Rasa is started without Harbor's guard (plain `rasa run`); message metadata is not kept.
- Forgotten: a conversation with no message for HARBOR_RETENTION_HOURS is deleted; each server
  checks every HARBOR_PURGE_MINUTES. `python -m bot.storage.forget --all` deletes them all;
  Quick exit on the widget deletes its conversation at once (`delete`).
- Off the event loop: reading, writing and purging run in one worker thread, so a slow disk or
  database never holds up other conversations' messages.
- An event broker, if one is configured, gets the events scrubbed too.
- Loading this store installs Harbor's runtime guards (bot/runtime.py), however Rasa was started.

endpoints.yml names this class; Rasa passes its own arguments, which are ignored here because the
environment decides.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from bot.privacy.scrubber import Scrubber
from bot.storage import settings

logger = logging.getLogger(__name__)


def scrub_event(data: Dict[str, Any], scrubber: Scrubber) -> Dict[str, Any]:
    """An event (as Rasa serialises it) without personal data."""
    kind = data.get("event")
    if kind == "user":
        data["text"] = scrubber.scrub(data.get("text"))
        parse = data.get("parse_data") or {}
        if parse:
            parse["text"] = data["text"]
            for entity in parse.get("entities") or []:
                entity["value"] = scrubber.scrub_value(entity.get("value"))
            parse.pop("metadata", None)
        data["metadata"] = {}
    elif kind == "slot":
        data["value"] = scrubber.scrub_value(data.get("value"))
    elif kind in ("bot", "action"):
        data["metadata"] = {}
    return data


def _sqlite_settings(connection: Any, _: Any) -> None:
    """Write-ahead logging: readers do not wait for a writer, and a commit costs one sync less.
    A crash can lose at most the last turn; it cannot corrupt the file."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class HarborTrackerStore(SQLTrackerStore):
    def __init__(self, domain=None, event_broker=None, **_: Any) -> None:
        from bot import runtime

        runtime.install()
        url = make_url(settings.database_url())
        if url.drivername.startswith("sqlite"):
            path = url.database or ""
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            # The file is made readable by its owner only, before Rasa creates its tables.
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        super().__init__(
            domain,
            dialect=url.drivername,
            host=url.host,
            port=url.port,
            db=url.database or "",
            username=url.username,
            password=url.password,
            event_broker=event_broker,
            query=dict(url.query) or None,
        )
        if self.engine.dialect.name == "sqlite":
            # SQLAlchemy 1.4 opens a new SQLite connection for every session (NullPool); one
            # connection kept open saves that on every message. Rasa uses the store from its
            # event loop only, one session at a time.
            self.engine.dispose()
            self.engine = sa.create_engine(str(url), poolclass=StaticPool, connect_args={"check_same_thread": False})
            sa.event.listen(self.engine, "connect", _sqlite_settings)
            self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
        self.scrubber = Scrubber.default()
        self.retention = settings.retention_seconds()
        self.purge_every = settings.purge_interval_seconds()
        self._next_purge = 0.0
        self._purge_lock = threading.Lock()
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="harbor-store")
        self.delete_expired()

    # one worker thread does the store's I/O, in order (SQLite keeps one connection) -------------

    async def _in_worker(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._worker, function, *args)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await self._in_worker(self._retrieve_now, sender_id, False)

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        return await self._in_worker(self._retrieve_now, conversation_id, True)

    def _retrieve_now(self, sender_id: Text, all_sessions: bool) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=all_sessions).all()
            events = [json.loads(row.data) for row in rows]
        if not (self.domain and events):
            return None
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    async def keys(self) -> List[Text]:
        return await self._in_worker(self._keys_now)

    def _keys_now(self) -> List[Text]:
        with self.session_scope() as session:
            return [sender for (sender,) in session.query(self.SQLEvent.sender_id).distinct().all()]

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's SQLTrackerStore.save, with each new event scrubbed before it is written."""
        await self.stream_events(tracker)
        await self._in_worker(self._save_now, tracker)

    def _save_now(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = scrub_event(event.as_dict(), self.scrubber)
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=(data.get("parse_data") or {}).get("intent", {}).get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
        if time.monotonic() >= self._next_purge:
            self.delete_expired()

    async def _stream_new_events(self, event_broker: Any, new_events: List[Any], sender_id: Text) -> None:
        """As Rasa's, but the broker gets each event scrubbed, as the database does."""
        for event in new_events:
            event_broker.publish({"sender_id": sender_id, **scrub_event(event.as_dict(), self.scrubber)})

    async def delete(self, sender_id: Text) -> int:
        """Deletes one conversation now (Quick exit)."""
        return await self._in_worker(self._delete_now, sender_id)

    def _delete_now(self, sender_id: Text) -> int:
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        return deleted

    # forgetting ----------------------------------------------------------------------------------

    def delete_expired(self, now: Optional[float] = None) -> int:
        """Deletes every conversation whose last event is older than the retention window."""
        with self._purge_lock:
            self._next_purge = time.monotonic() + self.purge_every
            cutoff = (now or time.time()) - self.retention
            event = self.SQLEvent
            with self.session_scope() as session:
                stale = (
                    sa.select(event.sender_id).group_by(event.sender_id).having(sa.func.max(event.timestamp) < cutoff)
                )
                deleted = session.query(event).filter(event.sender_id.in_(stale)).delete(synchronize_session=False)
                session.commit()
        if deleted:
            logger.info("Deleted %d events of conversations inactive for %.1f hours.", deleted, self.retention / 3600)
        return deleted

    def delete_all(self) -> int:
        with self.session_scope() as session:
            deleted = session.query(self.SQLEvent).delete(synchronize_session=False)
            session.commit()
        return deleted

    def conversation_count(self) -> int:
        with self.session_scope() as session:
            return session.query(sa.func.count(sa.distinct(self.SQLEvent.sender_id))).scalar() or 0
