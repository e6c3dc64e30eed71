"""Deletes stored conversations now.

    python -m bot.storage.forget --expired   conversations inactive for HARBOR_RETENTION_HOURS
                                             (servers do this every HARBOR_PURGE_MINUTES anyway)
    python -m bot.storage.forget --all       every conversation (`make forget`), and the channels'
                                             short-lived state (Redis or state.db); SMS opt-outs are kept,
                                             since the people who sent STOP asked us to keep them

It works on the store the environment names (HARBOR_DATABASE_URL, else the SQLite file under
HARBOR_DATA_DIR), with the Rasa servers running or not.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


def forget_channel_state(url: str) -> int:
    import redis

    from bot.storage.shared_state import PREFIX

    client = redis.Redis.from_url(url)
    keys = [k for k in client.scan_iter(match=PREFIX + "*", count=1000) if b":opted-out:" not in k]
    return client.delete(*keys) if keys else 0


def forget_local_channel_state(folder: str) -> int:
    """The same for the SQLite state file of a single server (opt-outs kept)."""
    import sqlite3

    from bot.storage.shared_state import STATE_FILE

    path = os.path.join(folder, STATE_FILE)
    if not os.path.exists(path):
        return 0
    with sqlite3.connect(path) as db:
        return db.execute("DELETE FROM state WHERE key NOT LIKE '%:opted-out:%'").rowcount


def main() -> None:
    parser = argparse.ArgumentParser(description="Delete stored conversations.")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--expired", action="store_true", help="only conversations past the retention window")
    which.add_argument("--all", action="store_true", help="every conversation, now")
    args = parser.parse_args()

    from bot.storage import settings
    from bot.storage.tracker_store import HarborTrackerStore

    store = HarborTrackerStore()
    before = store.conversation_count()
    if args.all:
        store.delete_all()
        redis_url = settings.redis_url()
        deleted = forget_channel_state(redis_url) if redis_url else forget_local_channel_state(str(settings.data_dir()))
        extra = f"; {deleted} channel state entries"
    else:
        store.delete_expired()
        extra = ""
    print(f"Deleted {before - store.conversation_count()} of {before} conversations{extra}.")


if __name__ == "__main__":
    main()
