"""Integration tests talk to the real servers: the action server and the Rasa server."""

import json
import os
import urllib.request
import uuid
from pathlib import Path

import pytest

from bot.launcher import Stack

ROOT = Path(__file__).resolve().parents[2]
MODEL = Path(os.environ.get("HARBOR_MODEL", ROOT / "models" / "harbor.tar.gz"))


def require_model() -> Path:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (or `make test`) first")
    return MODEL


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """One running assistant for the whole session, on ports of its own."""
    logs = tmp_path_factory.mktemp("logs")
    with Stack(require_model(), rasa_port=15005, action_port=15055, log_dir=logs) as running:
        yield running


def say(url: str, text: str, sender: str = None, timeout: float = 30):
    """POST one message to the REST channel; returns the list of bot messages."""
    body = json.dumps({"sender": sender or f"test-{uuid.uuid4().hex}", "message": text}).encode()
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"[]")


def joined(replies) -> str:
    parts = []
    for reply in replies:
        parts.append(reply.get("text") or "")
        parts.extend(b.get("title", "") for b in reply.get("buttons") or [])
    return "\n".join(parts)


class Conversation:
    def __init__(self, url: str):
        self.url, self.sender = url, f"test-{uuid.uuid4().hex}"

    def say(self, text: str):
        return say(self.url, text, self.sender)
