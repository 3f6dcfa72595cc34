"""Shared by the quality and speed benchmarks: a generated city, loaded into a workspace,
cached under one folder so reruns skip what is already there."""

from __future__ import annotations

import os
import time
from pathlib import Path

from graphscan.workspace import Workspace

#: a fixed benchmark key, so pseudonyms (and case ids) are the same on every run; the
#: vault lives beside the cities, never in the user's key folder
BENCH_KEY = "graphscan-benchmark-key"


def use_bench_key(root: Path) -> None:
    os.environ["GRAPHSCAN_KEY"] = BENCH_KEY
    os.environ["GRAPHSCAN_VAULT_FILE"] = str(root / "vault")


#: every canonical table: the detectors read claims and, for drug resale, claim_items
TABLES = ("persons", "providers", "doctors", "claims", "claim_items")


def city(root: Path, persons: int, seed: int, difficulty: str = "hard") -> tuple[Path, Workspace]:
    """The generated city's folder and a workspace holding it, built when missing."""
    from graphscan.examples.city import generate_city
    from graphscan.loaders.pipeline import Options, load_files
    from graphscan.pseudonym import Pseudonymiser
    from graphscan.store import open_store

    name = f"{difficulty}-{persons}-s{seed}"
    data, ws_dir = root / "cities" / name, root / "workspaces" / name
    if not (data / "rings.csv").exists():
        began = time.perf_counter()
        generate_city(data, persons, seed, difficulty, "parquet")
        print(f"  generated {name} in {time.perf_counter() - began:.1f}s", flush=True)
    done = ws_dir / "loaded"
    ws = Workspace.open(ws_dir)
    if not done.exists():
        began = time.perf_counter()
        paths = [data / f"{t}.parquet" for t in TABLES]
        keys = Pseudonymiser.from_environment()
        load_files(paths, open_store(None, ws), ws, keys, Options(progress=False))
        done.touch()
        print(f"  loaded {name} in {time.perf_counter() - began:.1f}s", flush=True)
    return data, ws
