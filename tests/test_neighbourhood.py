"""Expanding an entity finds exactly the claims the old full scan of the claims table
found, on a small generated city, in both engines: the embedded store through its claim
links (kept up to date by each load and on open, never following a colliding hash), and
Neo4j through its property indexes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from embedded_store import embedded_store

from graphscan.cypher import read_cypher
from graphscan.examples.city import generate_city
from graphscan.schema import ENTITY_COLUMNS
from graphscan.store.base import Store
from graphscan.store.embedded import EmbeddedStore
from graphscan.store.neo4j import Neo4jStore
from graphscan.workspace import Workspace

#: The embedded store's claim-step before claim links: every claim whose entity columns
#: name one of _ent, by a scan of the whole claims table. The reference here.
FULL_SCAN_STEP = """
SELECT claim_id, person_id, card_id, doctor_id, provider_id, operator_id
FROM claims
WHERE (person_id IN (SELECT e FROM _ent) OR card_id IN (SELECT e FROM _ent)
       OR doctor_id IN (SELECT e FROM _ent) OR provider_id IN (SELECT e FROM _ent)
       OR operator_id IN (SELECT e FROM _ent))
  AND ($since IS NULL OR start_time >= $since)
  AND ($until IS NULL OR start_time <= $until)
"""
#: inside the first weeks of the city's year (2025), which the Neo4j test loads
WINDOW = (pd.Timestamp("2025-01-10"), pd.Timestamp("2025-01-20 12:00"))


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> pa.Table:
    """The claims of a 1,000-person generated city (about 18,000), as a load writes them."""
    out = tmp_path_factory.mktemp("city")
    generate_city(out, 1000, 3, "hard", "parquet")
    claims = pq.read_table(out / "claims.parquet")
    n = claims.num_rows
    lineage = {
        "source_file": pa.array(["claims.parquet"] * n),
        "source_row": pa.array(range(2, n + 2), pa.int64()),
        "load_id": pa.array(["load-1"] * n),
        "row_hash": pa.array([f"h{i}" for i in range(n)]),
    }
    for name, column in lineage.items():
        claims = claims.append_column(name, column)
    return claims


def scanned(store: EmbeddedStore, entity: str, hops: int, since=None, until=None) -> set[str]:
    """What the old embedded neighbourhood returned: claim ids, step by step by full scan."""
    frontier, seen, found = {entity}, set[str](), set[str]()
    for _ in range(hops):
        new = sorted(frontier - seen)
        if not new:
            break
        seen |= set(new)
        store.db.register("_ent", pd.DataFrame({"e": pd.Series(new, dtype="string")}))
        rows = store.db.execute(FULL_SCAN_STEP, {"since": since, "until": until}).df()
        store.db.unregister("_ent")
        found |= set(rows["claim_id"])
        frontier = {v for c in ENTITY_COLUMNS for v in rows[c].dropna()}
    return found


def tips(store: EmbeddedStore) -> list[str]:
    """The busiest provider, and a person, card, doctor and operator of its claims."""
    return list(
        store.db.execute(
            "SELECT provider_id, person_id, card_id, doctor_id, operator_id FROM claims "
            "WHERE provider_id = (SELECT provider_id FROM claims GROUP BY 1 "
            "ORDER BY count(*) DESC, 1 LIMIT 1) AND card_id IS NOT NULL "
            "AND doctor_id IS NOT NULL AND operator_id IS NOT NULL ORDER BY claim_id LIMIT 1"
        ).fetchall()[0]
    )


def check_against_full_scan(store: Store, reference: EmbeddedStore) -> None:
    """Every tip at one and two hops, and one hop within a window: the same claims, in
    the order claims() gives them, as the full scan on the reference store."""
    windowed = 0
    for entity in tips(reference):
        for hops, window in ((1, (None, None)), (2, (None, None)), (1, WINDOW)):
            got = store.neighbourhood(entity, hops, *window)
            want = scanned(reference, entity, hops, *window)
            assert set(got["claim_id"]) == want, (entity, hops, window)
            assert got["claim_id"].tolist() == reference.claims(want)["claim_id"].tolist()
            assert want or window[0] is not None
            windowed += len(want) if window[0] is not None else 0
    assert windowed
    assert store.neighbourhood("nobody", 2).empty


def test_claim_links_find_what_a_full_scan_finds(city: pa.Table, tmp_path: Path) -> None:
    store = embedded_store(Workspace.open(tmp_path / "ws"))
    half = city.num_rows // 2
    store.upsert("claims", city.slice(0, half))
    store.upsert("claims", city.slice(half))  # a second load links only its own claims
    check_against_full_scan(store, store)
    entity = tips(store)[0]
    got = store.neighbourhood(entity, 2)
    pd.testing.assert_frame_equal(got, store.claims(got["claim_id"]))


def test_a_store_without_links_is_linked_on_open(city: pa.Table, tmp_path: Path) -> None:
    """A store loaded before claim links (or whose links a newer DuckDB's hash no longer
    matches) is linked again when opened; nothing is missed meanwhile or after."""
    ws = Workspace.open(tmp_path / "ws")
    store = embedded_store(ws)
    store.upsert("claims", city)
    entity = tips(store)[1]
    want = scanned(store, entity, 2)
    store.db.execute("DROP TABLE claim_links")
    store.db.execute("DROP TABLE claim_links_state")
    assert set(embedded_store(ws).neighbourhood(entity, 2)["claim_id"]) == want
    store.db.execute("UPDATE claim_links_state SET probe = probe + 1")
    reopened = embedded_store(ws)
    assert set(reopened.neighbourhood(entity, 2)["claim_id"]) == want
    links = reopened.db.execute(
        "SELECT count(*), count(DISTINCT (entity, claim_row)) FROM claim_links"
    )
    total, distinct = links.fetchall()[0]
    assert total == distinct  # rebuilt, not linked twice


def test_a_colliding_link_is_not_followed(city: pa.Table, tmp_path: Path) -> None:
    """Two ids can share a hash: a link to a claim that does not name the entity (as a
    collision would make) leaves the answer as it was."""
    store = embedded_store(Workspace.open(tmp_path / "ws"))
    store.upsert("claims", city)
    person = tips(store)[1]
    want = scanned(store, person, 1)
    stranger = store.db.execute(
        "SELECT min(rowid) FROM claims WHERE person_id <> ? AND card_id IS DISTINCT FROM ?",
        [person, person],
    ).fetchall()[0][0]
    store.db.execute("INSERT INTO claim_links VALUES (hash(?), ?)", [person, stranger])
    assert set(store.neighbourhood(person, 1)["claim_id"]) == want


@pytest.mark.neo4j
def test_neo4j_finds_what_a_full_scan_finds_through_indexes(
    neo4j_store: Neo4jStore, city: pa.Table, tmp_path: Path
) -> None:
    """On the city's first month (a few thousand claims: Neo4j loads them in seconds)."""
    month = city.filter(pc.less(city["start_time"], pd.Timestamp("2025-02-01")))
    reference = embedded_store(Workspace.open(tmp_path / "ws"))
    reference.upsert("claims", month)
    neo4j_store.upsert("claims", month)
    check_against_full_scan(neo4j_store, reference)
    plan = neo4j_store.driver.execute_query(
        "EXPLAIN " + read_cypher("neighbourhood_step"),
        {"ids": tips(reference), "since": None, "until": None},
    ).summary.plan
    operators = set()
    pending = [plan]
    while pending:
        node = pending.pop()
        operators.add(node["operatorType"].split("@")[0])
        pending.extend(node.get("children", []))
    assert "NodeIndexSeek" in operators, operators
    assert not operators & {"AllNodesScan", "NodeByLabelScan"}, operators
