"""Intent accuracy and macro-F1 on the held-out sentences, per language.

The model is loaded in a child process (`python -m bench.nlu_eval`), so that TensorFlow
never lives in the process that later generates load. The pipeline is measured as it
runs in production: Harbor's danger safety net and both configs' FallbackClassifier may
change the intent, and `nlu_fallback` counts as a wrong answer. The intent the classifier
ranked first before the fallback is recorded too ("before fallback").

    python -m bench.nlu_eval MODEL CASES.json OUT.json
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Sequence

from bench import ROOT
from bench.load import percentile

FALLBACK = "nlu_fallback"


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Unweighted mean F1 over the intents that occur in `truth`.

    Predictions outside those intents (e.g. nlu_fallback) count as misses of the true
    intent, but do not add a class of their own (sklearn's f1_score with labels=truth).
    """
    labels = sorted(set(truth))
    scores = []
    for label in labels:
        tp = sum(1 for t, p in zip(truth, predicted) if t == label and p == label)
        fp = sum(1 for t, p in zip(truth, predicted) if t != label and p == label)
        fn = sum(1 for t, p in zip(truth, predicted) if t == label and p != label)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def accuracy(truth: Sequence[str], predicted: Sequence[str]) -> float:
    return sum(t == p for t, p in zip(truth, predicted)) / len(truth) if truth else 0.0


def scores(predictions: List[dict]) -> Dict[str, dict]:
    """Per language: n, accuracy, macro-F1, and both before the fallback."""
    out = {}
    for lang in sorted({p["lang"] for p in predictions}):
        rows = [p for p in predictions if p["lang"] == lang]
        truth = [r["intent"] for r in rows]
        served = [r["predicted"] for r in rows]
        raw = [r["before_fallback"] for r in rows]
        out[lang] = {
            "n": len(rows),
            "accuracy": accuracy(truth, served),
            "macro_f1": macro_f1(truth, served),
            "fallback_share": sum(p == FALLBACK for p in served) / len(rows),
            "accuracy_before_fallback": accuracy(truth, raw),
            "macro_f1_before_fallback": macro_f1(truth, raw),
            # NLU alone, one message at a time in one process: where the served latency starts.
            "parse_ms_p50": percentile([r["parse_ms"] for r in rows if "parse_ms" in r], 50),
        }
    return out


def evaluate(model: Path, cases: Path, out: Path, log: Path) -> Dict[str, dict]:
    """Runs this module on `model` in a child process; returns scores per language."""
    env = dict(
        os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(ROOT), PYTHONHASHSEED="0"
    )
    with log.open("w") as handle:
        result = subprocess.run(
            [sys.executable, "-m", "bench.nlu_eval", str(model), str(cases), str(out)],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    if result.returncode != 0:
        raise RuntimeError(f"NLU evaluation of {model.name} failed; see {log}")
    return scores(json.loads(out.read_text()))


def _predict(model: Path, cases: List[dict]) -> List[dict]:
    import asyncio
    import logging
    import time

    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    # Warnings only: Rasa's debug log would copy every test sentence into the log.
    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))

    async def run() -> List[dict]:
        rows = []
        for case in cases:
            started = time.perf_counter()
            parsed = await agent.parse_message(case["text"])
            parse_ms = (time.perf_counter() - started) * 1000
            ranking = [r.get("name") for r in parsed.get("intent_ranking") or []]
            predicted = (parsed.get("intent") or {}).get("name")
            before = next((name for name in ranking if name != FALLBACK), predicted)
            rows.append({**case, "predicted": predicted, "before_fallback": before, "parse_ms": round(parse_ms, 2)})
        return rows

    return asyncio.run(run())


def main() -> None:
    model, cases, out = map(Path, sys.argv[1:4])
    rows = _predict(model, json.loads(cases.read_text(encoding="utf-8")))
    out.write_text(json.dumps(rows, ensure_ascii=False, indent=0), encoding="utf-8")


if __name__ == "__main__":
    main()
