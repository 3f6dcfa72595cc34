"""Randomised cities: a scenario drawn per city, two recipes per pattern, the legitimate
crowds, column/table ablations, and a truth that matches what the files hold."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from graphscan.cli.main import cli
from graphscan.examples.city import generate_city
from graphscan.examples.city.scenario import (
    ABLATIONS,
    CARD_MODES,
    NEW_CROWDS,
    OPERATOR_MODES,
    OPTIONAL_COLUMNS,
    OPTIONAL_TABLES,
    RECIPES,
    Scenario,
)

PERSONS = 2500
#: scenario seeds whose cities the tests share (small: each takes about a second)
DRAWS = (1, 2, 3, 4)


def _read(city: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(city / f"{name}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def cities(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    root = tmp_path_factory.mktemp("drawn")
    out = {}
    for draw in DRAWS:
        out[draw] = root / f"d{draw}"
        generate_city(out[draw], PERSONS, draw, "hard", "csv", scenario=Scenario.draw(draw))
    return out


def test_same_scenario_seed_same_bytes(tmp_path: Path) -> None:
    runner = CliRunner()
    for name, draw in (("a", "5"), ("b", "5"), ("c", "6")):
        args = ["generate", "--persons", "1500", "--seed", "2", "--scenario-seed", draw]
        result = runner.invoke(cli, [*args, "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert "scenario.json" in files
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "scenario.json").read_bytes() != (
        tmp_path / "c" / "scenario.json"
    ).read_bytes()


def test_scenario_json_regenerates_the_city(cities: dict[int, Path], tmp_path: Path) -> None:
    record = json.loads((cities[2] / "scenario.json").read_text(encoding="utf-8"))
    assert record["persons"] == PERSONS and record["seed"] == 2
    scenario = Scenario.read(cities[2] / "scenario.json")
    assert scenario == Scenario.draw(2)
    generate_city(tmp_path, PERSONS, 2, "hard", "csv", scenario=scenario)
    for path in cities[2].iterdir():
        assert path.read_bytes() == (tmp_path / path.name).read_bytes(), path.name


def test_draws_stay_in_their_ranges() -> None:
    draws = [
        Scenario.draw(seed, difficulty) for seed in range(60) for difficulty in ("easy", "hard")
    ]
    for s in draws:
        low, high = s.broker_cards
        assert 10 <= low < high <= 61
        assert 1 <= s.broker_pharmacies[0] < s.broker_pharmacies[1] <= 4
        assert 0.05 <= s.broker_share[0] < s.broker_share[1] <= 0.15
        assert 1 <= s.kickback_doctors[0] < s.kickback_doctors[1] <= 4
        assert all(0.3 <= v <= 0.7 for v in s.second_recipe.values())
        assert set(s.second_recipe) == set(RECIPES)
        assert s.card_ids in CARD_MODES and s.operator_on in OPERATOR_MODES
        assert set(s.tables) <= set(OPTIONAL_TABLES)
        assert 0.4 <= s.doctor_on_pharmacy <= 1.0
        assert 0.8 <= s.pharmacy_sigma <= 1.6
        assert (s.id_card_share > 0) == (s.card_ids == "distinct_or_id")
    # the draws are wide: every mode and table choice occurs
    assert {s.card_ids for s in draws} == set(CARD_MODES)
    assert {s.operator_on for s in draws} == set(OPERATOR_MODES)
    assert {s.diagnosis_on_pharmacy for s in draws} == {True, False}
    assert {len(s.tables) for s in draws} >= {2, 3, 4}
    hard = [s for s in draws if s.difficulty == "hard"]
    easy = [s for s in draws if s.difficulty == "easy"]
    assert sum(s.hub for s in hard) > sum(s.hub for s in easy)
    assert sum(s.stack_cards[0] for s in hard) < sum(s.stack_cards[0] for s in easy)


def test_files_follow_the_scenario(cities: dict[int, Path]) -> None:
    for draw, city in cities.items():
        s = Scenario.draw(draw)
        for table in OPTIONAL_TABLES:
            assert (city / f"{table}.csv").exists() == (table in s.tables), (draw, table)
        claims = _read(city, "claims")
        pharmacy = claims["kind"] == "pharmacy"
        if s.operator_on == "pharmacy":
            assert (claims.loc[~pharmacy, "operator_id"] == "").all()
        assert (claims.loc[pharmacy, "operator_id"] != "").all()
        if not s.diagnosis_on_pharmacy:
            assert (claims.loc[pharmacy, "diagnosis_code"] == "").all()
        same = claims["card_id"] == claims["person_id"]
        empty = claims["card_id"] == ""
        if s.card_ids == "equal":
            assert same.all()
        elif s.card_ids == "distinct":
            assert not (same | empty).any()
        else:
            assert empty.any() and not empty[pharmacy].any() and not same.any()


def _ring_claims(city: Path) -> pd.DataFrame:
    claims, fraud, rings = _read(city, "claims"), _read(city, "fraud_claims"), _read(city, "rings")
    recipes = rings[["ring_id", "pattern", "recipe"]].drop_duplicates()
    return claims.merge(fraud, on="claim_id").merge(recipes, on="ring_id")


def test_every_recipe_and_crowd_is_planted(cities: dict[int, Path]) -> None:
    recipes, crowds = set(), set()
    for city in cities.values():
        rings = _read(city, "rings")
        recipes |= set(zip(rings["pattern"], rings["recipe"], strict=True))
        crowds |= set(_read(city, "hard_negatives")["kind"])
    assert recipes == {(p, r) for p, rs in RECIPES.items() for r in rs}
    assert set(NEW_CROWDS) <= crowds
    assert {"family", "screening_day", "checkup", "busy_pharmacy", "chronic_refill"} <= crowds


def test_truth_is_consistent_with_the_claims(cities: dict[int, Path]) -> None:
    for draw, city in cities.items():
        claims = _read(city, "claims")
        rings, negatives = _read(city, "rings"), _read(city, "hard_negatives")
        fraud = _read(city, "fraud_claims")
        assert set(fraud["claim_id"]) <= set(claims["claim_id"])
        assert set(fraud["ring_id"]) == set(rings["ring_id"])
        people = pd.concat(
            [
                rings.loc[rings["member_kind"] == "person", "member_id"],
                negatives.loc[negatives["member_kind"] == "person", "member_id"],
            ]
        )
        assert people.is_unique, draw  # no person in two groups, rings and crowds apart
        ring_members = set(zip(rings["member_kind"], rings["member_id"], strict=True))
        crowd_members = set(zip(negatives["member_kind"], negatives["member_id"], strict=True))
        assert not ring_members & crowd_members, draw
        cards = claims["card_id"].where(claims["card_id"] != "", claims["person_id"])
        seen = {
            "person": set(claims["person_id"]),
            "card": set(cards),
            "doctor": set(claims["doctor_id"]) - {""},
            "operator": set(claims["operator_id"]) - {""},
            "institution": set(claims["provider_id"]),
            "pharmacy": set(claims["provider_id"]),
        }
        for frame in (rings, negatives):
            for kind, ids in frame.groupby("member_kind")["member_id"]:
                assert set(ids) <= seen[kind], (draw, kind)
        tagged = _ring_claims(city)
        for ring_id, ring in rings.groupby("ring_id"):
            persons = set(ring.loc[ring["member_kind"] == "person", "member_id"])
            assert set(tagged.loc[tagged["ring_id"] == ring_id, "person_id"]) <= persons


def test_recipes_leave_their_signatures(cities: dict[int, Path]) -> None:
    tagged = pd.concat(
        [
            _ring_claims(c).assign(ring_id=lambda f, d=d: f"{d}-" + f["ring_id"])
            for d, c in cities.items()
        ]
    )
    broker = tagged[tagged["recipe"] == "broker"]
    per_card = broker.groupby(["ring_id", "person_id"]).size()
    assert per_card.median() <= 2  # members seen once or twice
    steering = tagged[(tagged["recipe"] == "steering") & (tagged["kind"] == "pharmacy")]
    assert len(steering) and (steering["doctor_id"] == "").all()
    prescription = tagged[(tagged["recipe"] == "prescription") & (tagged["kind"] == "pharmacy")]
    assert (prescription["total_amount"].astype(float) > 1000).mean() > 0.9
    far = tagged[tagged["recipe"] == "far_cards"]
    assert (far["kind"] == "inpatient").all()
    cashiers = far[far["operator_id"] != ""].groupby("ring_id")["operator_id"].nunique()
    assert (cashiers > 1).any()  # not one cashier
    for recipe in ("waves", "unindicated"):
        stays = tagged[tagged["recipe"] == recipe]
        assert (stays["kind"] == "inpatient").all()
        assert (stays.groupby("ring_id")["provider_id"].nunique() == 1).all()


def test_crowds_look_like_their_fraud_twins(cities: dict[int, Path]) -> None:
    campaigns = 0
    for city in cities.values():
        claims, negatives = _read(city, "claims"), _read(city, "hard_negatives")
        for _, group in negatives[negatives["kind"] == "cataract_campaign"].groupby("group_id"):
            persons = set(group.loc[group["member_kind"] == "person", "member_id"])
            place = group.loc[group["member_kind"] == "institution", "member_id"].iloc[0]
            stays = claims[
                claims["person_id"].isin(persons)
                & (claims["provider_id"] == place)
                & (claims["diagnosis_code"] == "H25.9")
            ]
            assert len(persons) >= 10
            assert stays.groupby("person_id").size().max() <= 2  # once, or once per eye
            campaigns += 1
    assert campaigns


@pytest.mark.parametrize("what", ABLATIONS)
def test_every_ablation_leaves_a_loadable_city(what: str, tmp_path: Path) -> None:
    from graphscan.loaders.pipeline import Options, load_files
    from graphscan.pseudonym import Pseudonymiser
    from graphscan.store import open_store
    from graphscan.workspace import Workspace

    city = tmp_path / "city"
    args = ["--persons", "1000", "--seed", "3", "--scenario-seed", "3", "--drop", what]
    result = CliRunner().invoke(cli, ["generate", *args, "--out", str(city)])
    assert result.exit_code == 0, result.output
    assert what in json.loads((city / "scenario.json").read_text())["scenario"]["drop"]
    header = (city / "claims.csv").read_text(encoding="utf-8").splitlines()[0]
    if what in OPTIONAL_COLUMNS:
        assert f'"{what}"' not in header and '"claim_id"' in header
    else:
        assert not (city / f"{what}.csv").exists()
    rings = _read(city, "rings")
    if what in ("operator_id", "doctor_id"):
        assert what.split("_")[0] not in set(rings["member_kind"])
    ws = Workspace.open(tmp_path / "ws")
    paths = sorted(p for p in city.glob("*.csv") if p.stem in {"claims", *OPTIONAL_TABLES})
    keys = Pseudonymiser(b"ablation test key", tmp_path / "vault")
    report = load_files(paths, open_store(None, ws), ws, keys, Options())
    loaded = ws.db().execute("SELECT count(*) FROM claims").fetchone()[0]
    assert loaded == len(_read(city, "claims")), report
    ws.close()


def test_real_extract_of_a_city_without_some_columns_and_tables(tmp_path: Path) -> None:
    args = ["--persons", "1000", "--seed", "4", "--scenario-seed", "4", "--real-extract"]
    drops = ["--drop", "persons", "--drop", "doctor_id"]
    result = CliRunner().invoke(cli, ["generate", *args, *drops, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    extract = tmp_path / "extract"
    assert (extract / "门诊购药结算_2025.csv").exists() and (extract / "住院结算.xlsx").exists()
    assert not (extract / "参保人员信息.csv").exists()


def test_a_rings_waves_are_separate_admissions() -> None:
    """Waves of one ring are pushed apart beyond the stay and the readmission week (the
    same people admitted again during their own stay would be one episode), without a
    new random draw, forward and, near the year's end, back."""
    from graphscan.examples.city.fraud import _apart

    assert _apart(np.array([30, 33, 200]), 25, 335).tolist() == [30, 55, 200]
    assert _apart(np.array([300, 310, 330]), 25, 335).tolist() == [285, 310, 335]


