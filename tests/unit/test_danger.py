"""The danger safety net: every danger message raises the emergency; few benign ones do."""

import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.danger import DangerDetector
from tests.unit.conftest import ROOT, trained

MESSAGES = yaml.safe_load((ROOT / "tests/data/safety_messages.yml").read_text(encoding="utf-8"))
HOLDOUT_FILE = ROOT / "tests/data/safety_messages_holdout.yml"


@pytest.fixture(scope="module")
def detector(nlu_data, tmp_path_factory):
    return trained(DangerDetector, nlu_data, tmp_path_factory)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_danger_message_raises_the_emergency(detector, lang):
    missed = [m for m in MESSAGES["danger"][lang] if not detector.is_danger(m)]
    assert not missed


@pytest.mark.parametrize("lang", ["en", "es"])
def test_benign_messages_with_danger_words_do_not(detector, lang):
    alarms = [m for m in MESSAGES["benign"][lang] if detector.is_danger(m)]
    assert len(alarms) <= 0.05 * len(MESSAGES["benign"][lang]), alarms


@pytest.mark.skipif(not HOLDOUT_FILE.exists(), reason="no held-out set")
@pytest.mark.parametrize("lang", ["en", "es"])
def test_held_out_messages_written_blind(detector, lang):
    """A set written without seeing the patterns: recall must stay high, false alarms low."""
    holdout = yaml.safe_load(HOLDOUT_FILE.read_text(encoding="utf-8"))
    danger, benign = holdout["danger"][lang], holdout["benign"][lang]
    recall = sum(map(detector.is_danger, danger)) / len(danger)
    false_alarms = sum(map(detector.is_danger, benign)) / len(benign)
    assert recall >= 0.9, [m for m in danger if not detector.is_danger(m)]
    assert false_alarms <= 0.15, [m for m in benign if detector.is_danger(m)]


def test_it_overrides_any_intent_including_the_fallback(detector):
    message = Message(data={"text": "hes hitting me rn",
                            "intent": {"name": "nlu_fallback", "confidence": 0.3},
                            "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.3},
                                               {"name": "greet", "confidence": 0.2}]})
    detector.process([message])
    assert message.get("intent") == {"name": "emergency", "confidence": 1.0}
    assert message.get("intent_ranking")[0]["name"] == "emergency"
    assert [r["name"] for r in message.get("intent_ranking")].count("emergency") == 1


def test_it_leaves_other_messages_alone(detector):
    message = Message(data={"text": "how long does a t visa last",
                            "intent": {"name": "ask_t_visa", "confidence": 0.9}})
    detector.process([message])
    assert message.get("intent")["name"] == "ask_t_visa"


def test_a_danger_that_is_over_gets_the_answer_not_the_alarm(detector):
    """The classifier may say emergency; the message says it is over: use the next intent."""
    message = Message(data={"text": "I used to be locked in but I got out, what now",
                            "intent": {"name": "emergency", "confidence": 0.8},
                            "intent_ranking": [{"name": "emergency", "confidence": 0.8},
                                               {"name": "nlu_fallback", "confidence": 0.5},
                                               {"name": "ask_protections", "confidence": 0.1}]})
    detector.process([message])
    assert message.get("intent")["name"] == "ask_protections"
    assert "emergency" not in [r["name"] for r in message.get("intent_ranking")]


def test_a_classifier_emergency_without_any_past_marker_stands(detector):
    message = Message(data={"text": "i dont feel safe at all, please come",
                            "intent": {"name": "emergency", "confidence": 0.7},
                            "intent_ranking": [{"name": "emergency", "confidence": 0.7},
                                               {"name": "ask_shelter", "confidence": 0.2}]})
    detector.process([message])
    assert message.get("intent")["name"] == "emergency"
