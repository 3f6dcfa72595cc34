"""Growth curves: generate, load and scan cities of 1, 5, 10 and 50 million claim lines.

    .venv/bin/python -m benchmarks.growth                        # 1, 5, 10, 50 M claims
    .venv/bin/python -m benchmarks.growth --claims 1e6 5e6 --memory 8GB
    .venv/bin/python -m benchmarks.growth --lock /tmp/heavy.lock # take turns per step
    .venv/bin/python -m benchmarks.growth --claims 50e6 --memory 24GB \
        --period 2025-01-01..2025-07-01 --period 2025-07-01..2026-02-01   # scan by half-year

Every step runs in a child process under ``/usr/bin/time -v`` (its own wall time and peak
resident memory, nothing of the parent's): generating the city (Parquet, cached under
--root like benchmarks/scan.py's cities), loading it into a workspace, ``graphscan scan
--memory --profile`` (time and peak memory of the whole scan and of each detector stage),
and last DuckDB's own copy of the same files into a fresh database (the ratio says how far
the loader is from what the engine itself does on this machine). Figures of steps already
done are kept in --root/growth/*.json, so a rerun (or a run that was stopped) goes on
where it was; persons are scaled to the claims wanted at today's claims per person and
the claims actually generated are printed.

``--engine neo4j`` measures the same cities on Neo4j: a private local server (heap and page
cache 4 GB, data under --root/neo4j/, never a shared server) that takes the city through
the loader into ``Neo4jStore.upsert`` as ``graphscan load --store`` does, then ``graphscan
scan --store … --memory --profile``; beside the client's wall time, CPU and peak memory it
samples the server's resident memory and CPU during each step, and gives the store's size
on disk.

    .venv/bin/python -m benchmarks.growth --engine neo4j --claims 1e6 5e6
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.city import TABLES, city_name, use_bench_key

#: claim lines per person of the hard city (14.4 M claims for 1 M persons)
CLAIMS_PER_PERSON = 14.4
SEED = 1


def name_of(persons: int) -> str:
    """The folder benchmarks/scan.py gives the same city, so both share the cache."""
    return city_name(persons, SEED, "hard", None)


# -- the steps, each run in its own process ----------------------------------------------
def generate(root: Path, persons: int) -> dict:
    from graphscan.examples.city import generate_city

    summary = generate_city(root / "cities" / name_of(persons), persons, SEED, "hard", "parquet")
    return {"claims": summary.claims, "claim_items": summary.claim_items}


def load(root: Path, persons: int) -> dict:
    from benchmarks.city import city, use_bench_key
    from graphscan.store import open_store

    use_bench_key(root)
    # the loader says when each part of a large file is written (names and counts only)
    logging.basicConfig(
        filename=root / "growth" / f"{name_of(persons)}-load.log",
        level=logging.INFO,
        format="%(asctime)s %(message)s",
    )
    _, ws = city(root, persons, SEED)
    counts = open_store(None, ws).status()["counts"]
    return {"claims": counts["claims"], "claim_items": counts["claim_items"]}


def duckdb_copy(root: Path, persons: int) -> dict:
    """DuckDB's own Parquet -> table copy of the files the loader reads, claims timed apart."""
    import duckdb

    data = root / "cities" / name_of(persons)
    scratch = Path(tempfile.mkdtemp(prefix="growth-copy-", dir=root))
    try:
        db = duckdb.connect(str(scratch / "copy.duckdb"))
        seconds = {}
        for table in TABLES:
            began = time.perf_counter()
            db.execute(
                f"CREATE TABLE {table} AS SELECT * FROM read_parquet(?)",
                [str(data / f"{table}.parquet")],
            )
            db.execute("CHECKPOINT")
            seconds[table] = time.perf_counter() - began
        db.close()
    finally:
        shutil.rmtree(scratch)
    return {"seconds": sum(seconds.values()), "claims_seconds": seconds["claims"]}


