"""action_answer: every knowledge question, answered from data/knowledge/.

The intent names the topic and the aspects pick the entry; actions/conversation.py adds
what the conversation already knows (the topic answered last, comparisons, eligibility
questions, a situation described in the same message). Every answer records its topic and
entry in the `last_topic` / `last_entry` slots, so that a follow-up can lean on them.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import (
    ASPECT,
    FOLLOWUP_INTENT,
    LAST_ENTRY,
    LAST_TOPIC,
    TOPIC,
    Resolution,
    also_for_pair,
    answered_entry,
    resolve,
    topics_with,
    values,
)
from actions.knowledge import KnowledgeBase, knowledge_base
from actions.referral_answers import add_state_referral
from actions.render import HUMAN_KEY, button, language_of, render_answer
from bot.text import fold

logger = logging.getLogger(__name__)

CHOICES = 3
# Below this, the classifier's guess at what else a danger message asks is not trusted.
QUESTION_CONFIDENCE = 0.2
NOT_A_QUESTION = ("emergency", "nlu_fallback")
# How a question starts when it has no "?" (people on phones rarely type one): "is there a visa…",
# "como arreglo papeles…". Only read in a message that also describes danger.
QUESTION_CUES = re.compile(
    r"\b(is there|are there|can (i|we|they|the|my|you)|could i|how (do|can|long|much)|what (is|are|can|do|should)|"
    r"where (do|can|is)|who (can|do)|will i|do i|should i|hay (algun|alguna|una|un)|puedo|podemos|como (arreglo|hago|"
    r"puedo|pido|saco|consigo)|que (puedo|hago|necesito)|donde (puedo|pido)|tengo derecho)\b"
)
# The topic a follow-up to the emergency reply is about: how to reach help (call, text, chat).
AFTER_DANGER_TOPIC = "hotline"


def aspects_in(message: Dict[str, Any]) -> List[str]:
    return values(message, ASPECT)


def remembered(topic: Optional[str], entry_key: str) -> List[Dict[Text, Any]]:
    return [SlotSet(LAST_TOPIC, topic), SlotSet(LAST_ENTRY, entry_key)]


def send(
    resolution: Resolution,
    kb: KnowledgeBase,
    dispatcher: CollectingDispatcher,
    domain: Dict[Text, Any],
    language: str,
    tracker: Tracker,
) -> List[Dict[Text, Any]]:
    """The answer, then the honest eligibility line and the situation line when they apply,
    then help in the person's state where the topic is a referral (actions/referral_answers.py)."""
    entry = resolution.entry
    dispatcher.utter_message(**render_answer(entry, kb, domain, language))
    message = tracker.latest_message or {}
    other = also_for_pair(kb, resolution, aspects_in(message), values(message, TOPIC), tracker.get_slot(LAST_ENTRY))
    if other is not None:  # "how long does each one last?" after "CP or T visa?"
        dispatcher.utter_message(**render_answer(other, kb, domain, language))
    if resolution.eligibility_question:
        title = kb.topics[entry.topic].title[language]
        dispatcher.utter_message(response="utter_eligibility_honest", title=title)
    if resolution.situation:
        dispatcher.utter_message(response="utter_situation_may_mean")
    # after a pair follow-up the comparison stays the thing answered last: "and the cost?" is about both
    key = tracker.get_slot(LAST_ENTRY) if other is not None else entry.key
    return remembered(resolution.topic, key) + add_state_referral(dispatcher, tracker, domain, resolution.topic)


def resolve_message(kb: KnowledgeBase, tracker: Tracker, intent: Optional[str] = None) -> Optional[Resolution]:
    message = tracker.latest_message or {}
    classified = message.get("intent") or {}
    confidence = (classified.get("confidence") or 0.0) if intent is None else 0.0
    intent = intent or classified.get("name")
    return resolve(kb, intent, aspects_in(message), values(message, TOPIC), tracker.get_slot(LAST_TOPIC), confidence)


