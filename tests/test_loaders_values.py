"""Values are never silently changed: identifiers are one text whatever the file typed
them as, and amounts, times and reversals that are ambiguous or implausible are
quarantined with their reason."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner
from embedded_store import embedded_store
from loader_files import store_for, write_csv

from graphscan.cli.main import cli
from graphscan.loaders import identifiers
from graphscan.loaders.pipeline import Options, load_files
from graphscan.loaders.report import LoadReport
from graphscan.pseudonym import Pseudonymiser
from graphscan.workspace import Workspace

HEADERS = ["claim_id", "kind", "person_id", "provider_id", "start_time", "total_amount"]
MONEY = [*HEADERS, "fund_amount", "account_amount", "cash_amount", "reverses_claim_id"]
LOST_DIGITS = 1.1010119900101123e17  # an 18-digit id as a double: the last digits are gone


def _load(paths: list[Path], workspace: Path) -> LoadReport:
    ws = Workspace.open(workspace)
    return load_files(paths, embedded_store(ws), ws, Pseudonymiser.from_environment(), Options())


def _reasons(workspace: Path) -> dict[str, str]:
    """claim id (or source file and row when the id is not readable) -> reason code."""
    out = {}
    for path in (workspace / "quarantine").glob("*.csv"):
        with path.open(encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                out[row.get("claim_id") or f"{path.name}:{row['source_row']}"] = (
                    row["reason_code"] + ":" + row["reason"].split(": ")[-1]
                )
    return out


def _persons(workspace: Path) -> dict[str, str]:
    rows = store_for(workspace).db.execute("SELECT claim_id, person_id FROM claims").fetchall()
    return dict(rows)


def test_one_identity_per_person_whatever_the_source_typed(tmp_path: Path) -> None:
    text = write_csv(
        tmp_path / "claims.csv",
        HEADERS,
        [
            ["A1", "门诊", "110101199001011234", "H1", "2025-03-01", "1"],
            ["A2", "门诊", "１１０１０１１９９００１０１１２３４", "H1", "2025-03-01", "1"],
            ["A3", "门诊", "32010219700303001x", "H1", "2025-03-01", "1"],
            ["A4", "门诊", "32010219700303001X", "H1", "2025-03-01", "1"],
            ["A5", "门诊", "1.10101199001011E+17", "H1", "2025-03-01", "1"],
            ["A6", "门诊", "110101", "1.20104E+11", "2025-03-01", "1"],
            ["A7", "门诊", "110101", "H1", "2025-03-01", "1"],
        ],
        "utf-8",
    )
    parquet = tmp_path / "claims.parquet"
    pq.write_table(
        pa.table(
            {
                "claim_id": ["B1", "B2"],
                "kind": ["门诊", "门诊"],
                "person_id": pa.array([110101.0, LOST_DIGITS], pa.float64()),
                "provider_id": ["H1", "H1"],
                "start_time": ["2025-03-01", "2025-03-01"],
                "total_amount": pa.array([1.5, 2.0], pa.float64()),
            }
        ),
        parquet,
    )
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(HEADERS)
    book.active.append(["C1", "门诊", 110101, "H1", "2025-03-01", 1])
    book.active.append(["C2", "门诊", LOST_DIGITS, "H1", "2025-03-01", 1])
    book.save(tmp_path / "claims.xlsx")
    report = _load([text, parquet, tmp_path / "claims.xlsx"], tmp_path / "ws")
    assert all(f.reconciles and f.error is None for f in report.files)
    person = _persons(tmp_path / "ws")
    assert person["A1"] == person["A2"] and person["A3"] == person["A4"]
    assert person["A7"] == person["B1"] == person["C1"]
    assert len(set(person.values())) == 3
    reasons = _reasons(tmp_path / "ws")
    assert reasons == {
        "A5": "inexact_id:person_id",
        "A6": "inexact_id:provider_id",
        "B2": "inexact_id:person_id",
        "C2": "inexact_id:person_id",
    }
    amount = store_for(tmp_path / "ws").db.execute(
        "SELECT total_amount FROM claims WHERE claim_id = 'B1'"
    )
    assert amount.fetchall() == [(Decimal("1.50"),)]
    # the vault holds the one text: the investigator gets the id back as the card has it
    revealed = Pseudonymiser.from_environment().reveal([person["A3"]])
    assert revealed == {person["A3"]: "32010219700303001X"}


def test_a_file_of_ids_is_normalised_as_each_id_alone() -> None:
    """The loader normalises a file's ids at once; an investigator's typed id goes
    through the one-value function: both must give the text that was hashed."""
    typed = [
        "  110101199001011234 ",
        "１１０１０１１９９００１０１１２３４",
        "32010219700303001x",
        "\ufeff32010219700303001x",
        "\t\x1c77\x1f\r\n",
        "ab\u3000",
        "P-9",
        "",
        "1101011990010112x",
        "110101199001011234x",
        "张三 ",
    ]
    assert identifiers.normalise_array(pa.array(typed)).to_pylist() == [
        identifiers.normalise(v) for v in typed
    ]
    texts = pa.array(["1.1E+17", "123.5", "12", "1.5e-3", "E+", "-.5", "1,5"])
    assert identifiers.number_like(texts).to_pylist() == [
        True, True, False, True, False, True, False
    ]  # fmt: skip


def test_ambiguous_and_implausible_values_are_quarantined(tmp_path: Path) -> None:
    def claim(cid: str, time: str, total: str, fund: str = "", account: str = "") -> list[str]:
        return [cid, "门诊", "p1", "H1", time, total, fund, account, "", ""]

    rows = [
        claim("V1", "2025-03-01", "12,50"),
        claim("V2", "2025-03-01", "1,250.00"),
        claim("V3", "2025-03-01", "120.005"),
        claim("V4", "2025-03-01", "120.500"),
        claim("V5", "25-3-1", "1"),
        claim("V6", "9999-12-31", "1"),
        claim("V7", "2025-03-01", "10.00", "-10.00", "20.00"),
        claim("R1", "2025-03-01", "100.00", "60.00", "40.00"),
        ["X1", "门诊", "p1", "H1", "2025-03-02", "-60.00", "-30.00", "-30.00", "", "R1"],
        ["X2", "门诊", "p1", "H1", "2025-03-03", "-60.00", "-30.00", "-30.00", "", "R1"],
        ["X3", "门诊", "p1", "H1", "2025-03-03", "-5.00", "5.00", "-10.00", "", "R1"],
    ]
    source = write_csv(tmp_path / "v.csv", MONEY, rows, "utf-8")
    file = _load([source], tmp_path / "ws").files[0]
    assert file.reconciles and (file.loaded, file.reversals) == (3, 1)
    assert _reasons(tmp_path / "ws") == {
        "V1": "ambiguous_amount:total_amount",
        "V3": "amount_precision:total_amount",
        "V5": "implausible_time:start_time",
        "V6": "implausible_time:start_time",
        "V7": "amount_sign:fund_amount",
        "X2": "reversal_exceeds_claim:reversal larger than what is left of its claim",
        "X3": "amount_sign:fund_amount",
    }
    store = store_for(tmp_path / "ws")
    stored = dict(store.db.execute("SELECT claim_id, total_amount FROM claims").fetchall())
    assert stored == {"V2": Decimal("1250.00"), "V4": Decimal("120.50"), "R1": Decimal("40.00")}
    again = _load([source], tmp_path / "ws").files[0]  # a reload nets nothing twice
    assert (again.reversals, again.duplicates, again.quarantined_total) == (0, 4, 7)
    assert store.db.execute("SELECT total_amount FROM claims WHERE claim_id = 'R1'").fetchall() == [
        (Decimal("40.00"),)
    ]


def test_the_date_window_is_a_load_option(tmp_path: Path) -> None:
    rows = [
        ["W1", "门诊", "p1", "H1", "2024-12-31 23:59:59", "1"],
        ["W2", "门诊", "p1", "H1", "2025-06-30", "1"],
    ]
    source = write_csv(tmp_path / "w.csv", HEADERS, rows, "utf-8")
    runner = CliRunner()
    args = ["--lang", "en", "load", str(source), "-w", str(tmp_path / "ws"), "-q"]
    result = runner.invoke(cli, [*args, "--dates", "2025-01-01..2025-06-30"])
    assert result.exit_code == 0, result.output
    assert "1  implausible_time" in result.output
    assert _reasons(tmp_path / "ws") == {"W1": "implausible_time:start_time"}
    wrong = runner.invoke(cli, [*args, "--dates", "2025-13-01..2025-06-30"])
    assert wrong.exit_code == 1 and "a date window is FIRST..LAST" in wrong.output
    assert "Traceback" not in wrong.output


def test_implausible_birth_dates_are_quarantined(tmp_path: Path) -> None:
    persons = write_csv(
        tmp_path / "persons.csv",
        ["身份证号", "性别", "出生日期"],
        [["110101199001011234", "男", "1990-01-01"], ["110101185001011234", "男", "1850-01-01"]],
        "utf-8",
    )
    file = _load([persons], tmp_path / "ws").files[0]
    assert (file.loaded, dict(file.quarantined)) == (1, {"implausible_time": 1})
