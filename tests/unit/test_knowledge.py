"""The knowledge base: the real files are complete, and each kind of broken file is refused."""

import datetime as dt
from pathlib import Path

import pytest
import yaml

from actions.knowledge import LANGUAGES, KnowledgeError, load_knowledge

REAL = Path(__file__).resolve().parents[2] / "data" / "knowledge"


@pytest.fixture(scope="module")
def kb():
    return load_knowledge(REAL)


def test_every_entry_has_a_source_and_a_review_date(kb):
    entries = list(kb.entries())
    assert len(entries) > 40
    for entry in entries:
        assert entry.sources, entry.key
        assert all(
            s.title and (s.is_web or (REAL.parents[1] / s.url.split("#")[0]).is_file()) for s in entry.sources
        ), entry.key
        assert entry.sources[0].is_web or entry.topic == "privacy", entry.key  # official pages first
        assert isinstance(entry.reviewed, dt.date), entry.key


def test_every_entry_speaks_english_and_spanish(kb):
    for entry in kb.entries():
        for lang in LANGUAGES:
            assert entry.text[lang].strip() and entry.button[lang].strip(), (entry.key, lang)
        assert entry.text["en"] != entry.text["es"], entry.key


def test_every_knowledge_intent_of_the_domain_has_a_topic(kb):
    domain = yaml.safe_load((REAL.parents[1] / "domain.yml").read_text(encoding="utf-8"))
    rules = yaml.safe_load((REAL.parents[1] / "data/rules/knowledge.yml").read_text(encoding="utf-8"))
    answered = {step["intent"] for step in rules["rules"][0]["steps"][0]["or"]}
    assert answered <= set(domain["intents"])
    assert answered == {t.intent for t in kb.topics.values()}


def test_the_2021_ice_directive_is_shown_as_replaced_in_2025(kb):
    statuses = [e.status for e in kb.topics["ice_policy"].entries if e.status]
    replaced = [s for s in statuses if s.state == "replaced"]
    assert replaced and replaced[0].replaced_on == dt.date(2025, 1, 31)
    assert "11005.4" in replaced[0].replaced_by
    overview = kb.topics["ice_policy"].overview.text["en"]
    assert "11005.3" in overview or "2021" in overview
    assert "2025" in overview


NEVER_SAY = [
    "ice will not arrest",
    "ice will not deport",
    "will not be deported",
    "won't be deported",
    "cannot be deported",
    "can't be deported",
    "1-888-428-7581",
    "1,507",
    "1,290",
    "71%",
]


def test_no_promise_of_protection_and_nothing_unverified(kb):
    for entry in kb.entries():
        text = entry.text["en"].lower()
        for phrase in NEVER_SAY:
            assert phrase not in text or "could not" in text or "not be verified" in text, (entry.key, phrase)


def test_aspect_selection_prefers_the_specific_aspect(kb):
    topic = kb.topics["t_visa"]
    assert "fee" in topic.select(["apply", "fee"]).aspects
    assert topic.select([]) is topic.overview
    assert topic.select(["no-such-aspect"]) is topic.overview


# --- broken files -------------------------------------------------------------------------

GOOD_ENTRY = {
    "id": "overview",
    "aspects": [],
    "button": {"en": "About it", "es": "Sobre esto"},
    "text": {"en": "An answer.", "es": "Una respuesta."},
    "sources": [{"title": "USCIS", "url": "https://www.uscis.gov/"}],
    "reviewed": dt.date(2026, 1, 1),
    "next": [],
}


def topic_file(**overrides):
    data = {
        "topic": "sample",
        "intent": "ask_sample",
        "legal": True,
        "title": {"en": "Sample", "es": "Muestra"},
        "entries": [dict(GOOD_ENTRY)],
    }
    data.update(overrides)
    return data


def write(folder, data, name="sample.yml"):
    path = folder / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def entry_with(**changes):
    entry = dict(GOOD_ENTRY)
    for key, value in changes.items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    return entry


def test_a_valid_file_loads(tmp_path):
    write(tmp_path, topic_file())
    kb = load_knowledge(tmp_path)
    assert kb.topic_for_intent("ask_sample").overview.text["es"] == "Una respuesta."


def test_contact_placeholders_are_filled_in_each_language(tmp_path):
    text = {
        "en": "Call {hotline.phone}, or {emergency.phone}. {hotline.name}.",
        "es": "Llame al {hotline.phone}. {hotline.name}.",
    }
    write(tmp_path, topic_file(entries=[entry_with(text=text)]))
    entry = load_knowledge(tmp_path).topic_for_intent("ask_sample").overview
    assert entry.text["en"] == "Call 1-888-373-7888, or 911. National Human Trafficking Hotline."
    assert entry.text["es"] == "Llame al 1-888-373-7888. Línea Nacional contra la Trata de Personas."


