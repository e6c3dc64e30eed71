"""Removes personal data from a message: phone numbers, e-mail addresses, street addresses,
A-numbers, Social Security numbers, dates (of birth) and people's names, in English and Spanish.

    Scrubber.default().scrub("me llamo Ana, mi número es 555-201-3344") == "me llamo [name], mi número es [phone]"

Patterns and placeholders live in data/privacy/personal_data.yml. Names are found by spaCy's
named-entity recognizer (PERSON) and by cues such as "my name is" / "me llamo". The assistant
answers from the topic of a message, so nothing it needs is lost.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, List, Optional, Pattern, Sequence, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
PATTERNS_FILE = ROOT / "data" / "privacy" / "personal_data.yml"
SPACY_PIPELINE = "en_core_web_sm"
NAME_PLACEHOLDER = "[name]"
PLACEHOLDER = re.compile(r"\[[a-z-]+\]")
NAME_WORD = r"[^\W\d_][\w'’.-]*"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


@dataclass(frozen=True)
class Kind:
    name: str
    placeholder: str
    patterns: Tuple[Pattern[str], ...]
    possible_in: Tuple[str, ...] = ()  # phone numbers: regions where any possible number counts
    valid_in: Tuple[str, ...] = ()  # … and where only a valid number does


def _phone_spans(text: str, kind: Kind) -> List[Tuple[int, int]]:
    """Where libphonenumber finds a phone number of the kind's regions (or any +number)."""
    from phonenumbers import Leniency, PhoneNumberMatcher

    spans = []
    for regions, leniency in ((kind.possible_in, Leniency.POSSIBLE), (kind.valid_in, Leniency.VALID)):
        for region in regions:
            spans.extend((m.start, m.end) for m in PhoneNumberMatcher(text, region, leniency=leniency))
    return spans


def _cue_pattern(cues: Iterable[str], flags: int) -> Optional[Pattern[str]]:
    cues = sorted({c.strip() for c in cues if c.strip()}, key=len, reverse=True)
    if not cues:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(c) for c in cues) + r")\.?,?\s+", flags)


