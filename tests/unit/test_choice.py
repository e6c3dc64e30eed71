"""A choice made with one of Harbor's own controls (bot/choices.py): only channel code can make
one, the privacy guard lets only that through, and bot/nlu/choice.py says what it means."""

from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message

from bot import choices
from bot.nlu.choice import ChoiceInterpreter

ROOT = Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


class _Message:
    def __init__(self, text="hello", metadata=None):
        self.text, self.sender_id, self.metadata = text, "someone", metadata


@pytest.mark.parametrize(
    "value, expected",
    [
        ({"language": "es"}, {"language": "es"}),
        ({"start": True, "language": "en"}, {"start": True, "language": "en"}),
        ({"start": True}, {"start": True}),
        ({"language": "fr"}, None),
        ({"language": "ES"}, None),
        ({"language": ["es"]}, None),
        ({"start": 1}, None),
        ({"start": "yes", "language": "es"}, None),
        ({"start": False}, None),
        ({"language": "es", "intent": "restart"}, None),
        ({}, None),
        ("es", None),
        (None, None),
    ],
)
def test_only_start_and_english_or_spanish_make_a_choice(value, expected):
    assert choices.choice(value) == expected


def test_only_channel_code_marks_a_choice_and_never_an_invalid_one():
    message = _Message()
    assert choices.chosen(message) is None
    assert choices.chosen(choices.mark_chosen(message, {"language": "es"})) == {"language": "es"}
    with pytest.raises(ValueError):
        choices.mark_chosen(_Message(), {"language": "fr"})


@pytest.fixture(scope="module")
def scrubber():
    from bot.privacy.scrubber import Scrubber

    return Scrubber.default()


@pytest.mark.parametrize(
    "metadata",
    [
        {"harbor": {"start": True, "language": "es"}},
        {"harbor": {"language": "es"}},
        {"customData": {"harbor": {"language": "es"}}},
        {"language": "es"},
    ],
)
def test_the_guard_drops_metadata_that_imitates_a_choice(scrubber, metadata):
    from bot.privacy.guard import prepare

    message = _Message("hello", metadata)  # what a REST caller or a web page could send
    prepare(message, scrubber, b"k" * 32)
    assert message.metadata is None


def test_the_guard_passes_on_the_choice_the_channel_marked_and_nothing_else(scrubber):
    from bot.privacy.guard import prepare

    message = choices.mark_chosen(
        _Message("/start", {"harbor": {"language": "en"}, "x": 1}), {"start": True, "language": "es"}
    )
    prepare(message, scrubber, b"k" * 32)
    assert message.metadata == {"harbor": {"start": True, "language": "es"}}
    assert message.text == "start"  # still typed text, not a command


def interpreter_config():
    (entry,) = [c for c in CONFIG["pipeline"] if c["name"] == "bot.nlu.choice.ChoiceInterpreter"]
    return {k: v for k, v in entry.items() if k != "name"}


def parsed(text, metadata, config=None):
    message = Message(data={"text": text, "metadata": metadata})
    ChoiceInterpreter(config or interpreter_config()).process([message])
    return message


def test_start_greets_and_a_language_choice_switches_as_config_yml_says():
    started = parsed("start", {"harbor": {"start": True, "language": "es"}})
    assert started.get("intent") == {"name": "greet", "confidence": 1.0}
    assert [(e["entity"], e["value"], e["extractor"]) for e in started.get("entities")] == [
        ("language", "es", "ChoiceInterpreter")
    ]
    switched = parsed("en", {"harbor": {"language": "en"}})
    assert switched.get("intent")["name"] == "switch_language"
    assert [e["value"] for e in switched.get("entities")] == ["en"]


@pytest.mark.parametrize("metadata", [None, {}, {"harbor": {"language": "fr"}}, {"harbor": "es"}, {"language": "es"}])
def test_a_message_without_a_valid_choice_is_left_alone(metadata):
    message = parsed("hello", metadata)
    assert message.get("intent") is None and not message.get("entities")


def test_the_component_needs_its_meaning_from_config_yml():
    with pytest.raises(ValueError, match="start_intent"):
        ChoiceInterpreter({"language_intent": "switch_language", "language_entity": "language"})


def test_what_config_yml_says_a_choice_means_exists_in_the_dialogue():
    config = interpreter_config()
    assert {config["start_intent"], config["language_intent"]} <= set(DOMAIN["intents"])
    assert config["language_entity"] in DOMAIN["entities"]
    mappings = DOMAIN["slots"]["language"]["mappings"]
    assert {"type": "from_entity", "entity": config["language_entity"]} in mappings
    assert set(DOMAIN["slots"]["language"]["values"]) == set(choices.LANGUAGES)
    names = [c["name"] for c in CONFIG["pipeline"]]
    # after the classifier and the language detector, before the fallback and the danger net
    assert (
        names.index("LogisticRegressionClassifier")
        < names.index("bot.nlu.language.LanguageDetector")
        < names.index("bot.nlu.choice.ChoiceInterpreter")
        < names.index("FallbackClassifier")
        < names.index("bot.nlu.danger.DangerDetector")
    )
