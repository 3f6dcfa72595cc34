"""Hostile files: a stray quote, workbooks with several sheets, a corrupt workbook among
good files, a GBK load killed half-way. Nothing is lost without a reason, and nothing
readable is left behind."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner
from embedded_store import embedded_store
from loader_files import CHINESE_HEADERS, GOOD_ROWS, PEOPLE, store_for, write_csv

from graphscan.cli.main import cli
from graphscan.loaders.pipeline import Options, load_files
from graphscan.loaders.report import LoadReport
from graphscan.pseudonym import Pseudonymiser
from graphscan.workspace import Workspace

HEADERS = ["claim_id", "kind", "person_id", "provider_id", "start_time", "total_amount"]


def _load(paths: list[Path], workspace: Path) -> LoadReport:
    ws = Workspace.open(workspace)
    return load_files(paths, embedded_store(ws), ws, Pseudonymiser.from_environment(), Options())


def _claim_lines(count: int) -> list[str]:
    return [f"C{i},门诊,p{i % 7},H1,2025-03-01,{i}.00" for i in range(1, count + 1)]


def _reasons(workspace: Path) -> dict[int, str]:
    quarantine = next((workspace / "quarantine").glob("*.csv"))
    with quarantine.open(encoding="utf-8-sig") as handle:
        return {int(r["source_row"]): r["reason_code"] for r in csv.DictReader(handle)}


def test_a_stray_quote_costs_its_lines_not_the_rest_of_the_file(tmp_path: Path) -> None:
    lines = _claim_lines(60)
    lines[9] = 'C10,门诊,"p3,H1,2025-03-01,10.00'  # opens a quote at row 10 …
    lines[19] = 'C20,门诊,p3",H1,2025-03-01,20.00'  # … that the reader closes at row 20
    lines[39] = 'C40,门诊,"p4,H1,2025-03-01,40.00'  # never closed: runs to the end
    source = tmp_path / "c.csv"
    source.write_text(",".join(HEADERS) + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    file = _load([source], tmp_path / "ws").files[0]
    assert file.rows_read == 60 and file.reconciles  # the file's own line count
    assert (file.loaded, dict(file.quarantined)) == (28, {"stray_quote": 32})
    reasons = _reasons(tmp_path / "ws")
    assert sorted(reasons) == [*range(10, 21), *range(40, 61)]
    stored = store_for(tmp_path / "ws").db.execute(
        "SELECT claim_id, source_row FROM claims ORDER BY source_row"
    )
    rows = stored.fetchall()
    assert all(claim == f"C{row}" for claim, row in rows)  # rows after the quote keep theirs


def test_quoted_line_breaks_and_blank_lines_still_reconcile(tmp_path: Path) -> None:
    lines = _claim_lines(6)
    lines[2] = 'C3,门诊,p1,"H\n\n1",2025-03-01,3.00'  # a field holding a blank line
    source = tmp_path / "c.csv"
    text = ",".join(HEADERS) + "\n" + "\n".join(lines[:4]) + "\n\n" + "\n".join(lines[4:]) + "\n"
    source.write_text(text, encoding="utf-8")
    file = _load([source], tmp_path / "ws").files[0]
    assert (file.rows_read, file.loaded, file.quarantined_total) == (6, 6, 0)


def test_every_sheet_of_a_workbook_is_loaded_and_reported(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    march = book.active
    march.title = "三月"
    march.append(HEADERS)
    march.append(["X1", "门诊", PEOPLE[0], "H1", "2025-03-01", 10])
    april = book.create_sheet("四月")
    april.append(HEADERS)
    april.append(["X2", "门诊", PEOPLE[1], "H1", "2025-04-01", 20])
    april.append(["X3", "门诊", None, "H1", "2025-04-02", 30])
    book.create_sheet("空白")
    items = book.create_sheet("明细")
    items.append(["结算ID", "项目编码", "金额"])
    items.append(["X2", "Y1", 20])
    book.active = 1  # the workbook opens on April: March must not be lost
    book.save(tmp_path / "claims.xlsx")
    report = _load([tmp_path / "claims.xlsx"], tmp_path / "ws")
    by_name = {f.file: f for f in report.files}
    assert set(by_name) == {"claims.xlsx[三月]", "claims.xlsx[四月]", "claims.xlsx[明细]"}
    assert by_name["claims.xlsx[三月]"].loaded == 1
    assert (by_name["claims.xlsx[四月]"].loaded, by_name["claims.xlsx[四月]"].rows_read) == (1, 2)
    assert by_name["claims.xlsx[明细]"].table == "claim_items"
    assert by_name["claims.xlsx[明细]"].loaded == 1
    stored = store_for(tmp_path / "ws").db.execute(
        "SELECT claim_id, source_file, source_row FROM claims ORDER BY claim_id"
    )
    assert stored.fetchall() == [("X1", "claims.xlsx[三月]", 1), ("X2", "claims.xlsx[四月]", 1)]


def test_a_corrupt_workbook_does_not_stop_the_good_files(tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", CHINESE_HEADERS, GOOD_ROWS, "utf-8")
    renamed = tmp_path / "renamed.xlsx"
    renamed.write_bytes(good.read_bytes())  # a CSV with an Excel name
    truncated = tmp_path / "truncated.xlsx"
    from openpyxl import Workbook

    Workbook().save(truncated)
    truncated.write_bytes(truncated.read_bytes()[:300])
    broken_parquet = tmp_path / "x.parquet"
    broken_parquet.write_bytes(b"PAR1 not really")
    args = [str(p) for p in (renamed, good, truncated, broken_parquet)]
    result = CliRunner().invoke(
        cli, ["--lang", "en", "load", *args, "-w", str(tmp_path / "ws"), "-q"]
    )
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # one line per file, no traceback
    for name in ("renamed.xlsx", "truncated.xlsx", "x.parquet"):
        assert f"✗ {name}: {name}: not a valid" in result.output
    assert "read 5 = loaded 5" in result.output  # the good file's own report
    assert "3 file(s) could not be loaded: renamed.xlsx, truncated.xlsx, x.parquet" in (
        result.output
    )
    assert store_for(tmp_path / "ws").db.execute("SELECT count(*) FROM claims").fetchall() == [(5,)]


_KILLED_LOAD = """
import sys
from pathlib import Path
from graphscan.loaders.pipeline import Options, load_files
from graphscan.pseudonym import Pseudonymiser
from graphscan.store import open_store
from graphscan.workspace import Workspace

