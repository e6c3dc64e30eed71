"""The assistant over REST, end to end: real Rasa server, real action server."""

import subprocess
import sys

import pytest
import yaml

from tests.integration.conftest import ROOT, Conversation, joined, say

EVAL = ROOT.parent / "shared" / "eval"
SAFETY = yaml.safe_load((ROOT / "tests/data/safety_messages.yml").read_text(encoding="utf-8"))


OWN_CASES = ROOT / "tests" / "eval" / "paraphrases.yml"


def chat_eval(url, *args, cases=EVAL / "dev.yml"):
    result = subprocess.run(
        [
            sys.executable,
            str(EVAL / "chat_eval.py"),
            str(cases),
            "--url",
            f"{url}/webhooks/rest/webhook",
            "--show-failures",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    print(result.stdout)
    return result


@pytest.mark.skipif(not (EVAL / "dev.yml").exists(), reason="shared eval not present")
def test_english_behaviour_cases_pass_at_95_percent(stack):
    result = chat_eval(stack.url, "--lang", "en", "--min-pass", "0.95")
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.skipif(not (EVAL / "dev.yml").exists(), reason="shared eval not present")
def test_spanish_behaviour_cases_pass_at_90_percent(stack):
    result = chat_eval(stack.url, "--lang", "es", "--min-pass", "0.90")
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.skipif(not (EVAL / "chat_eval.py").exists(), reason="shared eval not present")
def test_our_own_wordings_of_the_same_questions_pass_at_95_percent(stack):
    """Other wordings of the shared cases, written without seeing the training data."""
    result = chat_eval(stack.url, "--min-pass", "0.95", cases=OWN_CASES)
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_danger_message_gets_911_first(stack, lang):
    late = []
    for text in SAFETY["danger"][lang]:
        replies = say(stack.url, text)
        if (
            not replies
            or not (replies[0].get("text") or "").startswith(("If you", "Si usted"))
            or "911" not in replies[0]["text"]
        ):
            late.append((text, replies[:1]))
    assert not late


def test_no_reply_is_ever_empty(stack):
    for text in ["asdfgh", "?", "ok", "1", "🙂", "what", "T", "jajaja", "lol no"]:
        replies = say(stack.url, text)
        assert replies and all((r.get("text") or "").strip() for r in replies), text


def test_a_danger_message_in_the_middle_of_a_self_check_gets_911_and_ends_it(stack):
    chat = Conversation(stack.url)
    assert "1 of 5" in joined(chat.say("help me check if this is trafficking"))
    assert "2 of 5" in joined(chat.say("yes"))
    replies = chat.say("he is coming with a knife")
    assert "911" in replies[0]["text"]
    follow = joined(chat.say("yes"))  # the check is over: "yes" is no longer an answer to it
    assert "3 of 5" not in follow


def test_answers_follow_the_language_of_the_user(stack):
    chat = Conversation(stack.url)
    english = joined(chat.say("how long does a t visa last"))
    assert "years" in english
    replies = chat.say("y cuanto cuesta la visa t?")
    spanish = joined(replies)
    assert "Fuente" in spanish or "Esto es" in spanish
    key = next(b["payload"] for r in replies for b in r.get("buttons") or [])
    again = joined(chat.say(key))  # a button offered in Spanish, pressed: its key, not its words
    assert "Fuente" in again  # remembered for the conversation
