"""The danger safety net: a message that reads as danger right now is an emergency.

The intent classifier can miss an emergency written in an unusual way. This component
runs last in the NLU pipeline and raises the `emergency` intent when the message
matches a danger or self-harm pattern (the regexes of data/nlu/safety.yml, matched on
accent-folded lower-case text). A danger pattern in a message about the past ("I was
beaten last year…") does not raise it unless the message also says it is happening now;
"he hit me" does not when the message asks about papers or a visa; self-harm always does.
The other way round, when the classifier says `emergency` but the message only speaks of a
danger that is over ("I used to be locked in but I got out, what now?"), the next-ranked
intent is used, so the person gets the answer they asked for — through the pipeline's own
FallbackClassifier (same threshold and ambiguity threshold as every other prediction): a weak
next intent becomes `nlu_fallback`, never an answer given at any confidence.

It fails loudly, never silently off: training without danger or self-harm patterns (no
data/nlu/safety.yml, or an empty one) is an error (SafetyNetMissing), and a model whose patterns
are missing, unreadable or invalid stops the process that loads it (SafetyNetOff, a SystemExit:
Rasa catches every Exception while loading a model and would serve without one).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.persisted import JsonStateComponent, StateNotLoaded, read_state
from bot.text import fold

DANGER, NOT_NOW, UNKNOWN = "danger", "not_now", "unknown"
GROUPS = ("danger", "recent_danger", "self_harm", "past_danger", "present_danger", "relief_question")
REQUIRED = ("danger", "self_harm")  # without these the net catches nothing
SOURCE = "data/nlu/safety.yml"


class SafetyNetMissing(RasaException):
    """Training found no danger or self-harm patterns."""


class SafetyNetOff(SystemExit):
    """A trained model's safety net cannot be used: the process must not serve with it."""


def _compile(patterns: List[str]) -> List[re.Pattern]:
    return [re.compile(p) for p in patterns]


def problems(state: Dict[str, Any]) -> List[str]:
    """What is wrong with a safety-net state (nothing: an empty list)."""
    found = []
    for group in GROUPS:
        patterns = state.get(group)
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            found.append(f"'{group}' is not a list of patterns")
            continue
        if group in REQUIRED and not patterns:
            found.append(f"no '{group}' patterns (regex '{group}' in {SOURCE})")
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as error:
                found.append(f"'{group}' pattern {pattern!r} is invalid: {error}")
    return found


def pipeline_fallback(execution_context: Optional[ExecutionContext]) -> Optional[FallbackClassifier]:
    """The pipeline's FallbackClassifier, configured as in config.yml (None without one)."""
    schema = getattr(execution_context, "graph_schema", None)
    for node in schema.nodes.values() if schema else []:
        if isinstance(node.uses, type) and issubclass(node.uses, FallbackClassifier):
            return FallbackClassifier({**FallbackClassifier.get_default_config(), **node.config})
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class DangerDetector(JsonStateComponent, IntentClassifier):
    """Overrides the predicted intent with `emergency` when danger patterns match."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"intent": "emergency"}

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        state: Optional[Dict[str, Any]] = None,
        fallback: Optional[FallbackClassifier] = None,
    ) -> None:
        self._fallback = fallback
        super().__init__(config, model_storage, resource, state)

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "DangerDetector":
        return cls(config, model_storage, resource, fallback=pipeline_fallback(execution_context))

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "DangerDetector":
        try:
            state = read_state(model_storage, resource, cls.__name__)
        except StateNotLoaded as error:
            raise SafetyNetOff(f"The danger safety net cannot load, so Harbor will not start: {error}") from error
        wrong = problems(state)
        if wrong:
            raise SafetyNetOff(
                "The danger safety net in this model is broken, so Harbor will not "
                "start: " + "; ".join(wrong) + ". Retrain with `make train`."
            )
        return cls(config, model_storage, resource, state, pipeline_fallback(execution_context))

    def on_state_changed(self) -> None:
        self._groups = {g: _compile(self.state.get(g, [])) for g in GROUPS}

    def train(self, training_data: TrainingData) -> Resource:
        state: Dict[str, List[str]] = {g: [] for g in GROUPS}
        for feature in training_data.regex_features:
            if feature["name"] in state:
                state[feature["name"]].append(feature["pattern"])
        wrong = problems(state)
        if wrong:
            raise SafetyNetMissing(
                "The danger safety net has nothing to work with: "
                + "; ".join(wrong)
                + f". Harbor does not train without it ({SOURCE})."
            )
        self.state = state
        self.on_state_changed()
        return self.persist()

    def _any(self, group: str, text: str) -> bool:
        return any(p.search(text) for p in self._groups[group])

    def assess(self, text: str) -> str:
        """DANGER, NOT_NOW (the message says it is over, or is not about danger now) or UNKNOWN."""
        folded = fold(text)
        if self._any("self_harm", folded):
            return DANGER
        now = self._any("present_danger", folded)
        past = self._any("past_danger", folded)
        if self._any("danger", folded) and (now or not past):
            return DANGER
        if self._any("recent_danger", folded) and (now or not (past or self._any("relief_question", folded))):
            return DANGER
        return NOT_NOW if past and not now else UNKNOWN

    def is_danger(self, text: str) -> bool:
        return self.assess(text) == DANGER

    def process(self, messages: List[Message]) -> List[Message]:
        name = self.config["intent"]
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            verdict = self.assess(text)
            ranking = message.get(INTENT_RANKING_KEY) or []
            predicted = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if verdict == DANGER:
                top = {INTENT_NAME_KEY: name, "confidence": 1.0}
                rest = [r for r in ranking if r.get(INTENT_NAME_KEY) != name]
                message.set(INTENT, top, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [top] + rest, add_to_output=True)
            elif verdict == NOT_NOW and predicted == name:
                # The classifier heard danger words, but the message says the danger is past
                # ("he used to lock me in… I got out, what now?"): answer the question instead.
                # The next intent passes the same fallback threshold as any other prediction.
                rest = [r for r in ranking if r.get(INTENT_NAME_KEY) not in (name, "nlu_fallback")]
                if rest:
                    message.set(INTENT, dict(rest[0]), add_to_output=True)
                    message.set(INTENT_RANKING_KEY, rest, add_to_output=True)
                    if self._fallback is not None:
                        self._fallback.process([message])
        return messages
