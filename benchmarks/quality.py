"""Detection quality on generated hard cities, scored with graphscan.evaluate against the
planted truth, side by side with two baselines (benchmarks/baselines.py).

    .venv/bin/python -m benchmarks.quality --persons 20000 --seeds 1 2 3
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from benchmarks.city import city, use_bench_key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, nargs="+", default=[20_000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--difficulty", default="hard")
    parser.add_argument("--root", type=Path, default=Path("benchmarks/.cache"))
    parser.add_argument("--no-baselines", action="store_true")
    args = parser.parse_args()
    use_bench_key(args.root)

    from graphscan.api import scan_store
    from graphscan.cases import CaseBook
    from graphscan.evaluate import score
    from graphscan.pseudonym import Pseudonymiser
    from graphscan.rings import PATTERNS
    from graphscan.store import open_store

    summary = []
    for persons in args.persons:
        for seed in args.seeds:
            print(f"\n== {args.difficulty} city, {persons:,} persons, seed {seed}", flush=True)
            data, ws = city(args.root, persons, seed, args.difficulty)
            began = time.perf_counter()
            scan_store(open_store(None, ws), ws, PATTERNS)
            took = time.perf_counter() - began
            report = score(CaseBook(ws).members(), data, Pseudonymiser.from_environment())
            print(f"graphscan (scan {took:.1f}s)")
            print(report.table())
            rows = {"method": "graphscan", "persons": persons, "seed": seed}
            summary += [rows | {"pattern": p.pattern, **_numbers(p)} for p in report.patterns]
            if not args.no_baselines:
                from benchmarks.baselines import BASELINES

                for name, run in BASELINES.items():
                    began = time.perf_counter()
                    members = run(ws)
                    took = time.perf_counter() - began
                    base = score(members, data, Pseudonymiser.from_environment())
                    print(f"\n{name} (baseline, {took:.1f}s)")
                    print(base.table())
                    rows = {"method": name, "persons": persons, "seed": seed}
                    summary += [rows | {"pattern": p.pattern, **_numbers(p)} for p in base.patterns]
            ws.close()
    frame = pd.DataFrame(summary)
    print("\n== mean over cities and seeds")
    means = frame.groupby(["method", "pattern"], sort=False).mean(numeric_only=True)
    print(means.drop(columns=["persons", "seed"]).round(2).to_string())


def _numbers(p: object) -> dict[str, float]:
    return {
        "recall": p.ring_recall,  # type: ignore[attr-defined]
        "mem_F1": p.member_f1,  # type: ignore[attr-defined]
        "P@10": p.precision_at_10,  # type: ignore[attr-defined]
        "P@50": p.precision_at_50,  # type: ignore[attr-defined]
        "HN@50": p.hard_negatives_top50,  # type: ignore[attr-defined]
    }


if __name__ == "__main__":
    main()
