"""Personal data never reaches Rasa's core: each message is cleaned and scrubbed as it arrives.

Installed by bot/rasa_cli.py (what `make run` and the tests start). Before Rasa parses, logs or
stores a message, this:
- makes the text safe to process (bot.privacy.scrubber.clean_text: no control characters, at
  most HARBOR_MAX_MESSAGE_CHARS, default 2000);
- replaces personal data with placeholders ("[phone]", "[name]"…);
- drops message metadata, which Harbor does not use;
- replaces a conversation id that is itself personal data (a phone number or an e-mail address
  used as a REST sender id), or is too long to store, by an HMAC of it.
It also scrubs every log record of the process (patterns and cues), as a second net.
The tracker store scrubs again before writing (bot/storage/tracker_store.py), for a Rasa started
without this guard.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os

from bot.privacy.scrubber import Scrubber, clean_text

DEFAULT_MAX_CHARS = 2000
MAX_SENDER_CHARS = 128


def max_chars() -> int:
    return int(os.environ.get("HARBOR_MAX_MESSAGE_CHARS", DEFAULT_MAX_CHARS))


def safe_sender(sender_id: object, scrubber: Scrubber, key: bytes) -> str:
    sender = sender_id if isinstance(sender_id, str) else str(sender_id or "default")
    if len(sender) <= MAX_SENDER_CHARS and not scrubber.is_contact(sender) and sender.isprintable():
        return sender
    return "p-" + hmac.new(key, sender.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]


def prepare(message, scrubber: Scrubber, key: bytes) -> None:  # noqa: ANN001 - a rasa UserMessage
    text = message.text if isinstance(message.text, str) else ""
    message.text = scrubber.scrub(clean_text(text, max_chars()))
    message.metadata = None
    message.sender_id = safe_sender(message.sender_id, scrubber, key)


def install() -> None:
    """Wrap MessageProcessor.handle_message and the log record factory once."""
    from rasa.core.processor import MessageProcessor

    from bot.storage.keys import secret_key

    if getattr(MessageProcessor.handle_message, "harbor_guarded", False):
        return
    scrubber = Scrubber.default()
    key = secret_key("HARBOR_CHANNEL_KEY")
    unguarded = MessageProcessor.handle_message

    async def handle_message(self, message):  # noqa: ANN001
        prepare(message, scrubber, key)
        return await unguarded(self, message)

    handle_message.harbor_guarded = True
    MessageProcessor.handle_message = handle_message
    # Log records can come from any thread: patterns and cues only, no recognizer (messages
    # reach Rasa's own log lines already scrubbed, by the wrapper above).
    install_log_scrubbing(Scrubber.from_file(use_ner=False))


def install_log_scrubbing(scrubber: Scrubber) -> None:
    """Every log record's message (and exception text) is scrubbed before any handler sees it."""
    make_record = logging.getLogRecordFactory()

    def scrubbed_record(*args, **kwargs):  # noqa: ANN002, ANN003
        record = make_record(*args, **kwargs)
        try:
            record.msg, record.args = scrubber.scrub(record.getMessage()), None
        except Exception:  # noqa: BLE001 - a log line must never break the server
            record.msg, record.args = "(log message withheld: it could not be scrubbed)", None
        if record.exc_info:
            record.exc_text = scrubber.scrub(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(scrubbed_record)
