"""The shared behaviour cases (../shared/eval/dev.yml) through chat_eval.py, against a stack.

chat_eval.py prints one `lang/category  passed/total` line per category, a `FAIL id [lang/cat]`
line per failure (with --show-failures) and `pass P/N (R%)` last; this reads those lines.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Dict

from bench import SHARED_EVAL

CATEGORY = re.compile(r"^(?P<lang>[a-z]{2})/(?P<cat>\S+)\s+(?P<passed>\d+)/(?P<total>\d+)\s*$")
FAILURE = re.compile(r"^FAIL (?P<id>\S+) \[(?P<key>[^\]]+)\]")
OVERALL = re.compile(r"^pass (?P<passed>\d+)/(?P<total>\d+)")


def parse(stdout: str) -> Dict:
    by_lang: Dict[str, list] = {}
    failures, overall = [], None
    for line in stdout.splitlines():
        if m := CATEGORY.match(line):
            counts = by_lang.setdefault(m["lang"], [0, 0])
            counts[0] += int(m["passed"])
            counts[1] += int(m["total"])
        elif m := FAILURE.match(line):
            failures.append({"id": m["id"], "category": m["key"]})
        elif m := OVERALL.match(line):
            overall = [int(m["passed"]), int(m["total"])]
    if overall is None:
        raise ValueError("chat_eval.py printed no `pass P/N` line")
    return {
        "passed": overall[0],
        "total": overall[1],
        "by_lang": {lang: {"passed": p, "total": n} for lang, (p, n) in sorted(by_lang.items())},
        "failures": failures,
    }


def run(url: str, log: Path, cases: Path = SHARED_EVAL / "dev.yml") -> Dict:
    result = subprocess.run(
        [
            sys.executable,
            str(SHARED_EVAL / "chat_eval.py"),
            str(cases),
            "--url",
            f"{url}/webhooks/rest/webhook",
            "--show-failures",
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    log.write_text(result.stdout + result.stderr, encoding="utf-8")
    return parse(result.stdout)
