"""What happens when parts fail: the user still gets a helpful answer, never silence."""

import sys
import time

import pytest
import yaml

from bot.launcher import ROOT, Server, Stack, server_env
from tests.integration.conftest import joined, require_model, say


@pytest.fixture(scope="module")
def stack_without_actions(tmp_path_factory):
    """A running assistant whose action server is then stopped."""
    with Stack(
        require_model(),
        rasa_port=15105,
        action_port=15155,
        log_dir=tmp_path_factory.mktemp("logs"),
        env={"HARBOR_ACTION_TIMEOUT": "5"},
    ) as running:
        assert say(running.url, "hello")  # both up
        running.actions.stop()
        yield running


@pytest.mark.parametrize("text", ["I am in danger", "he has a gun", "estoy en peligro"])
def test_danger_still_gets_911_first(stack_without_actions, text):
    replies = say(stack_without_actions.url, text)
    assert "911" in replies[0]["text"]
    assert "1-888-373-7888" in joined(replies)


@pytest.mark.parametrize(
    "text, words",
    [
        ("how long does a t visa last", ["Sorry", "1-888-373-7888", "911"]),
        ("¿cuánto dura la visa T?", ["Lo siento", "1-888-373-7888", "911"]),
    ],
)
def test_a_question_gets_an_apology_the_hotline_and_911(stack_without_actions, text, words):
    reply = joined(say(stack_without_actions.url, text))
    for word in words:
        assert word in reply


def test_a_refused_action_server_gets_the_apology_at_once_not_after_the_timeout(stack_without_actions):
    started = time.monotonic()
    reply = joined(say(stack_without_actions.url, "what is continued presence"))
    took = time.monotonic() - started
    assert "1-888-373-7888" in reply and "911" in reply
    assert took < 2.0, f"{took:.1f} s: the fallback waited for HARBOR_ACTION_TIMEOUT (5 s here)"


def test_static_answers_still_work(stack_without_actions):
    assert "Harbor" in joined(say(stack_without_actions.url, "hello"))


def test_a_broken_knowledge_file_stops_the_action_server_at_start(tmp_path):
    broken = tmp_path / "knowledge"
    broken.mkdir()
    for source in (ROOT / "data" / "knowledge").glob("*.yml"):
        (broken / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    t_visa = yaml.safe_load((broken / "t_visa.yml").read_text(encoding="utf-8"))
    del t_visa["entries"][1]["reviewed"]
    (broken / "t_visa.yml").write_text(yaml.safe_dump(t_visa, allow_unicode=True), encoding="utf-8")

    server = Server(
        "action server",
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", "15255"],
        "http://127.0.0.1:15255/health",
        tmp_path / "actions.log",
    )
    server.start(server_env({"HARBOR_KNOWLEDGE_DIR": str(broken)}))
    try:
        code = server.process.wait(timeout=120)
    finally:
        server.stop()
    log = (tmp_path / "actions.log").read_text()
    assert code != 0
    assert "t_visa.yml" in log and "entries[1].reviewed" in log and "missing" in log
