"""Files opened in a spreadsheet cannot run formulas (OWASP CSV injection): the evidence
CSV, the cases CSV and the quarantine files quote text cells that begin with = + - @, a
tab or a carriage return, and leave real numbers alone; the memo escapes HTML in names."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner
from evidence_data import ring_case, ring_claims

from graphscan.casebook import CaseBook
from graphscan.cli.main import cli
from graphscan.pseudonym import Pseudonymiser
from graphscan.safe_csv import safe_cell, safe_column
from graphscan.viz.package import export_case
from graphscan.workspace import Workspace

FORMULAS = ['=HYPERLINK("http://x.example","点击")', "+1+1", "-2+3", "@SUM(A1)", "\tX", "\rY"]
HTML_NAME = '<img src=x onerror="alert(1)">康宁'


def test_safe_cell_quotes_formulas_and_keeps_numbers() -> None:
    for text in FORMULAS:
        assert safe_cell(text) == "'" + text
        assert safe_cell(text, numeric=True) == "'" + text
    assert safe_cell("-12.50", numeric=True) == "-12.50"
    assert safe_cell("+3e5", numeric=True) == "+3e5"
    assert safe_cell(-12.5, numeric=True) == -12.5
    assert safe_cell("-12.50") == "'-12.50"  # text column: a code, never a number
    assert safe_cell("康宁大药房") == "康宁大药房" and safe_cell(None) is None


def test_a_column_is_made_safe_as_each_of_its_cells() -> None:
    """The quarantine writes its columns at a time: the same cells as safe_cell's."""
    texts = [*FORMULAS, "-12.50", "+3e5", "-１２", ".5", "1e", "12\n", "-", "'=x", "", None, "康宁"]
    for numeric in (False, True):
        expected = [safe_cell(v, numeric) for v in texts]
        assert safe_column(pa.array(texts, pa.string()), numeric) == expected
        numbers = [3, -5, None]
        cells = [safe_cell(n, numeric) for n in numbers]
        shown = [None if v is None else str(v) for v in safe_column(pa.array(numbers), numeric)]
        assert shown == [None if v is None else str(v) for v in cells]  # as csv writes them


@pytest.fixture
def hostile_claims(tmp_path: Path) -> pd.DataFrame:
    claims = ring_claims(Pseudonymiser(b"csv-test", tmp_path / "vault"))
    ring = claims.index[claims["operator_id"] == "OP-7"]
    claims.loc[ring, "provider_name"] = HTML_NAME
    claims.loc[ring[:6], "diagnosis_code"] = FORMULAS
    claims.loc[ring[6], ["total_amount", "account_amount"]] = -12.5
    return claims


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_evidence_csv_and_memo_are_safe(hostile_claims: pd.DataFrame, tmp_path: Path) -> None:
    case = ring_case(hostile_claims)
    evidence = hostile_claims[hostile_claims["claim_id"].isin(case.claim_ids)]
    package = export_case(case, evidence, tmp_path / "out")
    rows = csv_rows((tmp_path / "out" / "evidence_claims.csv").read_bytes())
    diagnoses = {r["diagnosis_code"] for r in rows} - {""}
    assert diagnoses == {"'" + f for f in FORMULAS}
    assert "-12.50" in {r["total_amount"] for r in rows}
    assert all(not v.startswith(("=", "+", "@", "\t", "\r")) for r in rows for v in r.values())
    memo = (tmp_path / "out" / "memo.md").read_text(encoding="utf-8")
    assert "<img" not in memo and "&lt;img src=x" in memo
    with zipfile.ZipFile(package.zip_path) as archive:
        assert "<img" not in archive.read("C-2024-0001/memo.html").decode()


def test_cases_csv_is_safe(hostile_claims: pd.DataFrame, tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    case = ring_case(hostile_claims)
    case.explanation_en = "=cmd|' /C calc'!A0"
    case.total_amount = -12.5
    CaseBook(ws).record_scan([case], ["card_lending"])
    ws.close()
    result = CliRunner().invoke(
        cli, ["--lang", "en", "cases", "list", "--format", "csv", "-w", str(tmp_path / "ws")]
    )
    assert result.exit_code == 0, result.output
    (row,) = csv_rows(result.output.encode())
    assert row["explanation_en"] == "'=cmd|' /C calc'!A0"
    assert row["total_amount"] == "-12.5"


def test_quarantine_file_is_safe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "claims.csv"
    source.write_text(
        "claim_id,kind,person_id,provider_id,start_time,total_amount\n"
        "=1+2,outpatient,110101199001011234,H001,not a date,-12.50\n"
        "S2,outpatient,110101199001011234,@H002,2025-03-01,=10*10\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("GRAPHSCAN_KEY", "csv-test")
    monkeypatch.setenv("GRAPHSCAN_VAULT_FILE", str(tmp_path / "vault"))
    ws = tmp_path / "ws"
    CliRunner().invoke(cli, ["--lang", "en", "load", str(source), "-w", str(ws), "-q"])
    (quarantine,) = (ws / "quarantine").glob("*.csv")
    rows = csv_rows(quarantine.read_bytes())
    by_row = {r["source_row"]: r for r in rows}
    assert by_row["1"]["claim_id"] == "'=1+2" and by_row["1"]["total_amount"] == "-12.50"
    assert by_row["2"]["provider_id"] == "'@H002" and by_row["2"]["total_amount"] == "'=10*10"