ws = Workspace.open(sys.argv[2])
load_files([Path(sys.argv[1])], open_store(None, ws), ws, Pseudonymiser.from_environment(),
           Options())
"""


def _wait_until_reading(pid: int, source: Path) -> None:
    """Until the process has the source open (it is transcoding it), then a moment more."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            targets = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:  # a descriptor closed while listing
            targets = []
        if str(source) in targets:
            time.sleep(0.3)
            return
        time.sleep(0.02)
    raise AssertionError("the load never opened its source file")


def test_a_killed_gbk_load_leaves_no_clear_text_behind(tmp_path: Path) -> None:
    secret = "110101190001019999"
    rows = [
        [f"K{i}", "门诊", secret if i % 2 else PEOPLE[i % 3], "H1", "2025-03-01", "1.00"]
        for i in range(400_000)
    ]
    source = write_csv(tmp_path / "gbk.csv", ["结算ID", *HEADERS[1:]], rows, "gbk")
    temp = tmp_path / "tmp"
    temp.mkdir()
    workspace = tmp_path / "ws"
    env = {**os.environ, "TMPDIR": str(temp)}
    for sig in (signal.SIGTERM, signal.SIGKILL):
        child = subprocess.Popen(
            [sys.executable, "-c", _KILLED_LOAD, str(source), str(workspace)], env=env
        )
        _wait_until_reading(child.pid, source)
        assert child.poll() is None, "the load ended before it could be stopped"
        child.send_signal(sig)
        child.wait(30)
        left = [p for p in (*temp.rglob("*"), *workspace.rglob("*")) if p.is_file()]
        readable = [p for p in left if secret.encode() in p.read_bytes()]
        assert readable == [], f"clear text left after {sig.name}: {readable}"
