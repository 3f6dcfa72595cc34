"""The notebook API: DataFrames in (loaded and pseudonymised like files), ranked rings
out, each ring's members and evidence a call away."""

from __future__ import annotations

from pathlib import Path

import handmade_city as city
import pytest

import graphscan


def test_scan_frames_to_ranked_rings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHSCAN_KEY", "test-key")
    monkeypatch.setenv("GRAPHSCAN_VAULT_FILE", str(tmp_path / "vault"))
    frames = city.build()
    rings = graphscan.scan(frames=frames)
    assert list(rings["rank"]) == list(range(1, len(rings) + 1))
    assert set(rings["pattern"]) == {
        "card_lending",
        "kickback",
        "group_hospitalisation",
        "identity_misuse",
    }
    top = graphscan.case(rings["case_id"].iloc[0])
    evidence = graphscan.evidence(top.case_id)
    assert sorted(evidence["claim_id"]) == top.claim_ids
    assert {"source_file", "source_row"} <= set(evidence.columns)
    # person ids went through the loader's pseudonymiser: no clear id is stored
    persons = top.member_ids("person")
    assert persons and not persons & set(frames["persons"]["person_id"])
    members = graphscan.members()
    assert set(members["case_id"]) == set(rings["case_id"])
