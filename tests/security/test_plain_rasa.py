"""Issue 12 item 6: the guard was installed only through bot.rasa_cli, so a plain `rasa run` ran
without it, silently. Now Harbor's channels and stores install it themselves, and a server with
Harbor's channels refuses to run without Harbor's scrubbing tracker store and lock store."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import urllib.request

from bot.launcher import ROOT, endpoints_for, server_env
from tests.integration.conftest import require_model
from tests.waiting import wait_until

PORT = 15915


def plain_rasa(data, *extra):
    command = [
        sys.executable,
        "-m",
        "rasa",
        "run",
        "--model",
        str(require_model()),
        "--interface",
        "127.0.0.1",
        "--port",
        str(PORT),
        "--credentials",
        str(ROOT / "credentials.yml"),
        *extra,
    ]
    log = open(data / "rasa.log", "wb")
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=server_env({"HARBOR_DATA_DIR": str(data), "LOG_LEVEL": "INFO"}),
    )


def test_plain_rasa_run_without_harbors_stores_refuses_to_serve(tmp_path):
    endpoints = tmp_path / "endpoints.yml"  # Rasa's default stores (in memory, unscrubbed)
    endpoints.write_text('action_endpoint:\n  url: "http://127.0.0.1:15955/webhook"\n', encoding="utf-8")
    process = plain_rasa(tmp_path, "--endpoints", str(endpoints))
    try:
        wait_until(lambda: process.poll() is not None, 240, what="the server kept running without Harbor's stores")
    finally:
        if process.poll() is None:
            process.kill()
    log = (tmp_path / "rasa.log").read_text(errors="replace")
    assert "Harbor will not run" in log and "tracker store" in log


def answers():
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/", timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


def test_plain_rasa_run_with_harbors_files_has_the_guard(tmp_path):
    endpoints = endpoints_for(15955, tmp_path)  # no action server there: the fallback answers
    process = plain_rasa(tmp_path, "--endpoints", str(endpoints))
    try:
        wait_until(lambda: answers() or process.poll() is not None, 240, what="the server did not start")
        assert process.poll() is None, (tmp_path / "rasa.log").read_text(errors="replace")[-2000:]
        for text in ("/restart", "my name is Rosa Delgado and my number is 713-555-0182"):
            body = json.dumps({"sender": "plain", "message": text}).encode()
            request = urllib.request.Request(
                f"http://127.0.0.1:{PORT}/webhooks/rest/webhook", body, {"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=60) as reply:
                assert json.loads(reply.read())  # never an empty reply
    finally:
        process.terminate()
        process.wait(30)
    with sqlite3.connect(tmp_path / "conversations.db") as db:
        stored = [json.loads(d)["text"] for (d,) in db.execute("select data from events where type_name='user'")]
    assert stored == ["restart", "my name is [name] and my number is [phone]"]
