"""Follow-ups, comparisons, eligibility questions and situations (actions/conversation.py),
and the actions that use them, on trackers built from dicts."""

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswer, ActionAnswerAfterDanger, ActionSwitchLanguage
from actions.conversation import resolve
from actions.fallback import ActionClarify, ActionOutOfScope
from actions.knowledge import knowledge_base
from tests.unit.test_actions import DOMAIN

KB = knowledge_base()


def key(intent, aspects=(), named=(), last=None):
    resolution = resolve(KB, intent, list(aspects), list(named), last)
    return resolution.entry.key if resolution else None


@pytest.mark.parametrize(
    "last, aspects, expected",
    [
        ("t_visa", ["duration"], "t_visa.duration"),
        ("u_visa", ["duration"], "u_visa.duration"),
        ("t_visa", ["fee"], "t_visa.fee"),
        ("u_visa", ["fee"], "u_visa.fee"),
        ("t_visa", ["family"], "t_visa.family"),
        ("vawa", ["apply"], "vawa.apply"),
        ("ice_policy", ["change_2025"], "ice_policy.change_2025"),
        ("continued_presence", ["eligibility"], "continued_presence.apply"),
        ("hotline", ["text"], "hotline.text"),
        ("basic_needs", ["wic"], "basic_needs.wic"),
        ("wages", ["undocumented"], "wages.undocumented"),
    ],
)
def test_a_follow_up_is_answered_for_the_topic_answered_last(last, aspects, expected):
    assert key("ask_followup", aspects, last=last) == expected


def test_a_follow_up_that_names_another_topic_switches():
    assert key("ask_followup", ["apply"], ["u_visa"], last="t_visa") == "u_visa.apply"


def test_a_follow_up_with_nothing_before_it_is_not_guessed():
    assert key("ask_followup", ["duration"]) is None


def test_how_long_it_takes_is_about_processing_times_not_how_long_status_lasts():
    assert key("ask_followup", ["processing"], last="t_visa") == "processing_times.overview"
    assert key("ask_t_visa", ["processing", "green_card"]) == "t_visa.green_card"


def test_a_redirected_follow_up_keeps_the_subject_of_the_conversation():
    resolution = resolve(KB, "ask_followup", ["processing"], [], "t_visa")
    assert resolution.entry.topic == "processing_times" and resolution.topic == "t_visa"
    resolution = resolve(KB, "ask_processing_times", [], [], "u_visa")
    assert resolution.entry.topic == "processing_times" and resolution.topic == "u_visa"
    resolution = resolve(KB, "ask_comparison", [], ["t_visa", "u_visa"], None)
    assert resolution.entry.key == "comparison.t_u" and resolution.topic == "t_visa"


def test_a_misread_follow_up_leans_on_the_topic_answered_last():
    # "does it cost money?" after the T visa was read as a benefits question
    assert key("ask_benefits", ["fee"], last="t_visa") == "t_visa.fee"
    # …but a question that names its topic, or that its topic answers, keeps it
    assert key("ask_benefits", ["snap"], last="t_visa") == "benefits.snap"
    assert key("ask_shelter", ["duration"], ["shelter"], last="t_visa") == "shelter.overview"


@pytest.mark.parametrize(
    "named, expected",
    [
        (["t_visa", "u_visa"], "comparison.t_u"),
        (["u_visa", "t_visa"], "comparison.t_u"),
        (["continued_presence", "t_visa"], "comparison.cp_t"),
        (["u_visa", "vawa"], "comparison.u_vawa"),
    ],
)
def test_two_protections_named_get_their_comparison(named, expected):
    assert key("ask_u_visa", [], named) == expected


def test_compare_with_one_named_protection_compares_it_with_the_topic_answered_last():
    assert key("ask_comparison", ["compare_t_visa"], ["u_visa"], last="t_visa") == "comparison.t_u"


def test_an_eligibility_question_gets_the_requirements_not_the_work_permit_entry():
    # "I came on a work visa and my employer took my passport. Can I get a T visa?"
    resolution = resolve(KB, "ask_t_visa", ["work", "documents_taken", "qualify"], ["t_visa"], None)
    assert resolution.entry.key == "t_visa.eligibility"
    assert resolution.eligibility_question and resolution.situation


