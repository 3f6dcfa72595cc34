"""A file staged in parts loads exactly as staged whole: the same rows stored, the same
verdicts, the same counts (docs/loading.md, "How a load runs"). Parts of two or three
rows put every case on a part's edge: a repeat of a key written by an earlier part, a
reversal before its claim, a stray quote across parts, a broken row."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from embedded_store import embedded_store
from loader_files import BAD_ROWS, CHINESE_HEADERS, GOOD_ROWS, PEOPLE, csv_text

from graphscan.loaders.pipeline import Options, load_files
from graphscan.pseudonym import Pseudonymiser
from graphscan.schema import TABLES
from graphscan.workspace import Workspace

REVERSAL = ["原结算ID"]


def _claims(path: Path) -> Path:
    """GBK claims: good rows, bad rows, an exact copy and a conflict in a later part, a
    reversal of a claim further down, a broken row and a stray quote."""
    good = [[*row, ""] for row in GOOD_ROWS]
    rows = [
        ["X1", "门诊", PEOPLE[1], "", "H001", "D01", "", "2025-03-06", "", "", "-5.00", "", "",
         "-5.00", "", "S005"],  # reverses a claim further down the file
        *good[:3],
        *([*row, ""] for row, _ in BAD_ROWS),
        good[0],  # an exact copy, parts after its first
        *good[3:],
        ["X2", "门诊", PEOPLE[1], "", "H001", "D01", "", "2025-03-07", "", "", "-6.00", "", "",
         "-6.00", "", "S005"],  # with X1, more than is left of S005
    ]  # fmt: skip
    lines = csv_text([*CHINESE_HEADERS, *REVERSAL], rows).splitlines(keepends=True)
    lines.insert(4, "S199,门诊,X,H001,D01,2025-03-01,10,,,,,,,,,,extra,fields\n")
    lines.insert(7, 'S198,门诊,"X,H001,D01,2025-03-01,10,,,,,,,,,\n')  # a quote opened …
    lines.insert(9, 'S197,门诊,X",H001,D01,2025-03-01,10,,,,,,,,,\n')  # … and closed
    path.write_bytes("".join(lines).encode("gbk"))
    return path


def _items(path: Path) -> Path:
    rows = [
        ["S001", "X1", "阿莫西林胶囊", "1", "12.5", "12.50"],
        ["S001", "X1", "阿莫西林胶囊", "1", "12.5", "12.50"],  # billed twice
        ["S404", "X1", "阿莫西林胶囊", "1", "12.5", "12.50"],  # no such claim
        ["S002", "F1", "挂号费", "1", "5", "5"],
        ["S003", "M1", "纱布", "1", "1", "abc"],
        ["S002", "F1", "挂号费", "1", "5", "5"],
        ["S004", "X1", "阿莫西林胶囊", "2", "12.5", "25.00"],
    ]
    path.write_text(csv_text(["结算ID", "项目编码", "项目名称", "数量", "单价", "金额"], rows))
    return path


def _load(paths: list[Path], ws: Path, part_rows: int) -> tuple[list, dict, list]:
    """Per file its figures, the store's tables (without load ids) and the quarantine."""
    workspace = Workspace.open(ws)
    store = embedded_store(workspace)
    options = Options(part_rows=part_rows)
    report = load_files(paths, store, workspace, Pseudonymiser.from_environment(), options)
    files = [
        (f.file, f.rows_read, f.loaded, f.reversals, f.duplicates, dict(f.quarantined))
        for f in report.files
    ]
    assert all(f.reconciles and not f.error for f in report.files)
    tables = {}
    for name in [*TABLES, "reversals", "person_id_facts"]:
        frame = store.db.execute(f"SELECT * FROM {name}").df()
        frame = frame.drop(columns=[c for c in ("load_id",) if c in frame])
        tables[name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    quarantined = []
    # by the file each came from: a name starts with its load's second, then a hash
    for path in sorted(workspace.quarantine_dir.glob("*.csv"), key=lambda p: p.name[22:]):
        with path.open(encoding="utf-8-sig") as handle:
            quarantined.append(list(csv.reader(handle)))
    store.close()
    return files, tables, quarantined


def _same(whole: tuple[list, dict, list], parted: tuple[list, dict, list]) -> None:
    assert parted[0] == whole[0]
    for name, frame in whole[1].items():
        pd.testing.assert_frame_equal(parted[1][name], frame, obj=name)
    assert parted[2] == whole[2]


def test_csv_files_staged_in_parts_load_as_staged_whole(tmp_path: Path) -> None:
    paths = [_claims(tmp_path / "claims.csv"), _items(tmp_path / "items.csv")]
    whole = _load(paths, tmp_path / "whole", 1_000_000)
    claims = whole[0][0]
    assert claims[1:5] == (18, 5, 1, 1)  # read, loaded, reversals, exact copy
    assert claims[5]["stray_quote"] == 3 and claims[5]["reversal_exceeds_claim"] == 1
    for part_rows in (2, 3):
        _same(whole, _load(paths, tmp_path / f"parts-{part_rows}", part_rows))


def test_a_parquet_file_staged_in_parts_loads_as_staged_whole(tmp_path: Path) -> None:
    rows = [[*row, ""] for row in GOOD_ROWS] + [
        ["X1", "门诊", PEOPLE[1], "", "H001", "D01", "", "2025-03-06", "", "", "-5.00", "", "",
         "-5.00", "", "S005"],
        [*GOOD_ROWS[0], ""],
        [*BAD_ROWS[-1][0], ""],
    ]  # fmt: skip
    names = [*CHINESE_HEADERS, *REVERSAL]
    table = pa.table({name: [row[i] for row in rows] for i, name in enumerate(names)})
    pq.write_table(table, tmp_path / "claims.parquet", row_group_size=2)
    paths = [tmp_path / "claims.parquet"]
    whole = _load(paths, tmp_path / "whole", 1_000_000)
    assert whole[0][0][1:5] == (8, 5, 1, 1)  # S005's reversal netted
    _same(whole, _load(paths, tmp_path / "parts", 3))


def test_a_part_that_does_not_add_up_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each part re-numbers the file's rows; should two passes ever number them apart, a
    part would lose or repeat rows at its edge. Its count is checked against the file's
    before it is written, and the file's report says so."""
    from graphscan.loaders.pipeline import Loader

    parse = Loader._parse_part

    def drifting(self: Loader, scan: object, columns: object, first: int, last: int) -> int:
        parsed = parse(self, scan, columns, first, last)
        if first > 1:
            self.db.execute(
                "DELETE FROM _load_parsed WHERE rowid = (SELECT min(rowid) FROM _load_parsed)"
            )
            return parsed - 1
        return parsed

    monkeypatch.setattr(Loader, "_parse_part", drifting)
    paths = [_claims(tmp_path / "claims.csv")]
    workspace = Workspace.open(tmp_path / "ws")
    store = embedded_store(workspace)
    report = load_files(
        paths, store, workspace, Pseudonymiser.from_environment(), Options(part_rows=3)
    )
    (claims,) = report.files
    assert "not what the file holds" in (claims.error or "")
    stored = store.db.execute("SELECT count(*) FROM claims").fetchone()[0]
    assert stored <= 3  # the first part at most, nothing of the part that did not add up
    store.close()


def test_a_store_loaded_in_parts_is_as_compact_as_duckdbs_own_copy(tmp_path: Path) -> None:
    """Every part is appended in a transaction of its own; what it leaves in the store
    file (partial row groups, blocks of staging, text stored uncompressed) must not make
    the file much larger than DuckDB's own copy of the same tables into a fresh file (a
    50 M-claim store otherwise outgrows the disk)."""
    import duckdb

    from graphscan.examples.city import generate_city

    generate_city(tmp_path / "city", 1500, 3, "hard", "parquet")
    paths = [tmp_path / "city" / f"{name}.parquet" for name in TABLES]
    workspace = Workspace.open(tmp_path / "ws")
    store = embedded_store(workspace)
    options = Options(part_rows=4000)
    report = load_files(paths, store, workspace, Pseudonymiser.from_environment(), options)
    assert all(f.reconciles and not f.error for f in report.files)
    assert sum(f.rows_read > 4000 for f in report.files) == 2  # claims, items: in parts
    store.close()
    workspace.close()
    copy = duckdb.connect(str(tmp_path / "copy.duckdb"))
    copy.execute("ATTACH ? AS store (READ_ONLY)", [str(workspace.db_path)])
    names = copy.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'store'"
    ).fetchall()
    for (name,) in names:
        copy.execute(f"CREATE TABLE {name} AS SELECT * FROM store.{name}")
    copy.execute("DETACH store")
    copy.close()
    stored, copied = workspace.db_path.stat().st_size, (tmp_path / "copy.duckdb").stat().st_size
    assert stored <= 1.3 * copied, f"store {stored:,} bytes, DuckDB's copy {copied:,}"


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_a_part_reads_the_file_up_to_its_own_end(tmp_path: Path, encoding: str) -> None:
    """The first part of a large file does not read the rest of it (the reader would
    find the broken row at the end); the whole file's read does."""
    import duckdb

    from graphscan.loaders.sources import open_sources

    path = tmp_path / "claims.csv"
    lines = ["claim_id,kind,total_amount", *(f"C{i},门诊,1" for i in range(50)), "C50,门诊,1,9"]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    (source,) = open_sources(path, encoding)
    db = duckdb.connect()
    with source.scan(db) as scan:
        first = db.execute(f"SELECT min(position), max(position) FROM {scan.numbered(1, 20)}")
        assert first.fetchall() == [(1, 20)] and scan.broken() == []
        rest = db.execute(f"SELECT min(position), max(position) FROM {scan.numbered(21)}")
        assert rest.fetchall() == [(21, 50)] and scan.broken() == [(51, "broken_row")]
