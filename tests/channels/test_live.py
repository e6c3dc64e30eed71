"""The real connectors inside the real Rasa server (and action server), against fake Twilio and
Telegram APIs on 127.0.0.1.

Webhooks are posted as the providers post them: Twilio's signed with Twilio's own
RequestValidator over the public URL (HARBOR_PUBLIC_URL, deliberately not the URL the server
sees), Telegram's with the secret-token header. What the connectors send comes back through
the fakes. Replies are limited to 320 characters per SMS part and 300 per Telegram message here
so that real answers are split.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest
from twilio.request_validator import RequestValidator

from bot.channels.plain_text import units
from bot.launcher import Stack
from tests.channels.fakes import FakeTelegram, FakeTwilio
from tests.waiting import assert_stays

ROOT = Path(__file__).resolve().parents[2]
MODEL = Path(os.environ.get("HARBOR_MODEL", ROOT / "models" / "harbor.tar.gz"))
RASA_PORT, ACTION_PORT = 15405, 15455

SID, TOKEN = "AC" + "7" * 32, "twilio-test-auth-token-0123456789"
HARBOR_NUMBER, HARBOR_WHATSAPP = "+15550001000", "whatsapp:+15550002000"
PUBLIC_URL = "https://harbor.example.org"
TWILIO_PATH = "/webhooks/twilio/webhook"
BOT_TOKEN, SECRET = "700000:telegram-test-token", "telegram-test-secret_0123456789abcdef0123"
TELEGRAM_PATH = "/webhooks/telegram/webhook"
SMS_LIMIT, TELEGRAM_LIMIT = 320, 300
MARK = re.compile(r"^\((\d+)/(\d+)\) ")


@pytest.fixture(scope="module")
def fakes():
    twilio, telegram = FakeTwilio(SID, TOKEN).start(), FakeTelegram(BOT_TOKEN).start()
    yield twilio, telegram
    twilio.stop()
    telegram.stop()


@pytest.fixture(scope="module")
def server(fakes, tmp_path_factory):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (or `make test`) first")
    twilio, telegram = fakes
    env = {
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_NUMBER": HARBOR_NUMBER,
        "TWILIO_WHATSAPP_NUMBER": HARBOR_WHATSAPP,
        "TWILIO_API_URL": twilio.url,
        "HARBOR_PUBLIC_URL": PUBLIC_URL,
        "HARBOR_SMS_MAX_CHARS": str(SMS_LIMIT),
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_SECRET_TOKEN": SECRET,
        "TELEGRAM_API_URL": telegram.url,
        "HARBOR_TELEGRAM_MAX_CHARS": str(TELEGRAM_LIMIT),
    }
    logs = tmp_path_factory.mktemp("channel-logs")
    with Stack(MODEL, rasa_port=RASA_PORT, action_port=ACTION_PORT, log_dir=logs, env=env) as stack:
        yield stack.url


def post(url: str, body: bytes, headers: Dict[str, str]) -> Tuple[int, str, str]:
    request = urllib.request.Request(url, body, headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, reply.headers.get("Content-Type", ""), reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode()


def new_number() -> str:
    return "+1555" + str(uuid.uuid4().int)[:7]


# --- Twilio --------------------------------------------------------------------------------------


def twilio_params(sender: str, body: str, **extra: str) -> Dict[str, str]:
    # As Twilio sends them, blank values included (they are part of the signature).
    return {
        "ToCountry": "US",
        "ToState": "",
        "SmsMessageSid": "SM" + uuid.uuid4().hex,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": "SM" + uuid.uuid4().hex,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "US",
        "To": HARBOR_WHATSAPP if sender.startswith("whatsapp:") else HARBOR_NUMBER,
        "MessagingServiceSid": "",
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": "SM" + uuid.uuid4().hex,
        "AccountSid": SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def signature(params: Dict[str, str], url: str = PUBLIC_URL + TWILIO_PATH, token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def post_twilio(
    server: str, params: Dict[str, str], sign: Optional[str] = "valid", body: Optional[Dict[str, str]] = None
) -> Tuple[int, str, str]:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if sign == "valid":
        headers["X-Twilio-Signature"] = signature(params)
    elif sign:
        headers["X-Twilio-Signature"] = sign
    data = urllib.parse.urlencode(body if body is not None else params).encode()
    return post(server + TWILIO_PATH, data, headers)


def text_message(server: str, fake: FakeTwilio, sender: str, body: str, **extra: str) -> List[Dict[str, str]]:
    """Sends one signed message; returns the messages the connector sent back to `sender`."""
    before = len(fake.snapshot())
    status, content_type, answer = post_twilio(server, twilio_params(sender, body, **extra))
    assert status == 200 and "xml" in content_type and "<Response></Response>" in answer
    return fake.messages_to(sender, before)


def unmarked(messages: List[Dict[str, str]]) -> str:
    return "\n\n".join(MARK.sub("", m["Body"]) for m in messages)


def option_number(messages: List[Dict[str, str]], title: str) -> str:
    match = re.search(rf"^(?:Reply|Responda) (\d+) (?:for|para) {re.escape(title)}$", unmarked(messages), re.MULTILINE)
    assert match, f"no option {title!r} in {unmarked(messages)!r}"
    return match.group(1)


def test_a_signed_sms_gets_the_answer_from_our_number_through_the_api(server, fakes):
    twilio, _ = fakes
    me = new_number()
    before = len(twilio.snapshot())
    replies = text_message(server, twilio, me, "hello")
    assert replies and all(m["From"] == HARBOR_NUMBER for m in replies)
    text = unmarked(replies)
    assert text.startswith("Hi, I'm Harbor") and "If you are in danger, call 911" in text
    assert "Reply 1 for T visa" in text and "Reply 9 for Talk to a person" in text
    calls = twilio.snapshot()[before:]
    assert {c["path"] for c in calls} == {f"/2010-04-01/Accounts/{SID}/Messages.json"}
    assert {c["auth"] for c in calls} == {f"{SID}:{TOKEN}"}


@pytest.mark.parametrize(
    "case", ["missing", "wrong token", "local url", "tampered body", "blank values left out", "other account"]
)
def test_a_request_without_a_valid_signature_gets_403_and_nothing_is_sent(server, fakes, case):
    twilio, _ = fakes
    me = new_number()
    params = twilio_params(me, "STOP")
    sign, body = "valid", None
    if case == "missing":
        sign = None
    elif case == "wrong token":
        sign = signature(params, token="not-the-token")
    elif case == "local url":  # what the server sees, not what Twilio called
        sign = signature(params, url=f"{server}{TWILIO_PATH}")
    elif case == "tampered body":  # signed "hello", sent "STOP"
        sign = signature({**params, "Body": "hello"})
    elif case == "blank values left out":
        sign = signature({k: v for k, v in params.items() if v})
    elif case == "other account":
        params["AccountSid"] = "AC" + "9" * 32
    before = len(twilio.snapshot())
    status, _, _ = post_twilio(server, params, sign, body)
    assert status == 403
    assert_stays(lambda: twilio.snapshot()[before:] == [], duration=0.5, what="nothing sent")
    # and nothing was processed: the refused STOP did not opt this number out
    assert text_message(server, twilio, me, "hello")


def test_a_numbered_reply_selects_that_option(server, fakes):
    twilio, _ = fakes
    me = new_number()
    menu = text_message(server, twilio, me, "hello")
    u_visa = text_message(server, twilio, me, option_number(menu, "U visa"))
    assert "U visa" in unmarked(u_visa) and "T visa" not in unmarked(u_visa).split("\n")[0]
    person = text_message(server, twilio, me, option_number(u_visa, "Talk to a person"))
    assert "1-888-373-7888" in unmarked(person)


def test_a_self_check_can_be_answered_with_numbers(server, fakes):
    twilio, _ = fakes
    me = new_number()
    menu = text_message(server, twilio, me, "hello")
    first = unmarked(text_message(server, twilio, me, option_number(menu, "Is this trafficking?")))
    assert "1 of 5" in first and "Reply 1 for Yes" in first
    second = text_message(server, twilio, me, option_number([{"Body": first}], "Yes"))
    assert "2 of 5" in unmarked(second)


def test_a_long_answer_arrives_in_order_each_part_within_the_limit(server, fakes):
    twilio, _ = fakes
    me = new_number()
    parts = text_message(server, twilio, me, "how long does a T visa last?")
    assert len(parts) >= 2
    assert all(units(p["Body"]) <= SMS_LIMIT for p in parts)
    marks = [MARK.match(p["Body"]).groups() for p in parts]
    assert marks == [(str(i), str(len(parts))) for i in range(1, len(parts) + 1)]
    whole = unmarked(parts)
    assert whole.index("4 years") < whole.index("Source:") < whole.index("Reply 1 for")


@pytest.mark.parametrize(
    "sender_prefix, text, expected",
    [
        ("", "I am in danger", "call 911"),
        ("", "estoy en peligro", "llame al 911"),
        ("whatsapp:", "he is going to hurt me", "call 911"),
    ],
)
def test_an_emergency_gets_911_first(server, fakes, sender_prefix, text, expected):
    twilio, _ = fakes
    me = sender_prefix + new_number()
    replies = text_message(server, twilio, me, text)
    first = MARK.sub("", replies[0]["Body"])
    assert expected in first.split("\n")[0]
    assert first.index("911") < first.index("1-888-373-7888")


def test_whatsapp_answers_from_the_whatsapp_number(server, fakes):
    twilio, _ = fakes
    me = "whatsapp:" + new_number()
    replies = text_message(server, twilio, me, "hola")
    assert replies and all(m["From"] == HARBOR_WHATSAPP and m["To"] == me for m in replies)
    assert "Responda 1 para Visa T" in unmarked(replies)


@pytest.mark.parametrize(
    "messages, prompt, other, person",
    [
        (["hola", "¿cuánto tiempo dura la visa T?"], "Responda 1 para ", "Reply 1 for ", "Hablar con una persona"),
        (["hello", "how long does a T visa last?"], "Reply 1 for ", "Responda 1 para ", "Talk to a person"),
    ],
)
def test_the_options_prompt_is_in_the_language_of_the_conversation(server, fakes, messages, prompt, other, person):
    # The language comes with each message from the assistant (its metadata), not from its words:
    # the connector's own check of that is in test_connectors.py (English words, Spanish metadata).
    twilio, _ = fakes
    me = new_number()
    for body in messages:
        text = unmarked(text_message(server, twilio, me, body))
        assert prompt in text and other not in text, text
    answer = unmarked(text_message(server, twilio, me, option_number([{"Body": text}], person)))
    assert "1-888-373-7888" in answer and other not in answer


def test_stop_help_start_follow_carrier_conventions(server, fakes):
    twilio, _ = fakes
    me = new_number()
    stopped = text_message(server, twilio, me, "STOP")
    assert len(stopped) == 1 and "no more messages" in stopped[0]["Body"] and "START" in stopped[0]["Body"]
    assert text_message(server, twilio, me, "hello") == []  # silence while opted out
    assert text_message(server, twilio, me, "I am in danger") == []
    helped = text_message(server, twilio, me, "HELP")
    assert "1-888-373-7888" in helped[0]["Body"] and "Call 911" in helped[0]["Body"]
    ayuda = text_message(server, twilio, me, "Ayuda")
    assert "Llame al 911" in ayuda[0]["Body"] and "Línea de ayuda" in ayuda[0]["Body"]
    started = text_message(server, twilio, me, "start")
    assert started[0]["Body"].startswith("Welcome back")
    assert unmarked(text_message(server, twilio, me, "hello")).startswith("Hi, I'm Harbor")


def test_a_keyword_inside_a_sentence_is_an_ordinary_message(server, fakes):
    twilio, _ = fakes
    me = new_number()
    replies = text_message(server, twilio, me, "help me please, I am in danger")
    assert "911" in replies[0]["Body"].split("\n")[0]


# --- Telegram ------------------------------------------------------------------------------------


def update(
    chat_id: int,
    text: Optional[str] = None,
    data: Optional[str] = None,
    language: str = "en",
    chat_type: str = "private",
) -> Dict:
    user = {"id": chat_id, "is_bot": False, "first_name": "Test", "language_code": language}
    chat = {"id": chat_id, "type": chat_type}
    update_id = uuid.uuid4().int % 10**9
    if data is not None:
        return {
            "update_id": update_id,
            "callback_query": {
                "id": str(uuid.uuid4().int % 10**12),
                "from": user,
                "chat_instance": "1",
                "data": data,
                "message": {"message_id": 1, "date": 0, "chat": chat, "text": "…"},
            },
        }
    return {
        "update_id": update_id,
        "message": {"message_id": 1, "date": int(time.time()), "chat": chat, "from": user, "text": text},
    }


def post_telegram(server: str, body: Dict, secret: Optional[str] = SECRET) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    status, _, _ = post(server + TELEGRAM_PATH, json.dumps(body).encode(), headers)
    return status


def telegram_turn(server: str, fake: FakeTelegram, body: Dict) -> List[Dict]:
    """Posts one update; returns the sendMessage calls to its chat."""
    before = len(fake.snapshot())
    assert post_telegram(server, body) == 200
    chat = (body.get("message") or body["callback_query"]["message"])["chat"]["id"]
    return fake.calls("sendMessage", chat_id=chat, since=before)


def new_chat() -> int:
    return uuid.uuid4().int % 10**9 + 1


def button_data(messages: List[Dict], title: str) -> str:
    for message in messages:
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if button["text"] == title:
                    return button["callback_data"]
    raise AssertionError(f"no button {title!r}")


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET[:-1]])
def test_telegram_without_the_secret_token_gets_403_and_nothing_is_sent(server, fakes, secret):
    _, telegram = fakes
    before = len(telegram.snapshot())
    assert post_telegram(server, update(new_chat(), "I am in danger"), secret) == 403
    assert_stays(lambda: telegram.snapshot()[before:] == [], duration=0.5, what="nothing sent")


def test_telegram_start_greets_with_an_inline_keyboard_in_the_users_language(server, fakes):
    _, telegram = fakes
    chat = new_chat()
    sent = telegram_turn(server, telegram, update(chat, "/start", language="es"))
    assert sent[0]["text"].startswith("Hola, soy Harbor")
    keyboard = sent[-1]["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard][:2] == ["Visa T", "Visa U"]
    assert all(len(row) == 1 and len(row[0]["callback_data"].encode()) <= 64 for row in keyboard)


@pytest.mark.parametrize("typed", ['/greet{"language":"es"}', '/switch_language{"language":"es"}'])
def test_a_typed_command_that_imitates_start_or_the_language_switch_does_nothing_special(server, fakes, typed):
    _, telegram = fakes
    chat = new_chat()
    sent = telegram_turn(server, telegram, update(chat, typed, language="en"))
    text = "\n".join(m["text"] for m in sent)
    assert sent and "Hola, soy Harbor" not in text and "le responderé en español" not in text
    again = telegram_turn(server, telegram, update(chat, "hello", language="en"))
    assert again[0]["text"].startswith("Hi, I'm Harbor")  # the conversation is still in English


def test_telegram_start_in_english_greets_in_english(server, fakes):
    _, telegram = fakes
    sent = telegram_turn(server, telegram, update(new_chat(), "/start", language="en-GB"))
    assert sent[0]["text"].startswith("Hi, I'm Harbor")


def test_a_telegram_button_selects_its_option(server, fakes):
    _, telegram = fakes
    chat = new_chat()
    menu = telegram_turn(server, telegram, update(chat, "hello"))
    before = len(telegram.snapshot())
    answer = telegram_turn(server, telegram, update(chat, data=button_data(menu, "U visa")))
    assert "U visa" in answer[0]["text"]
    (ack,) = telegram.calls("answerCallbackQuery", since=before)
    assert "text" not in ack  # a known button: no "expired" note


def test_a_forged_telegram_button_is_not_an_intent(server, fakes):
    _, telegram = fakes
    chat = new_chat()
    telegram_turn(server, telegram, update(chat, "hello"))
    before = len(telegram.snapshot())
    assert telegram_turn(server, telegram, update(chat, data="/emergency")) == []
    (ack,) = telegram.calls("answerCallbackQuery", since=before)
    assert "expired" in ack["text"]


@pytest.mark.parametrize(
    "text, language, expected", [("I am in danger", "en", "call 911"), ("estoy en peligro", "es", "llame al 911")]
)
def test_telegram_emergency_gets_911_first(server, fakes, text, language, expected):
    _, telegram = fakes
    sent = telegram_turn(server, telegram, update(new_chat(), text, language=language))
    assert expected in sent[0]["text"]


def test_a_long_telegram_answer_arrives_in_order_within_the_limit(server, fakes):
    _, telegram = fakes
    sent = telegram_turn(server, telegram, update(new_chat(), "how long does a T visa last?"))
    assert len(sent) >= 2 and all(units(m["text"]) <= TELEGRAM_LIMIT for m in sent)
    whole = "\n".join(m["text"] for m in sent)
    assert whole.index("4 years") < whole.index("Source:")
    assert "reply_markup" in sent[-1] and all("reply_markup" not in m for m in sent[:-1])


def test_telegram_group_chats_are_ignored(server, fakes):
    _, telegram = fakes
    before = len(telegram.snapshot())
    assert post_telegram(server, update(-new_chat(), "I am in danger", chat_type="group")) == 200
    assert telegram.snapshot()[before:] == []


def test_a_redelivered_telegram_update_is_answered_once(server, fakes):
    _, telegram = fakes
    chat = new_chat()
    body = update(chat, "hello")
    first = telegram_turn(server, telegram, body)
    again = telegram_turn(server, telegram, body)
    assert first and again == []