def test_a_story_with_a_papers_question_gets_the_t_visa_requirements():
    resolution = resolve(KB, "describe_situation", ["documents_taken", "unpaid", "qualify"], [], None)
    assert resolution.entry.key == "t_visa.eligibility"
    assert resolution.situation


def tracker(text, intent, entities=(), slots=None, ranking=None, events=None):
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": list(entities),
        "intent_ranking": ranking or [],
    }
    return Tracker("u", {"language": "en", **(slots or {})}, message, events or [], False, None, None, "action_listen")


def run(action, t):
    dispatcher = CollectingDispatcher()
    return dispatcher.messages, action.run(dispatcher, t, DOMAIN)


def aspect(value):
    return {"entity": "aspect", "value": value}


def test_the_answer_remembers_its_topic_and_the_follow_up_uses_it():
    _, events = run(ActionAnswer(), tracker("what is a u visa", "ask_u_visa"))
    assert SlotSet("last_topic", "u_visa") in events
    messages, events = run(
        ActionAnswer(), tracker("how long is it valid", "ask_followup", [aspect("duration")], {"last_topic": "u_visa"})
    )
    assert KB.lookup("u_visa.duration").text["en"].strip() in messages[0]["text"]
    assert SlotSet("last_entry", "u_visa.duration") in events


def test_an_eligibility_question_never_says_yes_and_points_to_the_next_step():
    messages, _ = run(
        ActionAnswer(),
        tracker(
            "can I get a T visa?",
            "ask_t_visa",
            [aspect("work"), aspect("qualify"), {"entity": "topic", "value": "t_visa"}],
        ),
    )
    text = " ".join(m.get("text") or "" for m in messages).lower()
    assert not text.startswith("yes") and "you qualify" not in text
    assert [m.get("response") for m in messages][1:] == ["utter_eligibility_honest"]


def test_a_lone_follow_up_offers_the_topics_that_answer_it():
    messages, events = run(ActionAnswer(), tracker("how long does it last", "ask_followup", [aspect("duration")]))
    assert messages[0]["response"] == "utter_which_topic" and events == []
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[-1] == "/talk_to_human" and len(payloads) >= 2


def test_an_unclear_message_with_an_aspect_of_the_last_topic_is_answered():
    t = tracker(
        "and my kids??",
        "nlu_fallback",
        [aspect("family")],
        {"last_topic": "t_visa"},
        ranking=[{"name": "nlu_fallback", "confidence": 0.5}],
    )
    messages, events = run(ActionClarify(), t)
    assert KB.lookup("t_visa.family").text["en"].strip() in messages[0]["text"]
    assert SlotSet("last_topic", "t_visa") in events


def test_after_the_emergency_reply_the_question_of_the_same_message_is_answered():
    ranking = [{"name": "emergency", "confidence": 1.0}, {"name": "ask_vawa", "confidence": 0.6}]
    t = tracker(
        "my wife is a citizen and she hits me, can I fix my status on my own?",
        "emergency",
        [aspect("family"), aspect("qualify")],
        ranking=ranking,
    )
    messages, _ = run(ActionAnswerAfterDanger(), t)
    assert messages and KB.lookup("vawa.eligibility").text["en"].strip() in messages[0]["text"]


def test_danger_without_a_question_gets_nothing_more():
    ranking = [{"name": "emergency", "confidence": 1.0}, {"name": "ask_shelter", "confidence": 0.1}]
    messages, events = run(
        ActionAnswerAfterDanger(), tracker("he is outside with a knife", "emergency", ranking=ranking)
    )
    assert messages == []
    # what comes next ("I can't talk, I can only text") is about reaching help
    assert {e["name"]: e["value"] for e in events} == {"last_topic": "hotline", "last_entry": None}


def test_a_question_classified_as_processing_times_keeps_the_topic_at_hand():
    # "how long till they decide?" after the T visa: the next "is there a fee" is about the T visa
    resolution = resolve(KB, "ask_processing_times", ["processing"], [], "t_visa")
    assert resolution.entry.topic == "processing_times" and resolution.topic == "t_visa"


def test_a_follow_up_after_a_comparison_is_answered_for_both():
    slots = {"last_topic": "continued_presence", "last_entry": "comparison.cp_t"}
    messages, events = run(
        ActionAnswer(), tracker("how long does each one last", "ask_followup", [aspect("duration")], slots)
    )
    texts = [m["text"] for m in messages]
    assert len(texts) == 2 and "2 years" in texts[0] and "4 years" in texts[1]
    assert SlotSet("last_entry", "comparison.cp_t") in events  # the next follow-up is about both too


