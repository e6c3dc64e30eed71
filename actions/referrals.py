"""State referrals: data/referrals/<code>.yml loaded into typed, validated objects.

One file per place (the 50 states, DC and Puerto Rico), named by its USPS code in lower
case. Each file lists, by kind, the services a person in that place can turn to, every one
with the page it was read from, a short verbatim quote of that page and the day it was read.
A kind with nothing to list is named under `missing` with the reason, never left out.

Loading fails with a ReferralError that names the file, the key and the problem, so a
malformed file stops the action server at start (the same rules as actions/knowledge.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import importlib.util
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, Optional, Tuple

import us

from actions.knowledge import LANGUAGES, PROJECT_ROOT, KnowledgeError, _read_yaml, _Reader

DEFAULT_DIR = PROJECT_ROOT / "data" / "referrals"
# The kinds of service, in the order a state block lists them.
KINDS = ("trafficking", "compensation", "legal_aid", "immigration_pro_bono", "domestic_violence", "basic_needs")
REQUIRED_KINDS = ("compensation", "legal_aid")  # every place has these (issue 15)
PLACES = tuple(s.abbr for s in us.states.STATES) + ("DC", "PR")  # 50 states, DC, Puerto Rico
MAX_NOTE_WORDS = 25
_PHONE = re.compile(r"^(?:(?:1-)?\d{3}-\d{3}-\d{4}|211)$")
_HTTPS = re.compile(r"^https://[^\s/]+\.[^\s]+$")
_NOT_WORD = re.compile(r"[^a-z0-9]+")

PublisherCheck = Callable[[str], Optional[str]]


class ReferralError(KnowledgeError):
    """A referral file is malformed or incomplete."""


@dataclass(frozen=True)
class ReferralSource:
    url: str
    title: str
    quote: str
    reviewed: dt.date


@dataclass(frozen=True)
class Referral:
    kind: str
    name: Dict[str, str]
    url: str
    source: ReferralSource
    phone: Optional[str] = None
    note: Optional[Dict[str, str]] = None
    quote_shows_name: bool = True  # False: flagged for review (a phoneless item's quote lacks its name)


@dataclass(frozen=True)
class Place:
    code: str
    name: Dict[str, str]
    resources: Dict[str, Tuple[Referral, ...]]
    missing: Dict[str, Dict[str, str]]

    def referrals(self, kinds: Iterable[str]) -> Tuple[Referral, ...]:
        """The place's services of `kinds`, in the order of KINDS."""
        wanted = set(kinds)
        return tuple(r for kind in KINDS if kind in wanted for r in self.resources.get(kind, ()))

    def all_referrals(self) -> Tuple[Referral, ...]:
        return self.referrals(KINDS)


@dataclass(frozen=True)
class ReferralDirectory:
    places: Dict[str, Place]

    def place(self, code: Optional[str]) -> Optional[Place]:
        return self.places.get((code or "").upper())


# --- reading and validating ---------------------------------------------------------------


def default_publisher_check() -> Optional[PublisherCheck]:
    """actions.sources.source_problem (the reviewed publisher list), when that module exists."""
    if importlib.util.find_spec("actions.sources") is None:
        return None
    return getattr(importlib.import_module("actions.sources"), "source_problem", None)


def _comparable(text: str) -> str:
    """Lower case, no accents, words only: how a name is looked for in a quote."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NOT_WORD.sub(" ", plain).split())


_NAME_HEAD = re.compile(r"\s+(?:[—–(]|-\s)|:\s")
_SMALL_WORDS = {"the", "and", "for", "of", "de", "del", "la", "las", "los", "el", "y", "en", "para"}


def _shows_name(name: str, quote: str, place_names: Iterable[str]) -> bool:
    """The quote shows the program's name: the words of the name's head (before " — ", " (" or
    ": "), less the place's own name and small words, are all in the quote ("The Crime Victim
    Compensation Program can…" shows "Arizona Crime Victim Compensation Program (ACJC)")."""
    head = _NAME_HEAD.split(name, maxsplit=1)[0]
    skip = set(_SMALL_WORDS)
    for place in place_names:
        skip.update(_comparable(place).split())
    words = [w for w in _comparable(head).split() if w not in skip]
    quoted = set(_comparable(quote).split())
    return (
        bool(words)
        and all(w in quoted or w.replace("org", " org") in quoted for w in words)
        or (_comparable(head) in _comparable(quote))
    )


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


class _RefReader(_Reader):
    def fail(self, problem: str, key: Optional[str] = None) -> None:
        raise ReferralError(self.file, self._join(key) if key else self.path or "(top)", problem)

    def child(self, key: str) -> "_RefReader":
        return _RefReader(self.file, self.require(key), self._join(key))

    def https(self, key: str, publisher_check: Optional[PublisherCheck] = None) -> str:
        url = self.text(key)
        if not _HTTPS.match(url):
            self.fail("must be an https:// address", key)
        if publisher_check is not None:
            problem = publisher_check(url)
            if problem:
                self.fail(problem, key)
        return url

    def optional_languages(self, key: str) -> Optional[Dict[str, str]]:
        return self.languages(key) if self.data.get(key) is not None else None


