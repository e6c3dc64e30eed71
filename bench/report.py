"""The benchmark report: Markdown tables, a plot, and the README's benchmark section.

`results` is the raw JSON that `python -m bench` writes (results/bench/results.json).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, List, Optional, Tuple

START, END = "<!-- bench:start -->", "<!-- bench:end -->"

# Targets from issue 8, each (label, test(results) -> (value text, met or None)).
P95_TARGET_MS, THROUGHPUT_RATIO, COLD_START_S, TRAINING_S, RASA_MEMORY_MB = 100, 4, 20, 90, 800


def replace_between(text: str, body: str, start: str = START, end: str = END) -> str:
    """`text` with everything between the markers replaced by `body` (markers kept)."""
    first = text.find(start)
    last = text.find(end, first + len(start)) if first >= 0 else -1
    if first < 0 or last < 0:
        raise ValueError(f"markers {start} … {end} not found")
    return text[: first + len(start)] + "\n" + body.strip("\n") + "\n" + text[last:]


# ---- reading numbers out of the results ---------------------------------------------------


def phase(results: dict, name: str, concurrency: int) -> Optional[dict]:
    for p in results.get("serve", {}).get(name, {}).get("phases", []):
        if p["concurrency"] == concurrency:
            return p
    return None


def get(results: dict, name: str, path: str):
    """'serve.cold_start_median_s' → results['serve'][name]['cold_start_median_s']; None if absent."""
    section, *keys = path.split(".")
    value = results.get(section, {}).get(name)
    for key in keys:
        if value is None:
            return None
        if key.startswith("phase"):
            value = next((p for p in value.get("phases", []) if p["concurrency"] == int(key[5:])), None)
        else:
            value = value.get(key) if isinstance(value, dict) else None
    return value


def _ok(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


# ---- formatting ---------------------------------------------------------------------------


def compare(h, d, better: str, kind: str) -> str:
    """How Harbor stands against the default: '4.1× higher', '5.0× lower', '+2.3 pts'."""
    if not (_ok(h) and _ok(d)):
        return "—"
    if kind == "pct":
        return f"{100 * (h - d):+.1f} pts"
    if kind == "f1":
        return f"{h - d:+.3f}"
    if d == 0 or h == 0:
        return "—"
    ratio = h / d if h > d else d / h
    if ratio < 1.05:
        return "about the same"
    direction = "higher" if h > d else "lower"
    good = (direction == "higher") == (better == "higher")
    return f"{ratio:.1f}× {direction}" + ("" if good else " (worse)")


def fmt(value, kind: str) -> str:
    if not _ok(value):
        return "—"
    return {
        "pct": lambda v: f"{100 * v:.1f}%",
        "f1": lambda v: f"{v:.3f}",
        "ms": lambda v: f"{v:.0f} ms",
        "s": lambda v: f"{v:.1f} s" if v < 120 else f"{v / 60:.1f} min",
        "msg_s": lambda v: f"{v:.1f} msg/s",
        "mb": lambda v: f"{v:.0f} MB",
        "mb1": lambda v: f"{v:.1f} MB",
        "ms1": lambda v: f"{v:.1f} ms",
    }[kind](value)


def _behaviour(results: dict, name: str, lang: Optional[str]) -> Tuple[Optional[float], str]:
    b = results.get("serve", {}).get(name, {}).get("behaviour")
    if not b:
        return None, "—"
    passed, total = (
        (b["passed"], b["total"])
        if lang is None
        else (b["by_lang"].get(lang, {}).get("passed", 0), b["by_lang"].get(lang, {}).get("total", 0))
    )
    if not total:
        return None, "—"
    return passed / total, f"{passed}/{total} ({100 * passed / total:.1f}%)"


def rows(results: dict) -> List[Tuple[str, str, str, str]]:
    """(metric, Harbor, default, comparison) for the side-by-side table."""
    out = []

    def add(label: str, path: str, kind: str, better: str, scale: Callable = lambda v: v):
        h, d = (get(results, n, path) for n in ("harbor", "default"))
        h, d = (scale(v) if _ok(v) else None for v in (h, d))
        out.append((label, fmt(h, kind), fmt(d, kind), compare(h, d, better, kind)))

    for lang, language in (("en", "English"), ("es", "Spanish")):
        n = get(results, "harbor", f"nlu.{lang}.n")
        add(f"Intent accuracy, {language} (held-out, n={n})", f"nlu.{lang}.accuracy", "pct", "higher")
        add(f"Intent macro-F1, {language}", f"nlu.{lang}.macro_f1", "f1", "higher")
    for lang, label in ((None, "all"), ("en", "English"), ("es", "Spanish")):
        (h, ht), (d, dt) = (_behaviour(results, n, lang) for n in ("harbor", "default"))
        out.append((f"Behaviour, `dev.yml` pass rate ({label})", ht, dt, compare(h, d, "higher", "pct")))
    for concurrency in (1, 8):
        for pct in (50, 95, 99):
            add(
                f"Latency p{pct}, {concurrency} conversation{'s' if concurrency > 1 else ''}",
                f"serve.phase{concurrency}.p{pct}_ms",
                "ms",
                "lower",
            )
    for concurrency in (8, 32):
        add(
            f"Throughput, {concurrency} concurrent conversations",
            f"serve.phase{concurrency}.throughput_msg_s",
            "msg_s",
            "higher",
        )
    add("Cold start (Rasa server launch → first answer, median)", "serve.cold_start_median_s", "s", "lower")
    add("First start (both servers launched together, as `make run`)", "serve.first_start_s", "s", "lower")
    add("Training time (`rasa train`, full model)", "models.full.seconds", "s", "lower")
    add("Model size", "models.full.size_bytes", "mb1", "lower", lambda b: b / 1e6)
    add("Peak memory, Rasa server", "serve.peak_memory_mb.rasa", "mb", "lower")
    add("Peak memory, action server", "serve.peak_memory_mb.actions", "mb", "lower")
    return out


def targets(results: dict) -> List[Tuple[str, str, str]]:
    """(target, reached, met?) for issue 8's targets."""

    def verdict(ok: Optional[bool]) -> str:
        return "—" if ok is None else ("met" if ok else "**not met**")

    h = lambda path: get(results, "harbor", path)  # noqa: E731
    d = lambda path: get(results, "default", path)  # noqa: E731
    out = []
    p95 = h("serve.phase8.p95_ms")
    out.append(
        (
            f"p95 latency at 8 concurrent ≤ {P95_TARGET_MS} ms",
            fmt(p95, "ms"),
            verdict(p95 <= P95_TARGET_MS if _ok(p95) else None),
        )
    )
    ht, dt = h("serve.phase8.throughput_msg_s"), d("serve.phase8.throughput_msg_s")
    ratio = ht / dt if _ok(ht) and _ok(dt) and dt else None
    out.append(
        (
            f"throughput at 8 concurrent ≥ {THROUGHPUT_RATIO}× the default's",
            f"{ratio:.1f}×" if ratio else "—",
            verdict(ratio >= THROUGHPUT_RATIO if ratio else None),
        )
    )
    cold = h("serve.cold_start_median_s")
    out.append((f"cold start ≤ {COLD_START_S} s", fmt(cold, "s"), verdict(cold <= COLD_START_S if _ok(cold) else None)))
    train = h("models.full.seconds")
    out.append((f"training ≤ {TRAINING_S} s", fmt(train, "s"), verdict(train <= TRAINING_S if _ok(train) else None)))
    mem = h("serve.peak_memory_mb.rasa")
    out.append(
        (
            f"Rasa server peak memory ≤ {RASA_MEMORY_MB} MB",
            fmt(mem, "mb"),
            verdict(mem <= RASA_MEMORY_MB if _ok(mem) else None),
        )
    )
    for lang, language in (("en", "English"), ("es", "Spanish")):
        hf, df = h(f"nlu.{lang}.macro_f1"), d(f"nlu.{lang}.macro_f1")
        out.append(
            (
                f"intent macro-F1 ≥ the default's, {language}",
                f"{fmt(hf, 'f1')} vs {fmt(df, 'f1')}",
                verdict(hf >= df if _ok(hf) and _ok(df) else None),
            )
        )
    return out


