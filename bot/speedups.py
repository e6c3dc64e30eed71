"""Costs Rasa 3.6 pays on every message that buy nothing, removed (installed by bot/rasa_cli.py).

- Each custom action's reply is checked against Rasa's JSON schema with `jsonschema.validate`,
  which first checks the schema itself, every time: about 20 ms of CPU per custom action, more
  than the whole NLU pipeline. Here the validator is built once; every reply is still checked.
- Reading a conversation from the tracker store looks up each event's class by walking all of
  Event's subclasses, event by event. Here each type name is looked up once.
"""

from __future__ import annotations

import functools
from typing import Any, Dict, Text


def install() -> None:
    _validate_action_results_with_one_validator()
    _resolve_each_event_type_once()
    _lay_out_intent_weights_once()


def _validate_action_results_with_one_validator() -> None:
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    if getattr(RemoteAction._validate_action_result, "harbor_fast", False):
        return
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # once, instead of once per reply
    validator = validator_class(schema)
    unpatched = RemoteAction._validate_action_result

    def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        try:
            validator.validate(result)
            return True
        except ValidationError:
            return unpatched(self, result)  # Rasa's own error message, as before

    validate_action_result.harbor_fast = True
    RemoteAction._validate_action_result = validate_action_result


def _resolve_each_event_type_once() -> None:
    from rasa.shared.core.events import Event

    if getattr(Event.resolve_by_type, "harbor_fast", False):
        return
    unpatched = Event.resolve_by_type
    known: Dict[Text, Any] = {}

    def resolve_by_type(type_name: Text, default: Any = None) -> Any:
        found = known.get(type_name)
        if found is None:
            found = unpatched(type_name, default)
            if found is not None and found is not default:
                known[type_name] = found
        return found

    resolve_by_type.harbor_fast = True
    Event.resolve_by_type = staticmethod(resolve_by_type)


def _lay_out_intent_weights_once() -> None:
    import numpy as np
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

    if getattr(LogisticRegressionClassifier.load, "harbor_fast", False):
        return
    unpatched = LogisticRegressionClassifier.load.__func__

    @functools.wraps(unpatched)
    def load(cls: Any, *args: Any, **kwargs: Any) -> Any:
        component = unpatched(cls, *args, **kwargs)
        clf = getattr(component, "clf", None)
        if getattr(clf, "coef_", None) is not None:
            clf.coef_ = np.asfortranarray(clf.coef_)  # coef_.T is then C-contiguous: no copy per message
        return component

    load.harbor_fast = True
    LogisticRegressionClassifier.load = classmethod(load)
