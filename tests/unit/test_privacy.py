"""The scrubber: each kind of personal data, in English and Spanish, and what it must leave alone."""

from pathlib import Path

import pytest
import yaml

from bot.privacy.guard import safe_sender
from bot.privacy.scrubber import Scrubber, clean_text

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scrubber():
    return Scrubber.default()


@pytest.mark.parametrize(
    "text, gone, placeholder",
    [
        ("text me at 832-555-0147 please", "555-0147", "[phone]"),
        ("mi cel es (713) 555 0182", "555 0182", "[phone]"),
        ("my cousin's number is +52 55 1234 5678", "1234 5678", "[phone]"),
        ("whatsapp +1 346 555 0110", "555 0110", "[phone]"),
        ("write to maria.ortiz+help@mail.example.org", "maria.ortiz", "[email]"),
        ("I stay at 221 W. Oak Street apt 4B", "Oak Street", "[address]"),
        ("we live at 9 Sunset Blvd", "Sunset", "[address]"),
        ("vivo en la calle Morelos número 88", "Morelos", "[address]"),
        ("mi dirección es avenida Insurgentes 1500, depto 3", "Insurgentes", "[address]"),
        ("my A-number: 098-765-432", "098-765-432", "[a-number]"),
        ("A#208114337 is on my card", "208114337", "[a-number]"),
        ("mi número A es 12345678", "12345678", "[a-number]"),
        ("SSN 123-45-6789", "123-45-6789", "[ssn]"),
        ("mi seguro social es 123456789", "123456789", "[ssn]"),
        ("I was born on 12/30/1985", "12/30/1985", "[date]"),
        ("DOB 1990-02-11", "1990-02-11", "[date]"),
        ("born March 3, 1992", "March 3, 1992", "[date]"),
        ("nací el 14 de julio de 1989", "14 de julio", "[date]"),
        ("my name is Esperanza Morales", "Esperanza", "[name]"),
        ("hi my name is kateryna", "kateryna", "[name]"),
        ("me llamo jose luis y necesito ayuda", "jose luis", "[name]"),
        ("mi nombre es Ana Lucía Ramírez", "Ramírez", "[name]"),
        ("My employer Gregory Hammond holds my passport", "Hammond", "[name]"),
        ("Mi patrón, Roberto Sánchez, no me paga", "Sánchez", "[name]"),
        ("my boss, named Tomas, says I owe him", "Tomas", "[name]"),
    ],
)
def test_personal_data_is_replaced_by_its_placeholder(scrubber, text, gone, placeholder):
    scrubbed = scrubber.scrub(text)
    assert gone not in scrubbed and placeholder in scrubbed, scrubbed


@pytest.mark.parametrize(
    "text",
    [
        "what is continued presence",
        "What Is Continued Presence?",
        "is the T visa like the U visa",
        "what does 18 U.S.C. 1589 say",
        "sections 1589-1592 of the law",
        "the TVPA of 2000",
        "call 1-888-373-7888 or text 233733",
        "¿Qué formulario necesito para la visa T?",
        "I am scared",
        "this is scary",
        "ICE took my friend",
        "my boss took my passport",
        "VAWA self-petition",
        "how many victims in 2019",
        "I came in 2015 on a H-2A visa",
    ],
)
def test_what_a_question_needs_is_left_alone(scrubber, text):
    assert scrubber.scrub(text) == text


def test_scrubbing_twice_changes_nothing_more(scrubber):
    once = scrubber.scrub("my name is Rosa, call 713-555-0182, I live at 12 Elm St")
    assert scrubber.scrub(once) == once


def test_almost_no_training_example_is_changed(scrubber):
    """Over-scrubbing would cost understanding: the training data holds (almost) no personal data."""
    examples = []
    for path in (ROOT / "data" / "nlu").rglob("*.yml"):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if "intent" in item:
                examples += [line[2:].strip() for line in item["examples"].splitlines() if line.strip()]
    changed = [e for e in examples if scrubber.scrub(e) != e]
    assert len(examples) > 2000 and len(changed) <= len(examples) // 100, changed[:20]


def test_clean_text_removes_control_characters_and_keeps_both_ends_of_a_long_message():
    assert clean_text("\x00he\x07llo\u202e\x1b", 100) == "he llo"
    long = "start " + "x" * 10_000 + " he has a gun"
    cleaned = clean_text(long, 2000)
    assert len(cleaned) <= 2003 and cleaned.startswith("start") and cleaned.endswith("he has a gun")


def test_a_sender_id_that_is_a_phone_number_or_too_long_becomes_a_pseudonym(scrubber):
    key = b"k" * 32
    assert safe_sender("widget-3f9a0c1d2e4b", scrubber, key) == "widget-3f9a0c1d2e4b"
    pseudonym = safe_sender("+17135550199", scrubber, key)
    assert pseudonym.startswith("p-") and "5550199" not in pseudonym
    assert pseudonym == safe_sender("+17135550199", scrubber, key)  # the same conversation
    assert safe_sender("rosa@example.org", scrubber, key).startswith("p-")
    assert len(safe_sender("x" * 500, scrubber, key)) < 64


class _Message:
    def __init__(self, text, sender="someone"):
        self.text, self.sender_id, self.metadata = text, sender, {"x": 1}


@pytest.mark.parametrize(
    "typed",
    [
        "/restart",
        "//restart",
        " /restart",
        "\u200b/restart",
        "\x01/restart",
        '\u202e/switch_language{"language":"xx"}',
        "\ufeff /affirm",
    ],
)
def test_typed_text_never_reaches_rasa_as_a_command(scrubber, typed):
    from bot.privacy.guard import prepare

    message = _Message(typed)
    prepare(message, scrubber, b"k" * 32)
    assert not message.text.startswith("/") and message.metadata is None


def test_only_a_payload_the_channel_marks_as_offered_stays_a_command(scrubber):
    from bot.privacy.guard import mark_offered, prepare

    message = mark_offered(_Message('/ask_t_visa{"aspect":"fee"}'))
    prepare(message, scrubber, b"k" * 32)
    assert message.text == '/ask_t_visa{"aspect":"fee"}'


def test_a_long_message_keeps_its_end_where_a_cry_for_help_may_be(scrubber):
    from bot.privacy.guard import prepare

    message = _Message("I work at the farm and " * 200 + "he has a gun")
    prepare(message, scrubber, b"k" * 32)
    assert len(message.text) <= 2003 and message.text.endswith("he has a gun")
