"""Contact details (911, 988, the hotlines, HSI …): data/contacts.yml, the one place they live.

The one reader of that file. Knowledge text refers to a detail by placeholder, `{hotline.phone}`,
filled by `fill`; the widget page gets the same values from the server. No Rasa imports, so
actions, channels, the privacy scrubber and tests can all use it.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

import yaml

CONTACTS_FILE = Path(__file__).resolve().parent.parent / "data" / "contacts.yml"
LANGUAGES = ("en", "es")
NUMBER_FIELDS = ("phone", "text", "tty")  # public numbers: what a person dials or texts
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\}")


class ContactError(ValueError):
    """data/contacts.yml is malformed, or a text names a contact detail that does not exist."""


@functools.lru_cache(maxsize=4)
def contacts(file: Path = CONTACTS_FILE) -> Mapping[str, Mapping[str, Any]]:
    """Every contact by key (`hotline`, `dv_hotline` …), each a mapping of its fields."""
    data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    found = data.get("contacts")
    if not isinstance(found, dict) or not found:
        raise ContactError(f"{file}: `contacts` must be a non-empty mapping")
    for key, fields in found.items():
        if not isinstance(fields, dict) or not isinstance(fields.get("source"), dict):
            raise ContactError(f"{file}: {key}: every contact needs its fields and a source")
        for name in NUMBER_FIELDS:
            if name in fields and not re.fullmatch(r"(1-)?(\d{3}-)?\d{3}(-\d{4})?|\d{5,6}", str(fields[name])):
                raise ContactError(
                    f"{file}: {key}.{name}: {fields[name]!r} is not written like 1-888-373-7888, 911 or 233733"
                )
    return found


def value(key: str, field: str, language: str = "en") -> str:
    """One detail as written, in `language` where it has one (`name`)."""
    try:
        found = contacts()[key][field]
    except KeyError:
        raise ContactError(f"no contact detail {{{key}.{field}}} in data/contacts.yml") from None
    if isinstance(found, dict):
        return str(found.get(language) or found["en"])
    return str(found)


def fill(text: str, language: str = "en") -> str:
    """`text` with each `{key.field}` replaced by that contact detail."""
    return PLACEHOLDER.sub(lambda m: value(m.group(1), m.group(2), language), text)


def public_phone_numbers() -> Tuple[str, ...]:
    """Every public number (phones, text codes, TTY) as written, for callers and the scrubber."""
    numbers = []
    for fields in contacts().values():
        for name in NUMBER_FIELDS:
            if name in fields and str(fields[name]) not in numbers:
                numbers.append(str(fields[name]))
    return tuple(numbers)


def _pattern(number: str) -> "re.Pattern[str]":
    """`number` however it is written: 1-888-373-7888, (888) 373-7888, 888.373.7888, 18883737888 …"""
    digits = re.sub(r"\D", "", number)
    if len(digits) >= 10:
        digits = digits[-10:]
        body = r"[-. ]?".join([r"\(?" + digits[:3] + r"\)?", digits[3:6], digits[6:]])
        return re.compile(r"(?<![\w-])(?:\+?1[-. ]?)?" + body + r"(?![\w-])")
    return re.compile(r"(?<![\w.,$/-])" + re.escape(digits) + r"(?![\w,/-]|\.\d)")


def typed_contact(text: str) -> Optional[Tuple[str, str]]:
    """(what was typed, the placeholder to use) for the first public number typed in `text`, else None."""
    for key, fields in contacts().items():
        for name in NUMBER_FIELDS:
            if name in fields:
                found = _pattern(str(fields[name])).search(text)
                if found:
                    return found.group(0), f"{{{key}.{name}}}"
    return None


def numbers_written_differently(text: str) -> List[str]:
    """Public numbers in `text` written otherwise than in data/contacts.yml (e.g. 888-373-7888)."""
    wrong = []
    for fields in contacts().values():
        for name in NUMBER_FIELDS:
            if name in fields:
                wrong += [
                    m.group(0) for m in _pattern(str(fields[name])).finditer(text) if m.group(0) != str(fields[name])
                ]
    return wrong


def widget_values(language: str = "en") -> Dict[str, str]:
    """`{{key.field}}` → value for every detail, for the widget page's placeholders."""
    return {
        f"{{{{{key}.{field}}}}}": value(key, field, language)
        for key, fields in contacts().items()
        for field in fields
        if field not in ("source", "note")
    }
