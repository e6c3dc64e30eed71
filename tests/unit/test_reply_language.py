"""The language of what the assistant says reaches the channels as metadata (never guessed from
words), and the Rasa 3.6 behaviour this relies on, unpatched: each test below fails if a Rasa or
rasa_sdk upgrade stops carrying a response's `metadata` to the output channel, or a message's
metadata to the NLU pipeline (bot/nlu/choice.py)."""

from pathlib import Path

import pytest
from rasa.core.actions.action import ActionBotResponse, RemoteAction
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.graph_components.converters.nlu_message_converter import NLUMessageConverter
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk.executor import CollectingDispatcher

from bot.channels import reply_language
from bot.storage.shared_state import MemoryState
from tests.conftest import run_coroutine

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "message, expected",
    [
        ({"text": "Hola", "metadata": {"language": "es"}}, "es"),
        ({"metadata": {"language": "en"}, "utter_action": "utter_greet"}, "en"),
        ({"text": "Did you mean 'greet'?"}, None),  # Rasa's own message: says nothing
        ({"metadata": {"language": "fr"}}, None),
        ({"metadata": "es"}, None),
        ({"metadata": None}, None),
    ],
)
def test_a_message_says_its_language_in_its_metadata_only(message, expected):
    assert reply_language.of(message) == expected


def test_the_last_language_is_kept_per_conversation_and_channel():
    state = MemoryState()
    twilio, telegram = reply_language.LastLanguage(state, "twilio"), reply_language.LastLanguage(state, "telegram")

    async def check():
        assert await twilio.get("c1") is None
        await twilio.remember("c1", "es")
        await twilio.remember("c1", None)  # a turn that said nothing changes nothing
        await twilio.remember("c1", "fr")
        assert await twilio.get("c1") == "es" and await twilio.get("c2") is None
        assert await telegram.get("c1") is None

    run_coroutine(check())


# --- what Rasa 3.6 does with it (no patch: these pin the behaviour) ------------------------------------


class Recorder(OutputChannel):
    def __init__(self):
        self.sent = []

    async def send_text_message(self, recipient_id, text, **kwargs):
        self.sent.append(("text", text, kwargs))

    async def send_text_with_buttons(self, recipient_id, text, buttons, **kwargs):
        self.sent.append(("buttons", text, kwargs))


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain.yml"))


def tracker_in(domain, language):
    return DialogueStateTracker.from_events("someone", [SlotSet("language", language)], domain.slots)


def deliver(events):
    """What rasa.core.processor.MessageProcessor._send_bot_messages does with a turn's events."""
    channel = Recorder()

    async def send():
        for event in events:
            await channel.send_response("someone", event.message())

    run_coroutine(send())
    return channel.sent


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_domain_responses_metadata_reaches_the_output_channel(domain, language):
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    events = run_coroutine(ActionBotResponse("utter_greet").run(Recorder(), nlg, tracker_in(domain, language), domain))
    ((kind, _, kwargs),) = deliver(events)
    assert kind == "buttons" and reply_language.of(kwargs) == language


@pytest.mark.parametrize("language", ["en", "es"])
def test_an_action_messages_metadata_reaches_the_output_channel(domain, language):
    dispatcher = CollectingDispatcher()
    dispatcher.utter_message(text="An answer.", metadata={"language": language})
    dispatcher.utter_message(response="utter_which_topic", buttons=[{"title": "T", "payload": "/ask_t_visa"}])
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    events = run_coroutine(
        RemoteAction._utter_responses(dispatcher.messages, Recorder(), nlg, tracker_in(domain, language))
    )
    sent = deliver(events)
    assert [reply_language.of(kwargs) for _, _, kwargs in sent] == [language, language]


def test_a_user_messages_metadata_reaches_the_nlu_pipeline():
    (message,) = NLUMessageConverter().convert_user_message(
        [UserMessage("start", metadata={"harbor": {"start": True, "language": "es"}})]
    )
    assert message.get("metadata") == {"harbor": {"start": True, "language": "es"}}
