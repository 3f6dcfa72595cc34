"""Tricky source files for the loader tests, written by the tests themselves."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
from embedded_store import embedded_store

from graphscan.store.embedded import EmbeddedStore
from graphscan.workspace import Workspace

#: Clear-text person ids used in the files; none of them may ever reach the store.
PEOPLE = ("110101199001011234", "110101198502025678", "32010219700303001X")

CHINESE_HEADERS = [
    "结算ID",
    "就诊类型",
    "身份证号",
    "医保卡号",
    "定点机构编码",
    "医师编码",
    "操作员",
    "就诊时间",
    "出院时间",
    "诊断编码",
    "医疗总费用",
    "统筹支付",
    "个人账户支付",
    "现金支付",
    "姓名",
]

#: Good rows: every time form, every kind spelling, card lent (card of another person).
GOOD_ROWS = [
    ["S001", "门诊", PEOPLE[0], "", "H001", "D01", "OP1", "2025-03-01 08:30:00", "", "J06.9",
     "120.50", "60.25", "40.25", "20.00", "张三"],
    ["S002", "住院", PEOPLE[1], "", "H002", "D02", "", "2025/3/2 9:05", "2025/3/9 10:00", "I10",
     "8000.00", "6400.00", "0", "1600.00", "李四"],
    ["S003", "药店购药", PEOPLE[2], PEOPLE[0], "P001", "", "OP7", "20250303101500", "", "",
     "88.88", "", "88.88", "", "王五"],
    ["S004", "外配", PEOPLE[0], "", "P001", "D01", "OP7", "2025-03-04", "", "", "15.00", "", "",
     "", "张三"],
    ["S005", "outpatient", PEOPLE[1], "", "H001", "D01", "", "45720.5", "", "", "10.10", "", "",
     "", "李四"],
]  # fmt: skip

#: Bad rows and the reason each must be quarantined with.
BAD_ROWS = [
    (["S101", "门诊", "", "", "H001", "D01", "", "2025-03-01", "", "", "10", "", "", "", "赵六"],
     "missing_key"),
    (["S102", "门诊", PEOPLE[0], "", "H001", "D01", "", "下午三点", "", "", "10", "", "", "", ""],
     "bad_time"),
    (["S103", "牙科", PEOPLE[0], "", "H001", "D01", "", "2025-03-01", "", "", "10", "", "", "", ""],
     "unknown_kind"),
    (["S104", "住院", PEOPLE[0], "", "H002", "D02", "", "2025-03-09", "2025-03-01", "", "10", "",
      "", "", ""], "end_before_start"),
    (["S105", "门诊", PEOPLE[0], "", "H001", "D01", "", "2025-03-01", "", "", "100", "50", "30",
      "30", ""], "amounts_mismatch"),
    (["S106", "门诊", PEOPLE[0], "", "H001", "D01", "", "2025-03-01", "", "", "十元", "", "", "",
      ""], "bad_amount"),
    (["S001", "门诊", PEOPLE[0], "", "H001", "D01", "OP1", "2025-03-01 08:30:00", "", "J06.9",
      "999.00", "", "", "", "张三"], "duplicate_conflict"),
]  # fmt: skip

#: An exact copy of a good row: skipped as an exact duplicate.
EXACT_COPY = GOOD_ROWS[0]


def csv_text(headers: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue()


def write_csv(path: Path, headers: list[str], rows: list[list[str]], encoding: str) -> Path:
    path.write_bytes(csv_text(headers, rows).encode(encoding))
    return path


def gbk_extract(path: Path) -> Path:
    """A GBK settlement extract with Chinese headers: good rows, bad rows, an exact copy
    and a row with too many fields (broken) in the middle."""
    rows = [
        *GOOD_ROWS[:3],
        BAD_ROWS[0][0],
        EXACT_COPY,
        *(r for r, _ in BAD_ROWS[1:]),
        *GOOD_ROWS[3:],
    ]
    text = csv_text(CHINESE_HEADERS, rows)
    lines = text.splitlines(keepends=True)
    lines.insert(5, "S199,门诊,X,H001,D01,2025-03-01,10,,,,,,,,,,extra,fields\n")
    path.write_bytes("".join(lines).encode("gbk"))
    return path


def store_for(workspace: Path) -> EmbeddedStore:
    return embedded_store(Workspace.open(workspace))


def all_text_values(db_path: Path) -> set[str]:
    """Every VARCHAR/JSON value of every table of a DuckDB file."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        columns = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE data_type IN ('VARCHAR', 'JSON')"
        ).fetchall()
        values: set[str] = set()
        for table, column in columns:
            rows = con.execute(f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM "{table}"')
            values |= {v for (v,) in rows.fetchall() if v is not None}
        return values
    finally:
        con.close()
