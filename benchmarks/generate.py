"""Generation speed and peak memory of the synthetic city.

    .venv/bin/python benchmarks/generate.py                 # 1,000,000 persons, hard
    .venv/bin/python benchmarks/generate.py --persons 20000 --format parquet
    .venv/bin/python benchmarks/generate.py --persons 400000 --scenario-seed 1  # busy venues

Prints persons, claims, claim items, seconds, claims/s, output size and the peak resident
memory of the process (which, with streaming by blocks of people, grows with the number
of people and planted groups, not with the number of claims). With --scenario-seed the
city is a drawn scenario (heavier-tailed pharmacy traffic, flagships, shifts) and the
busiest pharmacy-day and operator-day are printed as well.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
from pathlib import Path

from graphscan.examples.city import generate_city
from graphscan.examples.city.scenario import Scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--difficulty", default="hard", choices=["easy", "hard"])
    parser.add_argument("--format", default="csv", choices=["csv", "parquet"])
    parser.add_argument("--scenario-seed", type=int, default=None, help="a drawn scenario")
    parser.add_argument("--out", default=None, help="keep the city here (default: temporary)")
    args = parser.parse_args()
    scenario = (
        None if args.scenario_seed is None else Scenario.draw(args.scenario_seed, args.difficulty)
    )
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="city-bench-"))
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        done += n
        print(f"\r{done:>10,} / {args.persons:,} persons", end="", file=sys.stderr)

    try:
        summary = generate_city(
            out, args.persons, args.seed, args.difficulty, args.format, progress, scenario
        )
        size = sum(p.stat().st_size for p in out.iterdir())
        venues = _busiest(out, args.format)
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
    print(f"pharmacy-days    median {venues[0]:,.0f}, 99th percentile {venues[1]:,.0f}, ", end="")
    print(f"busiest {venues[2]:,}; busiest operator-day {venues[3]:,}")


def _busiest(out: Path, fmt: str) -> tuple[float, float, int, int]:
    """Swipes per pharmacy-day (median, 99th percentile, max) and the busiest
    operator-day: the venue traffic a scan has to carry."""
    import duckdb

    claims = str(out / f"claims.{fmt}")
    reader = "read_parquet" if fmt == "parquet" else "read_csv_auto"
    db = duckdb.connect()
    days = db.execute(
        f"SELECT median(n), quantile_cont(n, 0.99), max(n) FROM (SELECT count(*) AS n "
        f"FROM {reader}(?) WHERE kind = 'pharmacy' GROUP BY provider_id, start_time::DATE)",
        [claims],
    ).fetchone()
    has_operator = (
        "operator_id"
        in db.execute(f"DESCRIBE SELECT * FROM {reader}(?)", [claims]).df()["column_name"].tolist()
    )
    operator = (
        db.execute(
            f"SELECT max(n) FROM (SELECT count(*) AS n FROM {reader}(?) WHERE kind = "
            f"'pharmacy' GROUP BY operator_id, start_time::DATE)",
            [claims],
        ).fetchone()[0]
        if has_operator
        else 0
    )
    return float(days[0]), float(days[1]), int(days[2]), int(operator)


if __name__ == "__main__":
    main()
