"""python -m bench: train, evaluate, serve and load both configs; write the report.

Steps, in order: the held-out split → training (cached) → held-out NLU scores → each
model as a running stack, one at a time so that they do not share the 2 cores → report
(results/bench/report.md, results.json, bench.png) → docs/benchmark.md's benchmark section.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

from bench import RESULTS, ROOT, SHARED_EVAL, load, machine, nlu_eval, report, serve, split, train

PORTS = {"harbor": (16005, 16055), "default": (16105, 16155)}
FULL_PLAN, QUICK_PLAN = "1x20,8x48,32x64", "1x2,8x8,32x32"
PLOT_MAX_BYTES = 150_000  # copied into docs/ for the README only if it stays small


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick",
        action="store_true",
        help="development run: small load, 1 cold start, Rasa's default config trained with "
        f"{train.QUICK_EPOCHS} epochs (labelled QUICK; never updates the README)",
    )
    ap.add_argument("--retrain", action="store_true", help="train again even if a cached model matches")
    ap.add_argument("--train-only", action="store_true", help="train (and cache) the models, then stop")
    ap.add_argument("--models", default="harbor,default", help="which to run: harbor,default")
    ap.add_argument("--cold-starts", type=int, help="Rasa server restarts to time (default 2; quick 1)")
    ap.add_argument("--load", help=f"phases, concurrency x conversations (default {FULL_PLAN}; quick {QUICK_PLAN})")
    ap.add_argument("--turns", type=int, default=10, help="messages per conversation")
    ap.add_argument("--warmup", type=int, help="warm-up conversations before the load phases (default 6; quick 2)")
    ap.add_argument("--seed", type=int, default=42, help="seed of the NLU split and of the conversations")
    ap.add_argument("--skip-nlu", action="store_true", help="leave out the held-out NLU evaluation")
    ap.add_argument("--skip-serve", action="store_true", help="leave out the running stacks")
    ap.add_argument(
        "--update-docs",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="replace docs/benchmark.md's benchmark table (between the bench markers)",
    )
    ap.add_argument(
        "--out", type=Path, help="where to write the report (default results/bench; quick: results/bench/quick)"
    )
    ap.add_argument("--report-only", action="store_true", help="rewrite the report from the saved results.json")
    args = ap.parse_args(argv)
    args.cold_starts = args.cold_starts if args.cold_starts is not None else (1 if args.quick else 2)
    args.load = args.load or (QUICK_PLAN if args.quick else FULL_PLAN)
    args.warmup = args.warmup if args.warmup is not None else (2 if args.quick else 6)
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    if args.quick and args.update_docs:
        ap.error("--quick results never go into docs/benchmark.md")
    return args


def prepare_split(out: Path, seed: int):
    """Writes the 80% as Rasa NLU data and the 20% as test cases; returns both paths."""
    train_files, test_cases = split.make_split(ROOT / "data" / "nlu", seed=seed)
    train_dir = out / "split" / "train"
    shutil.rmtree(train_dir, ignore_errors=True)
    split.write_training_files(train_files, train_dir)
    cases = out / "split" / "test.json"
    cases.write_text(json.dumps(test_cases, ensure_ascii=False, indent=0), encoding="utf-8")
    print(
        f"held-out split: {len(test_cases)} test sentences "
        f"({sum(c['lang'] == 'en' for c in test_cases)} EN, {sum(c['lang'] == 'es' for c in test_cases)} ES)"
    )
    return train_dir, cases


def write_report(results: dict, out: Path, update_docs: bool) -> None:
    (out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    png = report.plot(results, out / "bench.png")
    (out / "report.md").write_text(report.report_markdown(results, png.name if png else None), encoding="utf-8")
    print(f"report: {out / 'report.md'}")
    if not update_docs:
        return
    plot = None
    if png and png.stat().st_size <= PLOT_MAX_BYTES:
        shutil.copyfile(png, ROOT / "docs" / "bench.png")
        plot = "bench.png"  # beside docs/benchmark.md
    page = ROOT / "docs" / "benchmark.md"
    page.write_text(
        report.replace_between(page.read_text(encoding="utf-8"), report.summary_markdown(results, plot)),
        encoding="utf-8",
    )
    print("docs/benchmark.md: benchmark section updated")


def main(argv=None) -> None:
    args = parse_args(argv)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    out = args.out or (RESULTS / "quick" if args.quick else RESULTS)
    out.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        write_report(json.loads((out / "results.json").read_text(encoding="utf-8")), out, args.update_docs)
        return

    started = time.monotonic()
    results = {
        "quick": args.quick,
        "machine": machine.describe(),
        "settings": {
            "plan": load.parse_plan(args.load),
            "turns": args.turns,
            "warmup": args.warmup,
            "cold_starts": args.cold_starts,
            "seed": args.seed,
            "models": args.models,
            "quick_epochs": train.QUICK_EPOCHS if args.quick else None,
        },
        "models": {},
        "nlu": {},
        "serve": {},
    }
    print(f"bench: {'QUICK ' if args.quick else ''}run, results in {out}", flush=True)

    train_dir, cases = prepare_split(out, args.seed)
    models_dir = RESULTS / "models"  # shared by quick and full runs: the cache is keyed by inputs
    for name in args.models:
        results["models"][name] = {
            "full": train.train(name, "full", models_dir, quick=args.quick, retrain=args.retrain).as_dict(),
            "nlu": train.train(
                name, "nlu", models_dir, quick=args.quick, retrain=args.retrain, nlu_data=train_dir
            ).as_dict(),
        }
    if args.train_only:
        print(json.dumps(results["models"], indent=1))
        return

    if not args.skip_nlu:
        for name in args.models:
            print(f"held-out NLU: {name}", flush=True)
            model = results["models"][name]["nlu"]["path"]
            results["nlu"][name] = nlu_eval.evaluate(
                model, cases, out / f"nlu-predictions-{name}.json", out / f"nlu-eval-{name}.log"
            )
            for lang, s in results["nlu"][name].items():
                print(f"  {name} {lang}: accuracy {s['accuracy']:.3f}, macro-F1 {s['macro_f1']:.3f}", flush=True)

    if not args.skip_serve:
        pools = load.load_messages(SHARED_EVAL / "dev.yml", ROOT / "tests" / "eval" / "paraphrases.yml")
        for name in args.models:
            print(f"stack: {name}", flush=True)
            rasa_port, action_port = PORTS[name]
            results["serve"][name] = serve.measure(
                name,
                Path(results["models"][name]["full"]["path"]),
                rasa_port,
                action_port,
                out / "run" / name,
                cold_starts=args.cold_starts,
                plan=results["settings"]["plan"],
                warmup=args.warmup,
                turns=args.turns,
                pools=pools,
                seed=args.seed,
                plain_rasa=(name == "default"),
            )  # the baseline runs as Rasa ships
            (out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")

    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["duration_s"] = round(time.monotonic() - started)
    write_report(results, out, args.update_docs)
    print(f"bench: done in {results['duration_s'] / 60:.1f} min", flush=True)


if __name__ == "__main__":
    sys.exit(main())
