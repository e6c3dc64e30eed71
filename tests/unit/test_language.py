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
