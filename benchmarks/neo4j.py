"""Neo4j backend figures: server start, load throughput (rows/s) of a synthetic city of
2 million claim lines through Neo4jStore.upsert (the loaders' path), the aggregate
refresh, and Leiden in GDS against igraph on the same person-provider projection.

Runs its own local server in a temporary folder, so it never touches a real graph:
    .venv/bin/python benchmarks/neo4j.py --claims 2000000

Claims alone, made up in memory; the whole city through the loader (persons, providers,
doctors, claims and items) and the scan, at growing sizes, is
``benchmarks/growth.py --engine neo4j``.

``--city PERSONS`` instead takes a generated city of that many persons through the loader
(``graphscan load --store``'s path) into a fresh private server, once with the graphscan
of ``--before`` (another environment's Python, e.g. one installed from main) and once with
this one, and prints both: claim rows per second of the whole load (all five files), and
the CPU seconds of the server and of the client, which say where the time goes on a
machine whose load varies:
    .venv/bin/python benchmarks/neo4j.py --city 2745 --before ../main/.venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# This file shares its name with the Neo4j driver package: keep its folder off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from graphscan.neo4jserver.server import LocalServer  # noqa: E402
from graphscan.store.communities import leiden_igraph  # noqa: E402
from graphscan.store.neo4j import Neo4jStore, leiden_gds, open_driver  # noqa: E402


def synthetic_claims(n: int, persons: int, providers: int, seed: int) -> pd.DataFrame:
    """Canonical claim lines with a realistic shape: people favour a few nearby outlets."""
    rng = np.random.default_rng(seed)
    person = rng.integers(0, persons, n)
    home = person % providers
    provider = np.where(
        rng.random(n) < 0.8,
        (home + rng.integers(0, 5, n)) % providers,
        rng.integers(0, providers, n),
    )
    kind = np.where(
        provider % 4 == 0, "pharmacy", np.where(rng.random(n) < 0.9, "outpatient", "inpatient")
    )
    cents = rng.gamma(2.0, 15000, n).astype(np.int64) + 100
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 24 * 60, n), "min")
    return pd.DataFrame(
        {
            "claim_id": [f"C{i:09d}" for i in range(n)],
            "kind": kind,
            "person_id": [f"P{p:07d}" for p in person],
            "card_id": [f"K{p:07d}" for p in person],
            "provider_id": [f"H{v:05d}" for v in provider],
            "doctor_id": [f"D{d:06d}" for d in provider * 10 + rng.integers(0, 10, n)],
            "operator_id": np.where(kind == "pharmacy", [f"O{v:05d}" for v in provider], None),
            "start_time": start,
            "total_amount": cents / 100,
            "fund_amount": (cents * 0.7).round() / 100,
            "source_file": "synthetic.csv",
            "source_row": np.arange(2, n + 2),
            "load_id": "bench",
            "row_hash": [f"h{i}" for i in range(n)],
        }
    )


def load_city(city: Path, workspace: Path) -> None:
    """In the child process: the city's five files through the loader into NEO4J_URI, as
    ``graphscan load --store`` does; prints seconds, counts and own CPU seconds as JSON.
    Only API that older graphscans have too, so that --before can run it."""
    from graphscan.cli.common import load_key
    from graphscan.loaders.pipeline import Options, load_files
    from graphscan.loaders.report import LoadReport
    from graphscan.store import open_store
    from graphscan.workspace import Workspace

    ws = Workspace.open(workspace)
    store = open_store(os.environ["NEO4J_URI"], ws)
    tables = ("persons", "providers", "doctors", "claims", "claim_items")
    began, report = time.perf_counter(), LoadReport()
    load_files(
        [city / f"{t}.parquet" for t in tables], store, ws, load_key(ws, store), Options(), report
    )
    seconds = time.perf_counter() - began
    counts = store.status()["counts"]
    store.close()
    if report.failed:
        raise SystemExit(f"load failed: {[f.error for f in report.failed]}")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"seconds": seconds, "cpu_s": usage.ru_utime + usage.ru_stime, **counts}))


def _server_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def compare_city(persons: int, before: str | None, heap: str, seed: int) -> None:
    """The same generated city loaded by each graphscan into its own fresh server."""
    from graphscan.examples.city import generate_city

    with tempfile.TemporaryDirectory(prefix="graphscan-neo4j-city-") as tmp:
        city = Path(tmp) / "city"
        summary = generate_city(city, persons, seed, "hard", "parquet")
        print(
            f"city: {persons:,} persons, {summary.claims:,} claims, {summary.claim_items:,} items"
        )
        runs = [("before", before)] if before else []
        for label, python in [*runs, ("after", sys.executable)]:
            server = LocalServer(Path(tmp) / f"server-{label}")
            creds = server.start(heap=heap, pagecache=heap)
            env = {
                **os.environ,
                "NEO4J_URI": creds.uri,
                "NEO4J_USER": creds.user,
                "NEO4J_PASSWORD": creds.password,
                "GRAPHSCAN_KEY": "graphscan-benchmark-key",
                "GRAPHSCAN_VAULT_FILE": str(Path(tmp) / f"vault-{label}"),
            }
            child = [python, __file__, "--load-city", str(city), str(Path(tmp) / f"ws-{label}")]
            try:
                cpu = _server_cpu_s(server.pid())
                out = subprocess.run(child, env=env, capture_output=True, text=True, check=False)
                server_cpu = _server_cpu_s(server.pid()) - cpu
            finally:
                server.stop()
            if out.returncode != 0:
                raise SystemExit(f"{label}: the load failed: {out.stderr.strip()[-500:]}")
            got = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{label:<6} load {got['seconds']:7.1f} s  {got['claims'] / got['seconds']:7,.0f} "
                f"claim rows/s ({got['claims']:,} claims, {got['claim_items']:,} items); CPU: "
                f"server {server_cpu:.1f} s, client {got['cpu_s']:.1f} s; "
                f"{got['claims'] / server_cpu:,.0f} claim rows per server CPU second",
                flush=True,
            )


def main() -> None:
    if sys.argv[1:2] == ["--load-city"]:
        load_city(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=2_000_000)
    parser.add_argument("--persons", type=int, default=400_000)
    parser.add_argument("--providers", type=int, default=3_500)
    parser.add_argument("--chunk", type=int, default=100_000, help="rows per upsert call")
    parser.add_argument("--heap", default="4g")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--city", type=int, default=0, help="persons of a city to load instead")
    parser.add_argument("--before", help="Python of the graphscan to compare with (--city)")
    args = parser.parse_args()
    if args.city:
        compare_city(args.city, args.before, args.heap, args.seed)
        return

    with tempfile.TemporaryDirectory(prefix="graphscan-neo4j-bench-") as tmp:
        server = LocalServer(Path(tmp))
        began = time.monotonic()
        creds = server.start(heap=args.heap, pagecache="4g")
        print(f"server start (jars cached):  {time.monotonic() - began:8.1f} s")
        try:
            store = Neo4jStore(open_driver(creds.uri, creds.user, creds.password), creds.uri)
            frame = synthetic_claims(args.claims, args.persons, args.providers, args.seed)
            began = time.monotonic()
            for start in range(0, len(frame), args.chunk):
                store.upsert("claims", frame.iloc[start : start + args.chunk])
            load_s = time.monotonic() - began
            print(
                f"load {len(frame):,} claim lines: {load_s:8.1f} s  "
                f"{len(frame) / load_s:,.0f} rows/s"
            )
            began = time.monotonic()
            again = store.upsert("claims", frame.iloc[: args.chunk])
            print(
                f"replay of {args.chunk:,} rows:   {time.monotonic() - began:8.1f} s  wrote {again}"
            )
            began = time.monotonic()
            store.record_load({"load_id": "bench", "source_file": "synthetic.csv", "report": {}})
            print(f"aggregate refresh:           {time.monotonic() - began:8.1f} s")
            edges = pd.DataFrame(store.run_read("edges_person_provider", {}))
            print(f"projection: {len(edges):,} person-provider edges")
            for name, run in (
                ("GDS Leiden", lambda: leiden_gds(store, edges, args.seed)),
                ("igraph Leiden", lambda: leiden_igraph(edges, args.seed)),
            ):
                began = time.monotonic()
                parts = run()
                print(
                    f"{name:<14} {time.monotonic() - began:8.1f} s  "
                    f"{parts['community'].nunique():,} communities"
                )
            store.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