def test_a_follow_up_naming_one_of_the_compared_is_about_that_one_only():
    slots = {"last_topic": "continued_presence", "last_entry": "comparison.cp_t"}
    messages, _ = run(
        ActionAnswer(),
        tracker("how long does the t visa last", "ask_followup", [aspect("duration"), topic("t_visa")], slots),
    )
    assert len(messages) == 1 and "4 years" in messages[0]["text"]


def topic(value):
    return {"entity": "topic", "value": value}


def test_switching_language_says_the_last_answer_again_in_the_new_language():
    slots = {"language": "es", "last_topic": "t_visa", "last_entry": "t_visa.overview"}
    messages, events = run(
        ActionSwitchLanguage(), tracker("¿me lo puedes explicar en español?", "switch_language", [], slots)
    )
    assert messages[0]["response"] == "utter_language_switched_repeat"
    assert "visa T" in messages[1]["text"] and "I-914" in messages[1]["text"]
    assert SlotSet("last_entry", "t_visa.overview") in events


def test_switching_language_with_an_aspect_answers_that_aspect_of_the_topic_at_hand():
    # "y si no hablo bien inglés?" after the hotline: its languages entry, in Spanish
    slots = {"language": "es", "last_topic": "hotline", "last_entry": "hotline.overview"}
    messages, _ = run(
        ActionSwitchLanguage(), tracker("y si no hablo bien ingles?", "switch_language", [aspect("languages")], slots)
    )
    assert "intérprete" in messages[1]["text"]


def test_switching_language_with_nothing_answered_shows_the_menu():
    messages, events = run(ActionSwitchLanguage(), tracker("spanish please", "switch_language", [], {"language": "es"}))
    assert [m["response"] for m in messages] == ["utter_language_switched"] and events == []


def test_a_weak_out_of_scope_guess_with_an_aspect_of_the_topic_at_hand_is_a_follow_up():
    t = tracker(
        "is that still the current version?", "out_of_scope", [aspect("change_2025")], {"last_topic": "ice_policy"}
    )
    t.latest_message["intent"]["confidence"] = 0.3
    messages, _ = run(ActionOutOfScope(), t)
    assert "11005.4" in messages[0]["text"]
    t.latest_message["intent"]["confidence"] = 0.95  # sure it is out of scope: it is
    messages, _ = run(ActionOutOfScope(), t)
    assert [m["response"] for m in messages] == ["utter_out_of_scope"]


@pytest.mark.parametrize(
    "text, ranking, expected",
    [
        # no "?": people on phones rarely type one
        ("mi esposo es ciudadano y me pega, como arreglo papeles sin el", "ask_vawa", "vawa"),
        ("he hurt me, can the state pay my hospital bills", "ask_compensation", "compensation"),
    ],
)
def test_danger_with_a_question_without_a_question_mark_gets_the_answer_too(text, ranking, expected):
    ranks = [{"name": "emergency", "confidence": 1.0}, {"name": ranking, "confidence": 0.5}]
    messages, events = run(ActionAnswerAfterDanger(), tracker(text, "emergency", ranking=ranks))
    assert messages and SlotSet("last_topic", expected) in events


def test_danger_without_a_question_and_without_a_question_mark_gets_nothing_more():
    ranks = [{"name": "emergency", "confidence": 1.0}, {"name": "ask_shelter", "confidence": 0.4}]
    messages, _ = run(ActionAnswerAfterDanger(), tracker("he is hitting me right now", "emergency", ranking=ranks))
    assert messages == []


def test_a_vague_visa_question_after_a_story_of_forced_work_is_about_the_t_visa():
    resolution = resolve(KB, "ask_u_visa", ["qualify"], [], "situation", 0.51)
    assert resolution.entry.key == "t_visa.eligibility" and resolution.eligibility_question
    # named, or the classifier sure: as asked
    assert resolve(KB, "ask_u_visa", ["qualify"], ["u_visa"], "situation", 0.51).entry.topic == "u_visa"
    assert resolve(KB, "ask_u_visa", ["qualify"], [], "situation", 0.9).entry.topic == "u_visa"
