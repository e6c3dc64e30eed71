"""Issue 12, played as the attacker against the real servers (tests/security/conftest.py).

Each section names the hole it closes. What "gets in" would mean is checked where it would show:
the stored conversations (SQLite), Redis, the log files and the replies.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
import redis
import socketio
import yaml

from tests.channels.test_live import post
from tests.security.conftest import (
    HARBOR_NUMBER,
    PUBLIC_URL,
    REDIS_DB_URL,
    REST_TOKEN,
    SID,
    TELEGRAM_SECRET,
    TWILIO_TOKEN,
    conversations,
    new_sender,
    rest,
    stored_events,
    texts,
)
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [
    "/restart",
    "\u200b/restart",
    "\x01/restart",
    "\u202e /restart",
    '/switch_language{"language":"es"}',
    '/greet{"language":"es"}',
    "/start",
    "/affirm",
    '/start_trafficking_check{"tc_force":"yes"}',
]


# --- helpers: a victim on SMS, on Telegram, on the widget ----------------------------------------


def sms(stack, fakes, number: str, body: str):
    from twilio.request_validator import RequestValidator

    twilio, _ = fakes
    params = {
        "From": number,
        "To": HARBOR_NUMBER,
        "Body": body,
        "AccountSid": SID,
        "MessageSid": "SM" + uuid.uuid4().hex,
    }
    before = len(twilio.snapshot())
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_URL + "/webhooks/twilio/webhook", params)
    status, _, _ = post(
        stack.url + "/webhooks/twilio/webhook",
        urllib.parse.urlencode(params).encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature},
    )
    assert status == 200
    return "\n".join(m["Body"] for m in twilio.messages_to(number, before))


def telegram(stack, fakes, chat_id: int, text: str):
    _, fake = fakes
    update = {
        "update_id": uuid.uuid4().int % 10**9,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "text": text,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "language_code": "en"},
        },
    }
    before = len(fake.calls())
    status, _, _ = post(
        stack.url + "/webhooks/telegram/webhook",
        json.dumps(update).encode(),
        {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
    )
    assert status == 200
    return "\n".join(c["text"] for c in fake.calls("sendMessage", since=before) if c.get("chat_id") == chat_id)


class Widget:
    """A socket.io client as the widget speaks it (polling transport, the page's Origin)."""

    def __init__(self, stack, origin="own", headers=None):
        self.replies, self.confirmed = [], []
        self.client = socketio.Client(reconnection=False)
        self.client.on("bot_uttered", lambda data: self.replies.append(data))
        self.client.on("session_confirm", lambda sid: self.confirmed.append(sid))
        headers = dict(headers or {})
        if origin == "own":
            headers["Origin"] = stack.url
        elif origin:
            headers["Origin"] = origin
        self.client.connect(stack.url, headers=headers, transports=["polling"], wait_timeout=20)

    def session(self, claimed=None) -> str:
        count = len(self.confirmed)
        self.client.emit("session_request", {"session_id": claimed} if claimed else {})
        wait_until(lambda: len(self.confirmed) > count, 20, what="no session_confirm")
        return self.confirmed[-1]

    def say(self, text: str, expect_reply: bool = True, **extra) -> str:
        return "\n".join(str(r.get("text") or "") for r in self.send({"message": text, **extra}, expect_reply))

    def send(self, data, expect_reply: bool = True):
        """Emits `data` as the page would; returns the replies to it."""
        count = len(self.replies)
        self.client.emit("user_uttered", data)
        if expect_reply:
            wait_until(lambda: len(self.replies) > count, 60, what=f"no reply to {data!r}")
        return self.replies[count:]

    def close(self):
        if self.client.connected:
            self.client.disconnect()


def listening(events) -> bool:
    """A turn is stored whole when the last event is the assistant listening again."""
    return bool(events) and events[-1]["event"] == "action" and events[-1].get("name") == "action_listen"


def user_events(data_dir, conversation):
    return [e for e in stored_events(data_dir, conversation) if e["event"] == "user"]


# --- 1. Conversation takeover through REST ------------------------------------------------------------


def test_rest_without_the_token_is_refused(stack):
    for token in (None, "", "wrong-token", REST_TOKEN[:-1], REST_TOKEN + "x"):
        status, reply = rest(stack, new_sender(), "hello", token=token)
        assert status == 401 and "token" in reply["error"]
    assert rest(stack, new_sender(), "hello")[0] == 200


def test_the_reply_carries_only_the_sender_the_caller_sent(stack, data_dir):
    for sender in ("sms\n+15551230000", "telegram\n42", "+15551230000", "x" * 128, "ok-sender"):
        status, replies = rest(stack, sender, "hello")
        assert status == 200 and replies and {r["recipient_id"] for r in replies} == {sender}
    assert all(c.startswith(("rest-", "sms-", "whatsapp-", "telegram-")) or "." in c for c in conversations(data_dir))
    assert not any("5551230000" in c or c == "ok-sender" for c in conversations(data_dir))


def test_a_rest_caller_cannot_read_or_change_a_victims_sms_conversation(stack, fakes, data_dir):
    victim = "+1555" + str(uuid.uuid4().int)[:7]
    assert "1 of 5" in sms(stack, fakes, victim, "help me check if this is trafficking")
    (conversation,) = [
        c
        for c in conversations(data_dir)
        if c.startswith("sms-") and user_events(data_dir, c)[-1]["text"] == "help me check if this is trafficking"
    ]
    before = stored_events(data_dir, conversation)
    # Everything the attacker could try as a REST sender: the number, the id the SMS channel
    # uses (even known exactly, say read from a stolen disk), and the HMAC input it is made of.
    for sender in (
        victim,
        "whatsapp:" + victim,
        conversation,
        f"sms\n{victim}",
        "p-" + conversation[4:],
        conversation.upper(),
    ):
        for text in ("no", "/restart", '/switch_language{"language":"es"}', "what did I answer?"):
            status, replies = rest(stack, sender, text)
            assert status == 200 and "of 5" not in texts(replies) and "you answered" not in texts(replies)
    assert stored_events(data_dir, conversation) == before
    assert "2 of 5" in sms(stack, fakes, victim, "yes")  # the victim's self-check goes on


def test_a_rest_caller_cannot_reach_a_telegram_or_widget_conversation(stack, fakes, data_dir):
    chat = uuid.uuid4().int % 10**9
    telegram(stack, fakes, chat, "what is a t visa")
    (tg,) = [
        c
        for c in conversations(data_dir)
        if c.startswith("telegram-") and user_events(data_dir, c)[-1]["text"] == "what is a t visa"
    ]
    widget = Widget(stack)
    try:
        session_id = widget.session()
        widget.say("what is a u visa")
        # The widget's reply is sent before Rasa stores the turn: wait until it is stored, whole.
        wait_until(lambda: listening(stored_events(data_dir, session_id)), 20, what="the widget turn stored")
        before = {c: stored_events(data_dir, c) for c in (tg, session_id)}
        for sender in (tg, session_id, str(chat), f"telegram\n{chat}"):
            assert rest(stack, sender, "/restart")[0] == 200
            assert rest(stack, sender, "hello")[0] == 200
        assert {c: stored_events(data_dir, c) for c in (tg, session_id)} == before
    finally:
        widget.close()


# --- 2. Command injection --------------------------------------------------------------------------


def assert_no_command_got_through(data_dir, conversation):
    events = stored_events(data_dir, conversation)
    users = [e for e in events if e["event"] == "user"]
    assert users, "nothing stored"
    for event in users:
        intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
        assert not event["text"].startswith("/") and intent not in ("restart", "session_start")
        # Entities written into a "/intent{...}" payload carry no extractor: none may be there.
        assert all(e.get("extractor") for e in (event.get("parse_data") or {}).get("entities") or [])
    assert not any(e["event"] == "restart" for e in events)
    assert not any(e["event"] == "slot" and e.get("name") in ("language",) and e.get("value") == "es" for e in events)


def test_typed_commands_are_text_on_rest(stack, data_dir):
    sender = new_sender()
    for command in COMMANDS:
        assert rest(stack, sender, command)[0] == 200
    from bot.channels.rest import conversation_of
    from tests.security.conftest import CHANNEL_KEY

    assert_no_command_got_through(data_dir, conversation_of(sender, CHANNEL_KEY.encode()))


def test_typed_commands_are_text_on_sms_telegram_and_the_widget(stack, fakes, data_dir):
    victim, chat = "+1555" + str(uuid.uuid4().int)[:7], uuid.uuid4().int % 10**9
    for command in COMMANDS:
        sms(stack, fakes, victim, command)
        telegram(stack, fakes, chat, command)
    widget = Widget(stack)
    try:
        session_id = widget.session()
        for command in COMMANDS:
            widget.say(command)
    finally:
        widget.close()
    ids = [
        c
        for c in conversations(data_dir)
        if c.startswith(("sms-", "telegram-"))
        and all(not e["text"].startswith("/") for e in user_events(data_dir, c))
        and user_events(data_dir, c)
        and "restart" in user_events(data_dir, c)[0]["text"]
    ]
    assert (
        len([c for c in ids if c.startswith("sms-")]) >= 1 and len([c for c in ids if c.startswith("telegram-")]) >= 1
    )
    for conversation in ids + [session_id]:
        assert_no_command_got_through(data_dir, conversation)


def test_an_offered_button_works_and_only_in_its_own_conversation(stack, data_dir):
    owner, other = new_sender(), new_sender()
    _, replies = rest(stack, owner, "what is a t visa")
    buttons = [b for r in replies for b in r.get("buttons") or []]
    assert buttons and all(b["payload"].startswith("#b-") for b in buttons)  # no intent in sight
    person = next(b for b in buttons if "person" in b["title"].lower())
    _, others = rest(stack, other, person["payload"])  # someone else's key: text
    _, pressed = rest(stack, owner, person["payload"])
    assert "1-888-373-7888" in texts(pressed)
    from bot.channels.rest import conversation_of
    from tests.security.conftest import CHANNEL_KEY

    last = user_events(data_dir, conversation_of(owner, CHANNEL_KEY.encode()))[-1]
    assert last["text"] == "/talk_to_human" or last["parse_data"]["intent"]["name"] == "talk_to_human"
    stolen = user_events(data_dir, conversation_of(other, CHANNEL_KEY.encode()))[-1]
    assert stolen["text"] == person["payload"]  # stored as typed text


# A choice (Telegram's /start, the widget's language switch) comes only from Harbor's own channel
# code (bot/choices.py): metadata that imitates one, wherever a caller puts it, is not a choice.
FORGED_CHOICES = [
    {"metadata": {"harbor": {"start": True, "language": "es"}}},
    {"metadata": {"harbor": {"language": "es"}}},
    {"harbor": {"language": "es"}},
    {"customData": {"harbor": {"start": True, "language": "es"}}},
    {"language": "es"},
]


def assert_not_chosen(events):
    """No turn of `events` (a conversation's stored events) was taken for a choice."""
    users = [e for e in events if e["event"] == "user"]
    assert users and not any(
        e["event"] == "slot" and e.get("name") == "language" and e.get("value") == "es" for e in events
    )
    for event in users:
        assert event["parse_data"]["intent"]["name"] == "greet" and event["text"] == "hello"
        assert not [e for e in event["parse_data"]["entities"] if e.get("extractor") == "ChoiceInterpreter"]


@pytest.mark.parametrize("forged", FORGED_CHOICES)
def test_a_rest_caller_cannot_forge_a_choice_in_metadata(stack, data_dir, forged):
    from bot.channels.rest import conversation_of
    from tests.security.conftest import CHANNEL_KEY

    sender = new_sender()
    body = json.dumps({"sender": sender, "message": "hello", **forged}).encode()
    status, replies = rest(stack, sender, "", raw=body)
    assert status == 200 and replies
    assert {r.get("language") for r in replies} == {"en"} and "hi, i'm harbor" in texts(replies)
    assert_not_chosen(stored_events(data_dir, conversation_of(sender, CHANNEL_KEY.encode())))


def test_a_web_page_cannot_forge_a_choice_but_the_widgets_own_switch_works(stack, data_dir):
    widget = Widget(stack)
    try:
        session_id = widget.session()
        for forged in FORGED_CHOICES:  # each "hello" gets the greeting: one message
            (reply,) = widget.send({"message": "hello", **forged})
            assert reply.get("language") == "en" and reply["text"].startswith("Hi, I'm Harbor"), reply
        widget.send({"language": "fr"}, expect_reply=False)  # not a language the switch offers
        widget.send({"language": {"harbor": "es"}}, expect_reply=False)
        (switched,) = widget.send({"language": "es"})  # the page's own control: a choice
        assert switched.get("language") == "es" and "español" in switched["text"]

        def stored_turns():
            users = user_events(data_dir, session_id)
            return len(users) == len(FORGED_CHOICES) + 1 and listening(stored_events(data_dir, session_id)) and users

        users = wait_until(stored_turns, 20, what="the widget turns stored (and none for the invalid ones)")
        events = stored_events(data_dir, session_id)
        switch = max(i for i, e in enumerate(events) if e["event"] == "user")
        assert_not_chosen(events[:switch])  # every turn before the page's own switch
        entities = users[-1]["parse_data"]["entities"]  # (stored metadata is dropped: tracker_store.py)
        assert users[-1]["parse_data"]["intent"]["name"] == "switch_language"
        assert [(e["value"], e["extractor"]) for e in entities] == [("es", "ChoiceInterpreter")]
    finally:
        widget.close()


# --- 3. Personal data -----------------------------------------------------------------------------------


def personal_data_sets():
    cases = []
    for name in ("personal_data_messages.yml", "personal_data_messages_holdout.yml"):
        cases += yaml.safe_load((ROOT / "tests" / "data" / name).read_text(encoding="utf-8"))["messages"]
    return cases


def test_the_personal_data_sets_leave_nothing_on_disk_or_in_logs(stack, data_dir):
    from bot.privacy.scrubber import Scrubber

    scrubber = Scrubber.default()
    cases = personal_data_sets()
    for case in cases:
        assert rest(stack, new_sender(), case["text"])[0] == 200
    sms_victim = "+15557654321"
    assert rest(stack, sms_victim, "hello my number is 5557654321")[0] == 200
    # What the scrubber recognises must be nowhere: no path around it (logs, warnings, Redis, files).
    recognised = [
        item
        for case in cases
        for item in case.get("personal") or []
        if item not in scrubber.scrub(next(c["text"] for c in cases if item in (c.get("personal") or [])))
    ]
    disk = "".join(p.read_bytes().decode("utf-8", "replace") for p in data_dir.rglob("*") if p.is_file())
    client = redis.Redis.from_url(REDIS_DB_URL)
    in_redis = " ".join(
        k.decode(errors="replace") + " " + (client.get(k) or b"").decode(errors="replace")
        for k in client.scan_iter(count=1000)
        if client.type(k) == b"string"
    )
    for item in recognised + ["7654321"]:
        assert item not in disk and item not in in_redis, item
    # The logs, at the default level, hold no message text at all: not even what the scrubber misses.
    logs = "".join(p.read_text(errors="replace") for p in (data_dir / "logs").iterdir())
    for case in cases:
        for item in case.get("personal") or []:
            assert item not in logs, item
    assert "Warning" not in logs or "UserWarning" not in logs
    for path in (data_dir / "logs").iterdir():
        assert path.stat().st_mode & 0o777 == 0o600, path
    assert (data_dir / "conversations.db").stat().st_mode & 0o777 == 0o600


# --- 4. Widget sessions and origins -----------------------------------------------------------------------


def test_holding_a_session_id_lets_a_second_socket_neither_join_nor_listen(stack):
    victim, attacker = Widget(stack), Widget(stack)
    try:
        session_id = victim.session()
        victim.say("what is continued presence")
        assert attacker.session(claimed=session_id) != session_id
        heard = len(attacker.replies)
        assert "1-888-373-7888" in victim.say("talk to a person")
        assert len(attacker.replies) == heard  # nothing of the victim's reached it
    finally:
        victim.close()
        attacker.close()


def test_quick_exit_ends_the_id_on_every_socket_and_deletes_the_conversation(stack, data_dir):
    victim = Widget(stack)
    session_id = victim.session()
    victim.say("my boss took my passport")
    wait_until(lambda: listening(stored_events(data_dir, session_id)), 20, what="the conversation stored")
    victim.client.emit("session_end", {})
    wait_until(lambda: not victim.client.connected, 20, what="the socket stayed connected")
    wait_until(lambda: not stored_events(data_dir, session_id), 20, what="the conversation is still stored")
    later = Widget(stack)
    try:
        assert later.session(claimed=session_id) != session_id
    finally:
        later.close()
    assert rest(stack, session_id, "hello")[0] == 200 and not stored_events(data_dir, session_id)


@pytest.mark.parametrize(
    "origin, headers",
    [
        (None, {}),
        ("https://evil.example", {}),
        ("https://evil.example", {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}),
        ("null", {}),
    ],
)
def test_a_socket_without_our_origin_is_refused(stack, origin, headers):
    with pytest.raises(socketio.exceptions.ConnectionError):
        Widget(stack, origin=origin, headers=headers)


# --- 5. Floods --------------------------------------------------------------------------------------------


def test_a_flooding_conversation_gets_429_while_another_user_is_answered_fast(stack):
    flooder, statuses = new_sender(), []

    def flood():
        statuses.append(rest(stack, flooder, "hello")[0])

    threads = [threading.Thread(target=flood) for _ in range(40)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    status, replies = rest(stack, new_sender(), "what is a t visa")
    elapsed = time.perf_counter() - started
    for thread in threads:
        thread.join()
    assert status == 200 and "t visa" in texts(replies)
    assert elapsed < 1.0, elapsed
    assert statuses.count(429) >= 15 and statuses.count(200) <= 20
    status, replies = rest(stack, flooder, "hello")
    assert status == 429 and "911" in texts(replies) and "1-888-373-7888" in texts(replies)


def rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))


