"""Aspect keywords: whole words, accents and case folded, longest phrase first."""

import pytest

from bot.nlu.keywords import KeywordEntityExtractor
from tests.unit.conftest import trained


@pytest.fixture(scope="module")
def extractor(nlu_data, tmp_path_factory):
    return trained(KeywordEntityExtractor, nlu_data, tmp_path_factory)


@pytest.mark.parametrize(
    "text, aspect",
    [
        ("how much does it cost to apply", "fee"),
        ("¿Cuánto cuesta?", "fee"),
        ("cuanto cuesta", "fee"),
        ("can my kids come too", "family"),
        ("permiso de trabajo", "work"),
        ("what does 1584 say", "1584"),
    ],
)
def test_finds_the_aspect(extractor, text, aspect):
    assert aspect in [e["value"] for e in extractor.extract(text)]


def test_every_entity_is_an_aspect_with_a_span(extractor):
    for entity in extractor.extract("How much is the fee and how long does it last?"):
        assert entity["entity"] == "aspect"
        assert 0 <= entity["start"] < entity["end"]


def test_no_aspect_inside_other_words(extractor):
    assert extractor.extract("xyzzy") == []
