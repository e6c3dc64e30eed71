"""Help in the person's state, over REST against the real servers (issue 15).

National hotline first, then the state; asked "which state?" only when it matters; a follow-up place
answers the pending question; a refusal is respected; and the place never reaches a log file.
"""

import subprocess
import sys

import pytest
import yaml

from tests.integration.conftest import ROOT, Conversation, joined

EVAL = ROOT.parent / "shared" / "eval"
HOTLINE = "1-888-373-7888"


def test_a_place_given_after_the_question_answers_it_for_that_state(stack):
    chat = Conversation(stack.url)
    first = joined(chat.say("I need a shelter"))
    assert "Which state are you in? (optional)" in first
    assert "Skip" in first
    reply = joined(chat.say("I'm in Florida"))
    assert reply.index(HOTLINE) < reply.index("In Florida:")
    florida = yaml.safe_load((ROOT / "data" / "referrals" / "fl.yml").read_text(encoding="utf-8"))
    shelter_kinds = ("domestic_violence", "trafficking", "basic_needs")
    listed = [item["name"]["en"] for kind in shelter_kinds for item in florida["resources"].get(kind, [])]
    assert listed and any(name in reply for name in listed), (listed, reply)  # data/referrals/fl.yml


def test_a_place_named_in_the_question_needs_no_question(stack):
    reply = joined(Conversation(stack.url).say("free immigration lawyer in New York"))
    assert "In New York:" in reply and "LawHelpNY" in reply
    assert "Which state are you in?" not in reply
    assert "free" in reply.lower()


def test_in_spanish(stack):
    reply = joined(Conversation(stack.url).say("necesito ayuda legal gratis, vivo en Florida"))
    assert "En Florida:" in reply
    assert "¿En qué estado está?" not in reply


def test_a_city_gives_its_state(stack):
    reply = joined(Conversation(stack.url).say("is there a shelter near Atlanta?"))
    assert "Georgia" in reply
    assert HOTLINE in reply


def test_a_city_in_several_states_is_asked_about(stack):
    chat = Conversation(stack.url)
    chat.say("I need a lawyer but can't pay")
    replies = chat.say("I'm in Springfield")
    titles = [b["title"] for r in replies for b in r.get("buttons") or []]
    assert {"Illinois", "Missouri", "Massachusetts"} <= set(titles) and "Skip" in titles
    reply = joined(chat.say("Massachusetts"))
    assert "Massachusetts" in reply


def test_a_refusal_gets_the_national_answer_and_is_not_asked_again(stack):
    chat = Conversation(stack.url)
    chat.say("I need a shelter")
    reply = joined(chat.say("I'd rather not say"))
    assert HOTLINE in reply
    assert "Which state" not in reply
    later = joined(chat.say("I need a lawyer but can't pay"))
    assert "Which state are you in?" not in later


def test_the_place_is_never_written_to_a_log(stack):
    chat = Conversation(stack.url)
    chat.say("I need a shelter")
    chat.say("I live in Tucson")
    chat.say("necesito un abogado, vivo en Nuevo México")
    logs = list(stack.log_dir.glob("*.log"))
    assert logs, "the servers wrote no log files to check"
    text = "\n".join(log.read_text(encoding="utf-8", errors="replace") for log in logs).lower()
    for word in ("tucson", "arizona", "nuevo méxico", "nuevo mexico", "new mexico", '"az"', "'az'", '"nm"', "'nm'"):
        assert word not in text, word


@pytest.mark.skipif(not (EVAL / "dev_conversations.yml").exists(), reason="shared eval not present")
def test_the_shared_state_cases_pass(stack):
    result = subprocess.run(
        [
            sys.executable,
            str(EVAL / "chat_eval.py"),
            str(EVAL / "dev_conversations.yml"),
            "--url",
            f"{stack.url}/webhooks/rest/webhook",
            "--cat",
            "state_referral",
            "--min-pass",
            "1.0",
            "--show-failures",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    print(result.stdout)
    assert result.returncode == 0, result.stdout[-3000:]
