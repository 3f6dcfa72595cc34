"""The same load pipeline into Neo4j: the rows and the reconciling report match the
embedded store's."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import Neo4jEnv
from loader_files import CHINESE_HEADERS, GOOD_ROWS, gbk_extract, store_for, write_csv

from graphscan.loaders.pipeline import Options, load_files
from graphscan.pseudonym import Pseudonymiser
from graphscan.store.neo4j import Neo4jStore
from graphscan.workspace import Workspace

pytestmark = pytest.mark.neo4j


def _report(path: Path, store: object, workspace: Path) -> tuple[int, int, int, dict[str, int]]:
    report = load_files(
        [path],
        store,  # type: ignore[arg-type]
        Workspace.open(workspace),
        Pseudonymiser.from_environment(),
        Options(),
    )
    file = report.files[0]
    assert file.reconciles and file.error is None
    return file.rows_read, file.loaded, file.duplicates, dict(file.quarantined)


def test_neo4j_gets_the_same_rows_as_embedded(neo4j_store: object, tmp_path: Path) -> None:
    source = gbk_extract(tmp_path / "march.csv")
    embedded = store_for(tmp_path / "embedded")
    expected = _report(source, embedded, tmp_path / "embedded")
    assert _report(source, neo4j_store, tmp_path / "ws") == expected
    again = _report(source, neo4j_store, tmp_path / "ws")
    assert again[1] == 0 and again[2] == expected[1] + expected[2]
    ids = sorted(r[0] for r in GOOD_ROWS)
    stored = neo4j_store.claims(ids)  # type: ignore[attr-defined]
    mine = embedded.claims(ids)
    columns = ["claim_id", "person_id", "card_id", "source_row", "row_hash"]
    assert stored[columns].to_dict("records") == mine[columns].to_dict("records")


def test_neo4j_items_need_their_claim(neo4j_store: object, tmp_path: Path) -> None:
    claims = write_csv(tmp_path / "c.csv", CHINESE_HEADERS, GOOD_ROWS[:1], "utf-8")
    items = write_csv(
        tmp_path / "i.csv",
        ["结算ID", "项目编码", "金额"],
        [["S001", "X1", "10.00"], ["S404", "X1", "1.00"]],
        "utf-8",
    )
    _report(claims, neo4j_store, tmp_path / "ws")
    read, loaded, _, quarantined = _report(items, neo4j_store, tmp_path / "ws")
    assert (read, loaded, quarantined) == (2, 1, {"unknown_claim": 1})


def test_neo4j_keeps_repeated_item_lines_like_embedded(neo4j_store: object, tmp_path: Path) -> None:
    claims = write_csv(tmp_path / "c.csv", CHINESE_HEADERS, GOOD_ROWS[:1], "utf-8")
    items = write_csv(
        tmp_path / "i.csv",
        ["结算ID", "项目编码", "金额"],
        [["S001", "X1", "10.00"], ["S001", "X1", "10.00"], ["S001", "X1", "5.00"]],
        "utf-8",
    )
    embedded = store_for(tmp_path / "embedded")
    for store, workspace in ((embedded, tmp_path / "embedded"), (neo4j_store, tmp_path / "ws")):
        _report(claims, store, workspace)
        assert _report(items, store, workspace) == (3, 3, 0, {})
        assert _report(items, store, workspace) == (3, 0, 3, {})  # a reload: all known
        assert store.status()["counts"]["claim_items"] == 3  # type: ignore[attr-defined]


#: the item nodes as loaded, linked from their claim, in key order
_ITEMS = (
    "MATCH (i:ClaimItem) OPTIONAL MATCH (c:Claim)-[:HAS_ITEM]->(i) "
    "RETURN i.item_key AS key, i.line_no AS line, i.row_hash AS hash, i.amount_cents AS cents, "
    "collect(c.claim_id) AS claims ORDER BY key"
)


def _items(store: Neo4jStore) -> list[dict[str, object]]:
    return [r.data() for r in store.driver.execute_query(_ITEMS).records]


#: what the version before line numbers stored: key "claim_id|item_code", no line_no, and
#: no record of the migration
_AS_BEFORE_LINE_NUMBERS = (
    "MATCH (i:ClaimItem) SET i.item_key = i.claim_id + '|' + i.item_code REMOVE i.line_no "
    "WITH count(*) AS items OPTIONAL MATCH (s:GraphscanState {name: $marker}) DELETE s"
)


def test_items_stored_before_line_numbers_are_migrated_by_the_schema_step(
    neo4j_store: Neo4jStore, neo4j_env: Neo4jEnv, tmp_path: Path
) -> None:
    claims = write_csv(tmp_path / "c.csv", CHINESE_HEADERS, GOOD_ROWS[:1], "utf-8")
    lines = [["S001", "X1", "10.00"], ["S001", "X2", "5.00"], ["S001", "X3", "1.00"]]
    items = write_csv(tmp_path / "i.csv", ["结算ID", "项目编码", "金额"], lines, "utf-8")
    _report(claims, neo4j_store, tmp_path / "ws")
    _report(items, neo4j_store, tmp_path / "ws")
    loaded = _items(neo4j_store)
    assert [r["line"] for r in loaded] == ["1", "1", "1"]
    neo4j_store.driver.execute_query(_AS_BEFORE_LINE_NUMBERS, marker="item_lines")
    # one line loaded again by a graphscan that did not migrate: now stored twice
    again = write_csv(tmp_path / "x3.csv", ["结算ID", "项目编码", "金额"], lines[2:], "utf-8")
    assert _report(again, neo4j_store, tmp_path / "ws")[1] == 1
    assert len(_items(neo4j_store)) == 4
    for _ in range(2):  # the schema step of every connection; the second changes nothing
        Neo4jStore.connect(neo4j_env.uri, neo4j_env.user, neo4j_env.password).close()
        assert _items(neo4j_store) == loaded
    assert _report(items, neo4j_store, tmp_path / "ws") == (3, 0, 3, {})  # all known
    assert _items(neo4j_store) == loaded


def test_a_partly_stored_upsert_creates_only_the_new_rows(neo4j_store: Neo4jStore) -> None:
    """Stored keys are left out inside each batch's transaction (the write statements only
    create): stored claims and items keep their values, a key repeated in a later batch of
    the same call is skipped, and every new claim and item gets its node and links."""
    from test_neo4j_store import claims_frame, graph_size

    claims = claims_frame(30)
    neo4j_store.batch_size = 7
    assert neo4j_store.upsert("claims", claims.iloc[::2]) == 15
    changed = claims.assign(row_hash="changed")
    repeated = pd.concat([changed, changed.iloc[:5]], ignore_index=True)
    assert neo4j_store.upsert("claims", repeated) == 15
    items = pd.DataFrame(
        {
            "claim_id": [*claims["claim_id"], *claims["claim_id"][:4]],
            "item_code": ["X1"] * 30 + ["X2"] * 4,
            "line_no": ["1"] * 34,
            "amount": [1.5] * 34,
        }
    )
    assert neo4j_store.upsert("claim_items", items.iloc[:10]) == 10
    assert neo4j_store.upsert("claim_items", pd.concat([items, items.iloc[:3]])) == 24
    hashes, links, items_linked = neo4j_store.driver.execute_query(
        "MATCH (c:Claim) WITH collect(c.row_hash) AS hashes "
        "MATCH (:Claim)-[r:BY|AT]->() WITH hashes, count(r) AS links "
        "MATCH (:Claim)-[h:HAS_ITEM]->(:ClaimItem) RETURN hashes, links, count(h)"
    ).records[0]
    assert sorted(hashes).count("changed") == 15 and len(hashes) == 30
    assert links == 60 and items_linked == 34
    before = graph_size(neo4j_store)
    assert neo4j_store.upsert("claims", repeated) == 0
    assert neo4j_store.upsert("claim_items", items) == 0
    assert graph_size(neo4j_store) == before
