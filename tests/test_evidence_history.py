"""The case book records who made each status change and note (`cases status --by`, the
login name by default), and the memo and the page show the whole history with them."""

from __future__ import annotations

import getpass
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from embedded_store import embedded_store
from evidence_data import ring_case, ring_claims

from graphscan.casebook import CaseBook
from graphscan.cli.main import cli
from graphscan.pseudonym import Pseudonymiser
from graphscan.workspace import Workspace


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["--lang", "en", *args])


@pytest.fixture
def worked_case(tmp_path: Path) -> tuple[Path, str]:
    """A case moved to reviewing and confirmed, with notes, by two named investigators
    and one entry without --by."""
    claims = ring_claims(Pseudonymiser(b"history-test", tmp_path / "vault"))
    ws = Workspace.open(tmp_path / "ws")
    embedded_store(ws).upsert("claims", claims)
    (case,) = CaseBook(ws).record_scan([ring_case(claims)], ["card_lending"])
    ws.close()
    path = str(tmp_path / "ws")
    steps = [
        ("reviewing", "--note", "已调取药店监控 <b>CCTV</b>", "--by", "王警官"),
        ("confirmed",),
        ("confirmed", "--note", "金额已逐笔核对", "--by", "李科长"),
    ]
    for step in steps:
        result = run("cases", "status", case.case_id, *step, "-w", path)
        assert result.exit_code == 0, result.output
    return tmp_path / "ws", case.case_id


def test_cases_show_names_who_made_each_entry(worked_case: tuple[Path, str]) -> None:
    ws, case_id = worked_case
    shown = run("cases", "show", case_id, "-w", str(ws)).output
    lines = shown.splitlines()
    assert any("王警官" in x and "new → reviewing" in x for x in lines)
    assert any(getpass.getuser() in x and "reviewing → confirmed" in x for x in lines)
    assert any("李科长" in x and "金额已逐笔核对" in x for x in lines)


def test_memo_and_page_show_the_history(worked_case: tuple[Path, str], tmp_path: Path) -> None:
    ws, case_id = worked_case
    result = run("cases", "export", case_id, "-w", str(ws), "--out", str(tmp_path / "a"))
    assert result.exit_code == 0, result.output
    memo = (tmp_path / "a" / "memo.md").read_text(encoding="utf-8")
    assert "## 状态记录与备注 / Status history and notes" in memo
    rows = [x for x in memo.splitlines() if x.startswith("| 20")]
    assert len(rows) == 3
    assert "| 王警官 | 新建 new → 审查中 reviewing | 已调取药店监控 &lt;b>CCTV&lt;/b> |" in rows[0]
    assert f"| {getpass.getuser()} | 审查中 reviewing → 已确认 confirmed |  |" in rows[1]
    assert rows[2].endswith("| 李科长 | 已确认 confirmed | 金额已逐笔核对 |")
    page = (tmp_path / "a" / "case.html").read_text(encoding="utf-8")
    assert 'id="history"' in page and "王警官" in page and "李科长" in page
    assert "&lt;b&gt;CCTV" in page and "<b>CCTV" not in page
    # a rescan of the same data adds its own entry to the book, not to the package
    claims = embedded_store(Workspace.open(ws)).claims(
        CaseBook(Workspace.open(ws)).get(case_id).claim_ids
    )
    book = CaseBook(Workspace.open(ws))
    book.record_scan([ring_case(claims)], ["card_lending"])
    again = run("cases", "export", case_id, "-w", str(ws), "--out", str(tmp_path / "b"))
    assert again.exit_code == 0, again.output
    (first,) = (tmp_path / "a").glob("*.zip")
    assert (tmp_path / "b" / first.name).read_bytes() == first.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert any(n.endswith("memo.html") for n in archive.namelist())
