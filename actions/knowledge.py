"""The knowledge base: data/knowledge/*.yml loaded into typed, validated objects.

Each file is one topic (see README, "How to change a fact"). Loading fails with a
KnowledgeError that names the file, the key and the problem, so a malformed or
incomplete file stops the action server at start instead of misleading a user later.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import yaml

from actions.sources import source_problem
from bot.contacts import ContactError, fill, typed_contact

LANGUAGES = ("en", "es")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = PROJECT_ROOT / "data" / "knowledge"
NAVIGATION_FILE = "navigation.yml"
NAVIGATION_TOPIC = "nav"
PUBLISHERS_FILE = "publishers.yml"  # the source policy (actions/sources.py), not a topic
POLICY_STATES = ("in_force", "replaced")
# Aspects that say little on their own ("how do I get…", "how long…", "how many…"):
# a more specific aspect in the same message picks the entry ("how long until I can get
# a green card" is about the green card).
GENERIC_ASPECTS = ("apply", "eligibility", "call", "duration", "estimate", "national", "work")
_URL = re.compile(r"^https?://[^\s]+$")


class KnowledgeError(ValueError):
    """A knowledge file is malformed or incomplete."""

    def __init__(self, file: Path, key: str, problem: str) -> None:
        super().__init__(f"{file}: {key}: {problem}")
        self.file, self.key, self.problem = file, key, problem


@dataclass(frozen=True)
class Source:
    title: str
    url: str  # an official web page, or (for what Harbor says of itself) a file of this project

    @property
    def is_web(self) -> bool:
        return self.url.startswith(("http://", "https://"))


@dataclass(frozen=True)
class PolicyStatus:
    state: str  # in_force | replaced
    effective: dt.date
    replaced_on: Optional[dt.date] = None
    replaced_by: Optional[str] = None


@dataclass(frozen=True)
class Entry:
    topic: str
    id: str
    aspects: Tuple[str, ...]
    button: Dict[str, str]
    text: Dict[str, str]
    sources: Tuple[Source, ...]
    reviewed: dt.date
    next: Tuple[str, ...] = ()
    status: Optional[PolicyStatus] = None

    @property
    def key(self) -> str:
        return f"{self.topic}.{self.id}"


@dataclass(frozen=True)
class NavigationStep:
    """A button that starts a conversation step (a self-check…) instead of an entry."""

    id: str
    intent: str
    button: Dict[str, str]

    @property
    def key(self) -> str:
        return f"{NAVIGATION_TOPIC}.{self.id}"


@dataclass(frozen=True)
class Topic:
    name: str
    intent: str
    title: Dict[str, str]
    legal: bool
    entries: Tuple[Entry, ...]

    @property
    def overview(self) -> Entry:
        return next(e for e in self.entries if not e.aspects)

    def select(self, aspects: Sequence[str]) -> Entry:
        """The entry for the aspects found in a message, most specific first."""
        ordered = sorted(aspects, key=lambda a: a in GENERIC_ASPECTS)  # stable: keeps text order
        for aspect in ordered:
            for entry in self.entries:
                if aspect in entry.aspects:
                    return entry
        return self.overview


@dataclass
class KnowledgeBase:
    topics: Dict[str, Topic]
    navigation: Dict[str, NavigationStep] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_intent = {t.intent: t for t in self.topics.values()}
        self._by_key: Dict[str, Any] = {e.key: e for t in self.topics.values() for e in t.entries}
        self._by_key.update({n.key: n for n in self.navigation.values()})

    def topic_for_intent(self, intent: Optional[str]) -> Optional[Topic]:
        return self._by_intent.get(intent or "")

    def lookup(self, key: str) -> Any:
        """An Entry or a NavigationStep by its full key (`t_visa.fee`, `nav.check_trafficking`)."""
        return self._by_key[key]

    def entries(self) -> Iterable[Entry]:
        for topic in self.topics.values():
            yield from topic.entries


# --- reading and validating ---------------------------------------------------------------


class _Reader:
    """Typed access to one YAML mapping, raising KnowledgeError with the key path."""

    def __init__(self, file: Path, data: Any, path: str) -> None:
        self.file, self.data, self.path = file, data, path
        if not isinstance(data, dict):
            self.fail(f"expected a mapping, found {type(data).__name__}")

    def fail(self, problem: str, key: Optional[str] = None) -> None:
        raise KnowledgeError(self.file, self._join(key) if key else self.path or "(top)", problem)

    def _join(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def require(self, key: str) -> Any:
        if key not in self.data or self.data[key] is None or self.data[key] == "":
            self.fail("is missing", key)
        return self.data[key]

    def text(self, key: str) -> str:
        value = self.require(key)
        if not isinstance(value, str) or not value.strip():
            self.fail("must be non-empty text", key)
        return value.strip()

    def child(self, key: str) -> "_Reader":
        return _Reader(self.file, self.require(key), self._join(key))

    def items(self, key: str, allow_empty: bool = False) -> List[Any]:
        value = self.data.get(key, [] if allow_empty else None)
        if value is None:
            self.fail("is missing", key)
        if not isinstance(value, list) or (not value and not allow_empty):
            self.fail("must be a non-empty list" if not allow_empty else "must be a list", key)
        return value

    def languages(self, key: str) -> Dict[str, str]:
        mapping = self.child(key)
        return {lang: mapping.text(lang) for lang in LANGUAGES}

    def date(self, key: str) -> dt.date:
        value = self.require(key)
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            self.fail("must be a date written YYYY-MM-DD", key)
        return value


def _read_yaml(file: Path) -> Any:
    try:
        with file.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.YAMLError as error:
        raise KnowledgeError(file, "(syntax)", f"not valid YAML: {error}") from None


def _status(reader: _Reader) -> PolicyStatus:
    state = reader.text("state")
    if state not in POLICY_STATES:
        reader.fail(f"must be one of {', '.join(POLICY_STATES)}", "state")
    status = PolicyStatus(state=state, effective=reader.date("effective"))
    if state == "replaced":
        status = PolicyStatus(state, status.effective, reader.date("replaced_on"), reader.text("replaced_by"))
    return status


def _entry(topic: str, reader: _Reader, today: dt.date) -> Entry:
    sources = []
    entry_id = reader.data.get("id", "?")
    for index, raw in enumerate(reader.items("sources")):
        source = _Reader(reader.file, raw, f"{reader.path}.sources[{index}]")
        url = source.text("url")
        if _URL.match(url):
            problem = source_problem(url)
            if problem:
                source.fail(f"{topic}.{entry_id}: source {url} {problem}", "url")
        elif not (PROJECT_ROOT / url.split("#")[0]).is_file():
            source.fail(f"{topic}.{entry_id}: {url} must be an https address or a file of this project", "url")
        sources.append(Source(title=source.text("title"), url=url))
    reviewed = reader.date("reviewed")
    if reviewed > today:
        reader.fail(f"{reviewed} is in the future", "reviewed")
    aspects = reader.items("aspects", allow_empty=True)
    if not all(isinstance(a, (str, int)) for a in aspects):
        reader.fail("must be a list of aspect names", "aspects")
    following = reader.items("next", allow_empty=True)
    status = _status(reader.child("status")) if reader.data.get("status") is not None else None
    text = reader.languages("text")
    for lang, words in text.items():
        typed = typed_contact(words)
        if typed:
            reader.fail(
                f"{topic}.{entry_id}: write {typed[1]} instead of {typed[0]} "
                "(contact details live in data/contacts.yml)",
                f"text.{lang}",
            )
    try:  # contact details live in data/contacts.yml; the text names them, e.g. {hotline.phone}
        text = {lang: fill(words, lang) for lang, words in text.items()}
    except ContactError as error:
        reader.fail(f"{topic}.{entry_id}: {error}", "text")
    return Entry(
        topic=topic,
        id=reader.text("id"),
        aspects=tuple(str(a) for a in aspects),
        button=reader.languages("button"),
        text=text,
        sources=tuple(sources),
        reviewed=reviewed,
        next=tuple(str(n) if "." in str(n) else f"{topic}.{n}" for n in following),
        status=status,
    )


def load_topic(file: Path, today: Optional[dt.date] = None) -> Topic:
    reader = _Reader(file, _read_yaml(file), "")
    name = reader.text("topic")
    if name != file.stem:
        reader.fail(f"'{name}' must match the file name '{file.stem}'", "topic")
    legal = reader.data.get("legal", False)
    if not isinstance(legal, bool):
        reader.fail("must be true or false", "legal")
    entries = []
    for index, raw in enumerate(reader.items("entries")):
        entries.append(_entry(name, _Reader(file, raw, f"entries[{index}]"), today or dt.date.today()))
    ids = [e.id for e in entries]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        reader.fail(f"duplicate id(s): {', '.join(duplicates)}", "entries")
    overviews = [e.id for e in entries if not e.aspects]
    if len(overviews) != 1:
        reader.fail(f"exactly one entry needs `aspects: []` (the overview); found {len(overviews)}", "entries")
    return Topic(
        name=name, intent=reader.text("intent"), title=reader.languages("title"), legal=legal, entries=tuple(entries)
    )


def load_navigation(file: Path) -> Dict[str, NavigationStep]:
    reader = _Reader(file, _read_yaml(file), "")
    steps = {}
    for step_id in reader.child("navigation").data:
        step = reader.child("navigation").child(step_id)
        steps[step_id] = NavigationStep(id=step_id, intent=step.text("intent"), button=step.languages("button"))
    return steps


def load_knowledge(folder: Path = DEFAULT_DIR, today: Optional[dt.date] = None) -> KnowledgeBase:
    """Loads and cross-checks every topic file in `folder`."""
    files = sorted(folder.glob("*.yml"))
    if not files:
        raise KnowledgeError(folder, "(folder)", "no knowledge files (*.yml) found")
    topics: Dict[str, Topic] = {}
    navigation: Dict[str, NavigationStep] = {}
    for file in files:
        if file.name == NAVIGATION_FILE:
            navigation = load_navigation(file)
            continue
        if file.name == PUBLISHERS_FILE:
            continue
        topic = load_topic(file, today)
        clash = next((t for t in topics.values() if t.intent == topic.intent), None)
        if clash:
            raise KnowledgeError(file, "intent", f"'{topic.intent}' is already used by {clash.name}")
        topics[topic.name] = topic
    base = KnowledgeBase(topics=topics, navigation=navigation)
    for topic in topics.values():
        for index, entry in enumerate(topic.entries):
            for ref in entry.next:
                try:
                    base.lookup(ref)
                except KeyError:
                    raise KnowledgeError(
                        folder / f"{topic.name}.yml", f"entries[{index}].next", f"'{ref}' does not name an entry"
                    ) from None
    return base


@functools.lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    """The knowledge base of HARBOR_KNOWLEDGE_DIR (default data/knowledge), loaded once."""
    return load_knowledge(Path(os.environ.get("HARBOR_KNOWLEDGE_DIR", DEFAULT_DIR)))