@pytest.mark.parametrize(
    "entry, key, problem",
    [
        (entry_with(sources=None), "entries[0].sources", "missing"),
        (entry_with(sources=[]), "entries[0].sources", "non-empty"),
        (entry_with(sources=[{"title": "x", "url": "uscis.gov"}]), "entries[0].sources[0].url", "http"),
        (entry_with(sources=[{"url": "https://x.gov"}]), "entries[0].sources[0].title", "missing"),
        (
            entry_with(sources=[{"title": "DHS", "url": "http://www.dhs.gov/continued-presence"}]),
            "entries[0].sources[0].url",
            "https://",
        ),
        (
            entry_with(sources=[{"title": "A law firm", "url": "https://longbeachimmigrationlawfirm.com/u"}]),
            "entries[0].sources[0].url",
            "not on the reviewed list",
        ),
        (
            entry_with(sources=[{"title": "Demo copy", "url": "https://demo.womenslaw.org/laws/federal"}]),
            "entries[0].sources[0].url",
            "not on the reviewed list",
        ),
        (
            entry_with(sources=[{"title": "Wikipedia", "url": "https://en.wikipedia.org/wiki/T_visa"}]),
            "entries[0].sources[0].url",
            "sample.overview",
        ),
        (entry_with(text={"en": "Call 1-888-373-7888.", "es": "Llame."}), "entries[0].text.en", "{hotline.phone}"),
        (entry_with(text={"en": "Call 911.", "es": "Llame."}), "entries[0].text.en", "{emergency.phone}"),
        (
            entry_with(text={"en": "Text {hotline.sms}.", "es": "Texto."}),
            "entries[0].text",
            "no contact detail {hotline.sms}",
        ),
        (entry_with(reviewed=None), "entries[0].reviewed", "missing"),
        (entry_with(reviewed="last week"), "entries[0].reviewed", "YYYY-MM-DD"),
        (entry_with(reviewed=dt.date(2999, 1, 1)), "entries[0].reviewed", "future"),
        (entry_with(text={"en": "Only English."}), "entries[0].text.es", "missing"),
        (entry_with(text={"en": "x", "es": "  "}), "entries[0].text.es", "non-empty"),
        (entry_with(button=None), "entries[0].button", "missing"),
        (entry_with(next=["nowhere"]), "entries[0].next", "does not name"),
        (
            entry_with(status={"state": "repealed", "effective": dt.date(2021, 8, 10)}),
            "entries[0].status.state",
            "in_force",
        ),
        (
            entry_with(status={"state": "replaced", "effective": dt.date(2021, 8, 10)}),
            "entries[0].status.replaced_on",
            "missing",
        ),
    ],
)
def test_an_incomplete_entry_is_refused_naming_file_key_and_problem(tmp_path, entry, key, problem):
    path = write(tmp_path, topic_file(entries=[entry]))
    with pytest.raises(KnowledgeError) as raised:
        load_knowledge(tmp_path)
    assert raised.value.file == path
    assert raised.value.key == key
    assert problem in raised.value.problem
    assert str(path) in str(raised.value) and key in str(raised.value)


@pytest.mark.parametrize(
    "data, key, problem",
    [
        (topic_file(topic="other"), "topic", "file name"),
        (topic_file(intent=None), "intent", "missing"),
        (topic_file(title={"en": "Sample"}), "title.es", "missing"),
        (topic_file(legal="yes"), "legal", "true or false"),
        (topic_file(entries=[]), "entries", "non-empty"),
        (topic_file(entries=[entry_with(aspects=["fee"])]), "entries", "overview"),
        (topic_file(entries=[dict(GOOD_ENTRY), dict(GOOD_ENTRY)]), "entries", "duplicate"),
        ("topic: [unclosed", "(syntax)", "not valid YAML"),
        ("- just\n- a list\n", "(top)", "mapping"),
    ],
)
def test_a_malformed_topic_file_is_refused(tmp_path, data, key, problem):
    write(tmp_path, data)
    with pytest.raises(KnowledgeError) as raised:
        load_knowledge(tmp_path)
    assert raised.value.key == key
    assert problem in raised.value.problem


def test_two_topics_cannot_share_an_intent(tmp_path):
    write(tmp_path, topic_file())
    write(tmp_path, topic_file(topic="second"), name="second.yml")
    with pytest.raises(KnowledgeError, match="already used"):
        load_knowledge(tmp_path)


def test_an_empty_folder_is_refused(tmp_path):
    with pytest.raises(KnowledgeError, match="no knowledge files"):
        load_knowledge(tmp_path)


# --- what issue 14 found wrong, so that it cannot come back -------------------------------


def texts(kb, lang="en"):
    return {entry.key: entry.text[lang] for entry in kb.entries()}


def test_every_source_is_https_and_from_a_reviewed_publisher(kb):
    from actions.sources import source_problem

    for entry in kb.entries():
        for source in entry.sources:
            if source.is_web:
                assert source_problem(source.url) is None, (entry.key, source.url)


def test_the_old_hsi_number_is_gone_and_the_tip_line_is_1_877_4_hsi_tip(kb):
    for lang in LANGUAGES:
        for key, text in texts(kb, lang).items():
            assert "1-866-347-2423" not in text and "DHS-2-ICE" not in text, key
    tip_line = kb.lookup("report.tip_line").text["en"]
    assert "1-877-447-4847" in tip_line and "1-877-4-HSI-TIP" in tip_line
    assert "1-877-447-4847" in kb.lookup("report.overview").text["en"]


