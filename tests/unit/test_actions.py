"""Every custom action, run with rasa_sdk's CollectingDispatcher on trackers built from dicts."""

from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswer
from actions.fallback import ActionClarify
from actions.knowledge import knowledge_base
from actions.self_checks import (
    PROTECTION_SLOTS,
    TRAFFICKING_SLOTS,
    ActionProtectionsCheckResult,
    ActionResetSelfChecks,
    ActionTraffickingCheckResult,
)

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
KB = knowledge_base()


def tracker(intent="greet", entities=(), language="en", slots=None, events=None, ranking=None):
    message = {
        "text": "…",
        "intent": {"name": intent, "confidence": 0.9},
        "entities": list(entities),
        "intent_ranking": ranking or [],
    }
    # place "declined": these tests see the national answers only (state help: test_referrals.py)
    return Tracker(
        "test-user",
        {"language": language, "place": "declined", **(slots or {})},
        message,
        events or [],
        False,
        None,
        None,
        "action_listen",
    )


def run(action, t):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, t, DOMAIN)
    return dispatcher.messages, events


def aspect(value):
    return {"entity": "aspect", "value": value}


@pytest.mark.parametrize("topic", sorted(KB.topics))
@pytest.mark.parametrize("language", ["en", "es"])
def test_every_topic_answers_with_source_date_and_a_way_to_a_person(topic, language):
    intent = KB.topics[topic].intent
    messages, events = run(ActionAnswer(), tracker(intent, language=language))
    assert len(messages) == 1
    assert events == [SlotSet("last_topic", topic), SlotSet("last_entry", f"{topic}.overview")]
    text, buttons = messages[0]["text"], messages[0]["buttons"]
    overview = KB.topics[topic].overview
    assert text.startswith(overview.text[language].strip())
    assert (overview.sources[0].url if overview.sources[0].is_web else overview.sources[0].title) in text
    assert ("Source:" if language == "en" else "Fuente:") in text
    assert str(overview.reviewed.year) in text
    if KB.topics[topic].legal:
        assert ("not legal advice" if language == "en" else "no asesoría legal") in text
    assert 1 <= len(buttons) <= 4
    if topic != "human":
        assert buttons[-1]["payload"] == "/talk_to_human"


def test_the_aspect_picks_the_entry():
    messages, _ = run(ActionAnswer(), tracker("ask_t_visa", [aspect("fee")]))
    assert KB.topics["t_visa"].select(["fee"]).text["en"].strip() in messages[0]["text"]
    assert KB.topics["t_visa"].select(["fee"]) is not KB.topics["t_visa"].overview


def test_next_step_buttons_carry_the_aspect_of_their_entry():
    messages, _ = run(ActionAnswer(), tracker("ask_t_visa"))
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    expected = []
    for key in KB.topics["t_visa"].overview.next[:3]:
        target = KB.lookup(key)
        intent = KB.topics[target.topic].intent
        expected.append(f'/{intent}{{"aspect":"{target.aspects[0]}"}}' if target.aspects else f"/{intent}")
    assert payloads[: len(expected)] == expected
    assert '/ask_t_visa{"aspect":"eligibility"}' in payloads


def test_an_intent_without_a_topic_gets_the_menu_not_silence():
    messages, _ = run(ActionAnswer(), tracker("greet"))
    assert messages[0]["response"] == "utter_default"


def test_clarify_offers_the_likeliest_topics_and_a_person():
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "ask_u_visa", "confidence": 0.3},
        {"name": "greet", "confidence": 0.2},
        {"name": "ask_t_visa", "confidence": 0.1},
    ]
    messages, _ = run(ActionClarify(), tracker("nlu_fallback", ranking=ranking))
    assert messages[0]["response"] == "utter_clarify"
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads == ["/ask_u_visa", "/ask_t_visa", "/talk_to_human"]


def test_a_second_unclear_message_gets_the_menu():
    events = [
        {"event": "user", "parse_data": {"intent": {"name": "nlu_fallback"}}},
        {"event": "action", "name": "action_clarify"},
        {"event": "user", "parse_data": {"intent": {"name": "nlu_fallback"}}},
    ]
    messages, _ = run(ActionClarify(), tracker("nlu_fallback", events=events))
    assert messages[0]["response"] == "utter_menu"


