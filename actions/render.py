"""Turns knowledge entries into chat messages: text, source, review date, next steps.

Channel-neutral: a message is text plus buttons whose payloads are Rasa intents
(`/ask_t_visa{"aspect":"fee"}`); each connector renders buttons its own way. The fixed
phrases ("Source: … reviewed …", "information, not legal advice") are domain responses,
so their wording lives in domain.yml with the rest of the static text.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Dict, List

from actions.knowledge import Entry, KnowledgeBase, NavigationStep, Topic

HUMAN_KEY = "human.overview"
MAX_BUTTONS = 4  # more is hard to read on a phone and on SMS as numbered options

MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
}


def language_of(tracker: Any) -> str:
    return "es" if tracker.get_slot("language") == "es" else "en"


def in_language(language: str) -> Dict[str, Any]:
    """What a message an action writes itself carries besides its text and buttons: its language,
    as metadata, so that whatever renders the message need not guess it from the words. Domain
    responses carry theirs in domain.yml."""
    return {"metadata": {"language": language}}


def format_date(day: dt.date, language: str) -> str:
    month = MONTHS[language][day.month - 1]
    return f"{day.day} de {month} de {day.year}" if language == "es" else f"{month} {day.day}, {day.year}"


def phrase(domain: Dict[str, Any], response: str, language: str, **values: Any) -> str:
    """The text of a domain response in `language`, with {placeholders} filled."""
    variants = domain.get("responses", {}).get(response, [])
    default = next((v for v in variants if not v.get("condition")), None)
    chosen = next(
        (
            v
            for v in variants
            for c in v.get("condition") or []
            if c.get("name") == "language" and c.get("value") == language
        ),
        default,
    )
    text = (chosen or {}).get("text", "")
    return text.format(**values) if values else text


def payload_for(target: Any, kb: KnowledgeBase) -> str:
    if isinstance(target, NavigationStep):
        return f"/{target.intent}"
    intent = kb.topics[target.topic].intent
    if not target.aspects:
        return f"/{intent}"
    return f"/{intent}" + json.dumps({"aspect": target.aspects[0]}, separators=(",", ":"))


def button(target: Any, kb: KnowledgeBase, language: str) -> Dict[str, str]:
    return {"title": target.button[language], "payload": payload_for(target, kb)}


def next_buttons(entry: Entry, kb: KnowledgeBase, language: str) -> List[Dict[str, str]]:
    """The entry's next steps, and always a way to a person (the hotline)."""
    keys = [k for k in entry.next if k != HUMAN_KEY][: MAX_BUTTONS - 1]
    if entry.key != HUMAN_KEY:
        keys.append(HUMAN_KEY)
    return [button(kb.lookup(k), kb, language) for k in keys]


def answer_text(entry: Entry, topic: Topic, domain: Dict[str, Any], language: str) -> str:
    source = entry.sources[0]
    lines = [
        entry.text[language].strip(),
        phrase(
            domain,
            "utter_source_line",
            language,
            source=f"{source.title} ({source.url})" if source.is_web else source.title,
            reviewed=format_date(entry.reviewed, language),
        ),
    ]
    if topic.legal:
        lines.append(phrase(domain, "utter_not_legal_advice", language))
    return "\n\n".join(line for line in lines if line)


def render_answer(entry: Entry, kb: KnowledgeBase, domain: Dict[str, Any], language: str) -> Dict[str, Any]:
    topic = kb.topics[entry.topic]
    return {
        "text": answer_text(entry, topic, domain, language),
        "buttons": next_buttons(entry, kb, language),
        **in_language(language),
    }


def topic_button(topic: Topic, language: str) -> Dict[str, str]:
    return {"title": topic.title[language], "payload": f"/{topic.intent}"}
