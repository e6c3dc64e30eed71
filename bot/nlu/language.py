"""Detects whether a message is English or Spanish, offline, and says so as an entity.

The `language` slot is filled from the `language` entity, so the conversation keeps its
language until a message is clearly in the other one. Short or mixed messages
("T visa", "ok", "1") are left undecided. A request to switch ("en español", "English
please") wins over detection. The lingua models ship inside its wheel: nothing is fetched.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.text import fold

PLACEHOLDERS = re.compile(r"\[[a-z-]+\]")
SPANISH_PUNCTUATION = re.compile("[¿¡]")
SWITCH_WORDS = {
    "es": re.compile(r"\b(espanol|spanish|castellano)\b"),
    "en": re.compile(r"\b(english|ingles)\b"),
}
# "no hablo bien inglés", "I don't speak English well", "my english is bad": asks for the
# other language. Checked before SWITCH_WORDS, which would read the named language.
NOT_THIS = {
    "es": re.compile(
        r"\b(no|dont|don't|do not|cant|can't|cannot|not|poco|little|mal)\b(\s+\w+){0,3}?\s+(english|ingles)\b"
        r"|\b(my english|mi ingles)\b(\s+\w+){0,2}\s+(is bad|not good|no es bueno|es malo|is poor)"
    ),
    "en": re.compile(
        r"\b(no|dont|don't|do not|cant|can't|cannot|not|poco|little|mal)\b(\s+\w+){0,3}?\s+(espanol|spanish)\b"
    ),
}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Adds a `language` entity (`en` or `es`) when the language is clear."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "entity": "language",
            "switch_intent": "switch_language",
            "threshold": 0.7,  # confidence needed to change language
            "single_word_threshold": 0.65,  # one word carries less evidence, but "hola" should count
            # A long message mixing both ("mi boss no me paga el overtime y …"): mostly one language.
            "long_message_words": 8,
            "long_message_threshold": 0.6,
            # Names people use in both languages ("la continued presence", "what is VAWA"):
            # left out before detection so that they do not pull towards English.
            "neutral_terms": [],
        }

    def __init__(self, config: Dict[str, Any]) -> None:
        from lingua import Language, LanguageDetectorBuilder

        self.config = config
        terms = sorted((fold(t) for t in config.get("neutral_terms") or []), key=len, reverse=True)
        self._neutral = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, terms)) + r")(?!\w)") if terms else None
        self._codes = {Language.ENGLISH: "en", Language.SPANISH: "es"}
        self._detector = LanguageDetectorBuilder.from_languages(*self._codes).with_preloaded_language_models().build()

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageDetector":
        return cls(config)

    def detect(self, text: str) -> Optional[str]:
        text = PLACEHOLDERS.sub(" ", text)  # "[name]", "[phone]": put there by the privacy guard
        spanish_marks = bool(SPANISH_PUNCTUATION.search(text))  # before folding removes them
        if self._neutral:
            text = self._neutral.sub(" ", fold(text))
        words = re.findall(r"[^\W\d_]{2,}", text)
        if not words:
            return None
        best = self._detector.compute_language_confidence_values(text)[0]
        needed = self.config["single_word_threshold"] if len(words) == 1 else self.config["threshold"]
        if len(words) >= self.config["long_message_words"]:
            needed = min(needed, self.config["long_message_threshold"])
        if best.value >= needed:
            return self._codes.get(best.language)
        # "¿me van a dar la visa U?": short, but only Spanish opens a question with "¿"
        return "es" if spanish_marks else None

    def requested(self, text: str) -> Optional[str]:
        folded = fold(text)
        for code, pattern in NOT_THIS.items():
            if pattern.search(folded):
                return code
        for code, pattern in SWITCH_WORDS.items():
            if pattern.search(folded):
                return code
        return None

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            code = self.requested(text) if intent == self.config["switch_intent"] else None
            code = code or self.detect(text)
            if code:
                entity = {
                    "entity": self.config["entity"],
                    "value": code,
                    "start": 0,
                    "end": len(text),
                    "confidence_entity": 1.0,
                    "extractor": self.__class__.__name__,
                }
                message.set(ENTITIES, message.get(ENTITIES, []) + [entity], add_to_output=True)
        return messages
