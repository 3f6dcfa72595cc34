"""Shared by the quality and speed benchmarks: a generated city, loaded into a workspace,
cached under one folder so reruns skip what is already there."""

from __future__ import annotations

import os
import time
from pathlib import Path

from graphscan.examples.city.scenario import Scenario
from graphscan.workspace import Workspace

#: a fixed benchmark key, so pseudonyms (and case ids) are the same on every run; the
#: vault lives beside the cities, never in the user's key folder
BENCH_KEY = "graphscan-benchmark-key"


def use_bench_key(root: Path) -> None:
    os.environ["GRAPHSCAN_KEY"] = BENCH_KEY
    os.environ["GRAPHSCAN_VAULT_FILE"] = str(root / "vault")


#: every canonical table: the detectors read claims and, for drug resale, claim_items
TABLES = ("persons", "providers", "doctors", "claims", "claim_items")


def city_name(persons: int, seed: int, difficulty: str, scenario: Scenario | None) -> str:
    """Folder name of a city: the reference city by seed, a drawn one by its scenario
    seed and ablations."""
    if scenario is None or scenario.seed is None:
        base = f"{difficulty}-{persons}-s{seed}"
    else:
        base = f"{difficulty}-{persons}-s{seed}-d{scenario.seed}"
    return base + "".join(f"-no-{d}" for d in scenario.drop) if scenario else base


def city(
    root: Path,
    persons: int,
    seed: int,
    difficulty: str = "hard",
    scenario: Scenario | None = None,
    quiet: bool = False,
) -> tuple[Path, Workspace]:
    """The generated city's folder and a workspace holding it, built when missing. Only
    the tables the city has are loaded (a drawn scenario may omit some)."""
    from graphscan.examples.city import generate_city
    from graphscan.loaders.pipeline import Options, load_files
    from graphscan.pseudonym import Pseudonymiser
    from graphscan.store import open_store

    name = city_name(persons, seed, difficulty, scenario)
    data, ws_dir = root / "cities" / name, root / "workspaces" / name
    if not (data / "rings.csv").exists():
        began = time.perf_counter()
        generate_city(data, persons, seed, difficulty, "parquet", scenario=scenario)
        if not quiet:
            print(f"  generated {name} in {time.perf_counter() - began:.1f}s", flush=True)
    done = ws_dir / "loaded"
    ws = Workspace.open(ws_dir)
    if not done.exists():
        began = time.perf_counter()
        paths = [data / f"{t}.parquet" for t in TABLES if (data / f"{t}.parquet").exists()]
        keys = Pseudonymiser.from_environment()
        load_files(paths, open_store(None, ws), ws, keys, Options())
        done.touch()
        if not quiet:
            print(f"  loaded {name} in {time.perf_counter() - began:.1f}s", flush=True)
    return data, ws
