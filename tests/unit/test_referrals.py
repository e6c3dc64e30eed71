"""The referral loader: good files load, each kind of broken file stops it naming file, key, problem."""

import copy
import datetime as dt
from pathlib import Path

import pytest
import yaml

from actions.referrals import (
    DEFAULT_DIR,
    KINDS,
    PLACES,
    REQUIRED_KINDS,
    ReferralError,
    default_publisher_check,
    load_referrals,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "referrals"


def fixture(code="az"):
    return yaml.safe_load((FIXTURES / f"{code}.yml").read_text(encoding="utf-8"))


def load_one(tmp_path, data, code="az", **kwargs):
    (tmp_path / f"{code}.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    kwargs.setdefault("publisher_check", None)
    return load_referrals(tmp_path, **kwargs)


def test_the_fixtures_load_with_every_kind_listed_or_explained():
    directory = load_referrals(FIXTURES, publisher_check=None)
    assert set(directory.places) == {"AZ", "FL", "NY"}
    ny = directory.place("ny")
    assert ny.name == {"en": "New York", "es": "Nueva York"}
    assert set(ny.resources) | set(ny.missing) == set(KINDS)
    assert ny.missing["trafficking"]["es"]
    compensation = ny.referrals(["compensation"])[0]
    assert compensation.phone == "518-555-0101"
    assert compensation.source.reviewed == dt.date(2026, 11, 1)
    assert compensation.note["en"].startswith("Test note")


def test_the_real_referral_data_loads_and_keeps_its_promises():
    """Every file under data/referrals: the place's required kinds, and each number in its quote."""
    directory = load_referrals(DEFAULT_DIR)
    assert directory.places, "no referral files in data/referrals"
    for code, place in directory.places.items():
        assert code in PLACES
        for kind in REQUIRED_KINDS:
            assert place.resources.get(kind), (code, kind)
        for referral in place.all_referrals():
            assert referral.source.url.startswith("https://"), (code, referral.name)
            if referral.phone:
                digits = "".join(ch for ch in referral.phone if ch.isdigit())[-10:]
                assert digits in "".join(ch for ch in referral.source.quote if ch.isdigit())


def test_a_rejecting_publisher_check_stops_the_load(tmp_path):
    with pytest.raises(ReferralError, match=r"compensation\[0\]\.source\.url: not a reviewed publisher"):
        load_one(tmp_path, fixture(), publisher_check=lambda url: "not a reviewed publisher")


def test_the_default_publisher_check_is_the_sources_module_when_it_exists():
    check = default_publisher_check()
    try:
        import actions.sources  # noqa: F401  (issue 14)
    except ImportError:
        assert check is None
    else:
        assert check is not None and check("http://example.org/") is not None


def broken(mutate):
    data = fixture()
    mutate(data)
    return data


def first(data, kind="compensation"):
    return data["resources"][kind][0]


CASES = [
    ("spanish name missing", lambda d: first(d)["name"].pop("es"), r"compensation\[0\]\.name\.es: is missing"),
    ("http source", lambda d: first(d)["source"].update(url="http://example.org/x"), r"source\.url: must be an https"),
    ("http program page", lambda d: first(d).update(url="http://example.org/x"), r"\]\.url: must be an https"),
    ("no review date", lambda d: first(d)["source"].pop("reviewed"), r"source\.reviewed: is missing"),
    (
        "review date as text",
        lambda d: first(d)["source"].update(reviewed="last week"),
        r"source\.reviewed: must be a date",
    ),
    (
        "review date in the future",
        lambda d: first(d)["source"].update(reviewed=dt.date(2999, 1, 1)),
        r"source\.reviewed: 2999-01-01 is in the future",
    ),
    (
        "phone badly written",
        lambda d: first(d).update(phone="(602) 555-0101"),
        r"compensation\[0\]\.phone: '\(602\) 555-0101' must be written",
    ),
    (
        "phone not in quote",
        lambda d: first(d).update(phone="602-555-0199"),
        r"compensation\[0\]\.phone: 602-555-0199 does not appear in source\.quote",
    ),
    ("note too long", lambda d: first(d)["note"].update(en="word " * 26), r"note\.en: must be at most 25"),
    ("kind silently absent", lambda d: d["missing"].pop("trafficking"), r"resources\.trafficking: is neither listed"),
    (
        "required kind missing",
        lambda d: d["resources"].pop("compensation"),
        r"resources\.compensation: every place needs",
    ),
    ("required kind empty", lambda d: d["resources"].update(legal_aid=[]), r"resources\.legal_aid: every place"),
    ("unknown kind", lambda d: d["resources"].update(shelters=[first(d)]), r"resources\.shelters: unknown kind"),
    (
        "listed and missing",
        lambda d: d["missing"].update(basic_needs={"en": "x", "es": "y"}),
        r"missing\.basic_needs: is both listed and named missing",
    ),
    ("wrong place code", lambda d: d.update(place="NM"), r"place: 'NM' must be the file name"),
    (
        "missing reason in one language",
        lambda d: d["missing"]["trafficking"].pop("es"),
        r"missing\.trafficking\.es: is missing",
    ),
]


@pytest.mark.parametrize("label, mutate, problem", CASES, ids=[c[0] for c in CASES])
def test_each_kind_of_broken_file_is_refused(tmp_path, label, mutate, problem):
    with pytest.raises(ReferralError, match=problem) as error:
        load_one(tmp_path, broken(mutate))
    assert error.value.file.name == "az.yml"


def test_a_code_that_is_not_a_place_is_refused(tmp_path):
    data = fixture()
    data["place"] = "ZZ"
    with pytest.raises(ReferralError, match="not the USPS code"):
        load_one(tmp_path, data, code="zz")


def test_invalid_yaml_is_refused(tmp_path):
    (tmp_path / "az.yml").write_text("place: [AZ\n", encoding="utf-8")
    with pytest.raises(ReferralError, match="not valid YAML"):
        load_referrals(tmp_path, publisher_check=None)


def test_a_phoneless_quote_without_the_name_is_flagged_for_review_not_refused(tmp_path):
    data = fixture()
    first(data, "legal_aid")["source"]["quote"] = "Some page."
    place = load_one(tmp_path, data).place("AZ")
    assert place.resources["legal_aid"][0].quote_shows_name is False
    assert place.resources["compensation"][0].quote_shows_name is True
    assert all(r.quote_shows_name for r in load_referrals(FIXTURES, publisher_check=None).place("AZ").all_referrals())


def test_there_are_52_places_to_cover():
    assert len(PLACES) == 52 and {"DC", "PR", "AZ", "WY"} <= set(PLACES)


def test_the_fixture_is_not_changed_by_a_test():
    assert copy.deepcopy(fixture()) == fixture()


# --- the state block in answers (actions/referral_answers.py), on the fixtures ----------------

from rasa_sdk import Tracker  # noqa: E402
from rasa_sdk.executor import CollectingDispatcher  # noqa: E402

from actions import place_answer  # noqa: E402
from actions.place_answer import ActionReferral  # noqa: E402
from actions.referral_answers import add_state_referral  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
DIRECTORY = load_referrals(FIXTURES, publisher_check=None)


def tracker(language="en", **slots):
    message = {"text": "…", "intent": {"name": "inform_place", "confidence": 0.9}, "entities": []}
    return Tracker("test-user", {"language": language, **slots}, message, [], False, None, None, "action_listen")


def referral(topic, t):
    dispatcher = CollectingDispatcher()
    events = add_state_referral(dispatcher, t, DOMAIN, topic, DIRECTORY)
    return dispatcher.messages, {e["name"]: e["value"] for e in events}


def test_a_known_place_gets_its_state_block_with_name_phone_and_link():
    messages, slots = referral("compensation", tracker(place="AZ"))
    text = messages[0]["text"]
    assert text.startswith("In Arizona:")
    assert "Fixture Arizona Victim Compensation" in text and "602-555-0101" in text
    assert "https://example.org/az/fixture-1" in text
    assert "November 1, 2026" in text
    assert slots == {"referral_kind": "compensation"}


def test_the_block_names_the_services_of_the_question_only():
    legal = referral("legal_help", tracker(place="NY"))[0][0]["text"]
    assert "Fixture New York Legal Help" in legal and "Fixture Pro Bono List" in legal
    assert "Compensation" not in legal and "211" not in legal
    shelter = referral("shelter", tracker(place="NY"))[0][0]["text"]
    assert "Fixture New York Coalition" in shelter and "211" in shelter


def test_the_block_speaks_spanish():
    text = referral("legal_help", tracker("es", place="NY"))[0][0]["text"]
    assert text.startswith("En Nueva York:") and "Ayuda legal de prueba de Nueva York" in text
    assert "de 2026" in text


def test_no_place_known_asks_which_state_optionally_with_a_skip_button():
    messages, slots = referral("shelter", tracker())
    assert messages[0]["response"] == "utter_ask_place"
    assert slots == {"referral_kind": "shelter"}
    buttons = [b for v in DOMAIN["responses"]["utter_ask_place"] for b in v["buttons"]]
    assert "/decline_place" in {b["payload"] for b in buttons}
    assert all("(optional)" in v["text"] or "(opcional)" in v["text"] for v in DOMAIN["responses"]["utter_ask_place"])


def test_a_refusal_is_respected_and_not_asked_again():
    assert referral("shelter", tracker(place="declined")) == ([], {})


def test_a_topic_without_a_referral_neither_asks_nor_adds():
    assert referral("t_visa", tracker()) == ([], {})
    assert referral("t_visa", tracker(place="AZ")) == ([], {})


def test_an_ambiguous_city_asks_which_state_with_buttons_and_forgets_the_guess():
    messages, slots = referral("legal_help", tracker(place="MO|MA|IL"))
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads == [
        '/inform_place{"place":"MO"}',
        '/inform_place{"place":"MA"}',
        '/inform_place{"place":"IL"}',
        "/decline_place",
    ]
    assert slots == {"referral_kind": "legal_help", "place": None}
    assert [b["title"] for b in messages[0]["buttons"]][:3] == ["Missouri", "Massachusetts", "Illinois"]


def test_a_place_without_a_file_gets_the_hotline_for_that_place():
    messages, _ = referral("legal_help", tracker(place="OH"))
    assert messages[0]["response"] == "utter_referral_no_data" and messages[0]["place"] == "Ohio"


def test_a_broken_directory_never_costs_the_national_answer():
    class Broken:
        def place(self, code):
            raise RuntimeError("boom")

    dispatcher = CollectingDispatcher()
    assert add_state_referral(dispatcher, tracker(place="AZ"), DOMAIN, "shelter", Broken()) == []


def test_a_follow_up_place_answers_the_pending_question_national_hotline_first(monkeypatch):
    monkeypatch.setattr(place_answer, "referral_directory", lambda: DIRECTORY)
    dispatcher = CollectingDispatcher()
    ActionReferral().run(dispatcher, tracker(place="FL", referral_kind="shelter"), DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_referral_national"
    assert dispatcher.messages[1]["text"].startswith("In Florida:")
    assert "Fixture Florida Coalition" in dispatcher.messages[1]["text"]


def test_an_unrecognised_place_is_asked_again(monkeypatch):
    monkeypatch.setattr(place_answer, "referral_directory", lambda: DIRECTORY)
    dispatcher = CollectingDispatcher()
    ActionReferral().run(dispatcher, tracker(referral_kind="shelter"), DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_place_again"]


def test_a_guessed_place_with_no_place_but_an_aspect_is_a_follow_up(monkeypatch):
    # "can I text instead?" after the hotline, guessed (weakly) to be a place
    monkeypatch.setattr(place_answer, "referral_directory", lambda: DIRECTORY)
    message = {
        "text": "can I text instead?",
        "intent": {"name": "inform_place", "confidence": 0.27},
        "entities": [{"entity": "aspect", "value": "text"}],
    }
    t = Tracker("u", {"language": "en", "last_topic": "hotline"}, message, [], False, None, None, "action_listen")
    dispatcher = CollectingDispatcher()
    ActionReferral().run(dispatcher, t, DOMAIN)
    assert "233733" in dispatcher.messages[0]["text"]


def test_every_referral_response_speaks_english_and_spanish():
    names = [
        n for n in DOMAIN["responses"] if n.startswith(("utter_referral", "utter_ask_place", "utter_place_declined"))
    ]
    assert len(names) >= 15
    for name in names:
        variants = DOMAIN["responses"][name]
        assert any(v.get("condition") for v in variants) and any(not v.get("condition") for v in variants), name


# --- make check-sources (actions/check_sources.py) --------------------------------------------

from actions import check_sources  # noqa: E402


def test_check_sources_lists_every_referral_and_flags_only_the_stale(capsys, tmp_path, monkeypatch):
    # the fixtures' example.org pages are not reviewed publishers: no publisher check here
    monkeypatch.setattr(
        check_sources, "load_referrals", lambda folder, today: load_referrals(folder, today=today, publisher_check=None)
    )
    (tmp_path / "az.yml").write_text((FIXTURES / "az.yml").read_text(encoding="utf-8"), encoding="utf-8")
    args = ["--referrals", str(tmp_path)]
    assert check_sources.main(args + ["--today", "2027-10-01"]) == 0
    listed = capsys.readouterr().out
    assert "2026-11-01  AZ compensation: Fixture Arizona Victim Compensation  <https://example.org/az/" in listed
    assert "AZ trafficking: (missing)" in listed and "[STALE]" not in listed
    assert check_sources.main(args + ["--today", "2027-11-02", "--stale-only"]) == 1
    flagged = capsys.readouterr().out.splitlines()
    assert flagged and all("[STALE" in line for line in flagged)
    assert any(line.startswith("2026-11-01  AZ basic_needs") for line in flagged)


def test_both_self_checks_end_with_help_in_the_state_or_the_optional_question():
    from actions.self_checks import ActionProtectionsCheckResult, ActionTraffickingCheckResult

    for action in (ActionTraffickingCheckResult(), ActionProtectionsCheckResult()):
        dispatcher = CollectingDispatcher()
        events = action.run(dispatcher, tracker(place="FL", pc_trafficked="yes"), DOMAIN)
        assert dispatcher.messages[-1]["text"].startswith("In Florida:")  # data/referrals/fl.yml
        assert {
            "event": "slot",
            "name": "referral_kind",
            "value": action.name().split("_")[1] + "_check",
            "timestamp": None,
        } in events
        dispatcher = CollectingDispatcher()
        action.run(dispatcher, tracker(), DOMAIN)
        assert dispatcher.messages[-1]["response"] == "utter_ask_place"
