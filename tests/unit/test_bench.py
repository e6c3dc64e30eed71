"""The benchmark harness's pure pieces (bench/): no servers, no training, no timing."""

import numpy as np
import pytest
from sklearn.metrics import f1_score

from bench import ROOT, behaviour, load, report, split
from bench.nlu_eval import accuracy, macro_f1


@pytest.mark.parametrize("values", [[5.0], [3, 1, 2], list(range(1, 101)), [10, 10, 250, 12, 11, 900, 13]])
@pytest.mark.parametrize("p", [0, 50, 95, 99, 100])
def test_percentile_is_numpys_linear_interpolation(values, p):
    assert load.percentile(values, p) == pytest.approx(np.percentile(values, p))


def test_percentile_of_nothing_is_nan():
    assert np.isnan(load.percentile([], 95))


def test_macro_f1_matches_sklearn_over_the_true_intents():
    truth = ["a", "a", "b", "b", "c", "c", "c"]
    predicted = ["a", "b", "b", "b", "nlu_fallback", "c", "a"]
    expected = f1_score(truth, predicted, labels=sorted(set(truth)), average="macro")
    assert macro_f1(truth, predicted) == pytest.approx(expected)
    assert accuracy(truth, predicted) == pytest.approx(4 / 7)


@pytest.fixture(scope="module")
def the_split():
    return split.make_split(ROOT / "data" / "nlu", seed=42)


def training_examples(files):
    return {
        (path.parts[0], item["intent"], split.normal(e))
        for path, document in files.items()
        for item in document["nlu"]
        if "intent" in item and len(path.parts) > 1
        for e in split.examples_of(item["examples"])
    }


def test_split_is_deterministic(the_split):
    again = split.make_split(ROOT / "data" / "nlu", seed=42)
    assert again[1] == the_split[1]
    assert training_examples(again[0]) == training_examples(the_split[0])


def test_no_held_out_sentence_is_in_training(the_split):
    files, cases = the_split
    trained_texts = {text for _, _, text in training_examples(files)}
    assert cases and not {split.normal(c["text"]) for c in cases} & trained_texts


def test_split_holds_out_about_a_fifth_of_each_language_and_keeps_every_intent(the_split):
    files, cases = the_split
    trained = training_examples(files)
    for lang in split.LANGUAGES:
        held = [c for c in cases if c["lang"] == lang]
        n_train = sum(1 for language, _, _ in trained if language == lang)
        assert 0.15 < len(held) / (len(held) + n_train) < 0.25
        assert {c["intent"] for c in held} <= {i for language, i, _ in trained if language == lang}


def test_split_keeps_synonyms_and_regexes_whole(the_split):
    files, _ = the_split
    kept = [item for path, document in files.items() if len(path.parts) == 1 for item in document["nlu"]]
    assert any("regex" in item for item in kept) and any("synonym" in item for item in kept)


def test_a_different_seed_gives_a_different_split(the_split):
    assert split.make_split(ROOT / "data" / "nlu", seed=7)[1] != the_split[1]


def test_readme_markers_are_replaced_and_kept():
    text = f"# T\n\nbefore\n{report.START}\nold table\n{report.END}\nafter\n"
    new = report.replace_between(text, "| a | b |\n")
    assert new == f"# T\n\nbefore\n{report.START}\n| a | b |\n{report.END}\nafter\n"
    assert report.replace_between(new, "| a | b |") == new  # idempotent


def test_missing_markers_are_an_error():
    with pytest.raises(ValueError):
        report.replace_between("no markers here", "x")


def test_the_benchmark_page_has_the_markers_once_and_the_readme_none():
    page = (ROOT / "docs" / "benchmark.md").read_text(encoding="utf-8")
    assert page.count(report.START) == 1 and page.count(report.END) == 1
    assert page.index(report.START) < page.index(report.END)
    assert report.START not in (ROOT / "README.md").read_text(encoding="utf-8")  # make bench never writes it


def test_chat_eval_output_is_read_per_language():
    stdout = (
        "FAIL s2 [en/statistics] 'How many cases were reported in 2019?'\n  missing=[['1,507']]\n"
        "en/statistics                      1/3  \nen/t_visa                         10/10 \n"
        "es/t_visa                          4/5  \nlatency p50=40ms max=90ms\npass 15/18 (83.3%)\n"
    )
    parsed = behaviour.parse(stdout)
    assert (parsed["passed"], parsed["total"]) == (15, 18)
    assert parsed["by_lang"] == {"en": {"passed": 11, "total": 13}, "es": {"passed": 4, "total": 5}}
    assert parsed["failures"] == [{"id": "s2", "category": "en/statistics"}]


def test_conversations_are_seeded_and_keep_one_language():
    pools = {"en": [f"e{i}" for i in range(30)], "es": [f"s{i}" for i in range(20)]}
    first = load.conversations(pools, 12, 10, seed=3)
    assert first == load.conversations(pools, 12, 10, seed=3)
    for conv in first:
        assert len(conv) == 10 and len({t[0] for t in conv}) == 1


def test_load_plan_is_parsed():
    assert load.parse_plan("1x10, 8x32,32X64") == [(1, 10), (8, 32), (32, 64)]


def test_comparison_says_which_way_is_better():
    assert report.compare(20.0, 100.0, "lower", "ms") == "5.0× lower"
    assert report.compare(40.0, 10.0, "higher", "msg_s") == "4.0× higher"
    assert report.compare(40.0, 10.0, "lower", "ms") == "4.0× higher (worse)"
    assert report.compare(0.75, 0.70, "higher", "pct") == "+5.0 pts"
    assert report.compare(61.0, 60.0, "lower", "ms") == "about the same"
