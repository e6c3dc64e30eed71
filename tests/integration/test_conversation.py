"""Every example of issue 13, over REST against the real servers: each gets a useful answer."""

import pytest

from tests.integration.conftest import Conversation, joined, say

FALLBACKS = (
    "sorry, i didn't get that",
    "i'm not sure i understood",
    "sorry, i can't help with that",
    "lo siento, no entendí",
    "no estoy seguro de haber entendido",
)


def text_of(replies) -> str:
    return joined(replies).lower()


def useful(reply: str) -> bool:
    return bool(reply.strip()) and not any(f in reply for f in FALLBACKS)


def test_a_follow_up_is_answered_for_the_t_visa(stack):
    chat = Conversation(stack.url)
    assert "traffick" in text_of(chat.say("what is a T visa?"))
    later = text_of(chat.say("how long does it take"))
    assert useful(later) and ("processing" in later or "4 years" in later)
    assert "no fee" in text_of(chat.say("does it cost money"))
    kids = text_of(chat.say("can my kids come too"))
    assert useful(kids) and "children" in kids


def test_a_spanish_follow_up_about_children_is_answered_for_the_t_visa(stack):
    chat = Conversation(stack.url)
    chat.say("¿qué es la visa T?")
    reply = text_of(chat.say("y mis hijos?"))
    assert "hijos" in reply and "hola, soy harbor" not in reply


def test_an_eligibility_question_gets_requirements_not_a_yes(stack):
    replies = say(stack.url, "I came on a work visa and my employer took my passport. Can I get a T visa?")
    reply = text_of(replies)
    assert not (replies[0].get("text") or "").lower().startswith(("yes", "sí"))
    assert "you qualify" not in reply and "yes." not in reply
    assert "t visa" in reply and "must" in reply and "legal" in reply


def test_a_story_and_a_question_get_the_t_visa_and_what_the_story_may_mean(stack):
    reply = text_of(
        say(stack.url, "the family I clean for keeps my passport and hasn't paid me in a year — can I get papers?")
    )
    assert "t visa" in reply
    assert "sign of human trafficking" in reply and "1-888-373-7888" in reply


def test_a_comparison_gets_both_protections(stack):
    reply = text_of(say(stack.url, "compare the T and U visa"))
    assert "t visa" in reply and "u visa" in reply and "10,000" in reply


def test_danger_and_a_question_get_911_first_then_the_vawa_answer(stack):
    replies = say(stack.url, "my wife is a citizen and she hits me, can I fix my status on my own?")
    assert "911" in replies[0]["text"]
    assert "vawa" in text_of(replies[2:])


@pytest.mark.parametrize(
    "text, words",
    [
        ("how do I get back the wages my employer never paid me", ["1-866-487-9243"]),
        ("can I clear my criminal record from when I was trafficked", ["vacate", "state"]),
        ("what do I do if ICE detains me", ["lawyer"]),
        ("how long is uscis taking to process t visas now", ["egov.uscis.gov/processing-times"]),
        ("the trafficker kept my passport, how do I get a new one", ["consulate"]),
        ("who takes care of my kids if I get detained", ["children"]),
        ("the trafficker is threatening my family back home", ["danger", "family"]),
        ("i feel very depressed and can't sleep", ["988"]),
        ("I have no food for my children", ["211"]),
        ("can the state pay my medical bills from the crime", ["compensation"]),
        ("will getting food stamps hurt my green card", ["public charge", "exempt"]),
        ("does calling the hotline count as reporting for the t visa", ["not law enforcement", "does not count"]),
        ("necesito comida para mis hijos", ["211"]),
        ("¿cuánto tarda la visa U?", ["egov.uscis.gov/processing-times"]),
    ],
)
def test_questions_with_no_answer_before_now_get_one(stack, text, words):
    reply = text_of(say(stack.url, text))
    assert useful(reply), reply
    for word in words:
        assert word in reply, (text, reply[:400])
