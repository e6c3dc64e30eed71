"""Two Rasa servers behind no balancer at all: each message of a conversation goes to the other
server; PostgreSQL keeps the conversations, Redis the locks and the channels' state."""

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from bot.launcher import Stack, server_env
from tests.persistence.conftest import PERSONAL_MESSAGES, SECRETS, joined, new_sender, require_model, say, stored_id

API_TOKEN = "test-token-not-a-secret-0123456789abcdef"
KEY = "shared-test-key-for-two-servers-0123456789"


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory, postgres_url, redis_url):
    data = tmp_path_factory.mktemp("scale-out")
    env = {
        "HARBOR_DATA_DIR": str(data),
        "HARBOR_DATABASE_URL": postgres_url,
        "HARBOR_REDIS_URL": redis_url,
        "HARBOR_CHANNEL_KEY": KEY,
        "HARBOR_SESSION_KEY": "shared-test-session-key-0123456789abcdef",
    }
    first = Stack(
        require_model(),
        rasa_port=15605,
        action_port=15655,
        log_dir=data / "logs",
        env={**env, "HARBOR_API_TOKEN": API_TOKEN},
    )
    second = Stack(require_model(), rasa_port=15615, action_port=15655, log_dir=data / "logs", env=env)
    with first:
        second.rasa.start(server_env(env))
        try:
            second.rasa.wait_ready(240)
            yield first, second, postgres_url
        finally:
            second.rasa.stop()


def test_a_conversation_alternating_between_two_servers_stays_coherent(two_servers):
    first, second, _ = two_servers
    servers = [first.url, second.url]
    sender = new_sender()
    turns = [
        ("help me check if this is trafficking", "1 of 5"),
        ("yes", "2 of 5"),
        ("yes", "3 of 5"),
        ("what is continued presence?", "3 of 5"),  # a question mid-check: answered, then resumed
        ("no", "4 of 5"),
        ("no", "5 of 5"),
        ("no", "3 of 5 signs"),  # yes, yes, no, no, cannot leave
    ]
    for number, (text, expected) in enumerate(turns):
        reply = joined(say(servers[number % 2], sender, text))
        assert expected in reply, (number, text, reply)
    # the language, remembered in the conversation, follows it from one server to the other
    assert "visa T" in joined(say(servers[1], sender, "hola, ¿qué es la visa T?"))
    spanish = joined(say(servers[0], sender, "ayudame a ver mis opciones migratorias"))
    assert "¿" in spanish or "usted" in spanish.lower(), spanish


def test_postgresql_holds_the_conversation_without_personal_data(two_servers):
    first, second, postgres_url = two_servers
    sender = new_sender()
    for number, (text, _) in enumerate(PERSONAL_MESSAGES):
        say((first.url, second.url)[number % 2], sender, text)
    engine = sa.create_engine(postgres_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("select data from events where sender_id = :s order by id"), {"s": stored_id(sender, key=KEY)}
        ).fetchall()
    engine.dispose()
    texts = [json.loads(data).get("text") for (data,) in rows if json.loads(data).get("event") == "user"]
    assert len(texts) == len(PERSONAL_MESSAGES) and "[name]" in texts[0]
    everything = "\n".join(data for (data,) in rows)
    for secret in SECRETS[:-1]:
        assert secret not in everything, secret


def status(url: str, token: str = None) -> int:
    query = f"?token={token}" if token else ""
    try:
        with urllib.request.urlopen(f"{url}/status{query}", timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_rasa_http_api_is_off_unless_started_with_a_token(two_servers):
    first, second, _ = two_servers
    assert status(second.url) == 404  # started without a token: no API at all
    assert status(first.url) == 401  # with one: refused without it
    assert status(first.url, "wrong") == 401
    assert status(first.url, API_TOKEN) == 200


def test_simultaneous_messages_of_one_conversation_on_both_servers_are_taken_one_at_a_time(two_servers):
    """The Redis lock store: without it, two servers would write the same conversation at once."""
    first, second, postgres_url = two_servers
    sender = new_sender()
    questions = [
        "what is a t visa",
        "what is a u visa",
        "what is continued presence",
        "what is vawa",
        "what is the hotline number",
    ] * 2
    with ThreadPoolExecutor(len(questions)) as pool:
        replies = list(
            pool.map(lambda i: say((first.url, second.url)[i % 2], sender, questions[i]), range(len(questions)))
        )
    engine = sa.create_engine(postgres_url)
    with engine.connect() as connection:
        events = [
            json.loads(data)
            for (data,) in connection.execute(
                sa.text("select data from events where sender_id = :s order by id"), {"s": stored_id(sender, key=KEY)}
            )
        ]
    engine.dispose()
    users = [i for i, event in enumerate(events) if event["event"] == "user"]
    assert len(users) == len(questions)
    for index in users[1:]:  # each turn finished (the bot listening again) before the next began
        assert events[index - 1]["event"] == "action" and events[index - 1]["name"] == "action_listen"
    assert sum(event["event"] == "bot" for event in events) == sum(len(r) for r in replies)
