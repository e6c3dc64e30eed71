"""The danger safety net: every danger message raises the emergency; few benign ones do."""

import json

import pytest
import rasa.shared.utils.io
import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema, SchemaNode
from rasa.engine.recipes.recipe import Recipe
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.danger import DangerDetector, SafetyNetMissing, SafetyNetOff, pipeline_fallback
from bot.nlu.persisted import STATE_FILE
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
    message = Message(
        data={
            "text": "hes hitting me rn",
            "intent": {"name": "nlu_fallback", "confidence": 0.3},
            "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.3}, {"name": "greet", "confidence": 0.2}],
        }
    )
    detector.process([message])
    assert message.get("intent") == {"name": "emergency", "confidence": 1.0}
    assert message.get("intent_ranking")[0]["name"] == "emergency"
    assert [r["name"] for r in message.get("intent_ranking")].count("emergency") == 1


def test_it_leaves_other_messages_alone(detector):
    message = Message(data={"text": "how long does a t visa last", "intent": {"name": "ask_t_visa", "confidence": 0.9}})
    detector.process([message])
    assert message.get("intent")["name"] == "ask_t_visa"


def test_a_danger_that_is_over_gets_the_answer_not_the_alarm(detector):
    """The classifier may say emergency; the message says it is over: use the next intent."""
    message = Message(
        data={
            "text": "I used to be locked in but I got out, what now",
            "intent": {"name": "emergency", "confidence": 0.8},
            "intent_ranking": [
                {"name": "emergency", "confidence": 0.8},
                {"name": "nlu_fallback", "confidence": 0.5},
                {"name": "ask_protections", "confidence": 0.1},
            ],
        }
    )
    detector.process([message])
    assert message.get("intent")["name"] == "ask_protections"
    assert "emergency" not in [r["name"] for r in message.get("intent_ranking")]


def test_a_classifier_emergency_without_any_past_marker_stands(detector):
    message = Message(
        data={
            "text": "i dont feel safe at all, please come",
            "intent": {"name": "emergency", "confidence": 0.7},
            "intent_ranking": [{"name": "emergency", "confidence": 0.7}, {"name": "ask_shelter", "confidence": 0.2}],
        }
    )
    detector.process([message])
    assert message.get("intent")["name"] == "emergency"


# --- it fails loudly, never silently off -----------------------------------------------------------


def with_fallback(threshold=0.25, ambiguity=0.03):
    """An execution context whose pipeline has a FallbackClassifier, as config.yml's has."""
    schema = GraphSchema(
        {
            "run_FallbackClassifier": SchemaNode(
                needs={},
                uses=FallbackClassifier,
                constructor_name="create",
                fn="process",
                config={"threshold": threshold, "ambiguity_threshold": ambiguity},
            )
        }
    )
    return ExecutionContext(graph_schema=schema)


def test_training_without_safety_patterns_is_an_error(tmp_path):
    storage, resource = LocalModelStorage(tmp_path), Resource("DangerDetector")
    detector = DangerDetector.create(DangerDetector.get_default_config(), storage, resource, None)
    with pytest.raises(SafetyNetMissing, match="danger"):
        detector.train(TrainingData())  # data/nlu/safety.yml missing or empty


@pytest.mark.parametrize(
    "damage", ["no state file", "not JSON", "no danger patterns", "an invalid pattern", "not an object"]
)
def test_a_model_with_a_broken_safety_net_stops_the_process_that_loads_it(nlu_data, tmp_path, damage):
    storage, resource = LocalModelStorage(tmp_path), Resource("DangerDetector")
    config = DangerDetector.get_default_config()
    DangerDetector.create(config, storage, resource, None).train(nlu_data)
    with storage.write_to(resource) as folder:
        state_file = folder / STATE_FILE
        state = json.loads(state_file.read_text(encoding="utf-8"))
        if damage == "no state file":
            state_file.unlink()
        elif damage == "not JSON":
            state_file.write_text('{"danger": [', encoding="utf-8")
        elif damage == "no danger patterns":
            state_file.write_text(json.dumps({**state, "danger": []}), encoding="utf-8")
        elif damage == "an invalid pattern":
            state_file.write_text(json.dumps({**state, "self_harm": ["(unclosed"]}), encoding="utf-8")
        else:
            state_file.write_text("[]", encoding="utf-8")
    with pytest.raises(SafetyNetOff, match="will not start") as stopped:
        DangerDetector.load(config, storage, resource, None)
    assert isinstance(stopped.value, SystemExit)  # Rasa's model loading catches every Exception


def demoted(detector_class, nlu_data, tmp_path, ranking):
    storage, resource = LocalModelStorage(tmp_path), Resource("DangerDetector")
    config = DangerDetector.get_default_config()
    detector_class.create(config, storage, resource, with_fallback()).train(nlu_data)
    detector = detector_class.load(config, storage, resource, with_fallback())
    message = Message(
        data={
            "text": "I used to be locked in but I got out, what now",
            "intent": dict(ranking[0]),
            "intent_ranking": ranking,
        }
    )
    detector.process([message])
    return message


def test_a_demoted_past_danger_with_a_weak_next_intent_gets_the_fallback(nlu_data, tmp_path):
    message = demoted(
        DangerDetector,
        nlu_data,
        tmp_path,
        [
            {"name": "emergency", "confidence": 0.8},
            {"name": "ask_protections", "confidence": 0.1},
            {"name": "greet", "confidence": 0.05},
        ],
    )
    assert message.get("intent") == {"name": "nlu_fallback", "confidence": 0.25}
    assert "emergency" not in [r["name"] for r in message.get("intent_ranking")]


def test_a_demoted_past_danger_with_an_ambiguous_next_intent_gets_the_fallback(nlu_data, tmp_path):
    message = demoted(
        DangerDetector,
        nlu_data,
        tmp_path,
        [
            {"name": "emergency", "confidence": 0.4},
            {"name": "ask_protections", "confidence": 0.3},
            {"name": "ask_shelter", "confidence": 0.29},
        ],
    )
    assert message.get("intent")["name"] == "nlu_fallback"


def test_a_demoted_past_danger_with_a_clear_next_intent_gets_that_answer(nlu_data, tmp_path):
    message = demoted(
        DangerDetector,
        nlu_data,
        tmp_path,
        [
            {"name": "emergency", "confidence": 0.5},
            {"name": "ask_protections", "confidence": 0.45},
            {"name": "greet", "confidence": 0.05},
        ],
    )
    assert message.get("intent")["name"] == "ask_protections"


def test_the_fallback_thresholds_are_config_yml_s():
    config = rasa.shared.utils.io.read_yaml_file(str(ROOT / "config.yml"))
    expected = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    recipe = Recipe.recipe_for_name(config.get("recipe", "default.v1"))
    schema = recipe.graph_config_for_recipe(config, {}).predict_schema
    fallback = pipeline_fallback(ExecutionContext(graph_schema=schema))
    assert fallback.component_config["threshold"] == expected["threshold"]
    assert fallback.component_config["ambiguity_threshold"] == expected["ambiguity_threshold"]
