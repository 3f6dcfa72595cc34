"""Neo4jStore against a real server: loads are idempotent and read back exactly what the
embedded store reads back from the same canonical frames."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from conftest import Neo4jEnv
from embedded_store import embedded_store

from graphscan.cypher import read_cypher
from graphscan.neo4jserver.server import LocalServer
from graphscan.store import open_store
from graphscan.store.base import Store
from graphscan.store.embedded import EmbeddedStore
from graphscan.store.neo4j import Neo4jStore
from graphscan.workspace import Workspace

pytestmark = pytest.mark.neo4j


def claims_frame(n: int = 40) -> pd.DataFrame:
    kinds = ["pharmacy", "outpatient", "inpatient"]
    return pd.DataFrame(
        {
            "claim_id": [f"c{i:04d}" for i in range(n)],
            "kind": [kinds[i % 3] for i in range(n)],
            "person_id": [f"p{i % 7}" for i in range(n)],
            "card_id": [None if i % 5 == 0 else f"k{i % 7}" for i in range(n)],
            "provider_id": [f"v{i % 3}" for i in range(n)],
            "doctor_id": [None if i % 4 == 0 else f"d{i % 2}" for i in range(n)],
            "operator_id": [f"o{i % 2}" if i % 3 == 0 else None for i in range(n)],
            "start_time": pd.date_range("2024-01-01 08:00", periods=n, freq="37h"),
            "end_time": [pd.Timestamp("2024-06-01") if i % 3 == 2 else pd.NaT for i in range(n)],
            "diagnosis_code": [f"J{i % 4:02d}" for i in range(n)],
            "total_amount": [Decimal(f"{100 + i}.{i % 100:02d}") for i in range(n)],
            "fund_amount": [Decimal(f"{50 + i}.05") if i % 2 else None for i in range(n)],
            "account_amount": [Decimal("0.10")] * n,
            "cash_amount": [None] * n,
            "source_file": "claims.csv",
            "source_row": range(2, n + 2),
            "load_id": "load-1",
            "row_hash": [f"h{i}" for i in range(n)],
        }
    )


def graph_size(store: Neo4jStore) -> tuple[int, int, int]:
    nodes, rels, props = store.driver.execute_query(
        "MATCH (n) OPTIONAL MATCH (n)-[r]->() "
        "RETURN count(DISTINCT n), count(r), sum(size(keys(n)))"
    ).records[0]
    return nodes, rels, props


def both(neo4j_store: Neo4jStore, tmp_path: Path) -> tuple[Neo4jStore, EmbeddedStore]:
    return neo4j_store, embedded_store(Workspace.open(tmp_path / "embedded"))


def test_loading_twice_changes_nothing(neo4j_store: Neo4jStore) -> None:
    frame = claims_frame()
    neo4j_store.batch_size = 15  # several batches, as in a real load
    assert neo4j_store.upsert("claims", frame) == len(frame)
    neo4j_store.record_load({"load_id": "load-1", "source_file": "claims.csv", "report": {}})
    before = graph_size(neo4j_store)
    assert neo4j_store.upsert("claims", frame) == 0
    neo4j_store.record_load({"load_id": "load-1", "source_file": "claims.csv", "report": {}})
    assert graph_size(neo4j_store) == before
    assert neo4j_store.status()["counts"]["claims"] == len(frame)


def test_known_rows_gives_stored_hashes(neo4j_store: Neo4jStore) -> None:
    neo4j_store.upsert("claims", claims_frame(10))
    known = neo4j_store.known_rows("claims", pd.DataFrame({"claim_id": ["c0003", "nope"]}))
    assert known.read_all().to_pylist() == [{"claim_id": "c0003", "row_hash": "h3"}]


def test_claims_read_back_like_the_embedded_store(neo4j_store: Neo4jStore, tmp_path: Path) -> None:
    neo4j, embedded = both(neo4j_store, tmp_path)
    frame = claims_frame()
    for store in (neo4j, embedded):
        store.upsert("claims", frame)
    ids = ["c0005", "c0001", "c0030", "missing"]
    got, want = neo4j.claims(ids), embedded.claims(ids)
    assert list(got.columns) == list(want.columns)
    pd.testing.assert_frame_equal(
        got.astype(object).where(got.notna(), None),
        want.astype(object).where(want.notna(), None),
        check_dtype=False,
    )


def test_neighbourhood_matches_the_embedded_store(neo4j_store: Neo4jStore, tmp_path: Path) -> None:
    neo4j, embedded = both(neo4j_store, tmp_path)
    for store in (neo4j, embedded):
        store.upsert("claims", claims_frame())
    for entity, hops in (("p3", 1), ("d1", 1), ("o0", 2), ("k2", 1)):
        got = neo4j.neighbourhood(entity, hops=hops)["claim_id"].tolist()
        assert got == embedded.neighbourhood(entity, hops=hops)["claim_id"].tolist()
        assert got
    since, until = pd.Timestamp("2024-01-10"), pd.Timestamp("2024-02-10")
    got = neo4j.neighbourhood("p3", 1, since, until)["claim_id"].tolist()
    assert got == embedded.neighbourhood("p3", 1, since, until)["claim_id"].tolist()


def test_entity_tables_and_status(neo4j_store: Neo4jStore, tmp_path: Path) -> None:
    neo4j, embedded = both(neo4j_store, tmp_path)
    persons = pd.DataFrame(
        {
            "person_id": ["p1", "p2"],
            "sex": ["F", "M"],
            "poverty_flag": [True, False],
            "birth_date": pd.to_datetime(["1950-03-01", "1980-07-09"]),
            "row_hash": ["hp1", "hp2"],
        }
    )
    providers = pd.DataFrame(
        {"provider_id": ["v0", "v1"], "kind": ["pharmacy", "hospital"], "row_hash": ["a", "b"]}
    )
    doctors = pd.DataFrame({"doctor_id": ["d1"], "provider_id": ["v1"], "row_hash": ["hd1"]})
    for store in (neo4j, embedded):
        store.upsert("claims", claims_frame())
        for table, frame in (("persons", persons), ("providers", providers), ("doctors", doctors)):
            assert store.upsert(table, frame) == len(frame)
            assert store.upsert(table, frame) == 0
    got, want = neo4j.status(), embedded.status()
    assert got["counts"] == want["counts"]
    keys = pd.DataFrame({"person_id": ["p1", "p3"]})
    assert neo4j.known_rows("persons", keys).read_all().to_pylist() == [
        {"person_id": "p1", "row_hash": "hp1"}
    ]
    assert got["claims_by_kind"] == want["claims_by_kind"]
    assert (got["first_claim"], got["last_claim"]) == (want["first_claim"], want["last_claim"])
    labels = neo4j.driver.execute_query(
        "MATCH (p:Provider) RETURN p.provider_id AS id, labels(p) AS labels ORDER BY id"
    ).records
    assert {r["id"]: sorted(r["labels"]) for r in labels} == {
        "v0": ["Pharmacy", "Provider"],
        "v1": ["Institution", "Provider"],
        "v2": ["Institution", "Provider"],
    }


def test_amounts_are_exact_integer_fen(neo4j_store: Neo4jStore) -> None:
    frame = claims_frame(3).assign(total_amount=[Decimal("0.10"), Decimal("0.20"), Decimal("0.70")])
    neo4j_store.upsert("claims", frame)
    (total,) = neo4j_store.driver.execute_query(
        "MATCH (c:Claim) RETURN sum(c.total_cents)"
    ).records[0]
    assert total == 100


def test_aggregate_relationships_follow_the_claims(neo4j_store: Neo4jStore) -> None:
    neo4j_store.upsert("claims", claims_frame())
    neo4j_store.record_load({"load_id": "load-1", "source_file": "claims.csv", "report": {}})
    used = neo4j_store.driver.execute_query(
        "MATCH (:Person {person_id: 'p0'})-[r:USED]->(v) RETURN v.provider_id AS v, r.claims AS n "
        "ORDER BY v"
    ).records
    frame = claims_frame()
    want = frame[frame.person_id == "p0"].groupby("provider_id").size()
    assert {r["v"]: r["n"] for r in used} == want.to_dict()


def test_the_refresh_recomputes_only_the_people_of_the_changed_claims(
    neo4j_store: Neo4jStore,
) -> None:
    """A second file's claims (person p0, doctor d0) refresh p0's and d0's aggregates and no
    one else's: a day's file into a year's graph must not recompute every person. A person
    left alone keeps a value planted in its USED relationship; no mark stays behind."""
    frame = claims_frame()
    neo4j_store.upsert("claims", frame)
    neo4j_store.record_load({"load_id": "load-1", "source_file": "claims.csv", "report": {}})
    neo4j_store.driver.execute_query(
        "MATCH (p:Person)-[r:USED]->() WHERE p.person_id IN ['p0', 'p1'] SET r.claims = 999"
    )
    neo4j_store.driver.execute_query("MATCH (:Doctor)-[r:SENT_TO]->() SET r.claims = 999")
    more = claims_frame(2).assign(
        claim_id=["n1", "n2"], person_id="p0", doctor_id="d0", kind="pharmacy", row_hash="x"
    )
    assert neo4j_store.upsert("claims", more) == 2
    neo4j_store.record_load({"load_id": "load-2", "source_file": "more.csv", "report": {}})
    used = neo4j_store.driver.execute_query(
        "MATCH (p:Person)-[r:USED]->() RETURN p.person_id AS p, sum(r.claims) AS n"
    ).records
    claims = pd.concat([frame, more]).groupby("person_id").size()
    assert {r["p"]: r["n"] for r in used}["p0"] == claims["p0"]
    assert {r["p"]: r["n"] for r in used}["p1"] == 999 * frame[frame.person_id == "p1"][
        "provider_id"
    ].nunique()
    sent = neo4j_store.driver.execute_query(
        "MATCH (d:Doctor)-[r:SENT_TO]->() RETURN d.doctor_id AS d, sum(r.claims) AS n"
    ).records
    both = pd.concat([frame, more])
    pharmacy = both[(both.kind == "pharmacy") & both.doctor_id.notna()].groupby("doctor_id")
    assert {r["d"]: r["n"] for r in sent}["d0"] == pharmacy.size()["d0"]
    assert {r["d"]: r["n"] for r in sent}["d1"] % 999 == 0
    marked = neo4j_store.driver.execute_query("MATCH (n:AggregatesStale) RETURN count(n)")
    assert marked.records[0][0] == 0


def test_a_graph_left_stale_before_the_marks_is_refreshed_whole(neo4j_store: Neo4jStore) -> None:
    """A load cut off by a graphscan that did not mark people yet (aggregates stale, no
    marks, no migration record): opening the store marks everyone, so the rerun's refresh
    is whole."""
    neo4j_store.upsert("claims", claims_frame())
    neo4j_store.driver.execute_query(
        "MATCH (n:AggregatesStale) REMOVE n:AggregatesStale WITH count(*) AS _ "
        "MATCH (m:GraphscanState {name: 'aggregate_marks'}) DELETE m"
    )
    reopened = Neo4jStore(neo4j_store.driver, neo4j_store.uri)
    reopened.record_load({"load_id": "load-1", "source_file": "claims.csv", "report": {}})
    used = neo4j_store.driver.execute_query("MATCH ()-[r:USED]->() RETURN sum(r.claims)")
    assert used.records[0][0] == len(claims_frame())


def test_store_through_a_uri_and_the_workspace_password(
    neo4j_store: Neo4jStore, neo4j_env: Neo4jEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without NEO4J_PASSWORD the store finds the local server's credentials file."""
    ws = Workspace.open(tmp_path / "local")
    server = LocalServer(ws.root)
    server.home.mkdir(parents=True)
    port = int(neo4j_env.uri.rsplit(":", 1)[1])
    saved = {"user": neo4j_env.user, "password": neo4j_env.password, "port": port}
    server.credentials_file.write_text(json.dumps(saved))
    monkeypatch.delenv("NEO4J_PASSWORD")
    store = open_store(server.credentials().uri, ws)
    assert store.status()["counts"]["claims"] == 0
    store.close()


