"""How long the case book takes to record a scan of many cases: the first scan (every case
new), a rescan that finds the same rings (every case rewritten: members, claims and the
ring each rescan matches against) and a rescan in which a tenth of the rings grew a member
(matched to their case by overlap).

    flock /tmp/graphscan-heavy.lock nice .venv/bin/python -m benchmarks.casebook
    .venv/bin/python -m benchmarks.casebook --cases 1000

The rings are made up (12 persons, a pharmacy and 12 claims each, ids that never repeat
across rings): the case book only reads their members and figures, no store is needed. The
workspace is a temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime
from pathlib import Path

from graphscan.casebook import CaseBook
from graphscan.rings import PATTERNS, Member, Ring
from graphscan.workspace import Workspace

MEMBERS = 12


def rings(count: int, grown_every: int = 0) -> list[Ring]:
    """``count`` rings of three patterns; with ``grown_every``, each such ring has one
    more person than before."""
    made = []
    for n in range(count):
        persons = [f"p{n:07d}-{i:02d}" for i in range(MEMBERS)]
        if grown_every and n % grown_every == 0:
            persons.append(f"p{n:07d}-new")
        made.append(
            Ring(
                pattern=PATTERNS[n % 3],
                members=[Member("pharmacy", f"P{n:011d}", "pharmacy")]
                + [Member("person", p, "card_holder") for p in persons],
                claim_ids=[f"c{n:07d}-{i:02d}" for i in range(MEMBERS)],
                statistic=12.0,
                expected=1.0 + n / count,
                p_value=1e-6 * (n + 1),
                total_amount=1000.0 + n,
                fund_amount=800.0,
                account_amount=200.0,
                first_time=datetime(2025, 3, 1),
                last_time=datetime(2025, 3, 31),
                explanation_zh="基准测试",
                explanation_en="benchmark",
                q_value=1e-5,
                score=float(count - n),
            )
        )
    return made


def timed(book: CaseBook, found: list[Ring], label: str) -> None:
    started = time.perf_counter()
    cases = book.record_scan(found, PATTERNS[:3])
    took = time.perf_counter() - started
    print(f"{label:<44} {len(cases):>7,} cases  {took:8.2f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="graphscan-casebook-") as folder:
        ws = Workspace.open(Path(folder) / "ws", create=True)
        try:
            book = CaseBook(ws)
            timed(book, rings(args.cases), "record_scan, first scan (all new)")
            timed(book, rings(args.cases), "record_scan, rescan, same rings")
            timed(book, rings(args.cases, grown_every=10), "record_scan, rescan, 1 in 10 grew")
        finally:
            ws.close()


if __name__ == "__main__":
    main()
