"""A small base for NLU components whose trained state is one JSON document.

A trained model whose state is missing or unreadable is an error at load (StateNotLoaded), never
a component that quietly runs empty.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.exceptions import RasaException

STATE_FILE = "state.json"


class JsonStateComponent(GraphComponent):
    """Keeps `self.state` (JSON-serialisable) in the trained model archive."""

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        state: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.config = config
        self._model_storage = model_storage
        self._resource = resource
        self.state: Dict[str, Any] = state or {}
        self.on_state_changed()

    def on_state_changed(self) -> None:
        """Derive fast lookup structures from `self.state` (override)."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "JsonStateComponent":
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "JsonStateComponent":
        """The trained state, or an error: a component never runs with its state silently gone."""
        return cls(config, model_storage, resource, read_state(model_storage, resource, cls.__name__))

    def persist(self) -> Resource:
        with self._model_storage.write_to(self._resource) as folder:
            (folder / STATE_FILE).write_text(json.dumps(self.state, ensure_ascii=False), encoding="utf-8")
        return self._resource


class StateNotLoaded(RasaException):
    """The trained state of a component is missing or unreadable: retrain (`make train`)."""


def read_state(model_storage: ModelStorage, resource: Resource, component: str) -> Dict[str, Any]:
    try:
        with model_storage.read_from(resource) as folder:
            state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:  # no folder, no file, not JSON, not UTF-8
        raise StateNotLoaded(
            f"{component}: the model's {STATE_FILE} could not be read "
            f"({type(error).__name__}: {error}); retrain with `make train`"
        ) from error
    if not isinstance(state, dict):
        raise StateNotLoaded(f"{component}: the model's {STATE_FILE} is not a JSON object; retrain with `make train`")
    return state
