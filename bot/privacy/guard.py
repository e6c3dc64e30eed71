"""Personal data and commands never reach Rasa's core: each message is made safe as it arrives.

Installed (once, however Rasa is started) by bot/runtime.py. Before Rasa locks, parses, logs or
stores a message, this:
- makes the text safe to process (bot.privacy.scrubber.clean_text: no control characters, at
  most HARBOR_MAX_MESSAGE_CHARS, default 2000, keeping the beginning and the end);
- makes typed text plain text: Rasa reads a message starting with "/" as an intent with slots
  (`/restart`, `/switch_language{…}`), so leading slashes are removed — unless the channel
  marked the message as the payload of a button the assistant offered in that conversation
  (bot/channels/offers.py);
- replaces personal data with placeholders ("[phone]", "[name]"…);
- replaces the message metadata, whatever a caller sent, by the choice its channel marked on the
  message, if any (bot/choices.py: Telegram's /start, the widget's language switch), or nothing;
- replaces a conversation id that is itself personal data (a phone number or an e-mail
  address), not printable or too long to store, by an HMAC of it (a key of its own).
The scrubbing (spaCy's recognizer) runs in a worker thread, off the server's event loop.
It also scrubs every log record of the process, Python warnings included, as a second net.
The tracker store scrubs again before writing or streaming (bot/storage/tracker_store.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
from typing import Any

from bot import choices
from bot.privacy.scrubber import Scrubber, clean_text
from bot.settings import max_message_chars

MAX_SENDER_CHARS = 128
OFFERED = "harbor_offered_payload"
LEADING_COMMAND = re.compile(r"^[\s/]+")


def mark_offered(message: Any) -> Any:
    """Marks a UserMessage whose text is the payload of a button offered in its conversation."""
    setattr(message, OFFERED, True)
    return message


def is_offered(message: Any) -> bool:
    return getattr(message, OFFERED, False) is True


def as_text(text: str) -> str:
    """Typed text that Rasa cannot read as a command: no leading slashes."""
    return LEADING_COMMAND.sub("", text)


def safe_sender(sender_id: object, scrubber: Scrubber, key: bytes) -> str:
    sender = sender_id if isinstance(sender_id, str) else str(sender_id or "default")
    if len(sender) <= MAX_SENDER_CHARS and not scrubber.is_contact(sender) and sender.isprintable():
        return sender
    digest = hmac.new(key, b"guard\n" + sender.encode("utf-8", "replace"), hashlib.sha256).hexdigest()
    return "p-" + digest[:32]


def prepare(message: Any, scrubber: Scrubber, key: bytes) -> None:
    """Makes a rasa UserMessage safe, in place."""
    text = clean_text(message.text if isinstance(message.text, str) else "", max_message_chars())
    if not is_offered(message):
        text = scrubber.scrub(as_text(text))
    message.text = text
    message.metadata = choices.as_metadata(choices.chosen(message))
    message.sender_id = safe_sender(message.sender_id, scrubber, key)


def install() -> None:
    """Wraps Agent.handle_message (before the conversation's lock is taken) and the log record
    factory, once."""
    from rasa.core.agent import Agent

    from bot.storage.keys import secret_key

    if getattr(Agent.handle_message, "harbor_guarded", False):
        return
    scrubber = Scrubber.default()
    key = secret_key("HARBOR_CHANNEL_KEY")
    unguarded = Agent.handle_message

    async def handle_message(self, message):  # Rasa's signature
        await asyncio.get_running_loop().run_in_executor(None, prepare, message, scrubber, key)
        return await unguarded(self, message)

    handle_message.harbor_guarded = True
    Agent.handle_message = handle_message
    # Log records can come from any thread: patterns and cues only, no recognizer (messages
    # reach Rasa's own log lines already scrubbed, by the wrapper above).
    install_log_scrubbing(Scrubber.from_file(use_ner=False))


def installed() -> bool:
    from rasa.core.agent import Agent

    return getattr(Agent.handle_message, "harbor_guarded", False) is True


def install_log_scrubbing(scrubber: Scrubber) -> None:
    """Every log record's message (and exception text) is scrubbed before any handler sees it.
    Python warnings go through logging too, so they are scrubbed the same way."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "harbor_scrubbed", False):
        return

    def scrubbed_record(*args, **kwargs):
        record = make_record(*args, **kwargs)
        try:
            record.msg, record.args = scrubber.scrub(record.getMessage()), None
        except Exception:  # noqa: BLE001 - a log line must never break the server
            record.msg, record.args = "(log message withheld: it could not be scrubbed)", None
        if record.exc_info:
            record.exc_text = scrubber.scrub(logging.Formatter().formatException(record.exc_info))
        return record

    scrubbed_record.harbor_scrubbed = True
    logging.setLogRecordFactory(scrubbed_record)
    logging.captureWarnings(True)
