"""Help in the person's state, added after an answer that refers them somewhere.

The national answer always comes first (the knowledge answer, or `utter_referral_national`);
this module adds the state block ("In Arizona: …") from data/referrals/, or asks once
"Which state are you in? (optional)" when no place is known. The place is the `place` slot
(bot/nlu/place.py fills it); the last kind of referral asked for is `referral_kind`, so that
"I'm in Florida" after "I need a shelter" answers the shelter question for Florida.
All wording is domain responses (utter_referral_*, utter_ask_place*); nothing here is logged.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Sequence, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.referrals import Place, Referral, ReferralDirectory, referral_directory
from actions.render import format_date, in_language, language_of, phrase

logger = logging.getLogger(__name__)

PLACE_SLOT, KIND_SLOT = "place", "referral_kind"
DECLINED = "declined"  # the place slot's value after "I'd rather not say"
AMBIGUOUS_SEPARATOR = "|"  # "IL|MO|MA": a city in several states (bot/nlu/place.py)
MAX_ITEMS = 4  # a state block stays short on a phone
DEFAULT_TOPIC = "local_help"  # a place given with no referral question pending

# Which services of a state each referral answer names (topics of data/knowledge/, and the
# ends of the two self-checks). A topic not listed here gives no state block and no question.
KINDS_FOR_TOPIC: Dict[str, Sequence[str]] = {
    "legal_help": ("legal_aid", "immigration_pro_bono"),
    "shelter": ("domestic_violence", "trafficking", "basic_needs"),
    "local_help": ("trafficking", "legal_aid", "compensation", "basic_needs"),
    "compensation": ("compensation",),
    "wages": ("legal_aid", "trafficking"),
    "basic_needs": ("basic_needs",),
    "human": ("trafficking", "domestic_violence", "legal_aid"),
    "trafficking_check": ("trafficking", "legal_aid"),
    "protections_check": ("legal_aid", "immigration_pro_bono"),
}


def place_codes(tracker: Tracker) -> List[str]:
    value = tracker.get_slot(PLACE_SLOT)
    if not value or value == DECLINED:
        return []
    return [code for code in str(value).upper().split(AMBIGUOUS_SEPARATOR) if code]


def place_name(code: str) -> str:
    """A place's name for a place with no referral file yet (from the `us` package)."""
    import us

    found = us.states.lookup(code)
    return found.name if found else code


def item_line(referral: Referral, domain: Dict[str, Any], language: str) -> str:
    kind = phrase(domain, f"utter_referral_kind_{referral.kind}", language)
    name = referral.name[language]
    if referral.phone:
        return phrase(
            domain, "utter_referral_item_phone", language, kind=kind, name=name, phone=referral.phone, url=referral.url
        )
    return phrase(domain, "utter_referral_item", language, kind=kind, name=name, url=referral.url)


def state_block(place: Place, topic: str, domain: Dict[str, Any], language: str) -> str:
    """ "In Arizona: …" with each service's name, phone and page, and when it was checked."""
    referrals = place.referrals(KINDS_FOR_TOPIC.get(topic, KINDS_FOR_TOPIC[DEFAULT_TOPIC]))
    if not referrals:  # every kind wanted is `missing` for this place: fall back to the general list
        referrals = place.referrals(KINDS_FOR_TOPIC[DEFAULT_TOPIC])
    referrals = referrals[:MAX_ITEMS]
    oldest = min(r.source.reviewed for r in referrals)
    lines = [phrase(domain, "utter_referral_intro", language, place=place.name[language])]
    lines += [item_line(r, domain, language) for r in referrals]
    lines.append(phrase(domain, "utter_referral_checked", language, reviewed=format_date(oldest, language)))
    return "\n".join(lines)


def place_buttons(
    codes: Sequence[str], directory: ReferralDirectory, domain: Dict[str, Any], language: str
) -> List[Dict[str, str]]:
    buttons = []
    for code in codes:
        place = directory.place(code)
        title = place.name[language] if place else place_name(code)
        buttons.append({"title": title, "payload": f'/inform_place{{"place":"{code}"}}'})
    buttons.append({"title": phrase(domain, "utter_referral_skip_button", language), "payload": "/decline_place"})
    return buttons


def add_state_referral(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: Dict[str, Any],
    topic: Optional[str],
    directory: Optional[ReferralDirectory] = None,
    ask: bool = True,
) -> List[Dict[Text, Any]]:
    """After a referral answer: the state block, or the question "which state?" (optional).

    Returns the events to add (which referral was asked for; the place cleared when it named
    several states). Never raises: a problem here must not cost the person the national answer.
    """
    if topic not in KINDS_FOR_TOPIC or tracker.get_slot(PLACE_SLOT) == DECLINED:
        return []  # no referral here, or the person would rather not say: the national answer only
    try:
        directory = directory or referral_directory()
        language = language_of(tracker)
        events: List[Dict[Text, Any]] = [SlotSet(KIND_SLOT, topic)]
        codes = place_codes(tracker)
        if len(codes) > 1:
            dispatcher.utter_message(
                text=phrase(domain, "utter_ask_place_which", language),
                buttons=place_buttons(codes[:5], directory, domain, language),
                **in_language(language),
            )
            return events + [SlotSet(PLACE_SLOT, None)]
        if codes:
            place = directory.place(codes[0])
            if place is None:
                dispatcher.utter_message(response="utter_referral_no_data", place=place_name(codes[0]))
            else:
                dispatcher.utter_message(text=state_block(place, topic, domain, language), **in_language(language))
            return events
        if ask:
            dispatcher.utter_message(response="utter_ask_place")
        return events
    except Exception as error:  # noqa: BLE001 — the national answer has been sent already
        logger.warning("state referral skipped: %s", type(error).__name__)
        return []
