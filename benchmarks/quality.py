"""Detection quality in the worst case: graphscan scored with graphscan.evaluate against
the planted truth of many randomised cities (scenario draws, see
graphscan.examples.city.scenario) and, on top of each draw, of every ablation that leaves
one optional column or table out. Per pattern it prints the worst ring recall, member F1,
P@10, R-precision and legitimate groups in the top R over all those cities (and the worst
ring recall of each recipe), and which draw and ablation produced each worst figure.

    .venv/bin/python -m benchmarks.quality                           # 20 draws x 9 cities
    .venv/bin/python -m benchmarks.quality --draws 3 --ablations none --persons 5000
    .venv/bin/python -m benchmarks.quality --draws 20 --baselines    # + Louvain, FRAUDAR
    .venv/bin/python -m benchmarks.quality --reference --seeds 1 2 3 # the fixed cities

Cities are generated and loaded in a temporary folder under --root and removed after
scoring (--keep keeps them: the same draw always gives the same city).
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmarks.city import city, city_name, use_bench_key
from graphscan.examples.city.scenario import ABLATIONS, Scenario

#: (column, label, True when lower is worse)
FIGURES = (
    ("recall", "ring recall", True),
    ("mem_F1", "member F1", True),
    ("P@10", "P@10", True),
    ("R-prec", "R-precision", True),
    ("HN@R", "legit in top R", False),
)


@dataclass(frozen=True)
class Run:
    """One city of the benchmark: a reference seed, or a scenario draw with an ablation."""

    label: str
    seed: int
    scenario: Scenario | None


def plan(args: argparse.Namespace) -> list[Run]:
    if args.reference:
        return [Run(f"reference s{seed}", seed, None) for seed in args.seeds]
    ablations = [] if args.ablations == ["none"] else args.ablations
    runs = []
    for draw in range(args.first_draw, args.first_draw + args.draws):
        scenario = Scenario.draw(draw, args.difficulty)
        runs.append(Run(f"draw {draw}", draw, scenario))
        runs += [Run(f"draw {draw} -{a}", draw, scenario.ablate(a)) for a in ablations]
    return runs


def _numbers(p: object) -> dict[str, float]:
    return {
        "recall": p.ring_recall,  # type: ignore[attr-defined]
        "mem_F1": p.member_f1,  # type: ignore[attr-defined]
        "P@10": p.precision_at_10,  # type: ignore[attr-defined]
        "R-prec": p.r_precision,  # type: ignore[attr-defined]
        "HN@R": p.hard_negatives_top_r,  # type: ignore[attr-defined]
        "rings": p.rings,  # type: ignore[attr-defined]
    }


def _recipe_recall(matches: pd.DataFrame, data: Path) -> list[dict[str, object]]:
    """Ring recall per recipe (rows named pattern/recipe): which way of planting a
    pattern a detector misses."""
    from graphscan.evaluate import MATCH_JACCARD

    rings = pd.read_csv(data / "rings.csv", dtype=str)
    recipe = rings.drop_duplicates("ring_id").set_index("ring_id")["recipe"]
    found = matches.assign(recipe=matches["ring_id"].map(recipe))
    found["hit"] = found["jaccard"] >= MATCH_JACCARD
    return [
        {"pattern": f"{pattern}/{name}", "recall": group["hit"].mean(), "rings": len(group)}
        for (pattern, name), group in found.groupby(["pattern", "recipe"], sort=True)
    ]


def worst_case(frame: pd.DataFrame) -> pd.DataFrame:
    """Per method and pattern, each figure's worst value and the run that produced it
    (the first such run in benchmark order)."""
    rows = []
    for (method, pattern), group in frame.groupby(["method", "pattern"], sort=False):
        row: dict[str, object] = {"method": method, "pattern": pattern}
        for column, _, lower_is_worse in FIGURES:
            if group[column].isna().all():  # recipe rows carry ring recall only
                row[column], row[f"{column} at"] = "-", "-"
                continue
            worst = group[column].min() if lower_is_worse else group[column].max()
            row[column] = worst
            row[f"{column} at"] = group.loc[group[column] == worst, "run"].iloc[0]
        rows.append(row)
    return pd.DataFrame(rows)


def print_worst(table: pd.DataFrame, runs: int) -> None:
    print(f"\n== worst case over {runs} cities (value, then the city that produced it)")
    for method, part in table.groupby("method", sort=False):
        print(f"\n{method}")
        head = f"{'pattern / recipe':<34}" + "".join(f"{label:>16}" for _, label, _ in FIGURES)
        print(head)
        print("-" * len(head))
        for _, row in part.iterrows():
            values = "".join(
                f"{row[c]:>16.2f}" if isinstance(row[c], float) else f"{row[c]:>16}"
                for c, _, _ in FIGURES
            )
            print(f"{row['pattern']:<34}{values}")
        print("  produced by:")
        for _, row in part.iterrows():
            if "/" in row["pattern"]:
                print(f"  {row['pattern']:<34}ring recall: {row['recall at']}")
                continue
            where = ", ".join(f"{label}: {row[f'{c} at']}" for c, label, _ in FIGURES)
            print(f"  {row['pattern']:<34}{where}")


def score_run(
    run: Run, args: argparse.Namespace, methods: dict[str, Callable[..., pd.DataFrame]]
) -> list[dict[str, object]]:
    from graphscan.evaluate import score
    from graphscan.pseudonym import Pseudonymiser

    began = time.perf_counter()
    data, ws = city(args.root, args.persons, run.seed, args.difficulty, run.scenario, quiet=True)
    rows: list[dict[str, object]] = []
    try:
        for method, find in methods.items():
            report = score(find(ws), data, Pseudonymiser.from_environment())
            if args.verbose:
                print(f"\n{run.label}: {method}\n{report.table()}")
            base = {"method": method, "run": run.label}
            rows += [base | {"pattern": p.pattern, **_numbers(p)} for p in report.patterns]
            rows += [base | row for row in _recipe_recall(report.matches, data)]
    finally:
        ws.close()
        if not args.keep:
            name = city_name(args.persons, run.seed, args.difficulty, run.scenario)
            shutil.rmtree(args.root / "cities" / name, ignore_errors=True)
            shutil.rmtree(args.root / "workspaces" / name, ignore_errors=True)
    mine = {r["pattern"]: r for r in rows if r["method"] == "graphscan" and "/" not in r["pattern"]}
    line = " ".join(f"{p[:4]} {mine[p]['recall']:.2f}/{mine[p]['mem_F1']:.2f}" for p in mine)
    print(f"{run.label:<28}{line}  ({time.perf_counter() - began:.0f}s)", flush=True)
    return rows


def graphscan_members(ws: object) -> pd.DataFrame:
    from graphscan.api import scan_store
    from graphscan.casebook import CaseBook
    from graphscan.rings import PATTERNS
    from graphscan.store import open_store

    scan_store(open_store(None, ws), ws, PATTERNS)
    return CaseBook(ws).members()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=20, help="scenario draws (default 20)")
    parser.add_argument("--first-draw", type=int, default=1)
    parser.add_argument("--persons", type=int, default=4_000, help="persons per city")
    parser.add_argument(
        "--ablations",
        nargs="+",
        default=list(ABLATIONS),
        choices=[*ABLATIONS, "none"],
        help="columns/tables left out one at a time on top of each draw (default: all)",
    )
    parser.add_argument("--difficulty", default="hard", choices=["easy", "hard"])
    parser.add_argument("--reference", action="store_true", help="the fixed reference cities")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--baselines", action="store_true", help="also Louvain and FRAUDAR")
    parser.add_argument("--verbose", action="store_true", help="every city's full report")
    parser.add_argument("--keep", action="store_true", help="keep the cities and workspaces")
    parser.add_argument("--root", type=Path, default=Path("benchmarks/.cache/quality"))
    parser.add_argument("--csv", type=Path, default=None, help="write every figure here")
    args = parser.parse_args()
    use_bench_key(args.root)

    methods: dict[str, Callable[..., pd.DataFrame]] = {"graphscan": graphscan_members}
    if args.baselines:
        from benchmarks.baselines import BASELINES

        methods |= BASELINES
    runs = plan(args)
    began = time.perf_counter()
    print(f"{len(runs)} cities of {args.persons:,} persons ({args.difficulty})", flush=True)
    frame = pd.DataFrame([row for run in runs for row in score_run(run, args, methods)])
    if args.csv:
        frame.to_csv(args.csv, index=False)
    print_worst(worst_case(frame), len(runs))
    means = frame.groupby(["method", "pattern"], sort=False).mean(numeric_only=True)
    print("\n== mean (for reference; the worst case above is the figure that counts)")
    print(means.round(2).to_string())
    print(f"\n{len(runs)} cities in {time.perf_counter() - began:.0f}s")


if __name__ == "__main__":
    main()
