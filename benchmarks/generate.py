"""Generation speed and peak memory of the synthetic city.

    .venv/bin/python benchmarks/generate.py                 # 1,000,000 persons, hard
    .venv/bin/python benchmarks/generate.py --persons 20000 --format parquet

Prints persons, claims, claim items, seconds, claims/s, output size and the peak resident
memory of the process (which, with streaming by blocks of people, grows with the number
of people and planted groups, not with the number of claims).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
from pathlib import Path

from graphscan.examples.city import generate_city


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--difficulty", default="hard", choices=["easy", "hard"])
    parser.add_argument("--format", default="csv", choices=["csv", "parquet"])
    parser.add_argument("--out", default=None, help="keep the city here (default: temporary)")
    args = parser.parse_args()
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="city-bench-"))
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        done += n
        print(f"\r{done:>10,} / {args.persons:,} persons", end="", file=sys.stderr)

    try:
        summary = generate_city(
            out, args.persons, args.seed, args.difficulty, args.format, progress
        )
        size = sum(p.stat().st_size for p in out.iterdir())
    finally:
        if not args.out:
            shutil.rmtree(out, ignore_errors=True)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(file=sys.stderr)
    print(f"persons          {summary.persons:>14,}")
    print(f"claims           {summary.claims:>14,}")
    print(f"claim items      {summary.claim_items:>14,}")
    print(f"rings            {summary.rings:>14,}  ({summary.fraud_claims:,} fraud claims)")
    print(f"hard negatives   {summary.hard_negative_groups:>14,}")
    print(f"seconds          {summary.seconds:>14,.1f}")
    print(f"claims/s         {summary.claims_per_second:>14,.0f}")
    print(f"output           {size / 2**20:>14,.0f} MiB ({args.format})")
    print(f"peak memory      {peak_mib:>14,.0f} MiB")


if __name__ == "__main__":
    main()
