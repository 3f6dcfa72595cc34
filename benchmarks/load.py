"""Load speed and memory: a city of ~10 million claim lines from CSV into the embedded store,
beside DuckDB's own copy of the same file into a table.

    .venv/bin/python -m benchmarks.load                 # 10,000,000 claims
    .venv/bin/python -m benchmarks.load --rows 1000000  # a quick look

The stand-in city (canonical claims columns, ~1 claim in 10 per person, a year of times,
amounts that add up, 2% of cards used by someone else) is written once with vectorised
DuckDB SQL into --data and reused. The load runs the real pipeline (detect encoding,
map headers, pseudonymise, parse, dedupe, upsert) into a fresh workspace, then loads the
same file again (all exact duplicates). First, as the yardstick, DuckDB itself copies the
same CSV into a table of a fresh database file (``CREATE TABLE AS SELECT * FROM
read_csv(...)``, types detected: what anyone would do without graphscan), and the load's
ratio to it is printed. Prints rows/s, CPU seconds, the load average (the machine may be
shared) and peak memory (ru_maxrss), and checks that every stored claim kept its source
row (the stand-in's claim ids count the rows).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from graphscan.loaders.pipeline import Options, load_files
from graphscan.pseudonym import Pseudonymiser
from graphscan.store import open_store
from graphscan.store.embedded import EmbeddedStore
from graphscan.workspace import Workspace

_CITY = """
COPY (
  SELECT
    'JS' || lpad(CAST(i AS VARCHAR), 11, '0') AS claim_id,
    CASE WHEN k < 55 THEN 'outpatient' WHEN k < 95 THEN 'pharmacy' ELSE 'inpatient' END AS kind,
    '3204' || lpad(CAST(p AS VARCHAR), 14, '0') AS person_id,
    CASE WHEN i % 50 = 0 THEN '3204' || lpad(CAST((p * 7 + 13) % $persons AS VARCHAR), 14, '0')
         ELSE '' END AS card_id,
    CASE WHEN k BETWEEN 55 AND 94 THEN 'P' ELSE 'H' END || lpad(CAST(i % 3500 AS VARCHAR), 5, '0')
      AS provider_id,
    CASE WHEN k < 55 OR k >= 95 THEN 'D' || lpad(CAST(hash(i) % 20000 AS VARCHAR), 6, '0')
         ELSE '' END AS doctor_id,
    CASE WHEN k BETWEEN 55 AND 94 THEN 'OP' || CAST(i % 5000 AS VARCHAR) ELSE '' END
      AS operator_id,
    strftime(TIMESTAMP '2025-01-01' + to_seconds(CAST(hash(i * 3) % 31536000 AS BIGINT)),
             '%Y-%m-%d %H:%M:%S') AS start_time,
    CASE WHEN k >= 95 THEN strftime(TIMESTAMP '2025-01-01'
         + to_seconds(CAST(hash(i * 3) % 31536000 AS BIGINT) + 86400 * (1 + i % 9)),
         '%Y-%m-%d %H:%M:%S') ELSE '' END AS end_time,
    'J' || CAST(i % 90 AS VARCHAR) AS diagnosis_code,
    CAST(cents / 100.0 AS DECIMAL(18, 2)) AS total_amount,
    CAST((cents * 6 // 10) / 100.0 AS DECIMAL(18, 2)) AS fund_amount,
    CAST((cents * 3 // 10) / 100.0 AS DECIMAL(18, 2)) AS account_amount,
    CAST((cents - cents * 6 // 10 - cents * 3 // 10) / 100.0 AS DECIMAL(18, 2)) AS cash_amount
  FROM (
    SELECT i, hash(i * 7) % 100 AS k, hash(i * 11) % $persons AS p,
           1000 + hash(i * 13) % 200000 AS cents
    FROM range($rows) t(i)
  )
) TO '{path}' (HEADER, DELIMITER ',')
"""


def city_file(data: Path, rows: int) -> Path:
    data.mkdir(parents=True, exist_ok=True)
    path = data / f"claims-{rows}.csv"
    if not path.exists():
        began = time.perf_counter()
        partial = path.with_suffix(".partial")
        duckdb.execute(_CITY.format(path=partial), {"rows": rows, "persons": max(rows // 10, 1)})
        partial.rename(path)
        size, seconds = path.stat().st_size / 1e9, time.perf_counter() - began
        print(f"wrote {path} ({size:.2f} GB) in {seconds:.0f} s")
    return path


def peak_rss_gb() -> float:
    """This process's peak (DuckDB's copy runs in a child of its own)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


_COPY = """
import sys, duckdb
db = duckdb.connect(sys.argv[2])
copied = db.execute("CREATE TABLE claims AS SELECT * FROM read_csv(?)", [sys.argv[1]])
print(copied.fetchall()[0][0])
"""


def duckdb_copy(path: Path, scratch: Path) -> tuple[float, float]:
    """DuckDB's own CSV -> table copy of the file, in a child process (its memory is not
    the loader's); returns rows/s and rows per CPU second (the machine may be shared:
    CPU seconds do not depend on what else runs)."""
    target = scratch / "copy.duckdb"
    began = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _COPY, str(path), str(target)],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - began
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    rows = int(out.stdout.split()[-1])
    target.unlink()
    print(
        f"DuckDB's own copy: {rows:,} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s; "
        f"CPU {cpu:.1f} s; peak memory {usage.ru_maxrss / 1024**2:.2f} "
        f"GB; load average {os.getloadavg()[0]:.1f}"
    )
    return rows / seconds, rows / cpu


def timed_load(path: Path, ws: Workspace, label: str, yardstick: tuple[float, float]) -> None:
    store = open_store(None, ws)
    assert isinstance(store, EmbeddedStore)
    began, cpu = time.perf_counter(), cpu_seconds()
    report = load_files([path], store, ws, Pseudonymiser.from_environment(), Options())
    seconds, cpu = time.perf_counter() - began, cpu_seconds() - cpu
    file = report.files[0]
    assert file.error is None and file.reconciles, file
    misplaced = store.db.execute(
        "SELECT count(*) FROM claims WHERE CAST(substr(claim_id, 3) AS BIGINT) + 1 <> source_row"
    ).fetchall()[0][0]
    assert misplaced == 0, f"{misplaced:,} claims with a wrong source_row"
    print(
        f"{label}: {file.rows_read:,} rows in {seconds:.1f} s = {file.rows_read / seconds:,.0f} "
        f"rows/s (loaded {file.loaded:,}, duplicates {file.duplicates:,}, "
        f"quarantined {file.quarantined_total:,}); CPU {cpu:.1f} s "
        f"({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}); "
        f"peak memory so far {peak_rss_gb():.2f} GB; of DuckDB's own copy "
        f"{file.rows_read / seconds / yardstick[0]:.2f} by time, "
        f"{file.rows_read / cpu / yardstick[1]:.2f} by CPU"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--data", type=Path, default=Path("bench-data"))
    args = parser.parse_args()
    path = city_file(args.data, args.rows)
    scratch = Path(tempfile.mkdtemp(prefix="graphscan-bench-"))
    os.environ.setdefault("GRAPHSCAN_KEY", "benchmark key")
    os.environ.setdefault("GRAPHSCAN_VAULT_FILE", str(scratch / "vault"))
    try:
        yardstick = duckdb_copy(path, scratch)
        ws = Workspace.open(scratch / "ws")
        timed_load(path, ws, "first load ", yardstick)
        timed_load(path, ws, "second load", yardstick)
        ws.close()
    finally:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
