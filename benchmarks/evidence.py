"""Evidence export figures: time and size of a case package for rings of growing size
(a pharmacy that swipes N lent cards, each card also used elsewhere), including the
>500-node summarising path, and the time to verify the zip.

    .venv/bin/python benchmarks/evidence.py --claims 2000 20000 200000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from graphscan.rings import Case, Member
from graphscan.viz.package import export_case
from graphscan.viz.verify import verify_package


def ring(n: int, seed: int = 1) -> tuple[Case, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    cards = max(n // 10, 5)
    person = np.array([f"{i:020x}" for i in rng.integers(0, cards, n) * 7919 + 10**12])
    at_ring = rng.random(n) < 0.6
    provider = np.where(at_ring, "P0001", [f"H{i:04d}" for i in rng.integers(0, 300, n)])
    start = datetime(2024, 1, 1)
    claims = pd.DataFrame(
        {
            "claim_id": [f"C{i:08d}" for i in range(n)],
            "kind": np.where(at_ring, "pharmacy", "outpatient"),
            "person_id": person,
            "card_id": person,
            "provider_id": provider,
            "doctor_id": np.where(at_ring, None, [f"D{i:09d}" for i in rng.integers(0, 900, n)]),
            "operator_id": np.where(at_ring, "OP1", None),
            "start_time": pd.to_datetime(start)
            + pd.to_timedelta(rng.integers(0, 180 * 24, n), "h"),
            "end_time": pd.NaT,
            "diagnosis_code": None,
            "total_amount": rng.uniform(20, 400, n).round(2),
            "fund_amount": 0.0,
            "account_amount": 0.0,
            "cash_amount": 0.0,
            "source_file": "bench.csv",
            "source_row": np.arange(2, n + 2),
            "load_id": "bench",
            "row_hash": "x",
        }
    )
    members = [Member("pharmacy", "P0001", "pharmacy"), Member("operator", "OP1", "operator")]
    members += [Member("person", p, "card_holder") for p in sorted(set(person[at_ring]))[:200]]
    case = Case(
        "card_lending",
        members,
        list(claims["claim_id"]),
        float(n),
        n / 10,
        1e-9,
        float(claims["total_amount"].sum()),
        0.0,
        0.0,
        start,
        start,
        "基准",
        "benchmark",
        case_id=f"BENCH-{n}",
    )
    return case, claims


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, nargs="+", default=[2_000, 20_000, 200_000])
    args = parser.parse_args()
    print(
        f"{'claims':>9} {'entities':>9} {'drawn':>6} {'export s':>9} {'html MB':>8} "
        f"{'zip MB':>7} {'verify s':>9}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.claims:
            case, claims = ring(n)
            entities = sum(claims[c].nunique() for c in ("person_id", "provider_id", "doctor_id"))
            t0 = time.perf_counter()
            package = export_case(case, claims, Path(tmp) / case.case_id)
            export_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            assert verify_package(package.zip_path).ok
            verify_s = time.perf_counter() - t0
            html = package.html.read_text(encoding="utf-8")
            drawn = html.count('"kind":"')
            print(
                f"{n:>9,} {entities + 1:>9,} {drawn:>6} {export_s:>9.2f} "
                f"{package.html.stat().st_size / 1e6:>8.2f} "
                f"{package.zip_path.stat().st_size / 1e6:>7.2f} {verify_s:>9.2f}"
            )


if __name__ == "__main__":
    main()
