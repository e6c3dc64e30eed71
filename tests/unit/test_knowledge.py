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
        assert all(s.title and (s.is_web or (REAL.parents[1] / s.url.split("#")[0]).is_file())
                   for s in entry.sources), entry.key
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
    "ice will not arrest", "ice will not deport", "will not be deported", "won't be deported",
    "cannot be deported", "can't be deported", "1-888-428-7581", "1,507", "1,290", "71%",
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
    "id": "overview", "aspects": [],
    "button": {"en": "About it", "es": "Sobre esto"},
    "text": {"en": "An answer.", "es": "Una respuesta."},
    "sources": [{"title": "USCIS", "url": "https://www.uscis.gov/"}],
    "reviewed": dt.date(2026, 1, 1), "next": [],
}


def topic_file(**overrides):
    data = {"topic": "sample", "intent": "ask_sample", "legal": True,
            "title": {"en": "Sample", "es": "Muestra"}, "entries": [dict(GOOD_ENTRY)]}
    data.update(overrides)
    return data


def write(folder, data, name="sample.yml"):
    path = folder / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True),
                    encoding="utf-8")
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


@pytest.mark.parametrize("entry, key, problem", [
    (entry_with(sources=None), "entries[0].sources", "missing"),
    (entry_with(sources=[]), "entries[0].sources", "non-empty"),
    (entry_with(sources=[{"title": "x", "url": "uscis.gov"}]), "entries[0].sources[0].url", "http"),
    (entry_with(sources=[{"url": "https://x.gov"}]), "entries[0].sources[0].title", "missing"),
    (entry_with(reviewed=None), "entries[0].reviewed", "missing"),
    (entry_with(reviewed="last week"), "entries[0].reviewed", "YYYY-MM-DD"),
    (entry_with(reviewed=dt.date(2999, 1, 1)), "entries[0].reviewed", "future"),
    (entry_with(text={"en": "Only English."}), "entries[0].text.es", "missing"),
    (entry_with(text={"en": "x", "es": "  "}), "entries[0].text.es", "non-empty"),
    (entry_with(button=None), "entries[0].button", "missing"),
    (entry_with(next=["nowhere"]), "entries[0].next", "does not name"),
    (entry_with(status={"state": "repealed", "effective": dt.date(2021, 8, 10)}),
     "entries[0].status.state", "in_force"),
    (entry_with(status={"state": "replaced", "effective": dt.date(2021, 8, 10)}),
     "entries[0].status.replaced_on", "missing"),
])
def test_an_incomplete_entry_is_refused_naming_file_key_and_problem(tmp_path, entry, key, problem):
    path = write(tmp_path, topic_file(entries=[entry]))
    with pytest.raises(KnowledgeError) as raised:
        load_knowledge(tmp_path)
    assert raised.value.file == path
    assert raised.value.key == key
    assert problem in raised.value.problem
    assert str(path) in str(raised.value) and key in str(raised.value)


@pytest.mark.parametrize("data, key, problem", [
    (topic_file(topic="other"), "topic", "file name"),
    (topic_file(intent=None), "intent", "missing"),
    (topic_file(title={"en": "Sample"}), "title.es", "missing"),
    (topic_file(legal="yes"), "legal", "true or false"),
    (topic_file(entries=[]), "entries", "non-empty"),
    (topic_file(entries=[entry_with(aspects=["fee"])]), "entries", "overview"),
    (topic_file(entries=[dict(GOOD_ENTRY), dict(GOOD_ENTRY)]), "entries", "duplicate"),
    ("topic: [unclosed", "(syntax)", "not valid YAML"),
    ("- just\n- a list\n", "(top)", "mapping"),
])
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
