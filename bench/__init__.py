"""`make bench`: Harbor measured side by side with Rasa's default configuration.

    python -m bench                  # everything; writes results/bench/report.md
    python -m bench --train-only     # train (and cache) the four models, then stop
    python -m bench --quick          # a fast, smaller run for development (never the README)

One module per concern: `split` (held-out NLU data), `train` (cached training), `nlu_eval`
(intent accuracy), `serve` (one running stack: cold start, behaviour, load, memory), `load`
(concurrent REST conversations), `memory` (RSS sampling), `machine`, `report`.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "results" / "bench"
SHARED_EVAL = ROOT.parent / "shared" / "eval"
