"""The loaders on real-life files: GBK with Chinese headers, BOM, Excel, Parquet, broken
rows, time forms, a mapping file; every row read is accounted for."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from loader_files import (
    BAD_ROWS,
    CHINESE_HEADERS,
    GOOD_ROWS,
    gbk_extract,
    store_for,
    write_csv,
)

from graphscan.cli.main import cli
from graphscan.loaders.pipeline import Options, load_files
from graphscan.loaders.sources import detect_encoding
from graphscan.pseudonym import Pseudonymiser
from graphscan.schema import CLAIMS
from graphscan.workspace import Workspace


def _load(paths: list[Path], workspace: Path, **options: object):
    ws = Workspace.open(workspace)
    store = store_for(workspace)
    report = load_files(paths, store, ws, Pseudonymiser.from_environment(), Options(**options))
    return report, store


def test_gbk_extract_with_chinese_headers_and_broken_rows(tmp_path: Path) -> None:
    source = gbk_extract(tmp_path / "2025-03结算.csv")
    assert detect_encoding(source) == "gb18030"
    result = CliRunner().invoke(
        cli, ["--lang", "en", "load", str(source), "-w", str(tmp_path / "ws"), "-q"]
    )
    assert result.exit_code == 0, result.output
    assert "read 14 = loaded 5 + reversals netted 0 + exact duplicates skipped 1 + " in (
        result.output
    )
    assert "quarantined 8  ✓" in result.output
    store = store_for(tmp_path / "ws")
    claims = store.db.execute("SELECT * FROM claims ORDER BY claim_id").df()
    assert list(claims["claim_id"]) == ["S001", "S002", "S003", "S004", "S005"]
    assert list(claims["kind"]) == ["outpatient", "inpatient", "pharmacy", "pharmacy", "outpatient"]
    # lineage: the data row of the source file (the broken row is row 5)
    assert list(claims["source_row"]) == [1, 2, 3, 13, 14]
    assert set(claims["source_file"]) == {"2025-03结算.csv"}

    quarantine = list((tmp_path / "ws" / "quarantine").glob("*.csv"))
    assert len(quarantine) == 1
    with quarantine[0].open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    reasons = {int(r["source_row"]): r["reason_code"] for r in rows}
    expected = {4: "missing_key", 5: "broken_row"}
    expected |= {7 + i: code for i, (_, code) in enumerate(BAD_ROWS[1:])}
    assert reasons == expected
    assert "姓名" not in rows[0]  # an unmapped column may hold names: never copied


def test_time_forms_and_exact_amounts(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "c.csv", CHINESE_HEADERS, GOOD_ROWS, "utf-8")
    report, store = _load([source], tmp_path / "ws")
    assert report.files[0].loaded == 5
    rows = store.db.execute(
        "SELECT claim_id, start_time, end_time, total_amount, fund_amount FROM claims "
        "ORDER BY claim_id"
    ).fetchall()
    assert [r[1] for r in rows] == [
        datetime(2025, 3, 1, 8, 30),
        datetime(2025, 3, 2, 9, 5),
        datetime(2025, 3, 3, 10, 15),
        datetime(2025, 3, 4),
        datetime(2025, 3, 4, 12, 0),  # Excel serial 45720.5
    ]
    assert rows[1][2] == datetime(2025, 3, 9, 10, 0)
    assert rows[0][3] == Decimal("120.50") and rows[0][4] == Decimal("60.25")
    assert rows[2][3] == Decimal("88.88")


def test_bom_utf8_with_english_headers(tmp_path: Path) -> None:
    headers = ["claim_id", "kind", "person_id", "provider_id", "start_time", "total_amount"]
    rows = [["E1", "pharmacy", "p-1", "P9", "2025-01-02 03:04:05", "1.00"]]
    source = write_csv(tmp_path / "bom.csv", headers, rows, "utf-8-sig")
    report, store = _load([source], tmp_path / "ws")
    assert report.files[0].encoding == "utf-8-sig"
    assert report.files[0].loaded == 1 and report.files[0].reconciles
    assert store.db.execute("SELECT kind FROM claims").fetchall() == [("pharmacy",)]


def test_excel_with_real_datetime_cells(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(CHINESE_HEADERS[:11])
    sheet.append(
        [
            "X1",
            "住院",
            "110101199001011234",
            None,
            "H1",
            "D1",
            None,
            datetime(2025, 3, 1, 8, 30),
            datetime(2025, 3, 3),
            "I10",
            1234.56,
        ]
    )
    sheet.append(
        ["X2", "门诊", "110101199001011234", None, "H1", "D1", None, 45717.25, None, None, 12]
    )
    sheet.append(["X3", "门诊", None, None, "H1", "D1", None, "2025-03-01", None, None, 1])
    book.save(tmp_path / "claims.xlsx")  # fmt: skip
    report, store = _load([tmp_path / "claims.xlsx"], tmp_path / "ws")
    file = report.files[0]
    assert (file.rows_read, file.loaded, dict(file.quarantined)) == (3, 2, {"missing_key": 1})
    rows = store.db.execute(
        "SELECT start_time, end_time, total_amount FROM claims ORDER BY claim_id"
    ).fetchall()
    assert rows[0] == (datetime(2025, 3, 1, 8, 30), datetime(2025, 3, 3), Decimal("1234.56"))
    assert rows[1] == (datetime(2025, 3, 1, 6, 0), None, Decimal("12.00"))


def test_parquet_source(tmp_path: Path) -> None:
    table = pa.table(
        {
            "claim_id": ["Q1", "Q2"],
            "kind": ["inpatient", "门诊"],
            "person_id": ["a", "b"],
            "provider_id": ["H1", "H1"],
            "start_time": pa.array([datetime(2025, 1, 1), datetime(2025, 1, 2)]),
            "total_amount": pa.array([Decimal("10.00"), Decimal("20.50")], pa.decimal128(18, 2)),
        }
    )
    pq.write_table(table, tmp_path / "claims.parquet")
    report, store = _load([tmp_path / "claims.parquet"], tmp_path / "ws")
    assert report.files[0].loaded == 2
    total = store.db.execute("SELECT sum(total_amount) FROM claims").fetchall()[0][0]
    assert total == Decimal("30.50")


def test_mapping_file_names_odd_headers(tmp_path: Path) -> None:
    headers = ["单号", "类别", "参保号", "医院", "时间", "费用", "备注"]
    rows = [["M1", "门诊", "p1", "H1", "2025-02-01", "5", "secret note"]]
    source = write_csv(tmp_path / "odd.csv", headers, rows, "utf-8")
    mapping = tmp_path / "columns.json"
    mapping.write_text(
        json.dumps(
            {"单号": "claim_id", "类别": "kind", "参保号": "person_id", "医院": "provider_id",
             "时间": "start_time", "费用": "total_amount", "备注": None},
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )  # fmt: skip
    runner = CliRunner()
    args = ["load", str(source), "-w", str(tmp_path / "ws"), "-q"]
    without = runner.invoke(cli, ["--lang", "en", *args])
    assert without.exit_code == 1 and "cannot tell which table" in without.output
    assert "Traceback" not in without.output
    result = runner.invoke(cli, ["--lang", "en", *args, "--mapping", str(mapping)])
    assert result.exit_code == 0, result.output
    assert "columns not used: 备注" in result.output
    assert store_for(tmp_path / "ws").db.execute("SELECT claim_id FROM claims").fetchall() == [
        ("M1",)
    ]


def test_encoding_override_and_bad_mapping(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "g.csv", CHINESE_HEADERS, GOOD_ROWS[:1], "gbk")
    report, _ = _load([source], tmp_path / "ws", encoding="gbk")
    assert report.files[0].encoding == "gbk" and report.files[0].loaded == 1
    bad = tmp_path / "bad.json"
    bad.write_text('{"结算ID": "no_such_column"}', encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["--lang", "en", "load", str(source), "--mapping", str(bad), "-w", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "unknown canonical columns in the mapping file: no_such_column" in result.output


def test_strict_and_nothing_loaded_exit_codes(tmp_path: Path) -> None:
    source = gbk_extract(tmp_path / "x.csv")
    runner = CliRunner()
    strict = runner.invoke(cli, ["load", str(source), "-w", str(tmp_path / "a"), "--strict"])
    assert strict.exit_code == 1 and "--strict" in strict.output
    empty = write_csv(tmp_path / "none.csv", CHINESE_HEADERS, [BAD_ROWS[0][0]], "utf-8")
    nothing = runner.invoke(cli, ["--lang", "en", "load", str(empty), "-w", str(tmp_path / "b")])
    assert nothing.exit_code == 1 and "nothing could be loaded" in nothing.output


@pytest.mark.parametrize("lang,word", [("zh", "读取"), ("en", "read")])
def test_report_speaks_the_language(tmp_path: Path, lang: str, word: str) -> None:
    source = write_csv(tmp_path / "c.csv", CHINESE_HEADERS, GOOD_ROWS, "utf-8")
    result = CliRunner().invoke(
        cli, ["--lang", lang, "load", str(source), "-w", str(tmp_path / "ws"), "-q"]
    )
    assert result.exit_code == 0
    assert f"  {word} 5 = " in result.output


def test_columns_of_canonical_claims_are_all_stored(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "c.csv", CHINESE_HEADERS, GOOD_ROWS[:1], "utf-8")
    _, store = _load([source], tmp_path / "ws")
    stored = store.db.execute("SELECT * FROM claims").df()
    row = stored.iloc[0]
    assert set(CLAIMS.names) <= set(stored.columns)
    assert (row["provider_id"], row["doctor_id"], row["operator_id"]) == ("H001", "D01", "OP1")
    assert row["diagnosis_code"] == "J06.9"
    assert row["card_id"] == row["person_id"]  # card defaults to the person's own


def test_rows_that_do_not_split_are_quarantined_with_their_row(tmp_path: Path) -> None:
    headers = ["claim_id", "kind", "person_id", "provider_id", "start_time", "total_amount"]
    lines = [
        ",".join(headers),
        "A1,门诊, p1 ,H1,2025-03-01,10.00",
        "A2,门诊,p2,H1,2025-03-01,10.00,",  # a surplus empty field: misaligned, not loaded
        "A3,门诊,p3,H1,2025-03-01",  # a field short
        'A4,住院,p1,H1,"2025-03-02",12.50',
        ' A5 ,"门诊",p1,"H 1",2025-03-03 ,"1,000.00"',
        "A6,门诊,p4,H1,2025-03-04,1.00,extra,fields",
        'A7,门诊,p1,"H\n2",2025-03-05,2.00',  # a quoted line break: one row, two lines
        "A8,门诊,p1,H1,2025-03-05,2.00,",
        "A9,门诊,p1,H1,2025-03-06,3.00",
    ]
    source = tmp_path / "c.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report, store = _load([source], tmp_path / "ws")
    file = report.files[0]
    assert (file.rows_read, file.loaded, dict(file.quarantined)) == (9, 5, {"broken_row": 4})
    assert file.reconciles
    rows = store.db.execute(
        "SELECT claim_id, source_row, person_id, provider_id, total_amount FROM claims "
        "ORDER BY source_row"
    ).fetchall()
    assert [(r[0], r[1]) for r in rows] == [("A1", 1), ("A4", 4), ("A5", 5), ("A7", 7), ("A9", 9)]
    assert rows[0][2] == rows[1][2] == rows[2][2]  # " p1 " and "p1": one person
    assert rows[2][3:] == ("H 1", Decimal("1000.00")) and rows[3][3] == "H\n2"
    quarantine = next((tmp_path / "ws" / "quarantine").glob("*.csv"))
    with quarantine.open(encoding="utf-8-sig") as handle:
        reasons = {int(r["source_row"]): r["reason_code"] for r in csv.DictReader(handle)}
    assert reasons == {2: "broken_row", 3: "broken_row", 6: "broken_row", 8: "broken_row"}


def test_a_file_goes_to_the_table_whose_required_columns_it_has(tmp_path: Path) -> None:
    # doctor_id and provider_id are columns of claims too: that is no reason to call this
    # doctors file a claims file lacking five columns
    source = write_csv(tmp_path / "d.csv", ["doctor_id", "provider_id"], [["D1", "H1"]], "utf-8")
    report, _ = _load([source], tmp_path / "ws")
    assert (report.files[0].table, report.files[0].loaded) == ("doctors", 1)


def test_progress_is_reported_to_a_callback_and_drawn_by_the_cli(tmp_path: Path) -> None:
    """The loader draws nothing itself: it tells a callback how far each file has got,
    and `graphscan load` turns that into a bar on standard error."""
    source = gbk_extract(tmp_path / "2025-03结算.csv")
    heard: list[tuple[str, int, int]] = []
    _load([source], tmp_path / "ws", progress=lambda *step: heard.append(step))
    assert heard[0] == ("2025-03结算.csv", 0, heard[0][2]) and heard[0][2] > 1
    assert heard[-1][1] == heard[-1][2] and [d for _, d, _ in heard] == sorted(
        d for _, d, _ in heard
    )
    drawn = CliRunner().invoke(cli, ["load", str(source), "-w", str(tmp_path / "again")])
    assert drawn.exit_code == 0 and "2025-03结算.csv" in drawn.stderr
    quiet = CliRunner().invoke(cli, ["load", str(source), "-w", str(tmp_path / "q"), "-q"])
    assert quiet.exit_code == 0 and "2025-03结算.csv" not in quiet.stderr
