"""Storage settings, all from the environment (README "Configuration").

HARBOR_DATA_DIR          local state: SQLite conversations, keys, logs (default var/)
HARBOR_DATABASE_URL      PostgreSQL for several servers, e.g. postgresql://harbor@db:5432/harbor
                         (unset: the SQLite file HARBOR_DATA_DIR/conversations.db)
HARBOR_REDIS_URL         Redis for several servers: conversation locks and the channels' state,
                         e.g. redis://127.0.0.1:6379/0 (unset: inside the one Rasa process)
HARBOR_RETENTION_HOURS   a conversation is deleted after this long without a message (default 24)
HARBOR_PURGE_MINUTES     how often a server deletes expired conversations (default 10)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

# Retention and purge interval have one home, bot/settings.py; the stores read them through here.
from bot.settings import purge_interval_seconds, retention_seconds  # noqa: F401 (re-exported)

ROOT = Path(__file__).resolve().parent.parent.parent
SQLITE_FILE = "conversations.db"


def data_dir() -> Path:
    return Path(os.environ.get("HARBOR_DATA_DIR") or ROOT / "var").resolve()


def database_url() -> str:
    configured = os.environ.get("HARBOR_DATABASE_URL", "").strip()
    return configured or f"sqlite:///{data_dir() / SQLITE_FILE}"


def redis_url() -> Optional[str]:
    return os.environ.get("HARBOR_REDIS_URL", "").strip() or None
