"""action_answer: every knowledge question, answered from data/knowledge/."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge import knowledge_base
from actions.referral_answers import add_state_referral
from actions.render import language_of, render_answer

logger = logging.getLogger(__name__)


def aspects_in(message: Dict[str, Any]) -> List[str]:
    return [str(e.get("value")) for e in message.get("entities") or [] if e.get("entity") == "aspect"]


class ActionAnswer(Action):
    """Maps the intent to its topic and the aspects found to one entry, and sends it."""

    def __init__(self) -> None:
        self.kb = knowledge_base()  # at server start: a broken knowledge file stops it here

    def name(self) -> Text:
        return "action_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        topic = self.kb.topic_for_intent(intent)
        if topic is None:  # a rule sent an intent with no topic: say what we can do
            logger.warning("action_answer: no knowledge topic for intent %s", intent)
            dispatcher.utter_message(response="utter_default")
            return []
        entry = topic.select(aspects_in(message))
        dispatcher.utter_message(**render_answer(entry, self.kb, domain, language_of(tracker)))
        return add_state_referral(dispatcher, tracker, domain, topic.name)  # help in the person's state
