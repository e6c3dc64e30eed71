"""Training data and responses are complete in both languages."""

from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def examples_by_intent(folder):
    counts = Counter()
    for path in (ROOT / "data" / "nlu" / folder).glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" in block:
                counts[block["intent"]] += sum(
                    1 for line in block["examples"].splitlines() if line.strip().startswith("- ")
                )
    return counts


def test_every_intent_has_at_least_20_english_examples():
    counts = examples_by_intent("en")
    assert {i: counts[i] for i in DOMAIN["intents"] if counts[i] < 20} == {}


def test_every_intent_has_at_least_15_spanish_examples():
    counts = examples_by_intent("es")
    assert {i: counts[i] for i in DOMAIN["intents"] if counts[i] < 15} == {}


def test_every_response_has_a_spanish_variant_and_an_english_default():
    for name, variants in DOMAIN["responses"].items():
        spanish = [
            v for v in variants if {"type": "slot", "name": "language", "value": "es"} in (v.get("condition") or [])
        ]
        default = [v for v in variants if not v.get("condition")]
        assert spanish and default, name
        assert len(spanish[0].get("buttons", [])) == len(default[0].get("buttons", [])), name


def test_the_emergency_reply_puts_911_first_in_both_languages():
    for variant in DOMAIN["responses"]["utter_emergency"]:
        assert "911" in variant["text"]
    for variant in DOMAIN["responses"]["utter_emergency_support"]:
        assert "1-888-373-7888" in variant["text"] and "988" in variant["text"]


def test_every_fallback_offers_a_person():
    for name in ("utter_menu", "utter_default", "utter_service_unavailable", "utter_out_of_scope"):
        for variant in DOMAIN["responses"][name]:
            text = variant["text"] + " ".join(b["payload"] for b in variant.get("buttons", []))
            assert "1-888-373-7888" in text or "/talk_to_human" in text, name


def test_every_response_says_its_language_in_its_metadata():
    """The channels read a message's language from its metadata (bot/channels/reply_language.py),
    never from its words: each variant must say the language its condition picks it for."""
    wrong = []
    for name, variants in DOMAIN["responses"].items():
        for variant in variants:
            chosen = [c["value"] for c in variant.get("condition") or [] if c.get("name") == "language"]
            if variant.get("metadata") != {"language": chosen[0] if chosen else "en"}:
                wrong.append(name)
    assert wrong == []
