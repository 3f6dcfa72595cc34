"""Loads are idempotent, reconcile, net reversals, keep lineage and derive entities."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
from embedded_store import embedded_store
from loader_files import CHINESE_HEADERS, GOOD_ROWS, gbk_extract, write_csv

from graphscan.loaders.pipeline import Options, load_files
from graphscan.loaders.report import LoadReport
from graphscan.pseudonym import Pseudonymiser
from graphscan.schema import TABLES
from graphscan.store.embedded import EmbeddedStore
from graphscan.workspace import Workspace

HEADERS = ["claim_id", "kind", "person_id", "provider_id", "doctor_id", "start_time",
           "total_amount", "fund_amount", "account_amount", "cash_amount"]  # fmt: skip


def _load(paths: list[Path], store: EmbeddedStore, ws: Workspace) -> LoadReport:
    return load_files(paths, store, ws, Pseudonymiser.from_environment(), Options())


def _snapshot(store: EmbeddedStore) -> dict[str, pd.DataFrame]:
    names = [*TABLES, "reversals"]
    return {n: store.db.execute(f"SELECT * FROM {n} ORDER BY ALL").df() for n in names}


def test_second_load_changes_nothing_and_next_month_adds(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    store = embedded_store(ws)
    march = gbk_extract(tmp_path / "march.csv")
    first = _load([march], store, ws)
    before = _snapshot(store)
    second = _load([march], store, ws)
    file = second.files[0]
    assert file.loaded == 0 and file.reconciles
    assert file.duplicates == first.files[0].loaded + first.files[0].duplicates
    assert file.quarantined == first.files[0].quarantined
    after = _snapshot(store)
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name])
    april_rows = [[f"A{i}", "门诊", "x", "H1", "D1", f"2025-04-0{i}", "1", "", "", ""]
                  for i in range(1, 4)]  # fmt: skip
    april = write_csv(tmp_path / "april.csv", HEADERS, april_rows, "utf-8")
    assert _load([april], store, ws).files[0].loaded == 3
    assert store.db.execute("SELECT count(*) FROM claims").fetchall()[0][0] == 8
    loads = store.db.execute("SELECT source_file, file_sha256 FROM loads").fetchall()
    assert [name for name, _ in loads] == ["march.csv", "march.csv", "april.csv"]
    assert all(len(sha) == 64 for _, sha in loads)


def test_conflicting_claim_in_a_later_load_is_quarantined(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    store = embedded_store(ws)
    _load([write_csv(tmp_path / "a.csv", CHINESE_HEADERS, GOOD_ROWS[:2], "utf-8")], store, ws)
    changed = [*GOOD_ROWS[0][:10], "121.50", "61.25", "40.25", "20.00", ""]
    report = _load([write_csv(tmp_path / "b.csv", CHINESE_HEADERS, [changed], "utf-8")], store, ws)
    assert dict(report.files[0].quarantined) == {"duplicate_conflict": 1}
    amount = store.db.execute("SELECT total_amount FROM claims WHERE claim_id = 'S001'")
    assert amount.fetchall()[0][0] == Decimal("120.50")


def test_reversals_are_netted_not_dropped(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    store = embedded_store(ws)
    headers = [*HEADERS, "原结算ID"]
    rows = [
        ["R1", "门诊", "p1", "H1", "D1", "2025-03-01", "100.00", "60.00", "30.00", "10.00", ""],
        ["R2", "住院", "p2", "H2", "D2", "2025-03-02", "500.00", "", "", "", ""],
        # full reversal of R1 under its own id
        ["R1", "门诊", "p1", "H1", "D1", "2025-03-03", "-100.00", "-60.00", "-30.00", "-10.00", ""],
        # partial refund of R2 with its own id and a reference
        ["X9", "住院", "p2", "H2", "D2", "2025-03-04", "-120.50", "", "", "", "R2"],
        # reverses a claim nobody has seen
        ["X8", "住院", "p2", "H2", "D2", "2025-03-04", "-1.00", "", "", "", "NOPE"],
    ]  # fmt: skip
    source = write_csv(tmp_path / "rev.csv", headers, rows, "utf-8")
    file = _load([source], store, ws).files[0]
    assert (file.rows_read, file.loaded, file.reversals) == (5, 2, 2)
    assert dict(file.quarantined) == {"orphan_reversal": 1} and file.reconciles
    net = dict(store.db.execute("SELECT claim_id, total_amount FROM claims").fetchall())
    assert net == {"R1": Decimal("0.00"), "R2": Decimal("379.50")}
    parts = store.db.execute(
        "SELECT fund_amount, account_amount, cash_amount FROM claims WHERE claim_id = 'R1'"
    ).fetchall()[0]
    assert parts == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    recorded = store.db.execute(
        "SELECT reversal_id, claim_id, source_row FROM reversals ORDER BY source_row"
    ).fetchall()
    assert recorded == [("R1", "R1", 3), ("X9", "R2", 4)]
    again = _load([source], store, ws).files[0]
    assert (again.reversals, again.duplicates) == (0, 4)
    net_again = dict(store.db.execute("SELECT claim_id, total_amount FROM claims").fetchall())
    assert net_again == net
    # a later month reverses an earlier claim
    later = [["X7", "住院", "p2", "H2", "D2", "2025-04-01", "-9.50", "", "", "", "R2"]]
    report = _load([write_csv(tmp_path / "apr.csv", headers, later, "utf-8")], store, ws)
    assert report.files[0].reversals == 1
    total = store.db.execute("SELECT total_amount FROM claims WHERE claim_id = 'R2'")
    assert total.fetchall()[0][0] == Decimal("370.00")


def test_entities_are_derived_and_then_replaced_by_listed_rows(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    store = embedded_store(ws)
    rows = [
        ["C1", "购药", "p1", "P1", "", "2025-03-01", "10", "", "", ""],
        ["C2", "门诊", "p2", "H1", "D1", "2025-03-01", "10", "", "", ""],
    ]
    _load([write_csv(tmp_path / "c.csv", HEADERS, rows, "utf-8")], store, ws)
    providers = dict(store.db.execute("SELECT provider_id, kind FROM providers").fetchall())
    assert providers == {"P1": "pharmacy", "H1": None}
    assert store.db.execute("SELECT count(*) FROM persons").fetchall()[0][0] == 2
    assert store.db.execute("SELECT doctor_id FROM doctors").fetchall() == [("D1",)]
    listed = write_csv(
        tmp_path / "providers.csv",
        ["机构编码", "机构名称", "机构类型", "机构等级", "所有制"],
        [
            ["H1", "县人民医院", "医院", "二级", "公立"],
            ["H9", "村卫生室九", "村卫生室", "", "民营"],
        ],
        "gbk",
    )
    report = _load([listed], store, ws)
    assert report.files[0].table == "providers" and report.files[0].loaded == 2
    stored = store.db.execute("SELECT provider_id, name, kind, ownership FROM providers").df()
    stored = stored.set_index("provider_id")
    assert len(stored) == 3
    assert tuple(stored.loc["H1"]) == ("县人民医院", "hospital", "public")
    assert tuple(stored.loc["H9"]) == ("村卫生室九", "village", "private")
    assert _load([listed], store, ws).files[0].duplicates == 2


def test_persons_and_claim_items(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    store = embedded_store(ws)
    _load([write_csv(tmp_path / "c.csv", CHINESE_HEADERS, GOOD_ROWS, "utf-8")], store, ws)
    items = write_csv(
        tmp_path / "items.csv",
        ["结算ID", "项目编码", "项目名称", "项目类别", "数量", "单价", "金额"],
        [
            ["S001", "X1", "阿莫西林胶囊", "西药", "2", "12.5000", "25.00"],
            ["S001", "F1", "挂号费", "诊疗", "1", "5", "5"],
            ["S001", "F1", "挂号费", "诊疗", "1", "5", "5"],
            ["S404", "X1", "阿莫西林胶囊", "西药", "1", "12.5", "12.5"],
            ["S002", "M1", "纱布", "卫生材料", "1", "1", "abc"],
        ],
        "gbk",
    )
    persons = write_csv(
        tmp_path / "persons.csv",
        ["身份证号", "性别", "出生日期", "贫困户标识", "联系电话", "姓名"],
        [
            ["110101199001011234", "男", "1990-01-01", "是", "13800000000", "张三"],
            ["110101198502025678", "女", "19850202", "否", "", "李四"],
            ["32010219700303001X", "未知", "1970-03-03", "", "", "王五"],
        ],
        "gbk",
    )
    report = _load([items, persons], store, ws)
    by_table = {f.table: f for f in report.files}
    assert [f.table for f in report.files] == ["persons", "claim_items"]
    item_file = by_table["claim_items"]
    assert (item_file.loaded, item_file.duplicates) == (3, 0)  # F1 is billed twice
    assert dict(item_file.quarantined) == {"unknown_claim": 1, "bad_amount": 1}
    kinds = dict(store.db.execute("SELECT item_code, item_kind FROM claim_items").fetchall())
    assert kinds == {"X1": "drug", "F1": "service"}
    person_file = by_table["persons"]
    assert person_file.loaded == 2 and dict(person_file.quarantined) == {"bad_value": 1}
    listed = store.db.execute(
        "SELECT sex, poverty_flag, phone_key FROM persons WHERE row_hash IS NOT NULL ORDER BY sex"
    ).fetchall()
    assert [row[:2] for row in listed] == [("F", False), ("M", True)]
    assert listed[1][2] is not None and listed[1][2] != "13800000000"


def test_status_after_load(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    store = embedded_store(ws)
    _load([gbk_extract(tmp_path / "m.csv")], store, ws)
    info = store.status()
    assert info["counts"]["claims"] == 5
    assert info["claims_by_kind"] == {"inpatient": 1, "outpatient": 2, "pharmacy": 2}
    assert info["last_loads"][0]["source_file"] == "m.csv"


ITEM_HEADERS = ["结算ID", "项目编码", "项目名称", "数量", "单价", "金额"]


def test_repeated_item_lines_are_lines_and_reloads_change_nothing(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    store = embedded_store(ws)
    _load([write_csv(tmp_path / "c.csv", CHINESE_HEADERS, GOOD_ROWS[:2], "utf-8")], store, ws)
    lines = [
        ["S001", "X1", "阿莫西林胶囊", "1", "12.5", "12.50"],
        ["S001", "X1", "阿莫西林胶囊", "1", "12.5", "12.50"],  # billed twice, on purpose
        ["S001", "X1", "阿莫西林胶囊", "2", "12.5", "25.00"],  # a third line of the drug
        ["S002", "X1", "阿莫西林胶囊", "1", "12.5", "12.50"],
    ]
    items = write_csv(tmp_path / "items.csv", ITEM_HEADERS, lines, "utf-8")
    first = _load([items], store, ws).files[0]
    assert (first.loaded, first.duplicates, first.quarantined_total) == (4, 0, 0)
    stored = store.db.execute(
        "SELECT claim_id, line_no, amount FROM claim_items ORDER BY claim_id, line_no"
    ).fetchall()
    assert stored == [
        ("S001", "1", Decimal("12.50")),
        ("S001", "2", Decimal("12.50")),
        ("S001", "3", Decimal("25.00")),
        ("S002", "1", Decimal("12.50")),
    ]
    before = _snapshot(store)
    again = _load([items], store, ws).files[0]
    assert (again.loaded, again.duplicates, again.quarantined_total) == (0, 4, 0)
    for name, frame in _snapshot(store).items():
        pd.testing.assert_frame_equal(before[name], frame)
    # the source's own line numbers win; the same line with other content is a conflict
    numbered = write_csv(
        tmp_path / "numbered.csv",
        ["明细序号", *ITEM_HEADERS],
        [["7", *lines[3]], ["9", *lines[3]], ["7", "S002", "X1", "阿莫西林胶囊", "1", "9", "9"]],
        "utf-8",
    )
    report = _load([numbered], store, ws).files[0]
    assert (report.loaded, dict(report.quarantined)) == (2, {"duplicate_conflict": 1})
    assert store.db.execute("SELECT count(*) FROM claim_items").fetchall() == [(6,)]
