"""The notebook API and the scan command on partial data: what a pattern cannot see is
said, the case list can be read without a rescan, and DataFrame scans clean up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from handmade_city import build

import graphscan
from graphscan.casebook import CaseBook
from graphscan.cli.main import cli
from graphscan.workspace import Workspace


@pytest.fixture(scope="module")
def city() -> dict[str, pd.DataFrame]:
    return build()


def test_a_claims_only_scan_names_what_it_lacks(city: dict[str, pd.DataFrame]) -> None:
    with pytest.warns(UserWarning) as caught:
        rings = graphscan.scan(frames={"claims": city["claims"]})
    said = [str(w.message) for w in caught]
    assert any("identity_misuse lost persons.sex" in m for m in said), said
    assert any("kickback lost claim_items" in m for m in said), said
    assert rings.attrs["input_gaps"] == said
    whole = graphscan.scan(frames=city)
    assert not any("persons." in m for m in whole.attrs["input_gaps"])
    assert set(whole.pattern) == {"card_lending", "kickback", "group_hospitalisation",
                                  "identity_misuse"}  # fmt: skip
    # the first scan's temporary workspace went when the second replaced it
    assert not Path(rings.attrs["workspace"]).exists()
    assert Path(whole.attrs["workspace"]).exists()


def test_the_cli_scan_warns_about_partial_data(
    tmp_path: Path, city: dict[str, pd.DataFrame]
) -> None:
    claims = tmp_path / "claims.parquet"
    city["claims"].to_parquet(claims, index=False)
    runner = CliRunner()
    assert (
        runner.invoke(cli, ["load", str(claims), "-w", str(tmp_path / "ws"), "-q"]).exit_code == 0
    )
    result = runner.invoke(cli, ["--lang", "en", "scan", "-w", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    assert "warning: identity_misuse lost persons.sex" in result.stderr


FRAMES_SCAN = """
import sys
sys.path.insert(0, sys.argv[1])
from handmade_city import build
import graphscan
print(graphscan.scan(frames={"claims": build()["claims"]}).attrs["workspace"])
"""


def test_a_frames_scan_leaves_no_workspace_behind(tmp_path: Path) -> None:
    tests = str(Path(__file__).parent)
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", FRAMES_SCAN, tests],
        capture_output=True,
        text=True,
        check=True,
    )
    left = Path(done.stdout.strip().splitlines()[-1])
    assert left.name.startswith("graphscan-") and not left.exists()


def test_cases_reads_without_rescanning(city: dict[str, pd.DataFrame]) -> None:
    scanned = graphscan.scan(frames=city)
    ws = scanned.attrs["workspace"]
    book = CaseBook(Workspace.open(ws, create=False))
    events = book.db.execute("SELECT count(*) FROM case_events").fetchall()[0][0]
    listed = graphscan.cases(workspace=ws)
    assert list(listed.case_id) == list(scanned.case_id)
    assert "status" in listed.columns and set(listed.status) == {"new"}
    assert graphscan.cases(workspace=ws, pattern="kickback").pattern.eq("kickback").all()
    assert book.db.execute("SELECT count(*) FROM case_events").fetchall()[0][0] == events
