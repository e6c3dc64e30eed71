"""Plain words: every answer is short and easy to read, measured with textstat (issue 14).

English: Flesch-Kincaid grade 8 or below and at most 80 words.
Spanish: at most 90 words and a Fernández-Huerta score of 60 or more. Fernández-Huerta is the Spanish
form of Flesch reading ease; 60-70 is "normal" on its scale, the level of a 7th-8th grade reader, so
60 is the Spanish counterpart of "grade 8".
Texts are measured as rendered (contact placeholders filled). A web address counts as one short word:
readability formulas score words and syllables, and a URL is neither.

Run `python -m tests.unit.test_readability` for the distribution (the README's table).
"""

import re
import statistics
from importlib.metadata import version
from typing import Dict, List

import pytest
import textstat

from actions.knowledge import load_knowledge

MAX_GRADE_EN = 8.0
MAX_WORDS_EN = 80
MAX_WORDS_ES = 90
MIN_EASE_ES = 60.0  # Fernández-Huerta
ADDRESS = re.compile(r"https?://\S+|\b[\w.-]+\.(?:org|gov|com)(?:/\S*)?")


def plain(text: str) -> str:
    return ADDRESS.sub("link", text)


def scores(text: str, language: str) -> Dict[str, float]:
    textstat.set_lang(language)
    try:
        words = textstat.lexicon_count(text)
        if language == "es":
            return {"words": words, "ease": textstat.fernandez_huerta(plain(text))}
        return {"words": words, "grade": textstat.flesch_kincaid_grade(plain(text))}
    finally:
        textstat.set_lang("en")


@pytest.fixture(scope="module")
def entries():
    return list(load_knowledge().entries())


def test_every_english_answer_is_grade_8_or_below_and_at_most_80_words(entries):
    hard = []
    for entry in entries:
        measured = scores(entry.text["en"], "en")
        if measured["grade"] > MAX_GRADE_EN or measured["words"] > MAX_WORDS_EN:
            hard.append((entry.key, measured))
    assert not hard, hard


def test_every_spanish_answer_reads_easily_and_is_at_most_90_words(entries):
    hard = []
    for entry in entries:
        measured = scores(entry.text["es"], "es")
        if measured["ease"] < MIN_EASE_ES or measured["words"] > MAX_WORDS_ES:
            hard.append((entry.key, measured))
    assert not hard, hard


def test_the_measure_tells_hard_text_from_plain_text():
    hard = (
        "Notwithstanding the aforementioned jurisdictional considerations, adjudicative determinations "
        "regarding nonimmigrant classification necessitate comprehensive documentation."
    )
    assert scores(hard, "en")["grade"] > MAX_GRADE_EN
    assert scores("You can call the hotline. It is free. It is open all day.", "en")["grade"] <= MAX_GRADE_EN
    dificil = (
        "No obstante las consideraciones jurisdiccionales precedentemente mencionadas, las "
        "determinaciones administrativas correspondientes requieren documentación exhaustiva."
    )
    assert scores(dificil, "es")["ease"] < MIN_EASE_ES
    assert scores("Puede llamar a la línea. Es gratis. Abre todo el día.", "es")["ease"] >= MIN_EASE_ES


def distribution() -> str:
    rows: Dict[str, List[float]] = {"en grade": [], "en words": [], "es ease": [], "es words": []}
    for entry in load_knowledge().entries():
        en, es = scores(entry.text["en"], "en"), scores(entry.text["es"], "es")
        rows["en grade"].append(en["grade"])
        rows["en words"].append(en["words"])
        rows["es ease"].append(es["ease"])
        rows["es words"].append(es["words"])
    lines = [
        f"{len(rows['en grade'])} entries, textstat {version('textstat')}",
        "| measure | min | median | max | limit |",
        "| --- | --- | --- | --- | --- |",
    ]
    limits = {
        "en grade": f"≤ {MAX_GRADE_EN:g}",
        "en words": f"≤ {MAX_WORDS_EN}",
        "es ease": f"≥ {MIN_EASE_ES:g}",
        "es words": f"≤ {MAX_WORDS_ES}",
    }
    for name, values in rows.items():
        lines.append(
            f"| {name} | {min(values):.1f} | {statistics.median(values):.1f} | {max(values):.1f} | {limits[name]} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(distribution())
