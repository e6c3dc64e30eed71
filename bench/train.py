"""Trains the benchmark's models, timed, and caches them by a hash of their inputs.

Rasa's default configuration with DIET, TED and UnexpecTED takes many minutes to train here,
so each trained model is kept in results/bench/models/ with a JSON record of how long its
training took and when; a later run with the same inputs reuses both (`--retrain` forces).
Rasa's own training cache is switched off so that every measured training is a full one.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Dict, Iterable, List, Optional

import yaml

from bench import ROOT

SITE_RASA = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages" / "rasa"
# What `rasa init` writes: recipe, language, and no pipeline/policies, so that Rasa fills in
# its defaults (engine/recipes/config_files/default_config.yml: DIET, TED, UnexpecTED …).
INIT_CONFIG = SITE_RASA / "cli" / "initial_project" / "config.yml"
AUTOFILL_DEFAULTS = SITE_RASA / "engine" / "recipes" / "config_files" / "default_config.yml"
QUICK_EPOCHS = 2  # --quick only: the default config's neural components cut to this many epochs
NEURAL = {"DIETClassifier", "ResponseSelector", "TEDPolicy", "UnexpecTEDIntentPolicy"}


class LoadWatch:
    """The machine's 1-minute load average during a training: another job on the 2 cores
    slows training, and the recorded time should say so."""

    def __init__(self, interval: float = 15):
        self.samples: List[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.samples.append(os.getloadavg()[0])

    def summary(self) -> dict:
        samples = self.samples or [os.getloadavg()[0]]
        return {"mean": round(sum(samples) / len(samples), 2), "max": round(max(samples), 2)}

    def __enter__(self) -> "LoadWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Trained:
    name: str  # "harbor" or "default"
    kind: str  # "full" (NLU + dialogue, served) or "nlu" (held-out evaluation)
    path: Path
    seconds: float  # wall-clock training time, as measured when it was trained
    measured_at: str
    cached: bool
    size_bytes: int
    config_label: str
    load_average: Optional[dict] = None  # the machine's load during that training

    def as_dict(self) -> dict:
        return {**self.__dict__, "path": str(self.path)}


def default_config_text(quick: bool) -> str:
    """Rasa's `rasa init` config (auto-filled by Rasa at training time).

    Rasa rewrites a config with the placeholder assistant_id, and writes the auto-filled
    defaults into it as comments, so training uses a copy; a fixed assistant_id only spares
    that rewrite (it names the model, it does not change it). In quick mode the auto-fill
    defaults are written out with the neural components' epochs cut — clearly not the default.
    """
    if not quick:
        config = yaml.safe_load(INIT_CONFIG.read_text(encoding="utf-8"))
        config["assistant_id"] = "bench_rasa_default"
        return yaml.safe_dump(config, sort_keys=False)
    config = yaml.safe_load(AUTOFILL_DEFAULTS.read_text(encoding="utf-8"))
    config["assistant_id"] = "bench_rasa_default_quick"
    for component in config["pipeline"] + config["policies"]:
        if component["name"] in NEURAL:
            component["epochs"] = QUICK_EPOCHS
    return (
        "# QUICK MODE: Rasa's default config with epochs cut to %d. Not Rasa's default.\n" % QUICK_EPOCHS
        + yaml.safe_dump(config, sort_keys=False)
    )


def config_text(name: str, quick: bool) -> str:
    if name == "harbor":
        return (ROOT / "config.yml").read_text(encoding="utf-8")
    return default_config_text(quick)


def files_under(paths: Iterable[Path]) -> List[Path]:
    found = []
    for path in paths:
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return sorted(found)


def fingerprint(config: str, inputs: Iterable[Path], bases: List[Path], extra: str = "") -> str:
    """A hash of the config text, each input file's name and bytes, and Rasa's version.

    Names are relative to the first of `bases` that holds the file, so that the same
    split written to another folder (quick and full runs) gives the same key.
    """
    digest = hashlib.sha256()
    digest.update(f"rasa {version('rasa')}\n{extra}\n".encode())
    digest.update(config.encode())
    for path in files_under(inputs):
        base = next(b for b in bases if path.is_relative_to(b))
        digest.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def training_inputs(config: str, kind: str, data: List[Path]) -> List[Path]:
    """What the model depends on, as the Makefile's TRAINING_INPUTS (bot/nlu only if used)."""
    inputs = [*data] if kind == "nlu" else [ROOT / "domain.yml", *data]
    if "bot.nlu." in config:
        inputs.append(ROOT / "bot" / "nlu")
    return inputs


