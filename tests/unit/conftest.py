from pathlib import Path

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.loading import load_data

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def nlu_data():
    """All NLU training data (examples, synonyms, regexes) as Rasa reads it."""
    return load_data(str(ROOT / "data" / "nlu"))


def trained(component_class, training_data, tmp_path_factory, config=None):
    """Train a component, persist it in a real model storage and load it back."""
    storage = LocalModelStorage(tmp_path_factory.mktemp(component_class.__name__))
    resource = Resource(component_class.__name__)
    config = {**component_class.get_default_config(), **(config or {})}
    component = component_class.create(config, storage, resource, None)
    component.train(training_data)
    return component_class.load(config, storage, resource, None)
