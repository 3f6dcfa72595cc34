"""Exploring from a tip: the neighbourhood of an entity drawn as the same page as a case,
with case members marked, on the embedded store and on Neo4j; and both engines giving the
same evidence package."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from embedded_store import embedded_store
from evidence_data import context_cases, context_tables, ring_case, ring_claims

from graphscan.api import case_context
from graphscan.pseudonym import Pseudonymiser
from graphscan.store.base import Store
from graphscan.viz.explore import explore_page, membership_keys
from graphscan.viz.package import export_case, identifier_view
from graphscan.viz.page import render_page
from graphscan.workspace import Workspace

PHARMACY = "P33010200017"
RING_DOCTOR = "D330102000123"


def explore_html(store: Store, frame: pd.DataFrame, hops: int) -> tuple[pd.DataFrame, str]:
    case = ring_case(frame)
    members = pd.DataFrame(
        [(case.case_id, m.kind, m.id) for m in case.members],
        columns=["case_id", "member_kind", "member_id"],
    )
    claims = store.neighbourhood(PHARMACY, hops)
    view = identifier_view(claims, [], None)
    page = explore_page(claims, PHARMACY, view, hops, None, None, membership_keys(members))
    return claims, render_page(page)


def check_neighbourhood(store: Store, frame: pd.DataFrame) -> None:
    store.upsert("claims", frame)
    one, html = explore_html(store, frame, 1)
    assert set(one["claim_id"]) == set(frame.loc[frame["provider_id"] == PHARMACY, "claim_id"])
    assert "C-2024-0001" in html and "线索探查" in html
    assert not any(p in html for p in frame["person_id"])
    two, _ = explore_html(store, frame, 2)
    ring_people = set(frame.loc[frame["provider_id"] == PHARMACY, "person_id"])
    reached = frame[frame["person_id"].isin(ring_people) | (frame["doctor_id"] == RING_DOCTOR)]
    assert set(reached["claim_id"]) <= set(two["claim_id"])
    assert len(two) > len(one)


def test_explore_on_the_embedded_store(tmp_path: Path) -> None:
    frame = ring_claims(Pseudonymiser(b"explore-test", tmp_path / "vault"))
    check_neighbourhood(embedded_store(Workspace.open(tmp_path / "ws")), frame)


@pytest.mark.neo4j
def test_explore_on_neo4j(neo4j_store: Store, tmp_path: Path) -> None:
    frame = ring_claims(Pseudonymiser(b"explore-test", tmp_path / "vault"))
    check_neighbourhood(neo4j_store, frame)


def test_an_unknown_entity_is_refused(tmp_path: Path) -> None:
    frame = ring_claims(Pseudonymiser(b"explore-test", tmp_path / "vault"))
    claims = frame.head(3)
    with pytest.raises(ValueError, match="does not appear"):
        explore_page(claims, "nobody", identifier_view(claims, [], None), 1, None, None, {})


@pytest.mark.neo4j
def test_both_engines_export_the_same_package(neo4j_store: Store, tmp_path: Path) -> None:
    frame = ring_claims(Pseudonymiser(b"explore-test", tmp_path / "vault"))
    case = ring_case(frame)
    embedded = embedded_store(Workspace.open(tmp_path / "ws"))
    packages = []
    for name, store in (("embedded", embedded), ("neo4j", neo4j_store)):
        store.upsert("claims", frame)
        packages.append(export_case(case, store.claims(case.claim_ids), tmp_path / name))
    assert packages[0].zip_path.read_bytes() == packages[1].zip_path.read_bytes()


@pytest.mark.neo4j
def test_both_engines_give_the_same_case_context(neo4j_store: Store, tmp_path: Path) -> None:
    """Items, doctors' institutions and phones come from the store's own projections: the
    packages (organiser drawn, institution named, drugs listed) match byte for byte."""
    tables = context_tables(Pseudonymiser(b"explore-test", tmp_path / "vault"))
    embedded = embedded_store(Workspace.open(tmp_path / "ws"))
    zips = []
    for name, store in (("embedded", embedded), ("neo4j", neo4j_store)):
        for table, frame in tables.items():
            store.upsert(table, frame)
        for case in context_cases(tables):
            claims = store.claims(case.claim_ids)
            context = case_context(store, case, claims)
            assert not context.items.empty or case.pattern != "kickback"
            package = export_case(case, claims, tmp_path / name / case.case_id, context=context)
            zips.append(package.zip_path.read_bytes())
    assert zips[:2] == zips[2:]