def _source(reader: _RefReader, today: dt.date, publisher_check: Optional[PublisherCheck]) -> ReferralSource:
    reviewed = reader.date("reviewed")
    if reviewed > today:
        reader.fail(f"{reviewed} is in the future", "reviewed")
    return ReferralSource(
        url=reader.https("url", publisher_check),
        title=reader.text("title"),
        quote=reader.text("quote"),
        reviewed=reviewed,
    )


def _referral(
    kind: str,
    reader: _RefReader,
    today: dt.date,
    publisher_check: Optional[PublisherCheck],
    place_names: Iterable[str] = (),
) -> Referral:
    name = reader.languages("name")
    url = reader.https("url")
    source = _source(reader.child("source"), today, publisher_check)
    phone = None
    if reader.data.get("phone") is not None:
        phone = str(reader.data["phone"]).strip()
        if not _PHONE.match(phone):
            reader.fail(f"'{phone}' must be written NNN-NNN-NNNN, 1-NNN-NNN-NNNN or 211", "phone")
        number = _digits(phone)[-10:]
        if number not in _digits(source.quote):
            reader.fail(f"{phone} does not appear in source.quote", "phone")
    # With no phone, the quote should show the program's name. Names are glossed and quotes
    # excerpted in many ways, so a quote that does not is flagged for review by
    # `make check-sources` (actions/check_sources.py) rather than stopping the server.
    shows_name = phone is not None or any(_shows_name(name[lang], source.quote, place_names) for lang in LANGUAGES)
    note = reader.optional_languages("note")
    for lang, text in (note or {}).items():
        if len(text.split()) > MAX_NOTE_WORDS:
            reader.fail(f"must be at most {MAX_NOTE_WORDS} words", f"note.{lang}")
    return Referral(kind=kind, name=name, url=url, source=source, phone=phone, note=note, quote_shows_name=shows_name)


def load_place(file: Path, today: Optional[dt.date] = None, publisher_check: Optional[PublisherCheck] = None) -> Place:
    today = today or dt.date.today()
    try:
        data = _read_yaml(file)
    except KnowledgeError as error:
        raise ReferralError(error.file, error.key, error.problem) from None
    reader = _RefReader(file, data, "")
    code = reader.text("place")
    if code != file.stem.upper():
        reader.fail(f"'{code}' must be the file name in upper case ('{file.stem.upper()}')", "place")
    if code not in PLACES:
        reader.fail(f"'{code}' is not the USPS code of a state, DC or Puerto Rico", "place")
    place_names = reader.languages("name")
    resources_reader = reader.child("resources")
    missing_raw = reader.data.get("missing") or {}
    if not isinstance(missing_raw, dict):
        reader.fail("must be a mapping of kind: {en, es}", "missing")
    missing_reader = _RefReader(file, missing_raw, "missing")
    for key in list(resources_reader.data) + list(missing_raw):
        if key not in KINDS:
            reader.fail(
                f"unknown kind '{key}' (kinds: {', '.join(KINDS)})",
                f"{'resources' if key in resources_reader.data else 'missing'}.{key}",
            )
    resources: Dict[str, Tuple[Referral, ...]] = {}
    missing: Dict[str, Dict[str, str]] = {}
    for kind in KINDS:
        listed = resources_reader.data.get(kind)
        if listed and kind in missing_raw:
            reader.fail("is both listed and named missing", f"missing.{kind}")
        if listed:
            items = resources_reader.items(kind)
            resources[kind] = tuple(
                _referral(
                    kind, _RefReader(file, raw, f"resources.{kind}[{i}]"), today, publisher_check, place_names.values()
                )
                for i, raw in enumerate(items)
            )
        elif kind in REQUIRED_KINDS:
            reader.fail("every place needs at least one (it cannot be missing)", f"resources.{kind}")
        elif kind in missing_raw:
            missing[kind] = missing_reader.languages(kind)
        else:
            reader.fail("is neither listed under resources nor explained under missing", f"resources.{kind}")
    return Place(code=code, name=place_names, resources=resources, missing=missing)


_DEFAULT_CHECK = object()


def load_referrals(
    folder: Path = DEFAULT_DIR, today: Optional[dt.date] = None, publisher_check=_DEFAULT_CHECK
) -> ReferralDirectory:
    """Loads every `<code>.yml` in `folder`. Any number of places (tests use a few)."""
    if not folder.is_dir():
        raise ReferralError(folder, "(folder)", "the referral folder does not exist")
    check = default_publisher_check() if publisher_check is _DEFAULT_CHECK else publisher_check
    places = {}
    for file in sorted(folder.glob("*.yml")):
        place = load_place(file, today, check)
        places[place.code] = place
    return ReferralDirectory(places=places)


@functools.lru_cache(maxsize=1)
def referral_directory() -> ReferralDirectory:
    """The referrals of HARBOR_REFERRALS_DIR (default data/referrals), loaded once."""
    return load_referrals(Path(os.environ.get("HARBOR_REFERRALS_DIR", DEFAULT_DIR)))
