"""Language of a message: detected offline, undecided when unclear, a request wins."""

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.language import LanguageDetector


@pytest.fixture(scope="module")
def detector():
    return LanguageDetector(LanguageDetector.get_default_config())


@pytest.mark.parametrize(
    "text, code",
    [
        ("necesito un abogado", "es"),
        ("¿Cuánto tiempo dura la Presencia Continuada?", "es"),
        ("buenos dias", "es"),
        ("hola", "es"),
        ("I need a lawyer", "en"),
        ("how long does it last", "en"),
        ("T visa", None),
        ("1", None),
        ("", None),
    ],
)
def test_detects_clear_messages_only(detector, text, code):
    assert detector.detect(text) == code


def language_entities(detector, text, intent):
    message = Message(data={"text": text, "intent": {"name": intent, "confidence": 0.9}})
    detector.process([message])
    return [e["value"] for e in message.get("entities", []) if e["entity"] == "language"]


def test_a_request_to_switch_wins_over_the_language_it_is_written_in(detector):
    assert language_entities(detector, "can you answer in spanish please", "switch_language") == ["es"]
    assert language_entities(detector, "quiero hablar en inglés", "switch_language") == ["en"]


def test_naming_a_language_in_a_question_is_not_a_switch(detector):
    assert language_entities(detector, "can i get a lawyer who speaks spanish", "ask_legal_help") == ["en"]


@pytest.mark.parametrize(
    "text",
    ["y si no hablo bien inglés?", "no hablo ingles", "I don't speak English well", "my english is not good"],
)
def test_saying_one_does_not_speak_english_asks_for_spanish(detector, text):
    assert language_entities(detector, text, "switch_language") == ["es"]


def test_not_speaking_spanish_asks_for_english(detector):
    assert language_entities(detector, "sorry I do not speak spanish", "switch_language") == ["en"]


def test_a_short_question_opened_with_a_spanish_mark_is_spanish(detector):
    # lingua alone is unsure of "me van a dar la …" once the topic name is left out
    neutral = LanguageDetector({**LanguageDetector.get_default_config(), "neutral_terms": ["visa u"]})
    assert neutral.detect("¿me van a dar la visa U?") == "es"
    assert neutral.detect("me van a dar la visa U") is None


def test_a_long_message_mixing_both_languages_takes_the_one_it_mostly_is(detector):
    assert detector.detect("mi boss no me paga el overtime y me dice que si me quejo le llama a la migra") == "es"
    assert detector.detect("el manager me grita") is None  # short and mixed: undecided
