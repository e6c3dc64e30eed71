"""Place recognition: states (EN/ES), codes in context, cities, ambiguous cities, ZIP codes."""

import time

import pytest

from bot.nlu.place import PlaceEntityExtractor
from tests.unit.conftest import trained


@pytest.fixture(scope="module")
def places(nlu_data, tmp_path_factory):
    return trained(PlaceEntityExtractor, nlu_data, tmp_path_factory)


def value(extractor, text):
    found = extractor.extract(text)
    assert len(found) <= 1
    return found[0]["value"] if found else None


@pytest.mark.parametrize(
    "text, code",
    [
        ("I live in Arizona", "AZ"),
        ("I'm in Florida", "FL"),
        ("free immigration lawyer in New York", "NY"),
        ("is there help in west virginia", "WV"),
        ("I was in Virginia before", "VA"),
        ("Washington DC", "DC"),
        ("I'm in the District of Columbia", "DC"),
        ("we are in North Carolina", "NC"),
        ("I live in Puerto Rico", "PR"),
        ("I'm in Colorado", "CO"),
        ("Nevada", "NV"),
    ],
)
def test_english_state_names(places, text, code):
    assert value(places, text) == code


@pytest.mark.parametrize(
    "text, code",
    [
        ("vivo en Nueva York", "NY"),
        ("necesito ayuda legal gratis, vivo en Florida", "FL"),
        ("estoy en Carolina del Norte", "NC"),
        ("vivo en Luisiana", "LA"),
        ("estoy en Misisipi", "MS"),
        ("vivimos en Pensilvania", "PA"),
        ("vivo en Nuevo México", "NM"),
        ("vivo en nuevo mexico", "NM"),
        ("estoy en Hawái", "HI"),
        ("estoy en el Distrito de Columbia", "DC"),
        ("vivo en Puerto Rico", "PR"),
        ("vivo en Virginia Occidental", "WV"),
        ("estoy en Misuri", "MO"),
    ],
)
def test_spanish_state_names(places, text, code):
    assert value(places, text) == code


@pytest.mark.parametrize(
    "text, code",
    [
        ("I'm in TX", "TX"),
        ("i'm in tx", "TX"),
        ("from NY", "NY"),
        ("estoy en CA", "CA"),
        ("vivo en FL", "FL"),
        ("I'm in IN", "IN"),
        ("NJ", "NJ"),
        ("Houston, TX", "TX"),
        ("Springfield IL", "IL"),
    ],
)
def test_codes_in_context(places, text, code):
    assert value(places, text) == code


@pytest.mark.parametrize(
    "text",
    [
        "I'm in danger",
        "or what should I do",
        "call me ok",
        "hi",
        "OK",
        "it happened to me in the past",
        "me pegó",
        "vivo en la casa de mi tía",
        "la policía",
        "de la ciudad",
        "oh no",
        "is it ok in my case",
        "he is in pain",
        "I'm in trouble",
        "la nevada fue fuerte",
        "el carro colorado",
        "en la montaña",
        "I am from Guatemala",
        "soy de Honduras",
        "I came from Mexico",
        "I owe 20000 dollars",
        "the fee is 10000",
        "how do I get a T visa",
        "my boss took my passport",
        "LA",
        "I'm in LA",
    ],
)
def test_no_place_in_ordinary_words(places, text):
    assert value(places, text) is None


@pytest.mark.parametrize(
    "text, code",
    [
        ("is there a shelter near Atlanta?", "GA"),
        ("I live in Phoenix", "AZ"),
        ("I'm in Tucson", "AZ"),
        ("soy de Houston", "TX"),
        ("estoy cerca de Los Ángeles", "CA"),
        ("Miami", "FL"),
        ("we live in Jacksonville", "FL"),
        ("I'm in NYC", "NY"),
        ("en Filadelfia", "PA"),
        ("I'm in Chicago right now", "IL"),
    ],
)
def test_cities(places, text, code):
    assert value(places, text) == code


def test_a_city_in_several_states_gives_every_state(places):
    for text in ("I live in Springfield", "I'm in Springfield", "estoy en Springfield"):
        codes = value(places, text).split("|")
        assert {"IL", "MO", "MA"} <= set(codes), text
    assert set(value(places, "I'm in Portland").split("|")) >= {"OR", "ME"}
    assert set(value(places, "Columbus").split("|")) >= {"OH", "GA"}


def test_a_state_named_with_an_ambiguous_city_wins(places):
    assert value(places, "Springfield, Illinois") == "IL"
    assert value(places, "Portland, Maine") == "ME"


def test_a_city_that_is_also_a_place_abroad_is_not_an_origin(places):
    assert value(places, "I'm from Lima") is None
    assert value(places, "I'm from Paris") is None


@pytest.mark.parametrize(
    "text, code",
    [
        ("85001", "AZ"),
        ("33101", "FL"),
        ("10001-1234", "NY"),
        ("my zip is 85001", "AZ"),
        ("mi código postal es 33101", "FL"),
    ],
)
def test_zip_codes_give_the_state_never_the_zip(places, text, code):
    found = places.extract(text)
    assert [e["value"] for e in found] == [code]
    assert all(ch not in found[0]["value"] for ch in "0123456789")


def test_entities_carry_a_span_of_the_text(places):
    text = "I live in Arizona now"
    found = places.extract(text)[0]
    assert found["entity"] == "place"
    assert text[found["start"] : found["end"]] == "Arizona"


def test_finding_a_place_is_fast(places):
    text = "necesito ayuda legal gratis para mi caso, vivo cerca de Springfield desde hace dos años"
    start = time.perf_counter()
    for _ in range(200):
        places.extract(text)
    assert (time.perf_counter() - start) / 200 < 0.002


@pytest.mark.parametrize(
    "text, alone",
    [
        ("Massachusetts", True),
        ("I live in Tucson", True),
        ("Houston, TX", True),
        ("vivo en Ohio", True),
        ("estoy en Carolina del Norte", True),
        ("I'm in Springfield", True),
        ("85001", True),
        ("what about Texas?", True),
        ("and in Illinois?", True),
        ("free immigration lawyer in New York", False),
        ("necesito ayuda legal gratis, vivo en Florida", False),
        ("is there a shelter near Atlanta?", False),
        ("I was trafficked in Texas", False),
        ("hello", False),
    ],
)
def test_a_message_that_only_names_a_place(places, text, alone):
    assert places.only_a_place(text) is alone


def test_a_message_that_only_names_a_place_becomes_inform_place(places):
    from rasa.shared.nlu.training_data.message import Message

    plain = Message(
        data={
            "text": "Massachusetts",
            "intent": {"name": "deny", "confidence": 0.4},
            "intent_ranking": [{"name": "deny", "confidence": 0.4}],
        }
    )
    question = Message(data={"text": "free lawyer in Ohio", "intent": {"name": "ask_legal_help", "confidence": 0.9}})
    places.process([plain, question])
    assert plain.get("intent")["name"] == "inform_place"
    assert [e["value"] for e in plain.get("entities")] == ["MA"]
    assert question.get("intent")["name"] == "ask_legal_help"
    assert [e["value"] for e in question.get("entities")] == ["OH"]