def test_browser_queries_show_the_subgraph(neo4j_store: Neo4jStore) -> None:
    neo4j_store.upsert("claims", claims_frame())
    neo4j_store.record_load({"load_id": "load-1", "source_file": "claims.csv", "report": {}})
    params = {"entity_id": "d1", "since": None, "until": None, "limit": 5}
    rows = neo4j_store.driver.execute_query(read_cypher("browse_entity_neighbourhood"), params)
    claims = {r["c"]["claim_id"] for r in rows.records}
    assert len(claims) == 5 and all(r["e"]["doctor_id"] == "d1" for r in rows.records)
    ids = ["c0001", "c0002"]
    (case,) = neo4j_store.driver.execute_query(
        read_cypher("browse_case_subgraph"), {"claim_ids": ids}
    ).records
    assert sorted(c["claim_id"] for c in case["claims"]) == ids
    assert {"p1", "p2", "v1", "v2"} <= {
        e.get("person_id") or e.get("provider_id") for e in case["entities"]
    }
    assert case["aggregates"]


def test_gds_leiden_finds_the_planted_groups_like_igraph(neo4j_store: Neo4jStore) -> None:
    """Three dense groups joined by one weak edge each: GDS and igraph agree on them."""
    from graphscan.store.communities import leiden_igraph

    edges = [
        (f"{g}{a}", f"{g}{b}", 5.0) for g in "xyz" for a in range(6) for b in range(a + 1, 6)
    ] + [("x0", "y0", 0.1), ("y0", "z0", 0.1)]
    frame = pd.DataFrame(edges, columns=["source", "target", "weight"])
    gds = neo4j_store.communities(frame, seed=7)
    local = leiden_igraph(frame, seed=7)

    def groups(parts: pd.DataFrame) -> set[frozenset[str]]:
        return {frozenset(g["node"]) for _, g in parts.groupby("community")}

    want = {frozenset(f"{g}{i}" for i in range(6)) for g in "xyz"}
    assert groups(gds) == groups(local) == want
    assert neo4j_store.run_read("gds_available", {})[0]["available"]


