"""The machine a benchmark ran on, so that its figures can be read in context."""

from __future__ import annotations

import os
import platform
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def _first(path: str, prefix: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip() if ":" in line else line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "unknown"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def describe() -> dict:
    mem_kib = _first("/proc/meminfo", "MemTotal")
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cpu": _first("/proc/cpuinfo", "model name"),
        "cores": len(os.sched_getaffinity(0)),
        "ram_gb": round(int(mem_kib.split()[0]) / 1024**2, 1) if mem_kib != "unknown" else None,
        "os": f"{_first('/etc/os-release', 'PRETTY_NAME=')}, Linux {platform.release()}",
        "python": platform.python_version(),
        "rasa": _version("rasa"),
        "rasa_sdk": _version("rasa-sdk"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
