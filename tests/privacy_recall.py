"""Recall of the personal-data scrubber on the written sets in tests/data/ (README "What we keep").

    .venv/bin/python -m tests.privacy_recall      prints the table the README shows

An item counts as removed when no word of three letters or more of it (for numbers: no run of
four of its digits) is left in the scrubbed text. `keep` strings must come through unchanged.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

ROOT = Path(__file__).resolve().parents[1]
SETS = {
    "first set (152 messages; used to tune the patterns)": ROOT / "tests/data/personal_data_messages.yml",
    "holdout set (129 messages; written later, blind)": ROOT / "tests/data/personal_data_messages_holdout.yml",
}


def removed(item: str, scrubbed: str) -> bool:
    if item in scrubbed:
        return False
    if re.search(r"\d", item):
        digits, left = re.sub(r"\D", "", item), re.sub(r"\D", "", scrubbed)
        return not any(digits[i : i + 4] in left for i in range(max(1, len(digits) - 3)))
    words = [w for w in re.findall(r"\w+", item) if len(w) > 2]
    return not any(re.search(r"\b" + re.escape(w) + r"\b", scrubbed, re.IGNORECASE) for w in words)


def measure(path: Path, scrubber) -> Tuple[Dict[str, Tuple[int, int]], List[tuple], List[tuple]]:
    """Per language (found, total), the misses, and the `keep` strings that were changed."""
    found, total, misses, broken = Counter(), Counter(), [], []
    for case in yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]:
        scrubbed = scrubber.scrub(case["text"])
        for item in case.get("personal") or []:
            total[case["lang"]] += 1
            if removed(item, scrubbed):
                found[case["lang"]] += 1
            else:
                misses.append((case["id"], item))
        broken += [(case["id"], keep) for keep in case.get("keep") or [] if keep not in scrubbed]
    return {lang: (found[lang], total[lang]) for lang in sorted(total)}, misses, broken


def table(scrubber) -> str:
    lines = ["| set | English | Spanish | mixed | all | kept as written |", "|---|---|---|---|---|---|"]
    for name, path in SETS.items():
        by_language, _, broken = measure(path, scrubber)
        cells = [
            f"{f}/{t} ({100 * f / t:.0f}%)" for f, t in (by_language.get(k, (0, 0)) for k in ("en", "es", "mixed"))
        ]
        f, t = sum(v[0] for v in by_language.values()), sum(v[1] for v in by_language.values())
        keeps = sum(len(c.get("keep") or []) for c in yaml.safe_load(path.read_text())["messages"])
        lines.append(f"| {name} | {' | '.join(cells)} | {f}/{t} ({100 * f / t:.1f}%) | {keeps - len(broken)}/{keeps} |")
    return "\n".join(lines)


if __name__ == "__main__":
    from bot.privacy.scrubber import Scrubber

    print(table(Scrubber.default()))
