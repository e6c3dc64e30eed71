"""One trained model as a real running stack: cold start, behaviour, load, peak memory.

Harbor runs as `make run` starts it (`bot.launcher.Stack`: the action server, then the Rasa
server through `bot.rasa_cli`, with the SQLite conversation store and the privacy guard).
Rasa's default runs as Rasa ships: plain `rasa run` with the REST channel and Rasa's default
endpoints (in-memory conversations), talking to the same action server. State and logs go to a
folder under results/bench, never var/. Memory is sampled for the whole life of the
stack, from the first start to the end of the last load phase.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from bench import behaviour, load
from bench.memory import PeakMemory

START_TIMEOUT_S = 600  # generous: Rasa's default config has taken ~90 s to load on a busy 2-core machine


def first_answer(url: str, started: float, timeout: float = START_TIMEOUT_S) -> Tuple[float, bool]:
    """Seconds from `started` to the first 200 reply to "hello" on the REST channel.

    Polls every 50 ms; until the Rasa server has loaded its model it refuses connections.
    Returns (seconds, whether the reply had any message in it).
    """
    body = json.dumps({"sender": f"bench-cold-{uuid.uuid4().hex}", "message": "hello"}).encode()
    deadline = started + timeout
    while time.monotonic() < deadline:
        request = urllib.request.Request(f"{url}/webhooks/rest/webhook", body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                replies = json.loads(response.read() or b"[]")
                if response.status == 200:
                    return time.monotonic() - started, bool(replies)
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"no answer from {url} within {timeout:.0f} s")


def pid_of(server) -> Optional[int]:
    process = getattr(server, "process", None)
    return process.pid if process and process.poll() is None else None


def plain_rasa_command(model: Path, rasa_port: int, action_port: int, workdir: Path) -> List[str]:
    """`rasa run` as Rasa ships it: REST channel, default endpoints but for the action server."""
    credentials, endpoints = workdir / "credentials.yml", workdir / "endpoints.yml"
    credentials.write_text("rest:\n", encoding="utf-8")
    endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n', encoding="utf-8")
    return [
        sys.executable,
        "-m",
        "rasa",
        "run",
        "--model",
        str(model),
        "--interface",
        "127.0.0.1",
        "--port",
        str(rasa_port),
        "--credentials",
        str(credentials),
        "--endpoints",
        str(endpoints),
    ]


def measure(
    name: str,
    model: Path,
    rasa_port: int,
    action_port: int,
    workdir: Path,
    *,
    cold_starts: int,
    plan: List[Tuple[int, int]],
    warmup: int,
    turns: int,
    pools: Dict[str, List[str]],
    seed: int,
    plain_rasa: bool = False,
) -> dict:
    """Starts the stack, measures everything, stops it. Returns the raw numbers."""
    shutil.rmtree(workdir, ignore_errors=True)  # a fresh conversation store for every run
    workdir.mkdir(parents=True)
    # What `make run` does by default: the SQLite store in HARBOR_DATA_DIR, locks in the process;
    # no PostgreSQL or Redis even if this shell has them set. Stack writes its endpoints file
    # under HARBOR_DATA_DIR as this process sees it, hence os.environ too.
    env = {"HARBOR_DATA_DIR": str(workdir), "HARBOR_DATABASE_URL": "", "HARBOR_REDIS_URL": ""}
    os.environ.update(env)
    from bot.launcher import Stack, server_env

    stack = Stack(model, rasa_port=rasa_port, action_port=action_port, log_dir=workdir / "logs", env=env)
    if plain_rasa:
        stack.rasa.command = plain_rasa_command(model, rasa_port, action_port, workdir)
    out: dict = {"model": str(model), "url": stack.url}
    sampler = PeakMemory({"rasa": lambda: pid_of(stack.rasa), "actions": lambda: pid_of(stack.actions)})
    with sampler:
        try:
            # First start, as `make run` does it: both servers launched together.
            started = time.monotonic()
            stack.start(timeout=START_TIMEOUT_S)
            out["first_start_s"], _ = first_answer(stack.url, started)
            print(f"  {name}: first start {out['first_start_s']:.1f} s", flush=True)

            # Cold start: the action server already up, from launching the Rasa server to
            # its first answer. Restarted `cold_starts` times; the median is reported.
            out["cold_start_s"], out["cold_start_nonempty"] = [], []
            for _ in range(cold_starts):
                stack.rasa.stop()
                started = time.monotonic()
                stack.rasa.start(server_env(stack.env))
                seconds, nonempty = first_answer(stack.url, started)
                out["cold_start_s"].append(round(seconds, 2))
                out["cold_start_nonempty"].append(nonempty)
                print(f"  {name}: cold start {seconds:.1f} s", flush=True)
            samples = out["cold_start_s"] or [out["first_start_s"]]
            out["cold_start_median_s"] = statistics.median(samples)
            out["memory_after_start_mb"] = dict(sampler.last_mb)

            out["behaviour"] = behaviour.run(stack.url, workdir / "chat_eval.txt")
            print(f"  {name}: behaviour {out['behaviour']['passed']}/{out['behaviour']['total']}", flush=True)

            if warmup:
                convs = load.conversations(pools, warmup, turns, seed - 1)
                out["warmup"] = load.run_phase(stack.url, convs, min(2, warmup), "warmup").summary()

            out["phases"] = []
            for index, (concurrency, count) in enumerate(plan):
                convs = load.conversations(pools, count, turns, seed + index)  # same for both models
                phase = load.run_phase(stack.url, convs, concurrency, f"c{concurrency}").summary()
                out["phases"].append(phase)
                print(
                    f"  {name}: {concurrency} concurrent: p50 {phase['p50_ms']:.0f} ms, p95 {phase['p95_ms']:.0f} ms, "
                    f"p99 {phase['p99_ms']:.0f} ms, {phase['throughput_msg_s']:.1f} msg/s, "
                    f"{phase['errors']} errors",
                    flush=True,
                )
            out["memory_after_load_mb"] = dict(sampler.last_mb)
        finally:
            stack.stop()
    out["peak_memory_mb"] = {k: round(v, 1) for k, v in sampler.peak_mb.items()}
    print(f"  {name}: peak memory {out['peak_memory_mb']}", flush=True)
    return out