class Scrubber:
    """Finds personal data with patterns, cues and (optionally) a spaCy NER pipeline."""

    def __init__(self, config: dict, find_person_names: Optional[Callable[[str], List[Tuple[int, int]]]] = None):
        self.kinds = [
            Kind(
                name,
                spec["placeholder"],
                tuple(re.compile(p, re.IGNORECASE) for p in spec.get("patterns") or ()),
                tuple(spec.get("possible_in") or ()),
                tuple(spec.get("valid_in") or ()),
            )
            for name, spec in (config.get("kinds") or {}).items()
        ]
        self._cues = _cue_pattern(config.get("name_cues") or (), re.IGNORECASE)
        # The cue is matched in any case, the name after it only when capitalised.
        self._capitalised_cues = _cue_pattern(config.get("capitalised_name_cues") or (), re.IGNORECASE)
        self._stop = set(str(config.get("name_stop_words") or "").lower().split())
        self._not_names = {w.lower() for w in config.get("not_names") or ()}
        # Public numbers people ask about (the hotline, 911, 988 …) are kept as written: they come
        # from data/contacts.yml, the one home of contact details (bot/contacts.py).
        from bot.contacts import public_phone_numbers

        numbers = list(config.get("public_numbers") or ()) + list(public_phone_numbers())
        self._public_numbers = {re.sub(r"\D", "", n) for n in numbers} | {_last_ten_digits(n) for n in numbers}
        self._find_person_names = find_person_names
        self._relation_cues = _cue_pattern(config.get("relation_cues") or (), re.IGNORECASE)
        self._surname_endings = tuple(config.get("surname_endings") or ())
        self._not_given = set(str(config.get("not_given_names") or "").lower().split()) | self._stop
        self._given_names = given_name_checker() if self._relation_cues is not None else None
        # Texts this scrubber produced: scrubbing them again would change nothing (a bounded
        # cache of clean texts only, so no personal data is kept here).
        self._clean: "OrderedDict[str, None]" = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: Path = PATTERNS_FILE, use_ner: bool = True) -> "Scrubber":
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(config, spacy_person_finder() if use_ner else None)

    @classmethod
    def default(cls) -> "Scrubber":
        return _default_scrubber()

    # ------------------------------------------------------------------------------------------

    def scrub(self, text: str) -> str:
        """The text with each piece of personal data replaced by its placeholder."""
        if not text or not isinstance(text, str):
            return text
        with self._lock:
            if text in self._clean:
                return text
        scrubbed = self._scrub(text)
        with self._lock:
            self._clean[scrubbed] = None
            while len(self._clean) > 4096:
                self._clean.popitem(last=False)
        return scrubbed

    def _public(self, kind: Kind, found: str) -> bool:
        digits = re.sub(r"\D", "", found)
        return bool(digits) and (digits in self._public_numbers or _last_ten_digits(found) in self._public_numbers)

    def _scrub(self, text: str) -> str:
        for kind in self.kinds:
            if kind.possible_in or kind.valid_in:
                found = _phone_spans(text, kind)
                public = [s for s in found if self._public(kind, text[s[0] : s[1]])]
                spans = [
                    s for s in found if s not in public and not any(s[0] < p[1] and p[0] < s[1] for p in public)
                ]  # part of a public number
                text = self._replace_spans(text, spans, kind.placeholder)

            def replace(match: "re.Match[str]", kind: Kind = kind) -> str:
                if self._public(kind, match.group()):
                    return match.group()
                if "pii" in match.re.groupindex and match.group("pii"):
                    start, end = match.span("pii")
                    whole = match.group()
                    offset = match.start()
                    return whole[: start - offset] + kind.placeholder + whole[end - offset :]
                return kind.placeholder

            for pattern in kind.patterns:
                text = pattern.sub(replace, text)
        spans = self._cued_names(text)
        # The recognizer only ever keeps capitalised names (see _is_name): without a capital
        # letter, there is nothing for it to find, and the cost of running it is saved.
        if self._find_person_names and any(ch.isupper() for ch in text):
            spans += [
                span
                for span in map(lambda s: self._trim(text, s), self._find_person_names(text))
                if span and self._is_name(text[span[0] : span[1]])
            ]
        return self._replace_spans(text, spans)

    def _is_name(self, span: str) -> bool:
        span = span.strip(" .,'’")
        # The recognizer also tags lower-case words in Spanish text ("al"): a name is capitalised.
        return (
            bool(span)
            and span[:1].isupper()
            and span.lower() not in self._not_names
            and not PLACEHOLDER.search(span)
            and any(ch.isalpha() for ch in span)
            and not any(ch.isdigit() for ch in span)
        )

    def _trim(self, text: str, span: Tuple[int, int]) -> Optional[Tuple[int, int]]:
        """A recognised span without the question or function words it may start with ("Qué ...")."""
        start, end = span
        for word in re.finditer(r"\S+", text[start:end]):
            if word.group().lower().strip("¿¡?!.,") not in self._stop:
                return (start + word.start(), end)
        return None

    def _related_names(self, text: str) -> List[Tuple[int, int]]:
        """Lower-case names after a word for a person: "mi jefe juan perez" -> "mi jefe [name]"."""
        spans: List[Tuple[int, int]] = []
        if self._relation_cues is None or self._given_names is None:
            return spans
        for cue in self._relation_cues.finditer(text):
            words = list(re.finditer(NAME_WORD, text[cue.end() :]))[:4]
            if not words or words[0].start() != 0:
                continue
            first = words[0].group().rstrip(".").lower()
            if first in self._not_given or PLACEHOLDER.fullmatch(first) or not self._given_names(first):
                continue
            end = cue.end() + words[0].start() + len(words[0].group().rstrip("."))
            for word in words[1:]:
                gap = text[end : cue.end() + word.start()]
                token = word.group().rstrip(".").lower()
                if not re.fullmatch(r"[ \t]+", gap) or token in self._not_given or PLACEHOLDER.fullmatch(token):
                    break
                capitalised = word.group()[:1].isupper() and words[0].group()[:1].isupper()
                if not (capitalised or self._given_names(token) or token.endswith(self._surname_endings)):
                    break
                end = cue.end() + word.start() + len(word.group().rstrip("."))
            spans.append((cue.end(), end))
        return spans

    def _cued_names(self, text: str) -> List[Tuple[int, int]]:
        spans = self._related_names(text)
        for pattern, capitalised in ((self._cues, False), (self._capitalised_cues, True)):
            if pattern is None:
                continue
            for cue in pattern.finditer(text):
                span = self._name_after(text, cue.end(), capitalised)
                if span:
                    spans.append(span)
        return spans

    def _name_after(self, text: str, start: int, capitalised: bool) -> Optional[Tuple[int, int]]:
        end, words = start, 0
        for word in re.finditer(NAME_WORD, text[start:]):
            if words and not re.fullmatch(r"[ \t]+", text[end : start + word.start()]):
                break  # a name's words are separated by spaces only
            if words == 0 and word.start() != 0:
                break  # the name must follow the cue directly
            token = word.group().rstrip(".")
            if token.lower() in self._stop or PLACEHOLDER.fullmatch(token) or (capitalised and not token[:1].isupper()):
                break
            end = start + word.start() + len(token)
            words += 1
            if words == 3:
                break
        return (start, end) if words else None

    @staticmethod
    def _replace_spans(text: str, spans: Sequence[Tuple[int, int]], placeholder: str = NAME_PLACEHOLDER) -> str:
        merged: List[Tuple[int, int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        for start, end in reversed(merged):
            text = text[:start] + placeholder + text[end:]
        return text

    def is_contact(self, value: str) -> bool:
        """A whole value that is a phone number or holds an e-mail address (a sender id, say)."""
        value = re.sub(r"^(?:whatsapp|tel|sms):", "", value.strip(), flags=re.IGNORECASE)
        for kind in self.kinds:
            if kind.name == "email" and any(p.search(value) for p in kind.patterns):
                return True
            if kind.name == "phone" and (
                any(p.fullmatch(value) for p in kind.patterns)
                or any((start, end) == (0, len(value)) for start, end in _phone_spans(value, kind))
            ):
                return True
        return False

    def scrub_value(self, value: Any) -> Any:
        """Scrubs every string inside a JSON-like value (dicts, lists, strings)."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, list):
            return [self.scrub_value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.scrub_value(v) for k, v in value.items()}
        return value


def _last_ten_digits(value: str) -> str:
    return re.sub(r"\D", "", value)[-10:]


def clean_text(text: str, max_chars: int) -> str:
    """A message made safe to process: Unicode normalised, control characters removed,
    at most `max_chars` long (its beginning and its end, where a cry for help may be)."""
    text = unicodedata.normalize("NFC", text)
    text = CONTROL.sub(" ", text.replace("\r\n", "\n"))
    text = text.strip()
    if len(text) > max_chars:
        half = max_chars // 2
        text = text[:half].rstrip() + " … " + text[-half:].lstrip()
    return text


def given_name_checker() -> Callable[[str], bool]:
    """Whether a lower-case word is a given name, by the name list of `gender-guesser`
    (about 48,000 names of many countries)."""
    from gender_guesser.detector import Detector
    from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH
    from spacy.lang.es.stop_words import STOP_WORDS as SPANISH

    detector = Detector(case_sensitive=False)
    lock = threading.Lock()
    everyday = ENGLISH | SPANISH  # "on", "can", "esta", "tiene" are in the name list too

    def is_given_name(word: str) -> bool:
        if word in everyday:
            return False
        with lock:
            return detector.get_gender(word) in ("male", "female", "mostly_male", "mostly_female")

    return is_given_name


def spacy_person_finder() -> Callable[[str], List[Tuple[int, int]]]:
    """PERSON spans by spaCy's en_core_web_sm (installed as a package by `make install`).

    Only the recognizer is loaded (it has its own token vectors): the tagger, parser and
    lemmatizer would cost memory and time for nothing here.
    """
    import spacy

    nlp = spacy.load(SPACY_PIPELINE, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])
    lock = threading.Lock()  # spaCy pipelines are not documented as thread-safe

    def find(text: str) -> List[Tuple[int, int]]:
        with lock:
            doc = nlp(text)
        return [(e.start_char, e.end_char) for e in doc.ents if e.label_ == "PERSON"]

    return find


@lru_cache(maxsize=1)
def _default_scrubber() -> Scrubber:
    return Scrubber.from_file()
