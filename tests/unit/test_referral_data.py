"""The state referral data (data/referrals/<code>.yml): every state, DC and Puerto Rico has a compensation
program and free legal help, each item has an https source with a short quote and a review date, and every
phone number is well formed and appears in its quote. The checker is also shown to refuse broken data."""

import copy
import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

DIR = Path(__file__).resolve().parents[2] / "data" / "referrals"

PLACES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK "
    "OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR"
).split()
KINDS = ("compensation", "legal_aid", "immigration_pro_bono", "trafficking", "domestic_violence", "basic_needs")
REQUIRED = ("compensation", "legal_aid")
LANGS = ("en", "es")
PHONE = re.compile(r"^(1-)?\d{3}-\d{3}-\d{4}$|^211$")
ITEM_KEYS = {"name", "phone", "url", "note", "source"}
SOURCE_KEYS = {"url", "title", "quote", "reviewed"}
MAX_NOTE_WORDS = 25
MAX_QUOTE_CHARS = 300


def digits(text):
    return re.sub(r"\D", "", text)


def bilingual(value, where):
    if not isinstance(value, dict) or set(value) != set(LANGS):
        return [f"{where}: needs exactly en and es"]
    return [f"{where}.{lang}: empty" for lang in LANGS if not str(value[lang]).strip()]


def item_problems(item, where, today):
    problems = []
    if not isinstance(item, dict):
        return [f"{where}: not a mapping"]
    if set(item) - ITEM_KEYS:
        problems.append(f"{where}: unknown keys {sorted(set(item) - ITEM_KEYS)}")
    problems += bilingual(item.get("name"), f"{where}.name")
    if not str(item.get("url", "")).startswith("https://"):
        problems.append(f"{where}.url: not https")
    if "note" in item:
        problems += bilingual(item["note"], f"{where}.note")
        for lang in LANGS:
            if len(str(item["note"].get(lang, "")).split()) > MAX_NOTE_WORDS:
                problems.append(f"{where}.note.{lang}: more than {MAX_NOTE_WORDS} words")
    source = item.get("source")
    if not isinstance(source, dict) or set(source) != SOURCE_KEYS:
        return problems + [f"{where}.source: needs exactly {sorted(SOURCE_KEYS)}"]
    if not str(source["url"]).startswith("https://"):
        problems.append(f"{where}.source.url: not https")
    if not str(source["title"]).strip():
        problems.append(f"{where}.source.title: empty")
    quote = str(source["quote"])
    if not quote.strip() or len(quote) > MAX_QUOTE_CHARS:
        problems.append(f"{where}.source.quote: empty or longer than {MAX_QUOTE_CHARS} characters")
    if not isinstance(source["reviewed"], dt.date) or source["reviewed"] > today:
        problems.append(f"{where}.source.reviewed: not a date, or in the future")
    if "phone" in item:
        phone = str(item["phone"])
        wanted = digits(phone)
        if not PHONE.match(phone):
            problems.append(f"{where}.phone: {phone!r} is not NNN-NNN-NNNN, 1-NNN-NNN-NNNN or 211")
        elif wanted not in digits(quote) and not (wanted.startswith("1") and wanted[1:] in digits(quote)):
            problems.append(f"{where}.phone: {phone} does not appear in the source quote")
    return problems


def problems_of(doc, code, today):
    """Every way a place's referral document breaks the agreed format (an empty list when it is fine)."""
    if not isinstance(doc, dict):
        return [f"{code}: not a mapping"]
    problems = []
    if set(doc) - {"place", "name", "resources", "missing"}:
        problems.append(
            f"{code}: unknown top-level keys {sorted(set(doc) - {'place', 'name', 'resources', 'missing'})}"
        )
    if doc.get("place") != code:
        problems.append(f"{code}: place is {doc.get('place')!r}")
    problems += bilingual(doc.get("name"), f"{code}.name")
    resources = doc.get("resources") or {}
    missing = doc.get("missing") or {}
    for kind in set(resources) | set(missing):
        if kind not in KINDS:
            problems.append(f"{code}: unknown kind {kind!r}")
    for kind in KINDS:
        present = bool(resources.get(kind))
        if present == (kind in missing):
            problems.append(f"{code}.{kind}: must be either a non-empty list under resources or a reason under missing")
        if kind in REQUIRED and not present:
            problems.append(f"{code}.{kind}: required for every place")
    for kind, items in resources.items():
        if not isinstance(items, list):
            problems.append(f"{code}.{kind}: not a list")
            continue
        for i, item in enumerate(items):
            problems += item_problems(item, f"{code}.{kind}[{i}]", today)
    for kind, reason in missing.items():
        problems += bilingual(reason, f"{code}.missing.{kind}")
    return problems


def load(code):
    return yaml.safe_load((DIR / f"{code.lower()}.yml").read_text(encoding="utf-8"))


def test_there_is_one_file_for_every_state_dc_and_puerto_rico():
    assert len(PLACES) == 52 and len(set(PLACES)) == 52
    assert sorted(p.name for p in DIR.glob("*.yml")) == sorted(f"{c.lower()}.yml" for c in PLACES)


@pytest.mark.parametrize("code", PLACES)
def test_every_place_follows_the_format(code):
    assert problems_of(load(code), code, dt.date.today()) == []


def test_every_place_has_compensation_and_legal_help_with_a_source():
    for code in PLACES:
        doc = load(code)
        for kind in REQUIRED:
            assert doc["resources"][kind], (code, kind)
            assert all(item["source"]["quote"] for item in doc["resources"][kind]), (code, kind)


def test_phone_numbers_are_checked_against_their_quotes():
    """Some items carry phone numbers (so the digit check is exercised on real data)."""
    phones = [
        item
        for code in PLACES
        for items in load(code)["resources"].values()
        for item in items
        if "phone" in item and item["phone"] != "211"
    ]
    assert len(phones) >= 20


def _break(doc, how):
    doc = copy.deepcopy(doc)
    comp = doc["resources"]["compensation"][0]
    if how == "phone not in quote":
        comp["phone"] = "555-010-0199"
    elif how == "badly written phone":
        comp["phone"] = "(303) 239-4493"
    elif how == "http source":
        comp["source"]["url"] = "http://example.gov/page"
    elif how == "future review date":
        comp["source"]["reviewed"] = dt.date.today() + dt.timedelta(days=1)
    elif how == "no legal aid":
        del doc["resources"]["legal_aid"]
    elif how == "kind silently absent":
        doc.get("missing", {}).pop("trafficking", None)
        doc["resources"].pop("trafficking", None)
    elif how == "long note":
        comp["note"] = {"en": "word " * 26, "es": "palabra"}
    elif how == "no spanish":
        del comp["name"]["es"]
    return doc


@pytest.mark.parametrize(
    "how",
    [
        "phone not in quote",
        "badly written phone",
        "http source",
        "future review date",
        "no legal aid",
        "kind silently absent",
        "long note",
        "no spanish",
    ],
)
def test_the_checker_refuses_broken_data(how):
    doc = load("CO")
    assert problems_of(doc, "CO", dt.date.today()) == []
    assert problems_of(_break(doc, how), "CO", dt.date.today()) != []
