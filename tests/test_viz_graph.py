"""The entity graph and display identifiers: claims aggregate into weighted edges, large
graphs are summarised with a note, and masked forms stay distinct."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from graphscan.viz.graph import build_graph
from graphscan.viz.identifiers import IdentifierView
from graphscan.viz.timeline import timeline_svg


def claims_frame(rows: list[tuple[str, str, str | None, str | None, str]]) -> pd.DataFrame:
    """Rows of (person, provider, doctor, operator, kind), one claim each, a day apart."""
    start = datetime(2024, 1, 1, 10)
    return pd.DataFrame(
        {
            "claim_id": [f"C{i}" for i in range(len(rows))],
            "kind": [r[4] for r in rows],
            "person_id": [r[0] for r in rows],
            "card_id": [r[0] for r in rows],
            "provider_id": [r[1] for r in rows],
            "doctor_id": [r[2] for r in rows],
            "operator_id": [r[3] for r in rows],
            "start_time": [start + timedelta(days=i) for i in range(len(rows))],
            "total_amount": [100.0] * len(rows),
        }
    )


def view_for(claims: pd.DataFrame) -> IdentifierView:
    return IdentifierView.masked(
        {"person": claims["person_id"], "doctor": claims["doctor_id"].dropna()}
    )


def test_claims_aggregate_into_weighted_edges() -> None:
    claims = claims_frame(
        [("aaaaaaaaaaaa01", "P1", "D00000001", None, "pharmacy")] * 3
        + [("bbbbbbbbbbbb02", "P1", None, "OP1", "pharmacy")]
    )
    graph = build_graph(claims, view_for(claims))
    kinds = sorted(n["kind"] for n in graph.nodes)
    assert kinds == ["doctor", "operator", "person", "person", "pharmacy"]
    holder_edges = [e for e in graph.edges if e["to"] == "pharmacy:P1" and "person" in e["from"]]
    assert sorted(e["weight"] for e in holder_edges) == [1, 3]
    heavy = next(e for e in holder_edges if e["weight"] == 3)
    assert "单据 claims: 3" in heavy["title"] and "¥300.00" in heavy["title"]
    assert "2024-01-01" in heavy["title"] and "2024-01-03" in heavy["title"]
    assert heavy["width"] > next(e for e in holder_edges if e["weight"] == 1)["width"]
    assert graph.omitted is None


def test_large_graph_is_summarised_and_keeps_ring_members() -> None:
    rows = [(f"{i:014x}", "P1", None, None, "pharmacy") for i in range(80)]
    rows += [("00000000000000", "P1", None, None, "pharmacy")] * 5  # the busiest person
    claims = claims_frame(rows)
    quiet_member = f"{79:014x}"
    graph = build_graph(
        claims, view_for(claims), roles={("person", quiet_member): "recruit"}, max_nodes=20
    )
    assert len(graph.nodes) == 20
    assert graph.omitted is not None and graph.omitted.nodes == 81 - 20 + 0
    assert graph.omitted.nodes_by_kind == {"person": 61}
    labels = " ".join(str(n["label"]) for n in graph.nodes)
    assert quiet_member[:10] in labels and "0000000000" in labels


def test_masked_forms_grow_until_distinct() -> None:
    view = IdentifierView.masked(
        {"person": ["abcdefghij111", "abcdefghij222"], "doctor": ["D3301000001", "D3301000002"]}
    )
    assert view.show("person", "abcdefghij111") != view.show("person", "abcdefghij222")
    assert view.show("doctor", "D3301000001") == "D33…01"
    assert view.show("provider", "H330100") == "H330100"
    sentence = "卡 abcdefghij111 由 D3301000001 开方; D33010000012 is another code"
    assert view.scrub(sentence) == (
        f"卡 {view.show('person', 'abcdefghij111')} 由 D33…01 开方; D33010000012 is another code"
    )


def test_timeline_draws_one_row_per_member() -> None:
    claims = claims_frame(
        [("aaaaaaaaaaaa01", "P1", None, None, "pharmacy")] * 2
        + [("bbbbbbbbbbbb02", "P1", None, None, "pharmacy")]
    )
    svg = timeline_svg(claims, view_for(claims))
    assert svg.startswith("<svg") and svg.count("<circle") == 3
    assert "aaaaaaaaaa…" in svg and "aaaaaaaaaaaa01" not in svg