def test_hsi_tips_may_reach_police_in_other_countries(kb):
    assert "other countries" in kb.lookup("report.tip_line").text["en"]
    assert "otros países" in kb.lookup("report.tip_line").text["es"]
    assert "other countries" in kb.lookup("report.confidentiality").text["en"]


def test_1367_is_described_as_protecting_applicants_not_every_victim(kb):
    for key in ("ice_policy.overview", "ice_policy.unchanged", "rights.overview"):
        en = kb.lookup(key).text["en"].lower()
        assert "whatever their status" not in en, key
        assert "applied for or got" in en, key
        assert "pidieron o recibieron" in kb.lookup(key).text["es"] or "pidió o recibió" in kb.lookup(key).text["es"], (
            key
        )


def test_privacy_answers_say_what_is_kept_and_who_carries_messages(kb):
    for key, text in texts(kb).items():
        assert "only the assistant reads" not in text.lower(), key
    for lang in LANGUAGES:
        confidentiality = kb.lookup("privacy.confidentiality").text[lang]
        assert "24" in confidentiality and "WhatsApp" in confidentiality and "Telegram" in confidentiality
        assert "24" in kb.lookup("privacy.overview").text[lang]


def test_the_two_year_continued_presence_term_is_not_cited_to_the_one_year_page(kb):
    for entry in kb.entries():
        if entry.topic == "continued_presence" and "2 years" in entry.text["en"]:
            assert "https://www.dhs.gov/continued-presence" not in [s.url for s in entry.sources], entry.key


def test_the_u_visa_is_credited_to_vawa_2000_not_the_tvpa(kb):
    tvpa = kb.lookup("law.tvpa").text["en"]
    assert "VAWA 2000, created the U visa" in tvpa
    assert "It also created the T visa, the U visa" not in tvpa


def test_snap_change_dated_from_the_law_and_medicaid_said_as_it_is_now(kb):
    snap = kb.lookup("benefits.snap").text["en"]
    assert "July 4, 2025" in snap and "October 31, 2025" in snap
    medicaid = kb.lookup("benefits.medicaid").text["en"]
    assert "Since October 1, 2026" in medicaid and "children and pregnant people" in medicaid
    for key, text in texts(kb).items():
        assert "narrow on October 1, 2026" not in text, key


def test_people_trafficked_as_children_can_sue_with_no_time_limit(kb):
    for key in ("law.civil_suit", "continued_presence.civil_suit"):
        assert "2255" in kb.lookup(key).text["en"] and "no time limit" in kb.lookup(key).text["en"], key


def test_stale_items_are_dated_and_said_to_be_unsettled(kb):
    lawsuit = kb.lookup("ice_policy.lawsuit").text["en"]
    assert "As of November 29, 2026" in lawsuit and "still changing" in lawsuit
    holds = kb.lookup("legal_help.before_filing").text["en"]
    assert "December 2025" in holds and "not known if T, U or VAWA cases are held" in holds


def test_the_hotline_answers_say_plainly_that_it_may_share_with_police(kb):
    confidentiality = kb.lookup("hotline.confidentiality").text["en"]
    assert "share information with law enforcement" in confidentiality
    for key, text in texts(kb).items():
        assert "confidential" not in text.lower() or not key.startswith("hotline."), key
        assert "200 other languages" not in text and "200 languages" not in text, key


def test_spanish_wording_fixed(kb):
    spanish = texts(kb, "es")
    for key, text in spanish.items():
        assert "los adultos reciben" not in text, key
        assert not __import__("re").search(r"\b(negación|negad[ao])\b", text), key  # denegación
        assert "considerable" not in text, key
        if "notario" in text.lower():
            assert "en EE. UU., un notario público no es abogado" in text.replace("En EE. UU.", "en EE. UU."), key
    assert "abuso físico o mental sustancial" in spanish["u_visa.overview"]


NO_YES_NO = __import__("re").compile(r"^\s*(yes|no|sí)\b", __import__("re").IGNORECASE)


def test_no_answer_starts_with_yes_or_no(kb):
    """Any entry can be picked for a question it was not written for: "Yes." would then lie."""
    for entry in kb.entries():
        for lang in LANGUAGES:
            assert not NO_YES_NO.match(entry.text[lang]), (entry.key, lang, entry.text[lang][:20])


def test_no_number_is_typed_in_knowledge_text(kb):
    """Contact details are placeholders ({hotline.phone}); the raw files hold no phone number."""
    import re

    from bot.contacts import typed_contact

    phone_shaped = re.compile(r"\b\d{3}[-. ]\d{3}[-. ]\d{4}\b|\b1-\d{3}-[A-Z0-9-]{7,}")
    for path in sorted(REAL.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in data.get("entries", []):
            for lang in LANGUAGES:
                raw = entry["text"][lang]
                assert typed_contact(raw) is None, (path.name, entry["id"], typed_contact(raw))
                assert not phone_shaped.search(raw), (path.name, entry["id"], phone_shaped.search(raw))
