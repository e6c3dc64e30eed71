"""Persistence, privacy, scale-out and load: the real servers with the real SQLite, PostgreSQL
and Redis of this machine (README "Tests")."""

import json
import os
import signal
import sqlite3
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from bot.launcher import server_env
from tests.integration.conftest import joined, require_model  # noqa: F401 (re-exported)

# Personal data a user might write, in English and Spanish, and the fragments of it that must
# never be found in storage or logs.
PERSONAL_MESSAGES = [
    ("My name is Rosa Delgado, my boss Dmitri Volkov took my passport", ["Delgado", "Dmitri", "Volkov"]),
    (
        "you can call me at (713) 555-0182 or write rosa.delgado77@example.com",
        ["555-0182", "rosa.delgado77", "example.com"],
    ),
    ("I live at 4417 Westheimer Road Apt 12, my A number is A 208-114-337", ["Westheimer", "208-114-337"]),
    ("my social is 521-66-0943 and I was born 07/14/1991, can I get a T visa?", ["521-66-0943", "07/14/1991"]),
    ("me llamo Guadalupe Ibarra y vivo en calle Hidalgo 245", ["Guadalupe", "Ibarra", "Hidalgo"]),
    ("mi número es 832 555 0147, nací el 2 de febrero de 1988, ¿qué es la visa U?", ["555 0147", "febrero de 1988"]),
]
PHONE_AS_SENDER = "+17135550199"
SECRETS = [fragment for _, fragments in PERSONAL_MESSAGES for fragment in fragments] + ["7135550199"]


def post(url: str, body: bytes, timeout: float = 60, headers: Optional[Dict[str, str]] = None) -> Tuple[int, object]:
    """POST raw bytes to the REST channel; (status, decoded JSON or text). Never raises on 4xx/5xx."""
    request = urllib.request.Request(
        f"{url}/webhooks/rest/webhook", body, {"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, raw.decode(errors="replace")


def say(url: str, sender: str, text: str, timeout: float = 60) -> List[dict]:
    status, replies = post(url, json.dumps({"sender": sender, "message": text}).encode(), timeout)
    assert status == 200, (status, replies)
    return replies


def new_sender() -> str:
    return f"p-test-{uuid.uuid4().hex[:12]}"


def restart(server, env: Dict[str, str]) -> None:
    server.stop()
    server.start(server_env(env))
    server.wait_ready(240)


def kill(server) -> None:
    """SIGKILL: no chance to clean up, as in a crash."""
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait()


def stored_id(sender: str, data: Optional[Path] = None, key: Optional[str] = None) -> str:
    """The id a REST sender's conversation is kept under (bot/channels/rest.py): an HMAC with the
    channel key from `key` (HARBOR_CHANNEL_KEY) or the key file under the data folder `data`."""
    from bot.channels.rest import conversation_of

    secret = key.encode() if key else (data / "keys" / "harbor_channel_key").read_bytes().strip()
    return conversation_of(sender, secret)


def sqlite_user_texts(path: Path, sender: str) -> List[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "select data from events where sender_id = ? and type_name = 'user' order by id",
            (stored_id(sender, path.parent),),
        ).fetchall()
    return [json.loads(data)["text"] for (data,) in rows]


def files_text(*paths: Path) -> str:
    """Everything in these files and folders, as text (bytes decoded leniently)."""
    chunks = []
    for path in paths:
        for file in [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()):
            chunks.append(file.read_bytes().decode("utf-8", "replace"))
    return "\n".join(chunks)
