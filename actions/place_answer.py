"""action_referral: the person named a place ("I'm in Florida", a ZIP code).

It answers the referral question pending for that place (actions/referral_answers.py). A
message the classifier only guessed was a place, with no place in it ("can I text
instead?" after the hotline), is a follow-up to the topic at hand when it names an aspect
of it; otherwise the state is asked for again.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import SURE
from actions.fallback import answered_as_followup
from actions.knowledge import knowledge_base
from actions.referral_answers import DEFAULT_TOPIC, KIND_SLOT, add_state_referral, place_codes
from actions.referrals import referral_directory


class ActionReferral(Action):
    """The person named a place: answer the pending referral question for it."""

    def __init__(self) -> None:
        self.directory = referral_directory()  # at server start: a broken referral file stops it here
        self.kb = knowledge_base()

    def name(self) -> Text:
        return "action_referral"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        topic = tracker.get_slot(KIND_SLOT) or DEFAULT_TOPIC
        if not place_codes(tracker):  # an inform_place with no place we could recognise
            events = answered_as_followup(self.kb, tracker, dispatcher, domain, below=SURE)
            if events is not None:
                return events
            dispatcher.utter_message(response="utter_ask_place_again")
            return []
        if len(place_codes(tracker)) == 1:
            dispatcher.utter_message(response="utter_referral_national")
        return add_state_referral(dispatcher, tracker, domain, topic, self.directory)
