"""Harbor patches a few of Rasa's internals (bot/speedups.py, bot/resilience.py,
bot/privacy/guard.py). Each test here fails when the Rasa function a patch replaces changes its
signature (a Rasa upgrade): then read the new Rasa code before trusting the patch again.

The signatures are read with inspect.signature in a fresh interpreter, where no patch is
installed, so they are Rasa's own whatever other tests in this process have installed.
"""

import inspect
import json
import logging
import subprocess
import sys

import pytest

from bot.launcher import ROOT

# (module, qualified name) of each Rasa function a patch replaces -> its signature in Rasa 3.6.21
RECORDED = {
    # bot/resilience.py wraps it: a failed or slow custom action sends utter_service_unavailable
    (
        "rasa.core.actions.action",
        "RemoteAction.run",
    ): "(self, output_channel: 'OutputChannel', nlg: 'NaturalLanguageGenerator', "
    "tracker: 'DialogueStateTracker', domain: 'Domain') -> List[rasa.shared.core.events.Event]",
    # bot/speedups.py: one JSON-schema validator, built once
    ("rasa.core.actions.action", "RemoteAction._validate_action_result"): "(self, result: Dict[str, Any]) -> bool",
    ("rasa.core.actions.action", "RemoteAction.action_response_format_spec"): "() -> Dict[str, Any]",
    # bot/speedups.py: each event type name looked up once
    (
        "rasa.shared.core.events",
        "Event.resolve_by_type",
    ): "(type_name: str, default: Optional[Type[ForwardRef('Event')]] = None) -> Optional[Type[ForwardRef('Event')]]",
    # bot/speedups.py: the intent classifier's weights laid out once at load
    (
        "rasa.nlu.classifiers.logistic_regression_classifier",
        "LogisticRegressionClassifier.load",
    ): "(config: Dict[str, Any], model_storage: rasa.engine.storage.storage.ModelStorage, "
    "resource: rasa.engine.storage.resource.Resource, execution_context: rasa.engine.graph.ExecutionContext, "
    "**kwargs: Any) -> 'LogisticRegressionClassifier'",
    # bot/privacy/guard.py: every message cleaned and scrubbed before Rasa sees it
    ("rasa.core.agent", "Agent.handle_message"): "(self, message: 'UserMessage') -> 'Optional[List[Dict[Text, Any]]]'",
}

READ_SIGNATURES = """
import importlib, inspect, json, sys
found = {}
for module, name in json.loads(sys.argv[1]):
    owner = importlib.import_module(module)
    for part in name.split("."):
        owner = getattr(owner, part)
    found[module + ":" + name] = str(inspect.signature(owner))
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def rasa_signatures():
    """inspect.signature of each original, unpatched Rasa function (a fresh interpreter)."""
    done = subprocess.run(
        [sys.executable, "-c", READ_SIGNATURES, json.dumps(list(RECORDED))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            "PYTHONPATH": str(ROOT),
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "RASA_TELEMETRY_ENABLED": "false",
            "PATH": "/usr/bin:/bin",
        },
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module, name", list(RECORDED))
def test_the_rasa_function_a_patch_replaces_has_not_changed(rasa_signatures, module, name):
    assert rasa_signatures[f"{module}:{name}"] == RECORDED[(module, name)], (
        f"{module}.{name} changed in this Rasa: check the patch that replaces it"
    )


def parameters(function):
    return list(inspect.signature(function).parameters)


def test_the_resilience_patch_is_installed_with_the_same_parameters():
    from rasa.core.actions.action import RemoteAction

    from bot import resilience

    resilience.install()
    assert RemoteAction.run.harbor_guarded
    assert inspect.iscoroutinefunction(RemoteAction.run)
    assert parameters(RemoteAction.run) == ["self", "output_channel", "nlg", "tracker", "domain"]


def test_the_speedups_are_installed_with_the_same_parameters():
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event, UserUttered

    from bot import speedups

    speedups.install()
    assert RemoteAction._validate_action_result.harbor_fast
    assert parameters(RemoteAction._validate_action_result) == ["self", "result"]
    assert Event.resolve_by_type.harbor_fast
    assert parameters(Event.resolve_by_type) == ["type_name", "default"]
    assert Event.resolve_by_type("user") is UserUttered  # still a static method that works
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

    assert LogisticRegressionClassifier.load.harbor_fast
    assert parameters(LogisticRegressionClassifier.load) == [
        "config",
        "model_storage",
        "resource",
        "execution_context",
        "kwargs",
    ]


def test_the_privacy_guard_is_installed_with_the_same_parameters(tmp_path, monkeypatch):
    from rasa.core.agent import Agent

    from bot.privacy import guard

    monkeypatch.setenv("HARBOR_DATA_DIR", str(tmp_path))  # its key file, not the developer's
    unpatched, factory = Agent.handle_message, logging.getLogRecordFactory()
    try:
        guard.install()
        assert Agent.handle_message.harbor_guarded
        assert inspect.iscoroutinefunction(Agent.handle_message)
        assert parameters(Agent.handle_message) == ["self", "message"]
    finally:  # this process's other tests expect Rasa's own
        Agent.handle_message = unpatched
        logging.setLogRecordFactory(factory)


def test_the_loaded_intent_classifier_has_column_major_weights_and_the_same_predictions(tmp_path):
    """A trained LogisticRegressionClassifier, saved and loaded the patched way: its weights are
    laid out for the sparse product and it predicts exactly what it predicted before."""
    import numpy as np
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot import speedups

    speedups.install()
    storage, context = LocalModelStorage(tmp_path), ExecutionContext(GraphSchema({}), "test")
    texts = {"greet": ["hi", "hello there", "hola"], "ask_t_visa": ["what is a t visa", "t visa please", "visa t"]}
    data = TrainingData([Message.build(text=t, intent=i) for i, ts in texts.items() for t in ts])
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    featurizer = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), storage, Resource("cvf"), context
    )
    tokenizer.process_training_data(data)
    featurizer.train(data)
    featurizer.process_training_data(data)
    config = {**LogisticRegressionClassifier.get_default_config()}
    trained = LogisticRegressionClassifier.create(config, storage, Resource("lr"), context)
    trained.train(data)
    loaded = LogisticRegressionClassifier.load(config, storage, Resource("lr"), context)
    assert loaded.clf.coef_.T.flags["C_CONTIGUOUS"]
    assert np.array_equal(loaded.clf.coef_, trained.clf.coef_)
    messages = [Message.build(text=t) for t in ("hello", "t visa")]
    tokenizer.process(messages)
    featurizer.process(messages)
    assert [m.get("intent")["name"] for m in loaded.process(messages)] == ["greet", "ask_t_visa"]
