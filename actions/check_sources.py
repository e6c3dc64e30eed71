"""Lists every referral and knowledge entry with its source and review date; flags the stale.

    python -m actions.check_sources [--max-age-days 365] [--today YYYY-MM-DD] [--stale-only]

A source read more than --max-age-days ago (12 months by default) is flagged STALE: read the page
again, fix what changed and update `reviewed`. A referral without a phone whose quote does not show
its name is flagged CHECK-QUOTE (to read again, not an error). Exit status 1 when a source is
STALE, so CI or a cron job can remind the maintainers; 0 otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Iterable, List, NamedTuple, Optional

from actions.knowledge import DEFAULT_DIR as KNOWLEDGE_DIR
from actions.knowledge import load_knowledge
from actions.referrals import DEFAULT_DIR as REFERRALS_DIR
from actions.referrals import load_referrals

MAX_AGE_DAYS = 365


class Row(NamedTuple):
    what: str
    source: str
    reviewed: dt.date
    flags: List[str]


def referral_rows(folder: Path, today: dt.date, max_age: int) -> Iterable[Row]:
    for code, place in sorted(load_referrals(folder, today=today).places.items()):
        for referral in place.all_referrals():
            flags = []
            if (today - referral.source.reviewed).days > max_age:
                flags.append("STALE")
            if not referral.quote_shows_name:
                flags.append("CHECK-QUOTE")
            yield Row(
                f"{code} {referral.kind}: {referral.name['en']}", referral.source.url, referral.source.reviewed, flags
            )
        for kind in place.missing:
            yield Row(f"{code} {kind}: (missing) {place.missing[kind]['en']}", "-", dt.date.min, [])


def knowledge_rows(folder: Path, today: dt.date, max_age: int) -> Iterable[Row]:
    for entry in load_knowledge(folder, today=today).entries():
        flags = ["STALE"] if (today - entry.reviewed).days > max_age else []
        yield Row(f"knowledge {entry.key}", entry.sources[0].url, entry.reviewed, flags)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-age-days", type=int, default=MAX_AGE_DAYS)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today())
    parser.add_argument("--stale-only", action="store_true", help="only the flagged rows")
    parser.add_argument("--referrals", type=Path, default=REFERRALS_DIR)
    parser.add_argument("--knowledge", type=Path, default=KNOWLEDGE_DIR)
    args = parser.parse_args(argv)
    rows = list(referral_rows(args.referrals, args.today, args.max_age_days))
    rows += list(knowledge_rows(args.knowledge, args.today, args.max_age_days))
    flagged = [r for r in rows if r.flags]
    for row in flagged if args.stale_only else rows:
        reviewed = "-" if row.reviewed == dt.date.min else row.reviewed.isoformat()
        flags = f"  [{', '.join(row.flags)}]" if row.flags else ""
        print(f"{reviewed}  {row.what}  <{row.source}>{flags}")
    stale = sum("STALE" in r.flags for r in rows)
    quotes = sum("CHECK-QUOTE" in r.flags for r in rows)
    print(
        f"{len(rows)} items: {stale} reviewed more than {args.max_age_days} days ago (STALE), "
        f"{quotes} quotes to check (CHECK-QUOTE)",
        file=sys.stderr,
    )
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
