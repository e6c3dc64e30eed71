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

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_RETENTION_HOURS = 24.0
DEFAULT_PURGE_MINUTES = 10.0
SQLITE_FILE = "conversations.db"


def data_dir() -> Path:
    return Path(os.environ.get("HARBOR_DATA_DIR") or ROOT / "var").resolve()


def database_url() -> str:
    configured = os.environ.get("HARBOR_DATABASE_URL", "").strip()
    return configured or f"sqlite:///{data_dir() / SQLITE_FILE}"


def redis_url() -> Optional[str]:
    return os.environ.get("HARBOR_REDIS_URL", "").strip() or None


def _positive_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}: {raw!r} is not a number") from None
    if value <= 0:
        raise ValueError(f"{name}: {raw!r} must be more than 0")
    return value


def retention_seconds() -> float:
    return _positive_float("HARBOR_RETENTION_HOURS", DEFAULT_RETENTION_HOURS) * 3600


def purge_interval_seconds() -> float:
    return _positive_float("HARBOR_PURGE_MINUTES", DEFAULT_PURGE_MINUTES) * 60
