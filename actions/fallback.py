"""action_clarify: an unclear message gets one clarifying step, then the menu."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import aspects_in, send
from actions.conversation import FOLLOWUP_INTENT, LAST_TOPIC, TOPIC, Resolution, resolve, values
from actions.knowledge import KnowledgeBase, knowledge_base
from actions.render import HUMAN_KEY, button, language_of, topic_button

FALLBACK_INTENT = "nlu_fallback"
# Out of scope, but naming an aspect of the topic at hand ("how old can they be?" after the T
# visa's family answer): a follow-up unless the classifier is this sure it is out of scope.
OUT_OF_SCOPE_SURE = 0.8
CHOICES = 3


def previous_user_intent(tracker: Tracker) -> Optional[str]:
    """The intent of the user message before the latest one."""
    seen_latest = False
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if seen_latest:
            return ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        seen_latest = True
    return None


def followup_for(kb: KnowledgeBase, tracker: Tracker) -> Optional[Resolution]:
    """The answer when an unclear message names an aspect of the topic answered last ("and my
    kids?" after the T visa), or names a topic; None when it does neither."""
    message = tracker.latest_message or {}
    aspects, named = aspects_in(message), values(message, TOPIC)
    last = tracker.get_slot(LAST_TOPIC)
    if not named and not (last in kb.topics and aspects):
        return None
    resolution = resolve(kb, FOLLOWUP_INTENT, aspects, named, last)
    if resolution is None or (not named and resolution.entry is kb.topics[last].overview):
        return None
    return resolution


def answered_as_followup(
    kb: KnowledgeBase, tracker: Tracker, dispatcher: CollectingDispatcher, domain: Dict[Text, Any], below: float
) -> Optional[List[Dict[Text, Any]]]:
    """When the classifier's guess is below `below` and the message is a follow-up
    (followup_for), answers it and returns the events; otherwise sends nothing and returns None."""
    confidence = ((tracker.latest_message or {}).get("intent") or {}).get("confidence") or 0.0
    followup = followup_for(kb, tracker) if confidence < below else None
    if followup is None:
        return None
    return send(followup, kb, dispatcher, domain, language_of(tracker), tracker)


class ActionClarify(Action):
    def __init__(self) -> None:
        self.kb = knowledge_base()

    def name(self) -> Text:
        return "action_clarify"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        language = language_of(tracker)
        followup = followup_for(self.kb, tracker)
        if followup is not None:  # "and my kids?" after the T visa: unclear alone, clear here
            return send(followup, self.kb, dispatcher, domain, language, tracker)
        if previous_user_intent(tracker) == FALLBACK_INTENT:
            dispatcher.utter_message(response="utter_menu")  # second miss: topics and a person
            return []
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        topics = [self.kb.topic_for_intent(r.get("name")) for r in ranking]
        likely = [t for t in topics if t is not None and t.name != "human"][:CHOICES]
        buttons = [topic_button(t, language) for t in likely]
        buttons.append(button(self.kb.lookup(HUMAN_KEY), self.kb, language))
        dispatcher.utter_message(response="utter_clarify", buttons=buttons)
        return []


class ActionOutOfScope(ActionClarify):
    """A message the classifier puts out of scope, but not surely: if it names an aspect of the
    topic at hand ("how long does each one last?" after a comparison), it is a follow-up."""

    def name(self) -> Text:
        return "action_out_of_scope"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        events = answered_as_followup(self.kb, tracker, dispatcher, domain, below=OUT_OF_SCOPE_SURE)
        if events is not None:
            return events
        dispatcher.utter_message(response="utter_out_of_scope")
        return []