def test_reset_clears_every_self_check_answer():
    _, events = run(ActionResetSelfChecks(), tracker())
    assert {e["name"] for e in events} == set(TRAFFICKING_SLOTS + PROTECTION_SLOTS)
    assert all(e["value"] is None for e in events)


@pytest.mark.parametrize(
    "answers, result",
    [
        (
            {"tc_force": "yes", "tc_deceived": "no", "tc_debt": "yes", "tc_documents": "unsure", "tc_leave": "no"},
            ("utter_tc_result_signs", 3),
        ),
        (
            {"tc_force": "no", "tc_deceived": "no", "tc_debt": "no", "tc_documents": "no", "tc_leave": "yes"},
            ("utter_tc_result_unclear", None),
        ),
    ],
)
def test_trafficking_check_explains_without_a_verdict_and_gives_next_steps(answers, result):
    messages, events = run(ActionTraffickingCheckResult(), tracker(slots=answers))
    response, count = result
    assert messages[0]["response"] == response
    assert messages[0].get("count") == count
    assert messages[-1]["response"] == "utter_tc_next_steps"
    assert {e["name"] for e in events} == set(TRAFFICKING_SLOTS) | {"last_topic", "last_entry"}
    assert SlotSet("last_topic", "t_visa" if count else "signs") in events


@pytest.mark.parametrize(
    "answers, expected",
    [
        (
            {"pc_trafficked": "yes", "pc_crime_victim": "no", "pc_police": "yes", "pc_family_abuse": "no"},
            ["utter_pc_reason_cp", "utter_pc_reason_t"],
        ),
        (
            {"pc_trafficked": "no", "pc_crime_victim": "yes", "pc_police": "unsure", "pc_family_abuse": "yes"},
            ["utter_pc_reason_u", "utter_pc_reason_vawa"],
        ),
        ({"pc_trafficked": "no", "pc_crime_victim": "no", "pc_police": "no", "pc_family_abuse": "no"}, []),
    ],
)
def test_protections_check_gives_reasons_and_free_legal_help(answers, expected):
    messages, events = run(ActionProtectionsCheckResult(), tracker(slots=answers, language="es"))
    responses = [m.get("response") for m in messages]
    for name in expected:
        assert name in responses
    if not expected:
        assert responses[0] == "utter_pc_result_none"
    legal_help = KB.lookup("legal_help.overview")
    assert legal_help.text["es"].strip() in messages[-1]["text"]
    assert {e["name"] for e in events} == set(PROTECTION_SLOTS) | {"last_topic", "last_entry"}


def _languages_said(messages, language):
    """The language each message says it is in: its own metadata, else that of the domain
    response it names (which Rasa fills in with the same `language` slot)."""
    said = []
    for message in messages:
        if message.get("metadata"):
            said.append(message["metadata"].get("language"))
            continue
        variants = DOMAIN["responses"][message["response"]]
        picked = [
            v for v in variants if {"type": "slot", "name": "language", "value": language} in (v.get("condition") or [])
        ]
        said.append((picked or [v for v in variants if not v.get("condition")])[0]["metadata"]["language"])
    return said


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_message_an_action_sends_says_its_language(language):
    runs = [
        run(ActionAnswer(), tracker("ask_t_visa", [aspect("fee")], language=language)),
        run(ActionAnswer(), tracker("ask_followup", language=language)),
        run(ActionAnswer(), tracker("ask_local_help", language=language, slots={"place": "TX"})),
        run(ActionAnswer(), tracker("ask_legal_help", language=language, slots={"place": "IL|MO"})),
        run(ActionAnswer(), tracker("greet", language=language)),
        run(ActionClarify(), tracker("nlu_fallback", language=language)),
        run(ActionTraffickingCheckResult(), tracker(language=language, slots={s: "yes" for s in TRAFFICKING_SLOTS})),
        run(ActionProtectionsCheckResult(), tracker(language=language, slots={s: "yes" for s in PROTECTION_SLOTS})),
    ]
    messages = [m for messages, _ in runs for m in messages]
    assert len(messages) >= 10
    assert _languages_said(messages, language) == [language] * len(messages)
