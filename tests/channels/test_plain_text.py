"""The plain-text helpers: splitting, numbered options, keywords, the texts file."""

import re

import pytest

from bot.channels import plain_text as pt
from bot.channels.common import ConversationIds, api_base_url, public_base_url

HOTLINE = "1-888-373-7888"

SENTENCES = (
    "The T visa is for victims of trafficking. It lasts up to 4 years! Can family come? Some family members can. "
)


# --- splitting -------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [60, 160, 320, 1600])
def test_parts_fit_the_limit_and_keep_every_word_in_order(limit):
    text = "\n\n".join([SENTENCES * 9, "Source: https://www.state.gov/x — reviewed 2026.", SENTENCES * 20])
    parts = pt.split(text, limit)
    assert len(parts) > 1
    assert all(pt.units(p) <= limit for p in parts)
    assert " ".join(parts).split() == text.split()


def test_a_short_text_is_one_part_without_a_mark():
    assert pt.split_marked("Call 911.", 1600) == ["Call 911."]


def test_cuts_at_a_paragraph_before_a_sentence_and_at_a_sentence_before_a_word():
    first, second = "A" * 50 + " end.", "Next paragraph starts here and goes on."
    assert pt.split(f"{first}\n\n{second}", 70) == [first, second]
    text = "One two three four five six. Seven eight nine ten eleven twelve thirteen"
    assert pt.split(text, 40)[0] == "One two three four five six."


def test_a_word_longer_than_the_limit_is_cut_hard():
    parts = pt.split("x" * 250, 100)
    assert [len(p) for p in parts] == [100, 100, 50]


def test_marked_parts_are_numbered_in_order_and_the_mark_fits_in_the_limit():
    text = SENTENCES * 40
    parts = pt.split_marked(text, 160)
    total = len(parts)
    assert total > 9  # two-digit marks: the width is settled
    for i, part in enumerate(parts, 1):
        assert part.startswith(f"({i}/{total}) ")
        assert pt.units(part) <= 160
    unmarked = " ".join(re.sub(r"^\(\d+/\d+\) ", "", p) for p in parts)
    assert unmarked.split() == text.split()


def test_length_is_counted_as_twilio_and_telegram_count_it():
    assert pt.units("911") == 3 and pt.units("Línea") == 5
    assert pt.units("🙂") == 2  # outside the BMP: two UTF-16 units
    parts = pt.split("🙂" * 100, 61)
    assert all(pt.units(p) <= 61 for p in parts) and "".join(parts) == "🙂" * 100


# --- numbered options ------------------------------------------------------------------------


def test_buttons_become_numbered_lines_in_the_language_of_the_message():
    options = pt.options_of(
        [
            {"title": "T visa", "payload": "/ask_t_visa"},
            {"title": "", "payload": "/x"},
            "junk",
            {"title": "Talk to a person", "payload": "/talk_to_human"},
        ]
    )
    assert [o.payload for o in options] == ["/ask_t_visa", "/talk_to_human"]
    assert pt.option_lines(options, "en") == "Reply 1 for T visa\nReply 2 for Talk to a person"
    assert pt.option_lines(options, "es", first=3).startswith("Responda 3 para T visa")


@pytest.mark.parametrize(
    "reply, number",
    [
        ("1", 1),
        (" 2 ", 2),
        ("3.", 3),
        ("#4", 4),
        ("12", 12),
        ("1 2", None),
        ("one", None),
        ("911", None),
        ("", None),
        ("2 please", None),
    ],
)
def test_a_numbered_reply_is_only_a_bare_number(reply, number):
    assert pt.chosen_number(reply) == number


# --- keywords and typed text -------------------------------------------------------------------


@pytest.mark.parametrize(
    "message, expected",
    [
        ("STOP", ("stop", "en")),
        ("stop", ("stop", "en")),
        (" Stop! ", ("stop", "en")),
        ("unsubscribe", ("stop", "en")),
        ("Cancel.", ("stop", "en")),
        ("quit", ("stop", "en")),
        ("START", ("start", "en")),
        ("unstop", ("start", "en")),
        ("HELP", ("help", "en")),
        ("info", ("help", "en")),
        ("ayuda", ("help", "es")),
        ("¡Ayuda!", ("help", "es")),
        ("stop asking", None),
        ("help me please", None),
        ("I need help", None),
        ("yes", None),
        ("", None),
    ],
)
def test_carrier_keywords_are_whole_messages(message, expected):
    assert pt.keyword(message) == expected


def test_yes_opts_back_in_only_someone_who_opted_out():
    assert pt.keyword("yes", opted_out=False) is None
    assert pt.keyword("YES", opted_out=True) == ("start", "en")


# --- the texts file -----------------------------------------------------------------------------


def test_every_text_has_english_and_spanish_and_the_safety_numbers():
    texts = pt.messages()["texts"]
    for key in ("help", "stopped", "started", "text_only", "unavailable", "option", "expired_option"):
        assert set(texts[key]) == {"en", "es"}, key
    for language in ("en", "es"):
        assert "911" in pt.text("help", language) and HOTLINE in pt.text("help", language)
        assert "911" in pt.text("unavailable", language) and HOTLINE in pt.text("unavailable", language)
        assert "START" in pt.text("stopped", language)
        assert pt.units(pt.text("help", language)) <= 320  # at most two SMS segments
    assert pt.text("help", "es").startswith("Harbor: información")
    stopped = pt.bilingual("stopped")
    assert stopped.index("You will") < stopped.index("Ya no")


# --- memories, ids, URLs ----------------------------------------------------------------------------


def test_conversation_ids_are_stable_and_do_not_contain_the_number():
    ids = ConversationIds(b"k" * 32)
    first = ids.of("sms", "+15551234567")
    assert first == ids.of("sms", "+15551234567") != ids.of("whatsapp", "+15551234567")
    assert "5551234567" not in first and first.startswith("sms-")
    assert ConversationIds(b"j" * 32).of("sms", "+15551234567") != first


@pytest.mark.parametrize(
    "url", ["http://api.twilio.com", "ftp://x", "https://", "api.telegram.org", "https://api.twilio.com?x=1"]
)
def test_api_urls_must_be_https_except_on_this_machine(url):
    with pytest.raises(ValueError):
        api_base_url("TWILIO_API_URL", url)


def test_local_api_urls_and_public_urls():
    assert api_base_url("X", "http://127.0.0.1:8080/") == "http://127.0.0.1:8080"
    assert api_base_url("X", "https://api.twilio.com") == "https://api.twilio.com"
    assert public_base_url("https://harbor.example.org/rasa/") == "https://harbor.example.org/rasa"
    with pytest.raises(ValueError):
        public_base_url("harbor.example.org")