def neo4j_load(root: Path, persons: int) -> dict:
    """The city into the server at NEO4J_URI through the loader, as ``graphscan load
    --store`` does (the same key, options and report); seconds from the start to the end
    of each file (the claims file's includes the aggregate refresh that follows it)."""
    from graphscan.cli.common import load_key
    from graphscan.loaders.pipeline import Options, load_files
    from graphscan.loaders.report import LoadReport
    from graphscan.store import open_store
    from graphscan.workspace import Workspace

    use_bench_key(root)
    data = root / "cities" / name_of(persons)
    ws = Workspace.open(_neo4j_workspace(root, persons))
    store = open_store(os.environ["NEO4J_URI"], ws)
    began, finished = time.perf_counter(), {}
    report = LoadReport(listener=lambda f: finished.update({f.table: time.perf_counter() - began}))
    try:
        load_files(
            [data / f"{t}.parquet" for t in TABLES],
            store,
            ws,
            load_key(ws, store),
            Options(),
            report,
        )
        counts = store.status()["counts"]
        seconds = time.perf_counter() - began
    finally:
        store.close()
    if report.failed:
        raise SystemExit(f"load failed: {[f.error for f in report.failed]}")
    return {
        "claims": counts["claims"],
        "claim_items": counts["claim_items"],
        "finished_s": finished,
        "claim_rows_per_s": round(counts["claims"] / seconds),
    }


STEPS = {"generate": generate, "load": load, "copy": duckdb_copy, "neo4j-load": neo4j_load}


# -- the parent: runs each step under /usr/bin/time -v ----------------------------------
def _timed(command: list[str], lock: Path | None) -> tuple[float, float, str]:
    """Wall seconds, peak resident GB and stdout of ``command`` in a child process."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        wrapped = ["/usr/bin/time", "-v", "-o", report.name, *command]
        if lock is not None:
            wrapped = ["flock", str(lock), "nice", *wrapped]
        done = subprocess.run(wrapped, capture_output=True, text=True)
        usage = report.read()
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", usage).group(1))
    clock = re.search(r"Elapsed \(wall clock\) time .*: (\S+)", usage).group(1)
    seconds = 0.0
    for part in clock.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds, peak_kb / 1024**2, done.stdout


def _step(root: Path, persons: int, step: str, lock: Path | None) -> dict:
    """A step's figures, measured now or kept from an earlier run."""
    kept = root / "growth" / f"{name_of(persons)}-{step}.json"
    if kept.exists():
        return json.loads(kept.read_text())
    command = [
        sys.executable,
        "-m",
        "benchmarks.growth",
        "--step",
        step,
        "--persons",
        str(persons),
        "--root",
        str(root),
    ]
    seconds, peak, out = _timed(command, lock)
    figures = {**json.loads(out.strip().splitlines()[-1]), "wall_s": seconds, "peak_gb": peak}
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text(json.dumps(figures))
    return figures


def _scan(
    root: Path, persons: int, memory: str, lock: Path | None, period: tuple[str, str] | None
) -> dict:
    """``graphscan scan`` of the loaded city (or of the claims of one ``period``, since
    and until): wall time, peak memory, each stage's figures."""
    within = f"-{period[0]}..{period[1]}" if period else ""
    kept = root / "growth" / f"{name_of(persons)}-scan-{memory}{within}.json"
    if kept.exists():
        return json.loads(kept.read_text())
    graphscan = str(Path(sys.executable).with_name("graphscan"))
    ws = root / "workspaces" / name_of(persons)
    command = [
        graphscan,
        "scan",
        "--workspace",
        str(ws),
        "--memory",
        memory,
        "--profile",
        "--top",
        "0",
    ]
    if period:
        command += ["--since", period[0], "--until", period[1]]
    seconds, peak, out = _timed(command, lock)
    figures = {"wall_s": seconds, "peak_gb": peak, **_scan_output(out)}
    kept.write_text(json.dumps(figures))
    return figures


def _scan_output(out: str) -> dict:
    """Rings found and each stage's seconds and peak GB from ``scan --profile``'s output."""
    stages = re.findall(r"^  (\S.*?)\s+([\d.]+)\s+([\d.]+)$", out, re.MULTILINE)
    rings = re.search(r"(\d+) rings found", out)
    return {
        "rings": int(rings.group(1)) if rings else None,
        "stages": [(name, float(s), float(gb)) for name, s, gb in stages],
    }


def _disk_gb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e9