def machine_line(results: dict) -> str:
    m = results["machine"]
    end = m.get("load_average_at_end")
    return (
        f"{m['date'][:10]}, {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, {m['os']}, "
        f"Python {m['python']}, Rasa {m['rasa']} (rasa-sdk {m['rasa_sdk']}); "
        f"1-minute load average {m['load_average'][0]} at the start" + (f", {end[0]} at the end" if end else "")
    )


def table(header: Tuple[str, ...], body: List[Tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)


def training_note(results: dict) -> str:
    notes = []
    for name, label in (("harbor", "Harbor"), ("default", "Rasa default")):
        full = results.get("models", {}).get(name, {}).get("full")
        if full:
            when = "cached from a training measured" if full["cached"] else "measured in this run,"
            load = full.get("load_average")
            notes.append(
                f"{label}: {full['seconds']:.0f} s, {when} {full['measured_at'][:16].replace('T', ' ')} UTC"
                + (f" (load average {load['mean']} meanwhile)" if load else "")
            )
    return "Training times — " + "; ".join(notes) + "." if notes else ""


def summary_markdown(results: dict, plot: Optional[str] = None) -> str:
    """The part shared by report.md and the README: machine, side-by-side table, targets."""
    s = results["settings"]
    plan = ", ".join(f"{c} × {n} conversations" for c, n in s["plan"])
    parts = []
    if results.get("quick"):
        parts.append(
            "> **QUICK RUN — not the benchmark.** Fewer conversations, and Rasa's default config "
            f"trained with its neural components cut to {s.get('quick_epochs')} epochs."
        )
    busy = results["machine"]["load_average"][0]
    if busy > 0.5:
        parts.append(
            f"> The machine was not idle when this run started (1-minute load average {busy} on "
            f"{results['machine']['cores']} cores): latency, throughput and cold start are pessimistic."
        )
    parts += [
        f"Measured by `{'python -m bench --quick' if results.get('quick') else 'make bench'}` "
        f"on {machine_line(results)}.",
        table(("", "Harbor", "Rasa default", "Harbor vs default"), rows(results)),
        f"Load: REST conversations of {s['turns']} turns, each a new sender, messages drawn (seeded, the same "
        f"for both) from `dev.yml` and `tests/eval/paraphrases.yml`; phases {plan}, after "
        f"{s['warmup']} warm-up conversations. Held-out NLU: a seeded 80/20 split per language and intent "
        f"(seed {s['seed']}), NLU-only models trained on the 80%. Cold start: median of "
        f"{s['cold_starts']} restart(s) of the Rasa server with the action server up. " + training_note(results),
        table(("Target (issue 8)", "Harbor", "verdict"), targets(results)),
    ]
    if plot:
        parts.append(f"![Latency and throughput, Harbor vs Rasa's default configuration]({plot})")
    return "\n\n".join(parts)


def failures_by_category(failures: List[dict]) -> str:
    """'en/emergency: e1, e2; es/t_visa: es1' — which kinds of question a config gets wrong."""
    grouped: dict = {}
    for failure in failures:
        grouped.setdefault(failure["category"], []).append(failure["id"])
    return "; ".join(f"{category}: {', '.join(ids)}" for category, ids in grouped.items()) or "none"


def report_markdown(results: dict, plot: Optional[str]) -> str:
    """results/bench/report.md: the summary plus details (per-phase numbers, failures)."""
    parts = ["# Harbor benchmark: Harbor vs Rasa's default configuration", summary_markdown(results, plot)]
    detail = []
    for name, label in (("harbor", "Harbor"), ("default", "Rasa default")):
        serve = results.get("serve", {}).get(name)
        if not serve:
            continue
        detail.append(f"### {label}")
        body = [
            (
                str(p["concurrency"]),
                str(p["requests"]),
                str(p["errors"]),
                str(p["empty_replies"]),
                f"{p['seconds']:.1f}",
                fmt(p["p50_ms"], "ms"),
                fmt(p["p95_ms"], "ms"),
                fmt(p["p99_ms"], "ms"),
                fmt(p["throughput_msg_s"], "msg_s"),
            )
            for p in serve.get("phases", [])
        ]
        detail.append(
            table(
                ("concurrent", "requests", "errors", "empty replies", "seconds", "p50", "p95", "p99", "throughput"),
                body,
            )
        )
        mb = lambda d: ", ".join(f"{k} {v:.0f}" for k, v in (d or {}).items())  # noqa: E731
        detail.append(
            f"Cold starts: {', '.join(f'{s:.1f}' for s in serve.get('cold_start_s', []))} s; "
            f"first start {serve.get('first_start_s', 0):.1f} s. RSS in MB (process trees) after start: "
            f"{mb(serve.get('memory_after_start_mb'))}; after the load: {mb(serve.get('memory_after_load_mb'))}; "
            f"peak: {mb(serve.get('peak_memory_mb'))}."
        )
        b = serve.get("behaviour")
        if b:
            detail.append(f"`dev.yml` failures: {failures_by_category(b['failures'])}.")
        nlu = results.get("nlu", {}).get(name)
        if nlu:
            detail.append(
                table(
                    (
                        "language",
                        "n",
                        "accuracy",
                        "macro-F1",
                        "fallback share",
                        "accuracy before fallback",
                        "macro-F1 before fallback",
                        "NLU parse, p50",
                    ),
                    [
                        (
                            lang,
                            str(v["n"]),
                            fmt(v["accuracy"], "pct"),
                            fmt(v["macro_f1"], "f1"),
                            fmt(v["fallback_share"], "pct"),
                            fmt(v["accuracy_before_fallback"], "pct"),
                            fmt(v["macro_f1_before_fallback"], "f1"),
                            fmt(v.get("parse_ms_p50"), "ms1"),
                        )
                        for lang, v in nlu.items()
                    ],
                )
            )
        models = results.get("models", {}).get(name, {})
        detail.append(
            "Models: "
            + "; ".join(
                f"{kind}: `{Path(m['path']).name}`, {m['size_bytes'] / 1e6:.1f} MB, trained in {m['seconds']:.0f} s"
                f"{' (cached, measured ' + m['measured_at'] + ')' if m['cached'] else ''}"
                for kind, m in models.items()
            )
        )
    if detail:
        parts += ["## Details", *detail]
    return "\n\n".join(parts) + "\n"


def plot(results: dict, path: Path) -> Optional[Path]:
    """Latency percentiles at 1 and 8 concurrent, and throughput at 8 and 32 (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [("harbor", "Harbor", "#1f6f8b"), ("default", "Rasa default", "#c0c0c0")]
    if not all(results.get("serve", {}).get(n) for n, _, _ in names):
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4), gridspec_kw={"width_ratios": [3, 1.4]})
    groups = [(c, p) for c in (1, 8) for p in (50, 95, 99)]
    width = 0.38
    for offset, (name, label, colour) in zip((-width / 2, width / 2), names):
        values = [(phase(results, name, c) or {}).get(f"p{p}_ms", float("nan")) for c, p in groups]
        left.bar([i + offset for i in range(len(groups))], values, width, label=label, color=colour)
        tput = [(phase(results, name, c) or {}).get("throughput_msg_s", float("nan")) for c in (8, 32)]
        right.bar([i + offset for i in range(2)], tput, width, label=label, color=colour)
    left.set_xticks(range(len(groups)), [f"p{p}\n{c} conv." for c, p in groups])
    left.set_yscale("log")
    left.set_ylabel("ms per message (log)")
    left.set_title("REST latency (lower is better)")
    left.axhline(P95_TARGET_MS, color="#b33", lw=0.8, ls="--", label=f"target: p95 ≤ {P95_TARGET_MS} ms at 8")
    left.legend(frameon=False, fontsize=8)
    right.set_xticks(range(2), ["8 conv.", "32 conv."])
    right.set_ylabel("messages / s")
    right.set_title("Throughput (higher is better)")
    for axis in (left, right):
        axis.spines[["top", "right"]].set_visible(False)
    if results.get("quick"):
        fig.suptitle("QUICK RUN — not the benchmark", color="#b33")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
