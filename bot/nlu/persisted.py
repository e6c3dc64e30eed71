"""A small base for NLU components whose trained state is one JSON document."""
from __future__ import annotations

import json
from typing import Any, Dict, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

STATE_FILE = "state.json"


class JsonStateComponent(GraphComponent):
    """Keeps `self.state` (JSON-serialisable) in the trained model archive."""

    def __init__(self, config: Dict[str, Any], model_storage: ModelStorage,
                 resource: Resource, state: Optional[Dict[str, Any]] = None) -> None:
        self.config = config
        self._model_storage = model_storage
        self._resource = resource
        self.state: Dict[str, Any] = state or {}
        self.on_state_changed()

    def on_state_changed(self) -> None:
        """Derive fast lookup structures from `self.state` (override)."""

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "JsonStateComponent":
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "JsonStateComponent":
        try:
            with model_storage.read_from(resource) as folder:
                state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            state = None
        return cls(config, model_storage, resource, state)

    def persist(self) -> Resource:
        with self._model_storage.write_to(self._resource) as folder:
            (folder / STATE_FILE).write_text(json.dumps(self.state, ensure_ascii=False),
                                             encoding="utf-8")
        return self._resource