def measure(
    root: Path, claims: int, memory: str, lock: Path | None, periods: list[tuple[str, str]]
) -> None:
    persons = round(claims / CLAIMS_PER_PERSON)
    print(f"\n== {claims / 1e6:g} M claims wanted: {persons:,} persons", flush=True)
    made = _step(root, persons, "generate", lock)
    n = made["claims"]
    print(
        f"  generate  {made['wall_s']:>7.1f} s  {made['peak_gb']:>6.2f} GB peak  "
        f"{n:,} claim lines, {made['claim_items']:,} items; Parquet "
        f"{_disk_gb(root / 'cities' / name_of(persons)):.2f} GB",
        flush=True,
    )
    loaded = _step(root, persons, "load", lock)
    print(
        f"  load      {loaded['wall_s']:>7.1f} s  {loaded['peak_gb']:>6.2f} GB peak  "
        f"{n / loaded['wall_s']:,.0f} claim rows/s (all five files)",
        flush=True,
    )
    for period in periods or [None]:
        scanned = _scan(root, persons, memory, lock, period)
        within = f" --since {period[0]} --until {period[1]}" if period else ""
        print(
            f"  scan      {scanned['wall_s']:>7.1f} s  {scanned['peak_gb']:>6.2f} GB peak  "
            f"{scanned['rings']} rings, --memory {memory}{within}",
            flush=True,
        )
        for name, seconds, gb in scanned["stages"]:
            print(f"    {name:<40}{seconds:>7.1f} s  {gb:>6.2f} GB")
    ws = root / "workspaces" / name_of(persons)
    print(f"  workspace {_disk_gb(ws):.2f} GB on disk", flush=True)
    copy = _step(root, persons, "copy", lock)
    print(
        f"  duckdb    {copy['seconds']:>7.1f} s  {copy['peak_gb']:>6.2f} GB peak  "
        f"(claims alone {copy['claims_seconds']:.1f} s); graphscan's load at "
        f"{copy['seconds'] / loaded['wall_s']:.2f} of DuckDB's own copy",
        flush=True,
    )


# -- Neo4j: the same cities in a private local server ------------------------------------
#: the server's size: leaves room for others on a shared machine
NEO4J_HEAP, NEO4J_PAGECACHE = "4g", "4g"


def _neo4j_workspace(root: Path, persons: int) -> Path:
    return root / "workspaces" / f"{name_of(persons)}-neo4j"


