"""Finds the aspect of a question ("fee", "duration", "family" …) by keywords.

The keywords are the entity synonyms of the training data (data/nlu/aspects.yml): each
synonym's examples are keywords for its canonical value. Matching is on whole words of
accent-folded, lower-cased text, longest keyword first, so "¿Cuánto cuesta?" and
"cuanto cuesta" both find the value `fee`.

With `namespace: topic`, an instance reads only the synonyms whose value starts with
`topic/` (data/nlu/topics.yml: the names of the topics, "t visa", "visa u", "vawa"…) and
adds `topic` entities; the default instance reads the synonyms without a namespace.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.persisted import JsonStateComponent
from bot.text import fold


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class KeywordEntityExtractor(JsonStateComponent, EntityExtractorMixin):
    """Adds `aspect` entities found by keyword."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"entity": "aspect", "namespace": None}

    def on_state_changed(self) -> None:
        keywords: Dict[str, str] = self.state.get("keywords", {})
        self._values = keywords
        self._pattern: Optional[re.Pattern] = None
        if keywords:
            alternatives = sorted(keywords, key=len, reverse=True)
            self._pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(k) for k in alternatives) + r")(?!\w)")

    def train(self, training_data: TrainingData) -> Resource:
        keywords: Dict[str, str] = {}
        namespace = self.config.get("namespace")
        for text, value in training_data.entity_synonyms.items():
            space, _, name = value.rpartition("/")
            if (space or None) != namespace:
                continue
            keywords[fold(text).strip()] = name
            if not namespace:
                keywords[fold(value).strip()] = name
        self.state = {"keywords": keywords}
        self.on_state_changed()
        return self.persist()

    def extract(self, text: str) -> List[Dict[str, Any]]:
        if not self._pattern or not text:
            return []
        entities = []
        for match in self._pattern.finditer(fold(text)):
            entities.append(
                {
                    "entity": self.config["entity"],
                    "value": self._values[match.group(1)],
                    "start": match.start(1),
                    "end": match.end(1),
                    "confidence_entity": 1.0,
                    "extractor": self.__class__.__name__,
                }
            )
        return entities

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = self.extract(message.get(TEXT) or "")
            if found:
                message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
