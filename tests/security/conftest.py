"""The attacker's view: one real assistant (Rasa + action server) with every channel configured
against local fakes of Twilio and Telegram, a REST token, Redis for locks and channel state, and
SQLite for conversations, all on this machine. Each test plays someone who knows a victim's phone
number, a widget session id or the REST endpoint, and shows that they get nowhere."""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from bot.launcher import Stack
from tests.channels.fakes import FakeTelegram, FakeTwilio
from tests.integration.conftest import require_model

RASA_PORT, ACTION_PORT = 15805, 15855
REST_TOKEN = "rest-token-for-the-attacker-tests-0123456789"
CHANNEL_KEY = "channel-key-for-the-attacker-tests-0123456789"
SID, TWILIO_TOKEN = "AC" + "5" * 32, "twilio-attacker-tests-token-01234"
HARBOR_NUMBER, PUBLIC_URL = "+15550004000", "https://harbor.example.org"
BOT_TOKEN, TELEGRAM_SECRET = "700001:telegram-attacker-token", "telegram-attacker-secret_0123456789abcdef"
REDIS_DB_URL = "redis://127.0.0.1:6379/11"


@pytest.fixture(scope="package")
def fakes():
    twilio, telegram = FakeTwilio(SID, TWILIO_TOKEN).start(), FakeTelegram(BOT_TOKEN).start()
    yield twilio, telegram
    twilio.stop()
    telegram.stop()


@pytest.fixture(scope="package")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("attacker-data")


@pytest.fixture(scope="package")
def stack(fakes, data_dir):
    import redis

    redis.Redis.from_url(REDIS_DB_URL).flushdb()
    twilio, telegram = fakes
    env = {
        "HARBOR_DATA_DIR": str(data_dir),
        "HARBOR_REDIS_URL": REDIS_DB_URL,
        "HARBOR_REST_TOKEN": REST_TOKEN,
        "HARBOR_CHANNEL_KEY": CHANNEL_KEY,
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_NUMBER": HARBOR_NUMBER,
        "TWILIO_API_URL": twilio.url,
        "HARBOR_PUBLIC_URL": PUBLIC_URL,
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "TELEGRAM_API_URL": telegram.url,
    }
    with Stack(
        require_model(), rasa_port=RASA_PORT, action_port=ACTION_PORT, log_dir=data_dir / "logs", env=env
    ) as running:
        yield running
    redis.Redis.from_url(REDIS_DB_URL).flushdb()


def rest(
    stack, sender: str, message: str, token: Optional[str] = REST_TOKEN, raw: Optional[bytes] = None
) -> Tuple[int, object]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    body = raw if raw is not None else json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(f"{stack.url}/webhooks/rest/webhook", body, headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as error:
        raw_reply = error.read()
        try:
            return error.code, json.loads(raw_reply or b"null")
        except ValueError:
            return error.code, raw_reply.decode(errors="replace")


def texts(replies) -> str:
    return "\n".join(str(r.get("text") or "") for r in replies or [] if isinstance(r, dict)).lower()


def new_sender() -> str:
    return "attacker-" + uuid.uuid4().hex[:12]


def stored_events(data_dir: Path, conversation: Optional[str] = None) -> List[Dict]:
    with sqlite3.connect(data_dir / "conversations.db") as db:
        if conversation is None:
            rows = db.execute("select sender_id, data from events order by id").fetchall()
        else:
            rows = db.execute(
                "select sender_id, data from events where sender_id = ? order by id", (conversation,)
            ).fetchall()
    return [{"sender_id": sender, **json.loads(data)} for sender, data in rows]


def conversations(data_dir: Path) -> List[str]:
    with sqlite3.connect(data_dir / "conversations.db") as db:
        return [s for (s,) in db.execute("select distinct sender_id from events")]
