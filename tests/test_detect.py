"""Each detector finds its hand-built ring and leaves the hand-built hard negatives
alone; scans are deterministic; explanations say what the claims say."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import handmade_city as city
import numpy as np
import pandas as pd
import pytest

from graphscan.detect import detectors, rank, scan
from graphscan.detect.base import Window
from graphscan.detect.significance import benjamini_hochberg, poisson_tail
from graphscan.rings import Ring
from graphscan.store.embedded import EmbeddedStore
from graphscan.workspace import Workspace

PLANTED = {
    "card_lending": set(city.LENDING_CARDS),
    "kickback": set(city.KICKBACK_PATIENTS),
    "group_hospitalisation": set(city.RECRUITS),
    "identity_misuse": set(city.DEAD),
}
NEGATIVES = set(city.FAMILY) | set(city.VILLAGERS)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    ws = Workspace.open(tmp_path_factory.mktemp("hand") / "ws")
    store = EmbeddedStore(ws)
    city.load(store)
    yield store
    ws.close()


@pytest.fixture(scope="module")
def ranked(store: EmbeddedStore) -> list[Ring]:
    return scan(store)


def _persons(ring: Ring) -> set[str]:
    return ring.member_ids("person")


@pytest.mark.parametrize("pattern", sorted(PLANTED))
def test_detector_finds_its_ring_first(ranked: list[Ring], pattern: str) -> None:
    rings = [r for r in ranked if r.pattern == pattern]
    assert rings, f"no {pattern} case"
    top, planted = _persons(rings[0]), PLANTED[pattern]
    assert len(top & planted) / len(top | planted) >= 0.7
    assert rings[0].q_value <= 0.01


def test_roles_and_anchors(ranked: list[Ring]) -> None:
    by_pattern = {r.pattern: r for r in reversed(ranked)}
    lending = by_pattern["card_lending"]
    assert lending.member_ids("pharmacy") == {"P2"}
    assert lending.member_ids("operator") == {"O2"}
    assert lending.member_ids("card") == {f"card-{p}" for p in _persons(lending)}
    kickback = by_pattern["kickback"]
    assert kickback.member_ids("doctor") == {"D9"}
    assert kickback.member_ids("pharmacy") == {"P3"}
    group = by_pattern["group_hospitalisation"]
    assert group.member_ids("institution") == {"H2"}
    assert {m.role for m in group.members if m.kind == "person"} == {"recruit"}
    identity = by_pattern["identity_misuse"]
    assert identity.member_ids("institution") == {"K1"}
    assert identity.member_ids("operator") == {"O5"}


def test_hard_negatives_stay_out(ranked: list[Ring]) -> None:
    """The family shopping together, the screening day and the busy pharmacy's rush hour
    produce no case; chronic refills at the door pharmacy do not look like kickbacks."""
    for ring in ranked:
        assert not _persons(ring) & NEGATIVES, ring.explanation_en
        assert "P1" not in ring.member_ids("pharmacy"), ring.explanation_en
        assert "T1" not in ring.member_ids("institution"), ring.explanation_en


def test_scan_is_deterministic(store: EmbeddedStore, ranked: list[Ring]) -> None:
    again = scan(store)
    assert [(r.pattern, r.members, r.claim_ids, r.p_value, r.score) for r in again] == [
        (r.pattern, r.members, r.claim_ids, r.p_value, r.score) for r in ranked
    ]


def test_window_limits_the_evidence(store: EmbeddedStore) -> None:
    window = Window(pd.Timestamp("2025-01-01").to_pydatetime(), None)
    until = Window(None, pd.Timestamp("2025-02-15").to_pydatetime())
    lending = detectors(["card_lending"])[0]
    late = lending.find(store, until)
    assert all(r.last_time <= until.until for r in late)
    assert lending.find(store, window)


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", text)


@pytest.mark.parametrize("pattern", sorted(PLANTED))
def test_explanation_numbers_match_the_claims(
    store: EmbeddedStore, ranked: list[Ring], pattern: str
) -> None:
    ring = next(r for r in ranked if r.pattern == pattern)
    claims = store.claims(ring.claim_ids)
    assert len(claims) == len(ring.claim_ids)
    total = float(claims["total_amount"].astype(float).sum())
    fund = float(claims["fund_amount"].astype(float).sum())
    days = claims["start_time"].dt.normalize().nunique()
    assert ring.total_amount == pytest.approx(total)
    assert ring.fund_amount == pytest.approx(fund)
    for text in (ring.explanation_en, ring.explanation_zh):
        numbers = _numbers(text)
        assert f"{total:.2f}" in numbers and f"{fund:.2f}" in numbers
        assert str(len(claims)) in numbers and str(days) in numbers
        assert f"{claims['start_time'].min():%Y-%m-%d}" in text
        assert f"{claims['start_time'].max():%Y-%m-%d}" in text
    persons = claims["person_id"].nunique()
    if pattern == "card_lending":
        # bursts: distinct (day) swipe groups of the operator holding the quorum
        assert f"{int(ring.statistic)} times on {days} days" in ring.explanation_en
        assert set(claims["operator_id"]) == {"O2"}
    if pattern == "kickback":
        assert int(ring.statistic) == len(claims)
        assert f"for {persons} patients" in ring.explanation_en
    if pattern == "identity_misuse":
        assert f"after_death {claims['card_id'].nunique()}" in ring.explanation_en


def test_benjamini_hochberg_matches_the_definition() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.5])
    # sorted: 0.01, 0.03, 0.04, 0.5 -> 0.04, 0.0533, 0.0533, 0.5 (monotone from the top)
    assert benjamini_hochberg(p) == pytest.approx([0.04, 0.05333333, 0.05333333, 0.5])
    assert benjamini_hochberg(np.array([])).size == 0


def test_poisson_tail() -> None:
    assert poisson_tail(0, 3.0) == pytest.approx(1.0)
    assert poisson_tail(2, 1.0) == pytest.approx(1 - np.exp(-1) * 2)
    assert poisson_tail(500, 0.1) > 0  # floored, never zero


def test_rank_keeps_only_discoveries(ranked: list[Ring]) -> None:
    assert all(r.q_value <= 0.01 for r in ranked)
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    weak = ranked[0].__class__(**{**vars(ranked[0]), "p_value": 0.5})
    assert rank([weak]) == []


def test_unknown_pattern_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown pattern"):
        detectors(["telepathy"])