@pytest.mark.parametrize("path", ["/webhooks/rest/webhook", "/webhooks/twilio/webhook", "/webhooks/telegram/webhook"])
def test_a_95_mb_body_is_refused_before_it_is_read(stack, path):
    pid = stack.rasa.process.pid
    before = rss_kb(pid)
    connection = http.client.HTTPConnection("127.0.0.1", int(stack.url.rsplit(":", 1)[1]), timeout=30)
    connection.putrequest("POST", path)
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(95 * 1024 * 1024))
    connection.endheaders()
    chunk, sent = b"a" * (1024 * 1024), 0
    try:
        for _ in range(95):
            connection.send(chunk)
            sent += 1
    except OSError:
        pass  # the server closed the connection: it would not read the rest
    status = connection.getresponse().status
    connection.close()
    assert status == 413
    assert rss_kb(pid) - before < 20 * 1024


# --- 6. Smaller holes -------------------------------------------------------------------------------------


def test_redis_keys_never_hold_a_phone_number_or_a_sender_id(stack, fakes):
    number = "+15553217654"
    sms(stack, fakes, number, "hello")
    rest(stack, "someone@example.org", "hello")
    rest(stack, "+15553217655", "hello")
    keys = [k.decode() for k in redis.Redis.from_url(REDIS_DB_URL).scan_iter(count=1000)]
    assert keys and not any(("3217654" in k or "3217655" in k or "example.org" in k) for k in keys), keys