class ServerSampler(threading.Thread):
    """Peak resident memory and CPU seconds of the server process while a step runs,
    read from /proc every half second (the server is not the step's child, so
    /usr/bin/time does not see it)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_gb, self.stopped = pid, 0.0, threading.Event()
        self.load_averages: list[float] = []  # the machine's, as the step ran
        self.cpu_began = self._cpu_s()

    def _cpu_s(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _rss_gb(self) -> float:
        """0 once the server is gone (a killed server's zombie has no resident set)."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        rss = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(rss.group(1)) / 1024**2 if rss else 0.0

    def run(self) -> None:
        while not self.stopped.wait(0.5):
            self.peak_gb = max(self.peak_gb, self._rss_gb())
            self.load_averages.append(os.getloadavg()[0])

    def __enter__(self) -> ServerSampler:
        self.peak_gb = self._rss_gb()
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopped.set()
        self.join()
        self.cpu_s = self._cpu_s() - self.cpu_began


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _neo4j_timed(command: list[str], lock: Path | None, server: int) -> dict:
    """``_timed`` with the client's CPU seconds and the server's peak and CPU beside it."""
    cpu = _children_cpu_s()
    with ServerSampler(server) as sampled:
        seconds, peak, out = _timed(command, lock)
    return {
        "wall_s": seconds,
        "peak_gb": peak,
        "cpu_s": _children_cpu_s() - cpu,
        "server_peak_gb": sampled.peak_gb,
        "server_cpu_s": sampled.cpu_s,
        "load_average": sum(sampled.load_averages) / max(len(sampled.load_averages), 1),
        "out": out,
    }


def _neo4j_step(
    root: Path, persons: int, step: str, command: list[str], lock: Path | None, server: int
) -> dict:
    kept = root / "growth" / f"{name_of(persons)}-{step}.json"
    if kept.exists():
        return json.loads(kept.read_text())
    figures = _neo4j_timed(command, lock, server)
    out = figures.pop("out")
    figures.update(
        json.loads(out.strip().splitlines()[-1]) if step == "neo4j-load" else _scan_output(out)
    )
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text(json.dumps(figures))
    return figures


def measure_neo4j(root: Path, claims: int, memory: str, lock: Path | None) -> None:
    from graphscan.neo4jserver.server import LocalServer

    persons = round(claims / CLAIMS_PER_PERSON)
    print(f"\n== Neo4j, {claims / 1e6:g} M claims wanted: {persons:,} persons", flush=True)
    n = _step(root, persons, "generate", lock)["claims"]
    server = LocalServer(root / "neo4j" / name_of(persons))
    creds = server.start(heap=NEO4J_HEAP, pagecache=NEO4J_PAGECACHE)
    os.environ.update(NEO4J_URI=creds.uri, NEO4J_USER=creds.user, NEO4J_PASSWORD=creds.password)
    os.environ.setdefault("GRAPHSCAN_NEO4J_TIMEOUT", "7200")
    print(f"  server    heap {NEO4J_HEAP}, page cache {NEO4J_PAGECACHE}, {creds.uri}", flush=True)
    try:
        child = [sys.executable, "-m", "benchmarks.growth", "--root", str(root)]
        load = [*child, "--step", "neo4j-load", "--persons", str(persons)]
        loaded = _neo4j_step(root, persons, "neo4j-load", load, lock, server.pid())
        print(
            f"  load      {loaded['wall_s']:>7.1f} s  {loaded['peak_gb']:>6.2f} GB peak  "
            f"{n / loaded['wall_s']:,.0f} claim rows/s (all five files), CPU "
            f"{loaded['cpu_s']:.1f} s; server {loaded['server_peak_gb']:.2f} GB peak, CPU "
            f"{loaded['server_cpu_s']:.1f} s; load average {loaded.get('load_average', 0):.1f}",
            flush=True,
        )
        print(
            "    files done at "
            + ", ".join(f"{t} {s:.1f} s" for t, s in loaded["finished_s"].items()),
            flush=True,
        )
        graphscan = str(Path(sys.executable).with_name("graphscan"))
        scan = [
            graphscan,
            "scan",
            "--store",
            creds.uri,
            "--workspace",
            str(_neo4j_workspace(root, persons)),
            "--memory",
            memory,
            "--profile",
            "--top",
            "0",
        ]
        scanned = _neo4j_step(root, persons, f"neo4j-scan-{memory}", scan, lock, server.pid())
        print(
            f"  scan      {scanned['wall_s']:>7.1f} s  {scanned['peak_gb']:>6.2f} GB peak  "
            f"CPU {scanned['cpu_s']:.1f} s, {scanned['rings']} rings, --memory {memory}; "
            f"server {scanned['server_peak_gb']:.2f} GB peak, CPU "
            f"{scanned['server_cpu_s']:.1f} s; load average {scanned.get('load_average', 0):.1f}",
            flush=True,
        )
        for name, seconds, gb in scanned["stages"]:
            print(f"    {name:<40}{seconds:>7.1f} s  {gb:>6.2f} GB")
    finally:
        server.stop()  # a clean stop checkpoints: the store files have their size after it
    data = server.home / "data"
    print(
        f"  store     {_disk_gb(data / 'databases' / 'neo4j'):.2f} GB on disk, transaction "
        f"logs {_disk_gb(data / 'transactions' / 'neo4j'):.2f} GB (kept by Neo4j's default "
        "retention)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=float, nargs="+", default=[1e6, 5e6, 10e6, 50e6])
    parser.add_argument("--memory", default="8GB", help="graphscan scan --memory")
    parser.add_argument("--root", type=Path, default=Path("benchmarks/.cache"))
    parser.add_argument("--lock", type=Path, default=None, help="flock this file per step")
    parser.add_argument(
        "--period",
        action="append",
        default=[],
        metavar="SINCE..UNTIL",
        help="scan these claims only (repeatable: one scan per period)",
    )
    parser.add_argument("--engine", choices=["embedded", "neo4j"], default="embedded")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--persons", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(STEPS[args.step](args.root, args.persons)))
        return
    use_bench_key(args.root)  # the scan's key, as the load's
    for claims in args.claims:
        if args.engine == "neo4j":
            measure_neo4j(args.root, int(claims), args.memory, args.lock)
        else:
            periods = [tuple(period.split("..", 1)) for period in args.period]
            measure(args.root, int(claims), args.memory, args.lock, periods)


if __name__ == "__main__":
    main()
