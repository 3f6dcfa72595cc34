"""Same data, same rings: one generated hard city loaded into the embedded store and into
Neo4j through the loaders, scanned by the same detectors. Every true ring that either
engine finds, the other finds too, and the top cases agree."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from embedded_store import embedded_store

from graphscan.api import scan_store
from graphscan.evaluate import MATCH_JACCARD, read_truth
from graphscan.examples.city.generator import generate_city
from graphscan.loaders.pipeline import Options, load_files
from graphscan.pseudonym import Pseudonymiser
from graphscan.rings import Case
from graphscan.store.neo4j import Neo4jStore
from graphscan.workspace import Workspace

pytestmark = pytest.mark.neo4j

#: the tables detectors read (claim items only feed evidence, and are left out for speed)
TABLES = ("persons", "providers", "doctors", "claims")
AGREE_JACCARD = 0.9
TOP = 10
Members = frozenset[tuple[str, str]]


def members(case: Case) -> Members:
    return frozenset((m.kind, m.id) for m in case.members)


def jaccard(a: Members, b: Members) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def found(rings: pd.DataFrame, cases: list[Case]) -> dict[str, Members]:
    """For each true ring, the members of the best case of its pattern that matches it
    (Jaccard >= MATCH_JACCARD, as the quality benchmark counts a ring found)."""
    hits = {}
    for ring_id, ring in rings.groupby("ring_id"):
        truth = frozenset(zip(ring["member_kind"], ring["member_id"], strict=True))
        pattern = ring["pattern"].iloc[0]
        scored = [(jaccard(members(c), truth), members(c)) for c in cases if c.pattern == pattern]
        best = max(scored, default=(0.0, frozenset()), key=lambda s: s[0])
        if best[0] >= MATCH_JACCARD:
            hits[str(ring_id)] = best[1]
    return hits


def test_both_engines_find_the_same_rings(
    neo4j_store: Neo4jStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAPHSCAN_KEY", "cross-engine test key")
    monkeypatch.setenv("GRAPHSCAN_VAULT_FILE", str(tmp_path / "vault"))
    city = tmp_path / "city"
    generate_city(city, persons=1000, seed=2, difficulty="hard")
    paths = [city / f"{name}.csv" for name in TABLES]
    pseudonymiser = Pseudonymiser.from_environment()

    cases, counts = {}, {}
    embedded_ws = Workspace.open(tmp_path / "embedded")
    neo4j_ws = Workspace.open(tmp_path / "neo4j")
    for store, ws in ((embedded_store(embedded_ws), embedded_ws), (neo4j_store, neo4j_ws)):
        report = load_files(paths, store, ws, pseudonymiser, Options())
        counts[store.engine] = [
            (f.table, f.error, f.loaded, f.quarantined_total) for f in report.files
        ]
        cases[store.engine] = scan_store(store, ws)
    assert counts["embedded"] == counts["neo4j"]
    assert all(error is None and loaded for _, error, loaded, _ in counts["neo4j"])

    rings, _ = read_truth(city, pseudonymiser)
    by_embedded, by_neo4j = found(rings, cases["embedded"]), found(rings, cases["neo4j"])
    assert len(by_embedded) >= 3, f"only {sorted(by_embedded)} found: too weak a test"
    for ring_id in sorted(set(by_embedded) | set(by_neo4j)):
        assert ring_id in by_embedded and ring_id in by_neo4j, f"{ring_id} found by one engine"
        agreement = jaccard(by_embedded[ring_id], by_neo4j[ring_id])
        assert agreement >= AGREE_JACCARD, f"{ring_id}: engines' members differ ({agreement})"

    top = {engine: [members(c) for c in found_cases[:TOP]] for engine, found_cases in cases.items()}
    assert top["embedded"] == top["neo4j"]
    assert [c.case_id for c in cases["embedded"][:TOP]] == [c.case_id for c in cases["neo4j"][:TOP]]
