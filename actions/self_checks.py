"""The guided self-checks (Rasa forms): what the answers suggest, never a verdict.

The questions are domain responses (utter_ask_<slot>); the forms are filled by the
yes / no / not sure intents. These actions reset the answers before a new check and
explain the result when a check is complete.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import LAST_ENTRY, LAST_TOPIC
from actions.knowledge import knowledge_base
from actions.referral_answers import add_state_referral
from actions.render import language_of, render_answer

YES, NO = "yes", "no"
TRAFFICKING_SLOTS = ("tc_force", "tc_deceived", "tc_debt", "tc_documents", "tc_leave")
PROTECTION_SLOTS = ("pc_trafficked", "pc_crime_victim", "pc_police", "pc_family_abuse")
LEGAL_HELP_KEY = "legal_help.overview"
# The topic a follow-up right after a result is about ("how long does it take?").
REASON_TOPICS = {
    "utter_pc_reason_cp": "continued_presence",
    "utter_pc_reason_t": "t_visa",
    "utter_pc_reason_u": "u_visa",
    "utter_pc_reason_vawa": "vawa",
}
TRAFFICKING_RESULT_TOPIC = {True: "t_visa", False: "signs"}


def cleared(slots) -> List[Dict[Text, Any]]:
    return [SlotSet(slot, None) for slot in slots]


def trafficking_signs(tracker: Tracker) -> int:
    """Each answer that points to force, fraud or coercion counts once."""
    signs = sum(tracker.get_slot(s) == YES for s in TRAFFICKING_SLOTS if s != "tc_leave")
    return signs + (tracker.get_slot("tc_leave") == NO)


def fitting_protections(tracker: Tracker) -> List[str]:
    """Responses naming the protections the answers point to, with the reason for each."""
    answer = tracker.get_slot
    fits = []
    if answer("pc_trafficked") == YES:
        if answer("pc_police") == YES:
            fits.append("utter_pc_reason_cp")
        fits.append("utter_pc_reason_t")
    if answer("pc_crime_victim") == YES:
        fits.append("utter_pc_reason_u")
    if answer("pc_family_abuse") == YES:
        fits.append("utter_pc_reason_vawa")
    return fits


class ActionResetSelfChecks(Action):
    def name(self) -> Text:
        return "action_reset_self_checks"

    def run(self, dispatcher, tracker, domain):
        return cleared(TRAFFICKING_SLOTS + PROTECTION_SLOTS)


class ActionTraffickingCheckResult(Action):
    def name(self) -> Text:
        return "action_trafficking_check_result"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        count = trafficking_signs(tracker)
        if count:
            dispatcher.utter_message(response="utter_tc_result_signs", count=count)
        else:
            dispatcher.utter_message(response="utter_tc_result_unclear")
        dispatcher.utter_message(response="utter_tc_next_steps")
        topic = TRAFFICKING_RESULT_TOPIC[count > 0]
        return (
            cleared(TRAFFICKING_SLOTS)
            + [SlotSet(LAST_TOPIC, topic), SlotSet(LAST_ENTRY, f"{topic}.overview")]
            + add_state_referral(dispatcher, tracker, domain, "trafficking_check")
        )


class ActionProtectionsCheckResult(Action):
    def __init__(self) -> None:
        self.kb = knowledge_base()

    def name(self) -> Text:
        return "action_protections_check_result"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        fits = fitting_protections(tracker)
        if fits:
            dispatcher.utter_message(response="utter_pc_intro_results")
            for response in fits:
                dispatcher.utter_message(response=response)
        else:
            dispatcher.utter_message(response="utter_pc_result_none")
        legal_help = self.kb.lookup(LEGAL_HELP_KEY)
        dispatcher.utter_message(**render_answer(legal_help, self.kb, domain, language_of(tracker)))
        topic = REASON_TOPICS[fits[0]] if fits else "protections"
        return (
            cleared(PROTECTION_SLOTS)
            + [SlotSet(LAST_TOPIC, topic), SlotSet(LAST_ENTRY, f"{topic}.overview")]
            + add_state_referral(dispatcher, tracker, domain, "protections_check")
        )
