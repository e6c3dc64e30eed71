"""Peak resident memory (RSS) of a server's process tree, sampled from /proc.

A background thread reads VmRSS of each watched process and its descendants a few times a
second for the whole life of a stack (start-up, evaluation and load), and keeps the maximum.
The process is looked up at every tick, so a restarted server is followed. /proc rather than
psutil: psutil is not installed with Rasa 3.6 here, and this needs nothing more.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable, Dict, List, Optional

PROC = Path("/proc")


def rss_kib(pid: int) -> int:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def children(pid: int) -> List[int]:
    found = []
    try:
        for task in (PROC / str(pid) / "task").iterdir():
            try:
                found += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
    except OSError:
        pass
    return found


def tree_rss_mb(pid: int) -> float:
    """RSS of a process and all its descendants, in MB (10^6 bytes)."""
    total, stack, seen = 0, [pid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        total += rss_kib(current)
        stack.extend(children(current))
    return total * 1024 / 1e6


class PeakMemory:
    """Samples named processes (name → callable returning the current pid or None)."""

    def __init__(self, processes: Dict[str, Callable[[], Optional[int]]], interval: float = 0.2):
        self.processes, self.interval = processes, interval
        self.peak_mb: Dict[str, float] = {name: 0.0 for name in processes}
        self.last_mb: Dict[str, float] = {name: 0.0 for name in processes}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-memory", daemon=True)

    def sample(self) -> None:
        for name, pid_of in self.processes.items():
            pid = pid_of()
            if pid:
                mb = tree_rss_mb(pid)
                if mb:
                    self.last_mb[name] = mb
                    self.peak_mb[name] = max(self.peak_mb[name], mb)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
