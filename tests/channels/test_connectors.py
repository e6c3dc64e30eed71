"""The connectors' logic without a Rasa server: what reaches the assistant, what is sent back.

A stand-in assistant records the text it is given and answers through the connector's output
channel, as Rasa does; the provider APIs are the local fakes. The whole path through the real
Rasa server is in test_live.py.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import aiohttp
import pytest

from bot.channels.rest import RestReplies
from bot.channels.socketio import WidgetOutput
from bot.channels.telegram import HarborTelegramInput, TelegramApi, TelegramSettings
from bot.channels.twilio import HarborTwilioInput, TwilioSettings, _Params
from bot.choices import chosen
from bot.privacy.guard import is_offered
from bot.storage.shared_state import MemoryState
from tests.channels.fakes import FakeTelegram, FakeTwilio
from tests.conftest import run_coroutine

ROOT = Path(__file__).resolve().parents[2]
SID, TOKEN = "AC" + "0" * 32, "unit-token-" + "0" * 22  # Twilio auth tokens are 32 characters
PUBLIC = "https://harbor.example.org"
ME, HARBOR = "+15550101010", "+15550000001"
MENU = [
    {"title": "T visa", "payload": "/ask_t_visa"},
    {"title": "U visa", "payload": '/ask_u_visa{"aspect":"fee"}'},
    {"title": "Talk to a person", "payload": "/talk_to_human"},
]


class Assistant:
    """Answers every message with `reply` (text and buttons) and records what it was given."""

    def __init__(self, reply: Dict[str, Any], fail: bool = False):
        self.reply, self.fail, self.heard, self.offered, self.choices = reply, fail, [], [], []

    async def __call__(self, message) -> None:
        self.heard.append((message.text, message.sender_id))
        self.offered.append(is_offered(message))
        self.choices.append(chosen(message))
        if self.fail:
            raise RuntimeError("boom")
        await message.output_channel.send_response(message.sender_id, json.loads(json.dumps(self.reply)))


@pytest.fixture
def twilio_api():
    fake = FakeTwilio(SID, TOKEN).start()
    yield fake
    fake.stop()


def sms_channel(fake, **settings) -> HarborTwilioInput:
    values = dict(account_sid=SID, auth_token=TOKEN, sms_from=HARBOR, api_url=fake.url, public_url=PUBLIC)
    values.update(settings)
    return HarborTwilioInput(TwilioSettings(**values), state=MemoryState())  # a fresh state per test


def sms(channel, assistant, body, sender=ME, **extra) -> None:
    params = _Params(
        {k: [v] for k, v in {"From": sender, "To": HARBOR, "Body": body, "AccountSid": SID, **extra}.items()}
    )
    run_coroutine(channel.handle(params, assistant))


def bodies(fake, to=ME) -> List[str]:
    return [m["Body"] for m in fake.messages_to(to)]


# --- Twilio ------------------------------------------------------------------------------------


def test_a_number_picks_the_payload_of_the_option_it_names(twilio_api):
    channel, assistant = sms_channel(twilio_api), Assistant({"text": "Pick one.", "buttons": MENU})
    sms(channel, assistant, "hello")
    assert bodies(twilio_api)[-1] == (
        "Pick one.\n\nReply 1 for T visa\nReply 2 for U visa\nReply 3 for Talk to a person"
    )
    sms(channel, assistant, "2")
    sms(channel, assistant, " 3. ")
    sms(channel, assistant, "4")  # no 4th option: the assistant reads "4"
    assert [text for text, _ in assistant.heard] == ["hello", '/ask_u_visa{"aspect":"fee"}', "/talk_to_human", "4"]


def test_the_options_prompt_is_in_the_language_the_message_says_not_the_language_of_its_words(twilio_api):
    # English words, Spanish metadata: the prompt follows the metadata (nothing is guessed) …
    spanish = Assistant({"text": "Pick one.", "buttons": MENU, "metadata": {"language": "es"}})
    channel = sms_channel(twilio_api)
    sms(channel, spanish, "hello")
    assert bodies(twilio_api)[-1] == (
        "Pick one.\n\nResponda 1 para T visa\nResponda 2 para U visa\nResponda 3 para Talk to a person"
    )
    # … and Spanish words with English metadata get the English prompt.
    english = Assistant({"text": "Elija uno, por favor.", "buttons": MENU, "metadata": {"language": "en"}})
    sms(channel, english, "hola", sender="+15550202020")
    assert bodies(twilio_api, to="+15550202020")[-1].endswith("Reply 3 for Talk to a person")


def test_a_message_that_says_no_language_takes_the_conversations_last_then_english(twilio_api):
    channel = sms_channel(twilio_api)
    sms(channel, Assistant({"text": "Hola.", "metadata": {"language": "es"}}), "hola")
    unsaid = Assistant({"text": "Did you mean?", "buttons": MENU})  # e.g. one of Rasa's own messages
    sms(channel, unsaid, "algo")
    assert "Responda 1 para T visa" in bodies(twilio_api)[-1]
    sms(channel, unsaid, "hello", sender="+15550303030")  # a new conversation: English
    assert "Reply 1 for T visa" in bodies(twilio_api, to="+15550303030")[-1]
    # several messages in one turn: the prompt follows the one that offered the options
    mixed = Assistant({"text": "Hi.", "buttons": MENU, "metadata": {"language": "en"}})
    sms(channel, mixed, "hi")
    assert "Reply 1 for T visa" in bodies(twilio_api)[-1]


def test_options_belong_to_one_conversation_and_end_with_a_reply_without_buttons(twilio_api):
    channel = sms_channel(twilio_api)
    menu, plain = Assistant({"text": "Pick.", "buttons": MENU}), Assistant({"text": "Okay."})
    sms(channel, menu, "hello")
    sms(channel, plain, "1", sender="+15550202020")  # someone else: no options of theirs
    sms(channel, plain, "thanks")
    sms(channel, plain, "1")  # the menu is no longer the last reply
    assert [t for t, _ in plain.heard] == ["1", "thanks", "1"]


def test_the_conversation_id_is_not_the_phone_number(twilio_api):
    channel, assistant = sms_channel(twilio_api), Assistant({"text": "Hi."})
    sms(channel, assistant, "hello")
    sms(channel, assistant, "hello", sender="whatsapp:" + ME, MessageSid="SM2")
    (_, sms_id), (_, whatsapp_id) = assistant.heard
    assert "5550101010" not in sms_id + whatsapp_id and sms_id != whatsapp_id


def test_typed_slash_text_is_never_marked_as_a_payload_but_an_offered_option_is(twilio_api):
    channel, assistant = sms_channel(twilio_api), Assistant({"text": "Hi.", "buttons": MENU})
    sms(channel, assistant, '/emergency{"language":"es"}')
    sms(channel, assistant, "2", MessageSid="SM-two")
    assert assistant.offered == [False, True]  # the guard turns the first into plain text
    assert assistant.heard[1][0] == '/ask_u_visa{"aspect":"fee"}'


def test_stop_silences_everything_until_start_and_help_is_always_answered(twilio_api):
    channel, assistant = sms_channel(twilio_api), Assistant({"text": "Answer."})
    sms(channel, assistant, "STOP")
    sms(channel, assistant, "hello")
    sms(channel, assistant, "yes")  # YES opts back in an opted-out number (as at Twilio)
    sms(channel, assistant, "hello again")
    sms(channel, assistant, "ayuda")
    sent = bodies(twilio_api)
    assert sent[0].startswith("You will get no more messages") and "Ya no recibirá" in sent[0]
    assert sent[1].startswith("Welcome back") and sent[2] == "Answer."
    assert sent[3].startswith("Harbor: información") and "911" in sent[3]
    assert [t for t, _ in assistant.heard] == ["hello again"]  # "hello" while opted out: never heard


def test_when_twilio_answered_the_keyword_itself_harbor_only_records_it(twilio_api):
    channel, assistant = sms_channel(twilio_api), Assistant({"text": "Answer."})
    sms(channel, assistant, "PARAR", OptOutType="STOP")  # a keyword configured at Twilio only
    sms(channel, assistant, "hello")
    assert bodies(twilio_api) == [] and assistant.heard == []


def test_a_redelivered_message_is_answered_once(twilio_api):
    channel, assistant = sms_channel(twilio_api), Assistant({"text": "Answer."})
    sms(channel, assistant, "hello", MessageSid="SMsame")
    sms(channel, assistant, "hello", MessageSid="SMsame")
    assert len(assistant.heard) == 1 and bodies(twilio_api) == ["Answer."]


def test_a_photo_without_text_gets_a_short_note_not_the_assistant(twilio_api):
    channel, assistant = sms_channel(twilio_api), Assistant({"text": "Answer."})
    sms(channel, assistant, "", NumMedia="1")
    assert assistant.heard == [] and "911" in bodies(twilio_api)[0]


def test_when_the_assistant_fails_the_user_still_gets_911_and_the_hotline(twilio_api):
    channel = sms_channel(twilio_api)
    sms(channel, Assistant({}, fail=True), "hello")
    (sent,) = bodies(twilio_api)
    assert "911" in sent and "1-888-373-7888" in sent


def test_a_refused_part_stops_the_rest(twilio_api):
    channel = sms_channel(twilio_api, max_chars=60)
    twilio_api.blocked.add(ME)
    sms(channel, Assistant({"text": "A sentence of some length. " * 10}), "hello")
    assert len(twilio_api.messages_to(ME)) == 1  # tried once, refused (21610), not retried


def test_senders_for_sms_messaging_service_and_whatsapp(twilio_api):
    channel = sms_channel(twilio_api, whatsapp_from="whatsapp:+15550009999")
    assistant = Assistant({"text": "Hi."})
    sms(channel, assistant, "hello", sender="whatsapp:" + ME)
    sms(channel, assistant, "hello")
    service = sms_channel(twilio_api, messaging_service_sid="MG" + "1" * 32)
    sms(service, assistant, "hello", sender="+15550303030")
    (whatsapp,) = twilio_api.messages_to("whatsapp:" + ME)
    (plain,) = twilio_api.messages_to(ME)
    (pooled,) = twilio_api.messages_to("+15550303030")
    assert whatsapp["From"] == "whatsapp:+15550009999" and plain["From"] == HARBOR
    assert pooled["MessagingServiceSid"].startswith("MG") and "From" not in pooled


def test_settings_come_from_the_environment_and_bad_values_stop_the_server(monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("TWILIO_WHATSAPP_NUMBER", "+15550009999")
    monkeypatch.delenv("HARBOR_PUBLIC_URL", raising=False)
    assert not TwilioSettings.load({}).configured  # without the public URL: every request refused
    monkeypatch.setenv("HARBOR_PUBLIC_URL", PUBLIC)
    settings = TwilioSettings.load({"auth_token": "ignored", "twilio_number": HARBOR})
    assert settings.configured and settings.auth_token == TOKEN and settings.sms_from == HARBOR
    assert settings.whatsapp_from == "whatsapp:+15550009999" and settings.max_chars == 1600
    monkeypatch.setenv("HARBOR_SMS_MAX_CHARS", "2000")
    with pytest.raises(ValueError, match="HARBOR_SMS_MAX_CHARS"):
        TwilioSettings.load()
    monkeypatch.delenv("HARBOR_SMS_MAX_CHARS")
    monkeypatch.setenv("TWILIO_API_URL", "http://api.twilio.com")
    with pytest.raises(ValueError, match="TWILIO_API_URL"):
        TwilioSettings.load()


def test_secrets_are_never_read_from_credentials_yml(monkeypatch):
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TELEGRAM_BOT_TOKEN", "TELEGRAM_SECRET_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert not TwilioSettings.load({"twilio_account_sid": SID, "twilio_auth_token": TOKEN}).configured
    assert not TelegramSettings.load({"telegram_bot_token": "1:x", "telegram_secret_token": "s"}).configured


# --- Telegram ----------------------------------------------------------------------------------

BOT = "123456:unit-test-token"


@pytest.fixture
def telegram_api():
    fake = FakeTelegram(BOT).start()
    yield fake
    fake.stop()


def telegram(channel, assistant, update, fake) -> None:
    async def run():
        async with aiohttp.ClientSession() as session:
            await channel.handle(update, TelegramApi(channel.settings, session), assistant)

    run_coroutine(run())


def tg_channel(fake, **settings) -> HarborTelegramInput:
    return HarborTelegramInput(
        TelegramSettings(token=BOT, secret="s", api_url=fake.url, **settings), state=MemoryState()
    )


def text_update(text, chat_id=42, chat_type="private", language="en"):
    user = {"id": chat_id, "is_bot": False, "first_name": "A", "language_code": language}
    return {
        "update_id": 1,
        "message": {"message_id": 1, "chat": {"id": chat_id, "type": chat_type}, "from": user, "text": text},
    }


def button_update(data, chat_id=42):
    user = {"id": chat_id, "is_bot": False, "first_name": "A", "language_code": "en"}
    return {
        "update_id": 2,
        "callback_query": {
            "id": "cb1",
            "from": user,
            "data": data,
            "message": {"message_id": 9, "chat": {"id": chat_id, "type": "private"}},
        },
    }


def test_buttons_carry_a_short_key_and_only_keys_we_sent_become_payloads(telegram_api):
    channel, assistant = tg_channel(telegram_api), Assistant({"text": "Pick.", "buttons": MENU})
    telegram(channel, assistant, text_update("hello"), telegram_api)
    (sent,) = telegram_api.calls("sendMessage")
    keyboard = sent["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard] == ["T visa", "U visa", "Talk to a person"]
    datas = [row[0]["callback_data"] for row in keyboard]
    assert all(len(d.encode()) <= 64 and "/" not in d for d in datas)
    telegram(channel, assistant, button_update(datas[1]), telegram_api)
    telegram(channel, assistant, button_update("/emergency"), telegram_api)  # forged
    telegram(channel, assistant, button_update(datas[1], chat_id=43), telegram_api)  # someone else's
    assert [t for t, _ in assistant.heard] == ["hello", '/ask_u_visa{"aspect":"fee"}']
    answers = telegram_api.calls("answerCallbackQuery")
    assert len(answers) == 3 and "text" not in answers[0] and "expired" in answers[1]["text"]


def test_start_is_a_choice_in_the_language_of_the_app_and_help_is_local(telegram_api):
    channel, assistant = tg_channel(telegram_api), Assistant({"text": "Hola."})
    telegram(channel, assistant, text_update("/start", language="es-419"), telegram_api)
    telegram(channel, assistant, text_update("/start@HarborBot", language="en"), telegram_api)
    telegram(channel, assistant, text_update("/help", language="es"), telegram_api)
    telegram(channel, assistant, text_update("/ask_t_visa"), telegram_api)
    # The connector names no intent: /start is a choice (bot/choices.py), its meaning is Rasa's.
    assert [t for t, _ in assistant.heard] == ["/start", "/start", "/ask_t_visa"]
    assert assistant.choices == [{"start": True, "language": "es"}, {"start": True, "language": "en"}, None]
    assert assistant.offered == [False, False, False]  # all text (the guard strips "/")
    assert any("1-888-373-7888" in m["text"] and "Llame al 911" in m["text"] for m in telegram_api.calls("sendMessage"))


@pytest.mark.parametrize("typed", ['/greet{"language":"es"}', '/switch_language{"language":"es"}', "/start_x"])
def test_typed_commands_that_look_like_a_choice_are_text_on_telegram(telegram_api, typed):
    channel, assistant = tg_channel(telegram_api), Assistant({"text": "Hi."})
    telegram(channel, assistant, text_update(typed, language="es"), telegram_api)
    assert assistant.heard == [(typed, assistant.heard[0][1])]
    assert assistant.choices == [None] and assistant.offered == [False]


def test_telegram_notes_follow_the_language_the_assistant_spoke_last(telegram_api):
    spanish = Assistant({"text": "Elija.", "buttons": MENU, "metadata": {"language": "es"}})
    channel = tg_channel(telegram_api)
    telegram(channel, spanish, text_update("hola", language="en"), telegram_api)  # an English app
    telegram(channel, spanish, button_update("no-such-key:0"), telegram_api)
    (ack,) = telegram_api.calls("answerCallbackQuery")
    assert ack["text"] == "Este menú ya no está activo. Por favor escriba su pregunta."
    telegram(channel, Assistant({}, fail=True), text_update("otra pregunta", language="en"), telegram_api)
    assert telegram_api.calls("sendMessage")[-1]["text"].startswith("Lo siento, no puedo responder ahora")
    # a chat the assistant has not spoken in: the app's language
    telegram(tg_channel(telegram_api), Assistant({}, fail=True), text_update("hi", chat_id=7), telegram_api)
    assert telegram_api.calls("sendMessage")[-1]["text"].startswith("Sorry, I can't answer right now")


def test_groups_bots_edits_and_stickers_never_reach_the_assistant(telegram_api):
    channel, assistant = tg_channel(telegram_api), Assistant({"text": "Hi."})
    telegram(channel, assistant, text_update("hello", chat_type="group"), telegram_api)
    bot = text_update("hello")
    bot["message"]["from"]["is_bot"] = True
    telegram(channel, assistant, bot, telegram_api)
    telegram(channel, assistant, {"update_id": 5, "edited_message": text_update("x")["message"]}, telegram_api)
    sticker = text_update("x")
    del sticker["message"]["text"]
    telegram(channel, assistant, sticker, telegram_api)
    assert assistant.heard == []
    (note,) = telegram_api.calls("sendMessage")
    assert note["text"].startswith("I can only read text")


def test_a_long_answer_is_split_with_the_keyboard_under_the_last_part(telegram_api):
    channel = tg_channel(telegram_api, max_chars=100)
    long_text = "This is one sentence of the answer. " * 12
    telegram(channel, Assistant({"text": long_text, "buttons": MENU}), text_update("q"), telegram_api)
    sent = telegram_api.calls("sendMessage")
    assert len(sent) > 2 and all(len(m["text"]) <= 100 for m in sent)
    assert " ".join(m["text"] for m in sent).split() == long_text.split()
    assert [("reply_markup" in m) for m in sent] == [False] * (len(sent) - 1) + [True]


def test_telegram_rate_limit_is_waited_out(telegram_api):
    calls = []
    original = telegram_api.answer

    def limited(method, path, headers, body):
        calls.append(path)
        if len(calls) == 1:
            telegram_api.record({"path": path, "method": "429", "json": {}, "at": 0})
            return 429, {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests",
                "parameters": {"retry_after": 1},
            }
        return original(method, path, headers, body)

    telegram_api.answer = limited
    telegram(tg_channel(telegram_api), Assistant({"text": "Hi."}), text_update("hello"), telegram_api)
    assert [m["text"] for m in telegram_api.calls("sendMessage")] == ["Hi."] and len(calls) == 2


def test_secret_token_format_is_checked(monkeypatch):
    monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", "has spaces!")
    with pytest.raises(ValueError, match="TELEGRAM_SECRET_TOKEN"):
        TelegramSettings.load()


def test_set_webhook_registers_the_public_url_with_the_secret(telegram_api):
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": BOT,
        "TELEGRAM_SECRET_TOKEN": "sekret_" + "0" * 32,
        "TELEGRAM_API_URL": telegram_api.url,
        "HARBOR_PUBLIC_URL": "https://harbor.example.org",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.channels.telegram", "set-webhook"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (call,) = telegram_api.calls("setWebhook")
    assert call == {
        "url": "https://harbor.example.org/webhooks/telegram/webhook",
        "secret_token": "sekret_" + "0" * 32,
        "allowed_updates": ["message", "callback_query"],
    }
    env["HARBOR_PUBLIC_URL"] = "http://harbor.example.org"  # Telegram calls https only
    refused = subprocess.run(
        [sys.executable, "-m", "bot.channels.telegram", "set-webhook"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2 and len(telegram_api.calls("setWebhook")) == 1


# --- the widget and REST: each message with its language -------------------------------------------


class _Sio:
    def __init__(self):
        self.emitted = []

    async def emit(self, event, data, room=None, namespace=None):
        self.emitted.append(data)


class _Offers:
    async def hide(self, conversation, message):
        return message


def test_the_widget_sends_each_message_with_the_language_it_says():
    sio = _Sio()
    output = WidgetOutput(sio, "bot_uttered", "sid", "session", _Offers(), None)

    async def say():
        await output.send_response("session", {"text": "Hola.\n\nSegunda parte.", "metadata": {"language": "es"}})
        await output.send_response("session", {"text": "Pick.", "buttons": MENU, "metadata": {"language": "en"}})
        await output.send_response("session", {"text": "Did you mean?"})  # says none: none is sent
        await output.send_response("session", {"text": "x", "metadata": {"language": "fr"}})

    run_coroutine(say())
    assert [m.get("language") for m in sio.emitted] == ["es", "es", "en", None, None]


def test_rest_replies_carry_the_language_they_say():
    collector = RestReplies()

    async def say():
        await collector.send_response("me", {"text": "Hola.", "metadata": {"language": "es"}})
        await collector.send_response("me", {"text": "Pick.", "buttons": MENU, "metadata": {"language": "en"}})
        await collector.send_response("me", {"text": "Did you mean?"})

    run_coroutine(say())
    assert [m.get("language") for m in collector.messages] == ["es", "en", None]
    assert "metadata" not in collector.messages[0]
