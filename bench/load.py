"""Concurrent conversations over Rasa's REST channel: latency percentiles and throughput.

A phase runs `concurrency` workers in a closed loop (each sends its next message as soon as
the previous reply arrives) until `conversations` conversations of `turns` messages are done.
Every conversation has a new sender id, and keeps one language: its messages are drawn,
seeded, from the realistic questions of the shared behaviour cases and our paraphrase set.
Latency is per request (send to full reply); throughput is answered messages per second of
the phase's wall-clock time.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import yaml

TIMEOUT_S = 120


def percentile(values: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default method)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def load_messages(*case_files: Path) -> Dict[str, List[str]]:
    """Message texts by language from chat_eval case files."""
    pools: Dict[str, List[str]] = {}
    for path in case_files:
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            pools.setdefault(case.get("lang", "en"), []).append(case["text"])
    return {lang: sorted(set(texts)) for lang, texts in pools.items()}


def conversations(pools: Dict[str, List[str]], count: int, turns: int, seed: int) -> List[List[str]]:
    """`count` conversations; a language is picked in proportion to its share of messages."""
    rng = random.Random(seed)
    langs = sorted(pools)
    weights = [len(pools[lang]) for lang in langs]
    out = []
    for _ in range(count):
        pool = pools[rng.choices(langs, weights)[0]]
        out.append(rng.sample(pool, turns) if len(pool) >= turns else [rng.choice(pool) for _ in range(turns)])
    return out


@dataclass
class Phase:
    concurrency: int
    conversations: int
    turns: int
    latencies_ms: List[float]
    errors: int
    empty: int
    seconds: float

    def summary(self) -> dict:
        lat = self.latencies_ms
        return {
            "concurrency": self.concurrency,
            "conversations": self.conversations,
            "turns": self.turns,
            "requests": len(lat) + self.errors,
            "errors": self.errors,
            "empty_replies": self.empty,
            "seconds": round(self.seconds, 2),
            "throughput_msg_s": len(lat) / self.seconds if self.seconds else 0.0,
            "p50_ms": percentile(lat, 50),
            "p95_ms": percentile(lat, 95),
            "p99_ms": percentile(lat, 99),
            "mean_ms": sum(lat) / len(lat) if lat else float("nan"),
        }


async def _run_phase(
    url: str, convs: List[List[str]], concurrency: int, tag: str
) -> Tuple[List[float], int, int, float]:
    import aiohttp  # only here: the pure helpers above are used by the unit tests

    queue: asyncio.Queue = asyncio.Queue()
    for conv in convs:
        queue.put_nowait(conv)
    latencies: List[float] = []
    failures = {"errors": 0, "empty": 0}
    endpoint = f"{url}/webhooks/rest/webhook"

    async def worker(session: "aiohttp.ClientSession") -> None:
        while True:
            try:
                conv = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            sender = f"bench-{tag}-{uuid.uuid4().hex}"
            for text in conv:
                started = time.perf_counter()
                try:
                    async with session.post(endpoint, json={"sender": sender, "message": text}) as response:
                        body = await response.json(content_type=None)
                        ok = response.status == 200 and isinstance(body, list)
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                    ok, body = False, None
                elapsed = (time.perf_counter() - started) * 1000
                if ok:
                    latencies.append(elapsed)
                    failures["empty"] += not body
                else:
                    failures["errors"] += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return latencies, failures["errors"], failures["empty"], seconds


def run_phase(url: str, convs: List[List[str]], concurrency: int, tag: str) -> Phase:
    latencies, errors, empty, seconds = asyncio.run(_run_phase(url, convs, concurrency, tag))
    return Phase(concurrency, len(convs), len(convs[0]) if convs else 0, latencies, errors, empty, seconds)


def parse_plan(plan: str) -> List[Tuple[int, int]]:
    """ "1x10,8x32" → [(1, 10), (8, 32)]: concurrency × conversations per phase."""
    phases = []
    for part in plan.split(","):
        concurrency, count = part.strip().lower().split("x")
        phases.append((int(concurrency), int(count)))
    return phases
