"""What a choice made with one of Harbor's own controls means (bot/choices.py), from config.yml.

Channels know no intent: Telegram's /start arrives as the choice {"start": true, "language": …},
the widget's language switch as {"language": …}, in the message metadata where only the privacy
guard can put them (a caller's own metadata never gets this far). This component turns them into
what the dialogue understands, the one place that knows both:

    - name: bot.nlu.choice.ChoiceInterpreter
      start_intent: greet               # a conversation started with the channel's own control
      language_intent: switch_language  # a language chosen with it
      language_entity: language         # the entity (and so the slot) the language goes to

The chosen intent replaces the classifier's (confidence 1.0) and the entities are the choice's
only, each with this component as its extractor. A message without a choice is left alone.
Listed before the danger safety net, so that danger still wins over everything.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    METADATA,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot import choices

REQUIRED = ("start_intent", "language_intent", "language_entity")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ChoiceInterpreter(GraphComponent, EntityExtractorMixin):
    """Sets the intent and the entities of a message made with a channel's own control."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {name: None for name in REQUIRED}

    def __init__(self, config: Dict[str, Any]) -> None:
        missing = [name for name in REQUIRED if not isinstance(config.get(name), str) or not config[name]]
        if missing:
            raise ValueError(f"{self.__class__.__name__} in config.yml needs {', '.join(missing)}")
        self.config = config

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ChoiceInterpreter":
        return cls(config)

    def interpret(self, choice: Dict[str, Any], text: str) -> Dict[str, Any]:
        """The intent and entities a choice stands for."""
        intent = self.config["start_intent"] if choice.get("start") else self.config["language_intent"]
        entities = []
        if choice.get("language"):
            entities.append(
                {
                    "entity": self.config["language_entity"],
                    "value": choice["language"],
                    "start": 0,
                    "end": len(text),
                    "confidence_entity": 1.0,
                    "extractor": self.__class__.__name__,
                }
            )
        return {"intent": {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}, "entities": entities}

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            choice = choices.from_metadata(message.get(METADATA))
            if choice is None:
                continue
            meaning = self.interpret(choice, message.get(TEXT) or "")
            message.set(INTENT, meaning["intent"], add_to_output=True)
            message.set(INTENT_RANKING_KEY, [dict(meaning["intent"])], add_to_output=True)
            message.set(ENTITIES, meaning["entities"], add_to_output=True)
        return messages
