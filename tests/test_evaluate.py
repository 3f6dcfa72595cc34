"""The quality scorer against a generated city's truth."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from graphscan.cli.main import cli
from graphscan.evaluate import score
from graphscan.examples.city import generate_city
from graphscan.pseudonym import Pseudonymiser


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("truth")
    generate_city(out, 2000, 11, "hard", "csv")
    return out


def _cases_from(groups: pd.DataFrame, key: str, pattern: str | None = None) -> pd.DataFrame:
    """One case per group, ranked in group order, in the `cases list --members` shape."""
    ids = sorted(groups[key].unique())
    rank = {g: i + 1 for i, g in enumerate(ids)}
    return pd.DataFrame(
        {
            "case_id": "GS-" + groups[key],
            "rank": groups[key].map(rank),
            "score": 1.0 / groups[key].map(rank),
            "pattern": pattern or groups["pattern"],
            "role": "member",
            "member_kind": groups["member_kind"],
            "member_id": groups["member_id"],
        }
    )


def test_perfect_cases_score_one(truth: Path) -> None:
    rings = pd.read_csv(truth / "rings.csv", dtype=str)
    report = score(_cases_from(rings, "ring_id"), truth)
    for row in report.patterns:
        assert row.rings >= 1
        assert row.ring_recall == 1.0
        assert row.member_precision == row.member_recall == row.member_f1 == 1.0
        assert row.precision_at_10 == 1.0
        assert row.r_precision == 1.0
        assert row.hard_negatives_top50 == row.hard_negatives_top_r == 0
    assert (report.matches["jaccard"] == 1.0).all()
    assert "card_lending" in report.table()


def test_an_investigators_manual_case_is_not_scored(truth: Path) -> None:
    """A case an investigator opened by hand is not the detectors' output: ranked first
    among perfect cases, it changes none of the figures."""
    from graphscan.rings import MANUAL_PATTERN

    rings = pd.read_csv(truth / "rings.csv", dtype=str)
    cases = _cases_from(rings, "ring_id")
    manual = cases.head(3).assign(case_id="GS-MANUAL", rank=0, score=9.0, pattern=MANUAL_PATTERN)
    report = score(pd.concat([manual, cases]), truth)
    assert report.row("all").precision_at_10 == report.row("all").member_precision == 1.0
    assert report.row("all").cases == cases["case_id"].nunique()


def test_half_a_ring_is_found_a_third_is_not(truth: Path) -> None:
    rings = pd.read_csv(truth / "rings.csv", dtype=str)
    ring = rings[rings["ring_id"] == rings["ring_id"].iloc[0]].sort_values("member_id")
    pattern = ring["pattern"].iloc[0]
    n = len(ring)
    half = ring.iloc[: (n + 1) // 2]
    third = ring.iloc[: n // 3]
    found = score(_cases_from(half, "ring_id"), truth).row(pattern)
    assert found.found == 1 and found.member_precision == 1.0
    assert found.member_recall < 1.0
    missed = score(_cases_from(third, "ring_id"), truth).row(pattern)
    assert missed.found == 0 and missed.precision_at_10 == 0.0


def test_wrong_pattern_does_not_count(truth: Path) -> None:
    rings = pd.read_csv(truth / "rings.csv", dtype=str)
    lending = rings[rings["pattern"] == "card_lending"]
    report = score(_cases_from(lending, "ring_id", pattern="kickback"), truth)
    assert report.row("card_lending").found == 0
    assert report.row("kickback").member_precision == 0.0
    assert report.row("all").precision_at_10 == 0.0


def test_hard_negatives_in_the_top_cases_are_counted(truth: Path) -> None:
    negatives = pd.read_csv(truth / "hard_negatives.csv", dtype=str)
    cases = _cases_from(negatives.assign(pattern="card_lending"), "group_id")
    report = score(cases, truth)
    top = min(50, negatives["group_id"].nunique())
    assert report.row("all").hard_negatives_top50 == top
    assert sum(reached for _, reached in report.hard_negatives.values()) == top
    assert report.row("card_lending").member_precision < 0.5
    assert report.row("card_lending").precision_at_50 == 0.0


def test_r_precision_and_hard_negatives_in_the_top_r(truth: Path) -> None:
    rings = pd.read_csv(truth / "rings.csv", dtype=str)
    negatives = pd.read_csv(truth / "hard_negatives.csv", dtype=str)
    two = negatives[negatives["group_id"].isin(sorted(negatives["group_id"].unique())[:2])]
    ahead = _cases_from(two.assign(pattern="card_lending"), "group_id")
    behind = _cases_from(rings, "ring_id")
    behind["rank"] += 2
    report = score(pd.concat([ahead, behind]), truth)
    everything = report.row("all")
    r = rings["ring_id"].nunique()
    assert everything.r_precision == (r - 2) / r  # two legitimate groups took two places
    assert everything.hard_negatives_top_r == 2
    assert everything.ring_recall == 1.0
    lending = report.row("card_lending")
    r_lending = rings.loc[rings["pattern"] == "card_lending", "ring_id"].nunique()
    assert lending.r_precision == max(0, r_lending - 2) / r_lending
    assert lending.hard_negatives_top_r == min(2, r_lending)
    kickback = report.row("kickback")  # its own ranking holds only its rings
    assert kickback.r_precision == 1.0 and kickback.hard_negatives_top_r == 0
    assert "R-prec" in report.table() and "HN@R" in report.table()


def test_truth_is_pseudonymised_with_the_store_key(
    truth: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAPHSCAN_KEY", "evaluation test key")
    monkeypatch.setenv("GRAPHSCAN_VAULT_FILE", str(tmp_path / "vault"))
    hasher = Pseudonymiser.from_environment(create=False)
    rings = pd.read_csv(truth / "rings.csv", dtype=str)
    personal = rings["member_kind"].isin(["person", "card"])
    hashed = rings.copy()
    hashed.loc[personal, "member_id"] = hasher.pseudonymise(rings.loc[personal, "member_id"])
    assert (hashed.loc[personal, "member_id"] != rings.loc[personal, "member_id"]).all()
    cases = _cases_from(hashed, "ring_id")
    assert score(cases, truth, hasher).row("all").ring_recall == 1.0
    assert score(cases, truth).row("all").ring_recall == 0.0

    cases.to_csv(tmp_path / "members.csv", index=False)
    result = CliRunner().invoke(
        cli, ["evaluate", "--truth", str(truth), "--cases", str(tmp_path / "members.csv")]
    )
    assert result.exit_code == 0, result.output
    assert "group_hospitalisation" in result.output and "hard negatives" in result.output
    as_json = CliRunner().invoke(
        cli,
        ["evaluate", "--truth", str(truth), "--cases", str(tmp_path / "members.csv"), "--json"],
    )
    numbers = json.loads(as_json.output)
    assert {p["pattern"]: p["ring_recall"] for p in numbers["patterns"]}["all"] == 1.0
    assert numbers["hard_negatives"]["family"]["reached"] == 0


def test_missing_truth_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "members.csv").write_text("case_id,rank,score,pattern,role,member_kind,member_id\n")
    result = CliRunner().invoke(
        cli,
        [
            "evaluate",
            "--truth",
            str(tmp_path),
            "--cases",
            str(tmp_path / "members.csv"),
            "--clear-ids",
        ],
    )
    assert result.exit_code == 1
    assert "rings.csv" in result.output and "Traceback" not in result.output
