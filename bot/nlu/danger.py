"""The danger safety net: a message that reads as danger right now is an emergency.

The intent classifier can miss an emergency written in an unusual way. This component
runs last in the NLU pipeline and raises the `emergency` intent when the message
matches a danger or self-harm pattern (the regexes of data/nlu/safety.yml, matched on
accent-folded lower-case text). A danger pattern in a message about the past ("I was
beaten last year…") does not raise it unless the message also says it is happening now;
"he hit me" does not when the message asks about papers or a visa; self-harm always does.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.persisted import JsonStateComponent
from bot.nlu.text import fold

GROUPS = ("danger", "recent_danger", "self_harm", "past_danger", "present_danger",
          "relief_question")


def _compile(patterns: List[str]) -> List[re.Pattern]:
    return [re.compile(p) for p in patterns]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class DangerDetector(JsonStateComponent, IntentClassifier):
    """Overrides the predicted intent with `emergency` when danger patterns match."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"intent": "emergency"}

    def on_state_changed(self) -> None:
        self._groups = {g: _compile(self.state.get(g, [])) for g in GROUPS}

    def train(self, training_data: TrainingData) -> Resource:
        state: Dict[str, List[str]] = {g: [] for g in GROUPS}
        for feature in training_data.regex_features:
            if feature["name"] in state:
                state[feature["name"]].append(feature["pattern"])
        self.state = state
        self.on_state_changed()
        return self.persist()

    def _any(self, group: str, text: str) -> bool:
        return any(p.search(text) for p in self._groups[group])

    def is_danger(self, text: str) -> bool:
        folded = fold(text)
        if self._any("self_harm", folded):
            return True
        now = self._any("present_danger", folded)
        past = self._any("past_danger", folded)
        if self._any("danger", folded):
            return now or not past
        if self._any("recent_danger", folded):
            return now or not (past or self._any("relief_question", folded))
        return False

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or not self.is_danger(text):
                continue
            name = self.config["intent"]
            top = {INTENT_NAME_KEY: name, "confidence": 1.0}
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or []
                       if r.get(INTENT_NAME_KEY) != name]
            message.set(INTENT, top, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [top] + ranking, add_to_output=True)
        return messages
