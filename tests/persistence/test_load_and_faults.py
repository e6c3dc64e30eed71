"""Many conversations at once, a crash of the action server under load, and malformed requests."""

import json
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.launcher import Stack, server_env
from tests.persistence.conftest import joined, kill, new_sender, post, require_model, say, sqlite_user_texts
from tests.waiting import wait_until

CONVERSATIONS, TURNS = 50, 10
UNAVAILABLE = "can't look that up right now"  # utter_service_unavailable


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    data = tmp_path_factory.mktemp("load")
    env = {"HARBOR_DATA_DIR": str(data)}
    with Stack(require_model(), rasa_port=15705, action_port=15755, log_dir=data / "logs", env=env) as stack:
        yield stack, data, env


def self_check_script(number: int):
    """A 10-turn conversation whose replies depend on its own earlier turns: a self-check with
    this conversation's own answers, so a crossed or lost turn shows in the count at the end."""
    answers = [("yes" if number >> bit & 1 else "no") for bit in range(5)]
    signs = sum(a == "yes" for a in answers[:4]) + (answers[4] == "no")
    turns = [("hello", None), ("help me check if this is trafficking", "1 of 5")]
    turns += [(a, f"{i + 2} of 5") for i, a in enumerate(answers[:4])]
    turns += [(answers[4], f"{signs} of 5 signs" if signs else None)]
    turns += [("what is a t visa", "T visa"), ("how do i call the hotline", "1-888-373-7888"), ("thanks", None)]
    return turns


def test_fifty_conversations_of_ten_turns_at_once_lose_duplicate_and_cross_nothing(assistant):
    stack, data, _ = assistant

    def converse(number):
        sender, failures = f"load-{number}-{new_sender()}", []
        for text, expected in self_check_script(number):
            reply = joined(say(stack.url, sender, text, timeout=120))
            if not reply.strip() or (expected and expected not in reply):
                failures.append((text, expected, reply[:120]))
        return sender, failures

    with ThreadPoolExecutor(CONVERSATIONS) as pool:
        results = list(pool.map(converse, range(CONVERSATIONS)))
    assert [f for _, f in results if f] == []
    for number, (sender, _) in enumerate(results):  # every turn stored once, in order
        assert sqlite_user_texts(data / "conversations.db", sender) == [text for text, _ in self_check_script(number)]


def test_the_action_server_killed_and_restarted_under_load_loses_no_conversation(assistant):
    """16 conversations of 8 turns: 3 before the crash, 3 while the action server is down, 2 after
    its restart. Each phase starts when the last one is over for every conversation (no timing)."""
    stack, data, env = assistant
    questions = [
        "what is a t visa",
        "what is continued presence",
        "how does a u visa work",
        "what is vawa",
        "what is human trafficking",
    ]
    senders = [new_sender() for _ in range(16)]
    replies = {s: [] for s in senders}
    killed, restarted = threading.Event(), threading.Event()

    def converse(sender):
        for turn in range(8):
            if turn == 3:
                assert killed.wait(180), "the action server was never killed"
            if turn == 6:
                assert restarted.wait(180), "the action server was never restarted"
            replies[sender].append(joined(say(stack.url, sender, questions[turn % len(questions)])))

    def every_conversation_has(turns):
        return lambda: all(len(replies[s]) >= turns for s in senders)

    with ThreadPoolExecutor(len(senders)) as pool:
        running = [pool.submit(converse, s) for s in senders]
        wait_until(every_conversation_has(3), timeout=180, what="3 turns in every conversation")
        kill(stack.actions)  # crash, mid-conversation
        killed.set()
        wait_until(every_conversation_has(6), timeout=180, what="3 turns more while it is down")
        stack.actions.start(server_env(env))
        stack.actions.wait_ready(120)
        restarted.set()
        for future in running:
            future.result()
    for sender in senders:
        assert len(replies[sender]) == 8 and all(r.strip() for r in replies[sender])
        # while it was down, the answer was an apology with 911 and the hotline — never silence
        assert all(UNAVAILABLE in r and "911" in r for r in replies[sender][3:6]), replies[sender]
        assert not any(UNAVAILABLE in r for r in replies[sender][:3] + replies[sender][6:])
        # every turn kept, and the conversation goes on normally after the restart
        assert len(sqlite_user_texts(data / "conversations.db", sender)) == 8
        after = joined(say(stack.url, sender, "what is a t visa"))
        assert "T visa" in after and UNAVAILABLE not in after


# --- malformed requests --------------------------------------------------------------------------


def body(**fields) -> bytes:
    return json.dumps(fields).encode()


@pytest.mark.parametrize(
    "name, raw, expected",
    [
        ("bad JSON", b'{"sender": "x", "message": "hi"', 400),
        ("not an object", b'["hi"]', 400),
        ("no message", body(sender="x"), 400),
        ("no sender", body(message="hi"), 400),
        ("message not text", body(sender="x", message=["hi"]), 400),
        ("sender not text", body(sender={"id": 1}, message="hi"), 400),
        ("empty message", body(sender="x", message=""), 400),
        ("blank message", body(sender="x", message=" \n\t "), 400),
        ("invalid UTF-8", b'{"sender": "x", "message": "caf\xe9 \xff\xfe"}', 400),
        ("sender of 10 KB", body(sender="s" * 10_000, message="hi"), 400),
        ("1 MB body", body(sender="x", message="a" * 1_000_000), 413),
    ],
)
def test_a_malformed_request_gets_a_clean_4xx(assistant, name, raw, expected):
    stack, _, _ = assistant
    status, answer = post(stack.url, raw)
    assert status == expected and isinstance(answer, dict) and answer.get("error"), (name, status, answer)


@pytest.mark.parametrize(
    "name, text",
    [
        ("100 KB of text", "I need help with my visa. " * 4000),
        ("control characters", "\x00\x07hello\x1b[31m what is a \x08t visa\x7f\u202e"),
        ("only control characters", "\x00\x01\x02\x1b"),
        ("emoji and other scripts", "🆘😢 ayuda 救命 помогите"),
    ],
)
def test_odd_text_gets_a_friendly_reply(assistant, name, text):
    stack, _, _ = assistant
    started = time.monotonic()
    status, replies = post(stack.url, body(sender=new_sender(), message=text), timeout=60)
    assert status == 200 and replies and joined(replies).strip(), (name, status, replies)
    assert time.monotonic() - started < 30, name


def test_after_all_that_the_server_still_answers(assistant):
    stack, _, _ = assistant
    with urllib.request.urlopen(stack.url, timeout=10) as response:
        assert response.status == 200
    assert "T visa" in joined(say(stack.url, new_sender(), "what is a t visa"))
