"""The scrubber on the written personal-data sets (tests/data/personal_data_messages*.yml):
recall stays at least where it was measured, and what a question needs is kept."""

import pytest

from bot.privacy.scrubber import Scrubber
from tests.privacy_recall import SETS, measure

# Measured on 2026-11-29 (README "What we keep"); a change that loses recall fails here.
FLOORS = {"first": 0.95, "holdout": 0.90}


@pytest.fixture(scope="module")
def scrubber():
    return Scrubber.default()


@pytest.mark.parametrize("name", list(SETS))
def test_recall_does_not_fall_and_nothing_to_keep_is_lost(scrubber, name):
    by_language, misses, broken = measure(SETS[name], scrubber)
    found = sum(f for f, _ in by_language.values())
    total = sum(t for _, t in by_language.values())
    assert found / total >= FLOORS[name.split()[0]], misses
    allowed = {("h053", "12 de julio")}  # a date is removed wherever it is: a court date too
    assert set(broken) <= allowed, broken


def test_cries_for_help_come_through_the_scrubber_unchanged(scrubber):
    """The safety net reads scrubbed text: no danger message may lose a word to it."""
    import glob

    import yaml

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)

    changed = [
        text
        for path in glob.glob("tests/data/safety_messages*.yml")
        for text in strings(yaml.safe_load(open(path, encoding="utf-8")))
        if scrubber.scrub(text) != text
    ]
    assert changed == []