def which_topic(kb: KnowledgeBase, tracker: Tracker, dispatcher: CollectingDispatcher, language: str) -> None:
    """A follow-up with nothing to follow: offer the topics that answer that aspect."""
    aspects = aspects_in(tracker.latest_message or {})
    buttons = []
    for topic in topics_with(kb, aspects)[:CHOICES]:
        entry = topic.select(aspects)
        buttons.append(button(entry, kb, language))
    buttons.append(button(kb.lookup(HUMAN_KEY), kb, language))
    dispatcher.utter_message(response="utter_which_topic", buttons=buttons)


class ActionAnswer(Action):
    """Answers the message from the knowledge base, leaning on the conversation so far."""

    def __init__(self) -> None:
        self.kb = knowledge_base()  # at server start: a broken knowledge file stops it here

    def name(self) -> Text:
        return "action_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        language = language_of(tracker)
        resolution = resolve_message(self.kb, tracker)
        if resolution is None:
            intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
            if intent == FOLLOWUP_INTENT:
                which_topic(self.kb, tracker, dispatcher, language)
                return []
            logger.warning("action_answer: no knowledge topic for intent %s", intent)
            dispatcher.utter_message(response="utter_default")
            return []
        return send(resolution, self.kb, dispatcher, domain, language, tracker)


class ActionAnswerAfterDanger(Action):
    """After the emergency reply: the question the same message asked, if it asked one.

    "my wife hits me, can I fix my status on my own?" gets 911 first (static responses,
    rules in data/rules/safety.yml), then this answers the VAWA question. A message that only
    describes danger gets nothing more here.
    """

    def __init__(self) -> None:
        self.kb = knowledge_base()

    def name(self) -> Text:
        return "action_answer_after_danger"

    def asked(self, tracker: Tracker) -> Optional[str]:
        """The intent of the question in a danger message, or None if it asks nothing."""
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        named = values(message, TOPIC)
        qualify = "qualify" in aspects_in(message)
        if "?" not in text and not qualify and not named and not QUESTION_CUES.search(fold(text)):
            return None
        for ranked in message.get("intent_ranking") or []:
            name = ranked.get("name")
            if name in NOT_A_QUESTION:
                continue
            if self.kb.topic_for_intent(name) is None and name != FOLLOWUP_INTENT:
                continue
            if (ranked.get("confidence") or 0.0) >= QUESTION_CONFIDENCE or named or qualify:
                return name
            return None
        return None

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        intent = self.asked(tracker)
        resolution = resolve_message(self.kb, tracker, intent) if intent else None
        if resolution is None:
            # Nothing more asked: "I can't talk, I can only text" next is about reaching help.
            return [SlotSet(LAST_TOPIC, AFTER_DANGER_TOPIC), SlotSet(LAST_ENTRY, None)]
        return send(resolution, self.kb, dispatcher, domain, language_of(tracker), tracker)


class ActionSwitchLanguage(Action):
    """ "Spanish please" / "¿me lo puedes explicar en español?": the conversation changes
    language (the `language` slot, set from the message) and the answer given last is said
    again in the new one — a person who asks for the other language most often did not
    understand it. With nothing answered yet, the menu in the new language.

    An aspect in the same message ("y si no hablo bien inglés?" after the hotline: languages)
    picks that entry of the topic at hand instead.
    """

    def __init__(self) -> None:
        self.kb = knowledge_base()

    def name(self) -> Text:
        return "action_switch_language"

    def last_answer(self, tracker: Tracker):
        entry = answered_entry(self.kb, tracker.get_slot(LAST_ENTRY))
        if entry is None:
            return None
        topic = self.kb.topics[entry.topic]
        chosen = topic.select(aspects_in(tracker.latest_message or {}))
        return chosen if chosen is not topic.overview else entry

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        language = language_of(tracker)
        entry = self.last_answer(tracker)
        if entry is None:
            dispatcher.utter_message(response="utter_language_switched")
            return []
        dispatcher.utter_message(response="utter_language_switched_repeat")
        dispatcher.utter_message(**render_answer(entry, self.kb, domain, language))
        return remembered(tracker.get_slot(LAST_TOPIC) or entry.topic, entry.key)