def train_env(cache_dir: Path) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONHASHSEED": "0",
            "PYTHONPATH": str(ROOT),  # Harbor's pipeline has custom components (bot.nlu.*)
            "RASA_MAX_CACHE_SIZE": "0",  # no reuse of earlier trainings: time a full training
            "RASA_CACHE_DIRECTORY": str(cache_dir),
        }
    )
    return env


def train(
    name: str,
    kind: str,
    out_dir: Path,
    *,
    quick: bool = False,
    retrain: bool = False,
    nlu_data: Optional[Path] = None,
    log: Optional[Path] = None,
) -> Trained:
    """Trains one model (or reuses the cached one with the same inputs).

    kind "full": `rasa train` on domain.yml and data/ (what `make train` does).
    kind "nlu":  `rasa train nlu` on `nlu_data` (the 80% split).
    """
    config = config_text(name, quick)
    data = [nlu_data] if kind == "nlu" else [ROOT / "data" / d for d in ("nlu", "rules", "stories")]
    bases = [nlu_data, ROOT] if kind == "nlu" else [ROOT]
    key = fingerprint(config, training_inputs(config, kind, data), bases, extra=kind)
    stem = f"{name}-{kind}{'-quick' if quick and name == 'default' else ''}-{key}"
    model, record = out_dir / f"{stem}.tar.gz", out_dir / f"{stem}.json"
    label = (
        "Harbor config.yml"
        if name == "harbor"
        else (f"Rasa default, QUICK (epochs={QUICK_EPOCHS})" if quick else "Rasa default (rasa init)")
    )

    if model.exists() and record.exists() and not retrain:
        saved = json.loads(record.read_text())
        return Trained(
            name,
            kind,
            model,
            saved["seconds"],
            saved["measured_at"],
            True,
            model.stat().st_size,
            label,
            saved.get("load_average"),
        )

    out_dir.mkdir(parents=True, exist_ok=True)
    config_file = out_dir / f"{stem}.config.yml"
    config_file.write_text(config, encoding="utf-8")
    command = [sys.executable, "-m", "bot.rasa_cli", "train"]
    if kind == "nlu":
        command += ["nlu", "--nlu", str(nlu_data)]
    else:
        command += ["--domain", str(ROOT / "domain.yml"), "--data", str(ROOT / "data")]
    command += ["--config", str(config_file), "--out", str(out_dir), "--fixed-model-name", stem, "--quiet"]

    log = log or out_dir / f"{stem}.log"
    print(f"  training {label} ({kind}) → {model.name} (log: {log})", flush=True)
    started = time.monotonic()
    with log.open("w") as handle, LoadWatch() as machine_load:
        result = subprocess.run(
            command, cwd=ROOT, env=train_env(out_dir / ".rasa-cache"), stdout=handle, stderr=subprocess.STDOUT
        )
    seconds = time.monotonic() - started
    if result.returncode != 0 or not model.exists():
        raise RuntimeError(f"training {stem} failed (exit {result.returncode}); see {log}")
    measured_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    record.write_text(
        json.dumps(
            {
                "seconds": round(seconds, 1),
                "measured_at": measured_at,
                "key": key,
                "config": label,
                "load_average": machine_load.summary(),
            },
            indent=1,
        )
    )
    print(f"  trained in {seconds:.0f} s", flush=True)
    return Trained(
        name, kind, model, round(seconds, 1), measured_at, False, model.stat().st_size, label, machine_load.summary()
    )
