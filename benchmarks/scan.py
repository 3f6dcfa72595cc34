"""Scan speed and peak memory on a large generated city (about 10 million claim lines at
the default 700,000 persons), time per stage.

    .venv/bin/python -m benchmarks.scan --persons 700000

The city is generated and loaded once (cached in benchmarks/.cache, in a child process so
that the peak memory printed is the scan's own).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.city import city, use_bench_key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=700_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--root", type=Path, default=Path("benchmarks/.cache"))
    parser.add_argument("--prepare", action="store_true", help="only generate and load")
    args = parser.parse_args()
    use_bench_key(args.root)
    if args.prepare:
        city(args.root, args.persons, args.seed)
        return
    subprocess.run(
        [sys.executable, "-m", "benchmarks.scan", "--prepare", "--persons", str(args.persons),
         "--seed", str(args.seed), "--root", str(args.root)],
        check=True,
    )  # fmt: skip

    from graphscan.casebook import CaseBook
    from graphscan.detect import ScanReport, detectors, rank
    from graphscan.detect.base import Coverage, Window
    from graphscan.rings import PATTERNS
    from graphscan.store import open_store

    _, ws = city(args.root, args.persons, args.seed)
    store = open_store(None, ws)
    claims = store.status()["counts"]["claims"]
    print(f"city: {args.persons:,} persons, {claims:,} claim lines")
    began = time.perf_counter()
    candidates = []
    report = ScanReport(profile=True)
    # read once for all detectors, as graphscan.detect.scan does
    coverage = report.timed("data coverage", lambda: Coverage.of(store, Window()))
    for detector in detectors():
        start = time.perf_counter()
        found = detector.find(store, Window(), report, coverage)
        candidates += found
        took = time.perf_counter() - start
        print(f"  {detector.pattern:<24}{took:>8.1f}s  {len(found)} candidates", flush=True)
    start = time.perf_counter()
    rings = rank(candidates)
    CaseBook(ws).record_scan(rings, PATTERNS)
    print(f"  {'rank + cases':<24}{time.perf_counter() - start:>8.1f}s  {len(rings)} cases")
    print("  per stage (seconds, peak resident GB while it ran):")
    for stage in report.stages:
        print(f"    {stage.name:<36}{stage.seconds:>8.1f}s  {stage.peak_bytes / 1024**3:>6.2f} GB")
    total = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"full scan: {total:.1f}s, {claims / total:,.0f} claim lines/s, peak {peak:.2f} GB")


if __name__ == "__main__":
    main()