def _recorded(store: Store, seen: list[int]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def communities(frame: pd.DataFrame) -> pd.DataFrame:
        seen.append(len(frame))
        return store.communities(frame)

    return communities


def test_scan_splits_oversized_groups_with_the_stores_leiden(
    neo4j_store: Neo4jStore, tmp_path: Path
) -> None:
    """Two 40-person cliques joined by one weak edge form one component above max_group:
    each engine's Leiden (GDS in Neo4j, igraph embedded) splits it into the two cliques."""
    from graphscan.detect.engines.cooccurrence import Params, split_groups

    cliques = [[f"{g}{i:02d}" for i in range(40)] for g in "xy"]
    pairs = [(a, b, 5.0) for c in cliques for i, a in enumerate(c) for b in c[i + 1 :]]
    edges = pd.DataFrame([*pairs, ("x00", "y00", 0.1)], columns=["a", "b", "w"])
    embedded = embedded_store(Workspace.open(tmp_path / "ws"))
    for store in (neo4j_store, embedded):
        seen: list[int] = []
        groups = split_groups(edges, Params(max_group=60), _recorded(store, seen))
        assert sorted(groups) == sorted(sorted(c) for c in cliques), store.engine
        assert seen == [len(edges)], store.engine


def test_reversals_net_like_the_embedded_store(neo4j_store: Neo4jStore, tmp_path: Path) -> None:
    neo4j, embedded = both(neo4j_store, tmp_path)
    reversals = pd.DataFrame(
        {
            "reversal_id": ["r1", "r2", "r3", "r3"],
            "claim_id": ["c0001", "c0001", "c0002", "c0002"],
            "total_amount": [Decimal("-10.05"), Decimal("-1.10"), Decimal("-5.00")] * 1
            + [Decimal("-5.00")],
            "fund_amount": [Decimal("-0.05"), None, Decimal("-1.00"), Decimal("-1.00")],
            "account_amount": [None, None, Decimal("-0.10"), Decimal("-0.10")],
            "cash_amount": [None] * 4,
            "source_file": "rev.csv",
            "source_row": [2, 3, 4, 5],
            "load_id": "load-2",
            "row_hash": ["x1", "x2", "x3", "x3"],
        }
    )
    for store in (neo4j, embedded):
        store.upsert("claims", claims_frame())
        assert store.apply_reversals(reversals) == 3
        assert store.apply_reversals(reversals) == 0
    ids = ["c0001", "c0002", "c0003"]
    got, want = neo4j.claims(ids), embedded.claims(ids)
    pd.testing.assert_frame_equal(
        got.astype(object).where(got.notna(), None),
        want.astype(object).where(want.notna(), None),
        check_dtype=False,
    )
    assert got.loc[0, "total_amount"] == 101.01 - 11.15
    assert neo4j.status()["counts"]["reversals"] == embedded.status()["counts"]["reversals"] == 3


def test_aggregates_are_refreshed_by_the_rerun_of_a_cut_load(neo4j_store: Neo4jStore) -> None:
    """Claims written, then the load dies before record_load: the rerun writes no claim
    but still brings the aggregates up to date; a load that changes nothing skips it."""
    neo4j_store.upsert("claims", claims_frame())
    assert neo4j_store.upsert("claims", claims_frame()) == 0
    neo4j_store.record_load({"load_id": "load-1", "source_file": "claims.csv", "report": {}})
    used = neo4j_store.driver.execute_query("MATCH ()-[r:USED]->() RETURN sum(r.claims)")
    assert used.records[0][0] == len(claims_frame())
    neo4j_store.driver.execute_query("MATCH ()-[r:USED]->() DELETE r")
    neo4j_store.record_load({"load_id": "load-2", "source_file": "persons.csv", "report": {}})
    used = neo4j_store.driver.execute_query("MATCH ()-[r:USED]->() RETURN count(r)")
    assert used.records[0][0] == 0