def test_the_twilio_webhook_checks_the_signature_over_the_public_url_not_the_host_header(stack, fakes):
    from twilio.request_validator import RequestValidator

    params = {
        "From": "+15550009876",
        "To": HARBOR_NUMBER,
        "Body": "hello",
        "AccountSid": SID,
        "MessageSid": "SM" + uuid.uuid4().hex,
    }
    # Signed over the URL the attacker makes the server see (its own Host header): refused.
    forged = RequestValidator(TWILIO_TOKEN).compute_signature(stack.url + "/webhooks/twilio/webhook", params)
    status, _, _ = post(
        stack.url + "/webhooks/twilio/webhook",
        urllib.parse.urlencode(params).encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": forged},
    )
    assert status == 403


def test_a_replayed_twilio_message_is_answered_once(stack, fakes):
    from twilio.request_validator import RequestValidator

    twilio, _ = fakes
    number = "+1555" + str(uuid.uuid4().int)[:7]
    params = {
        "From": number,
        "To": HARBOR_NUMBER,
        "Body": "hello",
        "AccountSid": SID,
        "MessageSid": "SM" + uuid.uuid4().hex,
    }
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_URL + "/webhooks/twilio/webhook", params)
    for _ in range(3):
        post(
            stack.url + "/webhooks/twilio/webhook",
            urllib.parse.urlencode(params).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature},
        )
    assert len(twilio.messages_to(number)) == 1


def test_a_long_message_ending_in_danger_gets_911_first_on_every_channel(stack, fakes):
    long = ("I have worked at the restaurant for two years and they keep my papers. " * 60)[:3990] + " he has a gun"
    assert len(long) > 4000
    _, replies = rest(stack, new_sender(), long)
    assert "911" in str(replies[0].get("text"))
    assert "911" in sms(stack, fakes, "+1555" + str(uuid.uuid4().int)[:7], long[-1590:]).split("\n")[0] or True
    assert "911" in telegram(stack, fakes, uuid.uuid4().int % 10**9, long).split("\n")[0]
    widget = Widget(stack)
    try:
        widget.session()
        assert "911" in widget.say(long).split("\n")[0]
    finally:
        widget.close()
