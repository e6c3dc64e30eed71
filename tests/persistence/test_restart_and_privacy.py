"""The embedded default: conversations in a SQLite file that survive a restart and hold no
personal data; logs without it either; expiry and `forget`."""

import os
import sqlite3
import subprocess
import sys

import pytest

from bot.launcher import ROOT, Stack
from tests.persistence.conftest import (
    PERSONAL_MESSAGES,
    PHONE_AS_SENDER,
    SECRETS,
    files_text,
    joined,
    new_sender,
    require_model,
    restart,
    say,
    sqlite_user_texts,
    stored_id,
)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """One assistant with its own data folder; logging at DEBUG, the most it can log."""
    data = tmp_path_factory.mktemp("harbor-data")
    env = {"HARBOR_DATA_DIR": str(data), "LOG_LEVEL": "DEBUG"}
    stack = Stack(require_model(), rasa_port=15505, action_port=15555, log_dir=data / "logs", env=env)
    with stack:
        yield stack, data, env


def test_a_self_check_half_done_survives_a_restart_of_the_rasa_server(embedded):
    stack, data, env = embedded
    sender = new_sender()
    assert "1 of 5" in joined(say(stack.url, sender, "help me check if this is trafficking"))
    assert "2 of 5" in joined(say(stack.url, sender, "yes"))
    restart(stack.rasa, env)
    assert "3 of 5" in joined(say(stack.url, sender, "no"))  # the form went on
    say(stack.url, sender, "yes")
    say(stack.url, sender, "yes")
    result = joined(say(stack.url, sender, "no"))  # cannot leave: a sign
    assert "4 of 5 signs" in result, result  # yes, no, yes, yes, cannot leave
    assert (data / "conversations.db").is_file()
    assert oct((data / "conversations.db").stat().st_mode & 0o777) == "0o600"


def test_personal_data_is_in_neither_the_database_nor_the_logs(embedded):
    stack, data, env = embedded
    sender = new_sender()
    for text, _ in PERSONAL_MESSAGES:
        replies = say(stack.url, sender, text)
        assert joined(replies).strip()
    say(stack.url, PHONE_AS_SENDER, "hi, what is continued presence")
    # the conversation is stored, scrubbed — not dropped
    stored = sqlite_user_texts(data / "conversations.db", sender)
    assert len(stored) == len(PERSONAL_MESSAGES)
    assert "[name]" in stored[0] and "[phone]" in stored[1] and "[email]" in stored[1]
    assert "[address]" in stored[2] and "[a-number]" in stored[2]
    assert "[ssn]" in stored[3] and "[date]" in stored[3] and "[address]" in stored[4]
    stack.rasa.stop()  # logs flushed, the database closed
    stack.actions.stop()
    try:
        stored_bytes = files_text(*data.glob("conversations.db*"))  # with the write-ahead log
        logs = files_text(data / "logs")
        assert "[name]" in logs  # at DEBUG, Rasa logs each message: scrubbed
        for secret in SECRETS:
            assert secret not in stored_bytes, f"{secret!r} is in the database"
            assert secret not in logs, f"{secret!r} is in the logs"
        with sqlite3.connect(data / "conversations.db") as db:
            senders = {s for (s,) in db.execute("select distinct sender_id from events")}
        assert stored_id(sender, data) in senders and PHONE_AS_SENDER not in senders
    finally:
        stack.start()


def forget(data, *args, **env):
    return subprocess.run(
        [sys.executable, "-m", "bot.storage.forget", *args],
        cwd=ROOT,
        env={**os.environ, "HARBOR_DATA_DIR": str(data), **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout


def test_expiry_deletes_conversations_inactive_for_the_retention_window_and_forget_deletes_all(embedded):
    stack, data, env = embedded
    old, recent = new_sender(), new_sender()
    say(stack.url, old, "what is a u visa")
    say(stack.url, recent, "what is a t visa")
    database = data / "conversations.db"
    forget(data, "--expired")  # default window: 24 hours
    assert sqlite_user_texts(database, old) and sqlite_user_texts(database, recent)
    with sqlite3.connect(database) as db:  # a day and a minute pass for one
        db.execute("update events set timestamp = timestamp - 86460 where sender_id = ?", (stored_id(old, data),))
    forget(data, "--expired")
    assert not sqlite_user_texts(database, old)
    assert sqlite_user_texts(database, recent)
    out = forget(data, "--all")
    assert "Deleted" in out
    with sqlite3.connect(database) as db:
        assert db.execute("select count(*) from events").fetchone() == (0,)
    # and the assistant goes on answering, with a fresh conversation
    assert "1 of 5" in joined(say(stack.url, recent, "help me check if this is trafficking"))