def test_a_city_whose_rings_take_every_doctor_of_a_crowds_site_is_generated(
    tmp_path: Path,
) -> None:
    """Draw 716's rings take every doctor of a site a chronic panel and a screening day
    picked: the panel is skipped, the screening day records no doctor."""
    generate_city(tmp_path, 4000, 716, "hard", "parquet", scenario=Scenario.draw(716))
    assert (tmp_path / "claims.parquet").exists()


def test_rings_of_one_pattern_never_share_a_provider(tmp_path: Path) -> None:
    """Two rings of one pattern at one desk are one group in the data: a city short of
    providers (draw 2240 at 20,000 persons plants 18 rings at its 14 hospitals) puts a
    ring beside another pattern's, never beside its own."""
    generate_city(tmp_path, 20_000, 2240, "hard", "parquet", scenario=Scenario.draw(2240))
    rings = _read(tmp_path, "rings")
    places = rings[rings["member_kind"].isin(["institution", "pharmacy"])]
    shared = places.groupby(["pattern", "member_id"])["ring_id"].nunique()
    assert (shared == 1).all(), shared[shared > 1]
    assert places.groupby("member_id")["ring_id"].nunique().max() > 1  # the city is short


def test_a_taken_provider_is_chosen_away_from_its_own_pattern() -> None:
    from types import SimpleNamespace

    from graphscan.examples.city.fraud import pick_provider

    world = SimpleNamespace(provider_tier=np.zeros(3, int), provider_weight=np.ones(3))
    rng = np.random.default_rng(0)
    picks = {pick_provider(world, (0,), True, rng, {0, 1, 2}, shun={0, 1}) for _ in range(20)}
    assert picks == {2}
    everywhere = {
        pick_provider(world, (0,), True, rng, {0, 1, 2}, shun={0, 1, 2}) for _ in range(30)
    }
    assert everywhere == {0, 1, 2}  # all held by the pattern: any, as before
