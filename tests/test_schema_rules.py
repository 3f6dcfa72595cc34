"""Rules defined once in graphscan.schema and used by the stores and the evidence: which
card a claim was made with, and whether a provider is a pharmacy or an institution."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from embedded_store import embedded_store
from test_neo4j_store import claims_frame

from graphscan.schema import card_used, provider_member_kinds
from graphscan.store.base import Store
from graphscan.viz.graph import build_graph, holders
from graphscan.viz.identifiers import IdentifierView
from graphscan.workspace import Workspace

#: v0 is listed as a hospital although it fills pharmacy claims (the providers table wins);
#: v1 fills outpatient claims only; v2 is not listed and fills pharmacy claims.
PROVIDERS = pd.DataFrame(
    {"provider_id": ["v0", "v1"], "kind": ["hospital", "clinic"], "row_hash": ["a", "b"]}
)


def _claims() -> pd.DataFrame:
    frame = claims_frame(9)
    frame["kind"] = ["pharmacy", "outpatient", "pharmacy"] * 3
    return frame


def _stored(store: Store) -> pd.DataFrame:
    store.upsert("providers", PROVIDERS)
    store.upsert("claims", _claims())
    return store.claims(_claims()["claim_id"])


def _check_provider_kinds(claims: pd.DataFrame) -> None:
    assert provider_member_kinds(claims).to_dict() == {
        "v0": "institution",
        "v1": "institution",
        "v2": "pharmacy",
    }
    view = IdentifierView.masked({"person": claims["person_id"], "card": claims["card_id"]})
    nodes = build_graph(claims, view).nodes
    drawn = sorted(n["id"] for n in nodes if n["kind"] in ("institution", "pharmacy"))
    assert drawn == ["institution:v0", "institution:v1", "pharmacy:v2"]


def test_the_store_says_which_providers_are_pharmacies(tmp_path: Path) -> None:
    _check_provider_kinds(_stored(embedded_store(Workspace.open(tmp_path))))


@pytest.mark.neo4j
def test_neo4j_says_the_same_about_pharmacies(neo4j_store: Store, tmp_path: Path) -> None:
    claims = _stored(neo4j_store)
    embedded = _stored(embedded_store(Workspace.open(tmp_path)))
    assert claims["provider_kind"].tolist() == embedded["provider_kind"].tolist()
    _check_provider_kinds(claims)


def test_without_the_providers_table_the_claims_decide() -> None:
    claims = _claims()
    assert provider_member_kinds(claims).to_dict() == {
        "v0": "pharmacy",
        "v1": "institution",
        "v2": "pharmacy",
    }


def test_the_card_used_is_the_one_the_projections_use(tmp_path: Path) -> None:
    """card_used and the projections' coalesce(card_id, person_id) agree claim by claim;
    the graph draws a card only when it is not the person's own."""
    store = embedded_store(Workspace.open(tmp_path))
    frame = claims_frame(20)
    frame.loc[3, "card_id"] = frame.loc[3, "person_id"]  # the person's own card, named
    store.upsert("claims", frame)
    sql = store.db.execute(
        "SELECT claim_id, coalesce(card_id, person_id) FROM claims ORDER BY claim_id"
    ).fetchall()
    claims = store.claims(frame["claim_id"]).sort_values("claim_id")
    assert list(zip(claims["claim_id"], card_used(claims), strict=True)) == sql
    kinds, ids = holders(claims)
    own = claims["card_id"].isna() | (claims["card_id"] == claims["person_id"])
    assert (kinds[own] == "person").all() and (kinds[~own] == "card").all()
    assert (ids[own] == claims["person_id"][own]).all()
