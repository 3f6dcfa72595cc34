"""The synthetic city: determinism, canonical tables, and well-formed ground truth."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from graphscan.cli.main import cli
from graphscan.examples.city import generate_city
from graphscan.rings import MEMBER_KINDS, PATTERNS
from graphscan.schema import TABLES

TABLE_FILES = ("claims", "claim_items", "persons", "providers", "doctors")
TRUTH_FILES = ("rings.csv", "fraud_claims.csv", "hard_negatives.csv")
NEGATIVE_KINDS = ("family", "screening_day", "checkup", "busy_pharmacy", "chronic_refill")
TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city")
    generate_city(out, 3000, 7, "easy", "csv")
    return out


def _cents(amounts: pd.Series) -> pd.Series:
    """Exact integer cents of amounts written with two decimals."""
    return amounts.str.replace(".", "", regex=False).astype("int64")


def _read(city: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(city / f"{name}.csv", dtype=str, keep_default_na=False)


def test_same_seed_same_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    runner = CliRunner()
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        args = ["generate", "--persons", "2000", "--seed", seed, "--out", str(tmp_path / name)]
        result = runner.invoke(cli, [*args, "--difficulty", "hard"])
        assert result.exit_code == 0, result.output
        assert "claims/s" in result.output
    for name in [f"{t}.csv" for t in TABLE_FILES] + list(TRUTH_FILES):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "claims.csv").read_bytes() != (
        tmp_path / "c" / "claims.csv"
    ).read_bytes()


def test_tables_have_exact_canonical_columns(city: Path) -> None:
    for name in TABLE_FILES:
        assert list(_read(city, name).columns) == TABLES[name].names


def test_claims_are_well_formed(city: Path) -> None:
    claims = _read(city, "claims")
    assert len(claims) > 3000 * 10
    assert claims["claim_id"].is_unique
    assert set(claims["kind"]) == {"outpatient", "inpatient", "pharmacy"}
    assert claims["start_time"].str.match(TIME).all()
    inpatient = claims[claims["kind"] == "inpatient"]
    assert inpatient["end_time"].str.match(TIME).all()
    assert (inpatient["end_time"] > inpatient["start_time"]).all()
    assert (claims.loc[claims["kind"] != "inpatient", "end_time"] == "").all()
    for column in ("total_amount", "fund_amount", "account_amount", "cash_amount"):
        assert claims[column].str.match(r"^\d+\.\d{2}$").all(), column
    money = claims[["total_amount", "fund_amount", "account_amount", "cash_amount"]].apply(_cents)
    assert (money["total_amount"] == money.drop(columns="total_amount").sum(axis=1)).all()
    items = _read(city, "claim_items")
    assert not items.duplicated(["claim_id", "item_code"]).any()
    assert set(items["item_kind"]) <= {"drug", "service", "material", "other"}
    item_total = items.assign(amount=_cents(items["amount"])).groupby("claim_id")["amount"].sum()
    assert (
        item_total.reindex(claims["claim_id"]).to_numpy() == money["total_amount"].to_numpy()
    ).all()


def test_identifiers_look_real_and_resolve(city: Path) -> None:
    claims, persons = _read(city, "claims"), _read(city, "persons")
    ids = persons["person_id"]
    assert ids.is_unique and ids.str.len().eq(18).all()
    for pid in ids.head(200):
        check = "10X98765432"[
            sum(int(d) * w for d, w in zip(pid[:17], ID_WEIGHTS, strict=True)) % 11
        ]
        assert pid[17] == check
    assert set(claims["person_id"]) <= set(ids)
    cards = claims.drop_duplicates("person_id").set_index("person_id")["card_id"]
    assert cards.is_unique and not (cards.index == cards.to_numpy()).any()
    providers, doctors = _read(city, "providers"), _read(city, "doctors")
    assert set(claims["provider_id"]) <= set(providers["provider_id"])
    assert set(claims["doctor_id"]) - {""} <= set(doctors["doctor_id"])
    pharmacies = set(providers.loc[providers["kind"] == "pharmacy", "provider_id"])
    assert all(p.startswith("P") for p in pharmacies)
    assert claims.loc[claims["kind"] == "pharmacy", "provider_id"].isin(pharmacies).all()
    assert claims["operator_id"].str.startswith("O").all()
    dead = persons[persons["death_date"] != ""].set_index("person_id")["death_date"]
    fraud = set(_read(city, "fraud_claims")["claim_id"])
    after = claims[claims["person_id"].isin(dead.index) & ~claims["claim_id"].isin(fraud)]
    assert (after["start_time"].str[:10] <= after["person_id"].map(dead)).all()


REQUIRED = {
    "card_lending": {"pharmacy", "operator", "card", "person"},
    "kickback": {"doctor", "pharmacy", "card", "person"},
    "group_hospitalisation": {"institution", "doctor", "card", "person"},
    "identity_misuse": {"institution", "operator", "card", "person"},
}


def test_every_ring_is_present_and_well_formed(city: Path) -> None:
    rings, fraud, claims = _read(city, "rings"), _read(city, "fraud_claims"), _read(city, "claims")
    assert set(rings["pattern"]) == set(PATTERNS)
    assert set(rings["member_kind"]) <= set(MEMBER_KINDS)
    assert not rings.duplicated().any()
    assert set(fraud["claim_id"]) <= set(claims["claim_id"])
    assert set(fraud["ring_id"]) == set(rings["ring_id"])
    known = {
        "person": set(claims["person_id"]),
        "card": set(claims["card_id"]),
        "doctor": set(claims["doctor_id"]),
        "institution": set(claims["provider_id"]),
        "pharmacy": set(claims["provider_id"]),
        "operator": set(claims["operator_id"]),
    }
    for ring_id, ring in rings.groupby("ring_id"):
        pattern = ring["pattern"].iloc[0]
        assert REQUIRED[pattern] <= set(ring["member_kind"]), ring_id
        for kind, ids in ring.groupby("member_kind")["member_id"]:
            assert set(ids) <= known[kind], (ring_id, kind)
        persons = set(ring.loc[ring["member_kind"] == "person", "member_id"])
        assert 3 <= len(persons) <= 60
        ring_claims = claims[
            claims["claim_id"].isin(fraud.loc[fraud["ring_id"] == ring_id, "claim_id"])
        ]
        assert set(ring_claims["person_id"]) <= persons


def test_rings_and_hard_negatives_share_no_people(city: Path) -> None:
    rings, negatives = _read(city, "rings"), _read(city, "hard_negatives")
    people = pd.concat(
        [
            rings.loc[rings["member_kind"] == "person", ["ring_id", "member_id"]],
            negatives.loc[negatives["member_kind"] == "person", ["group_id", "member_id"]].rename(
                columns={"group_id": "ring_id"}
            ),
        ]
    )
    assert not people.duplicated("member_id").any()
    places = rings[rings["member_kind"].isin(["institution", "pharmacy", "doctor", "operator"])]
    assert not places.duplicated("member_id").any()  # rings stay apart


def test_ring_signatures(city: Path) -> None:
    rings, fraud, claims = _read(city, "rings"), _read(city, "fraud_claims"), _read(city, "claims")
    tagged = claims.merge(fraud, on="claim_id").merge(
        rings[["ring_id", "pattern"]].drop_duplicates(), on="ring_id"
    )
    lending = tagged[tagged["pattern"] == "card_lending"]
    days = lending.groupby("ring_id")["start_time"].agg(lambda s: s.str[:10].nunique())
    assert (days >= 10).all()  # the same stack of cards, again and again
    assert (lending["kind"] == "pharmacy").all()
    hosp = tagged[tagged["pattern"] == "group_hospitalisation"]
    assert (hosp["kind"] == "inpatient").all()
    assert (hosp.groupby("ring_id")["provider_id"].nunique() == 1).all()
    kick = tagged[(tagged["pattern"] == "kickback") & (tagged["kind"] == "pharmacy")]
    assert (kick["total_amount"].astype(float) > 1000).mean() > 0.9
    assert (kick["doctor_id"] != "").all()


def test_every_hard_negative_kind_is_present(city: Path) -> None:
    negatives = _read(city, "hard_negatives")
    persons = _read(city, "persons").set_index("person_id")
    assert set(negatives["kind"]) == set(NEGATIVE_KINDS)
    sizes = negatives.groupby("group_id").size()
    assert (sizes >= 4).all()
    for _, group in negatives[negatives["kind"] == "family"].groupby("group_id"):
        members = group.loc[group["member_kind"] == "person", "member_id"]
        assert persons.loc[members, "address_key"].nunique() == 1


def test_parquet_matches_csv(tmp_path: Path) -> None:
    generate_city(tmp_path / "csv", 1500, 5, "hard", "csv")
    generate_city(tmp_path / "pq", 1500, 5, "hard", "parquet")
    generate_city(tmp_path / "pq2", 1500, 5, "hard", "parquet")
    for path in (tmp_path / "pq").iterdir():
        assert path.read_bytes() == (tmp_path / "pq2" / path.name).read_bytes(), path.name
    for name in TABLE_FILES:
        from_csv = pd.read_csv(tmp_path / "csv" / f"{name}.csv", dtype=str, keep_default_na=False)
        from_pq = pd.read_parquet(tmp_path / "pq" / f"{name}.parquet")
        assert list(from_pq.columns) == list(from_csv.columns)
        assert len(from_pq) == len(from_csv)
    assert (tmp_path / "pq" / "rings.csv").read_bytes() == (
        tmp_path / "csv" / "rings.csv"
    ).read_bytes()


def test_hard_rings_are_smaller_than_easy(tmp_path: Path) -> None:
    sizes = {}
    for difficulty in ("easy", "hard"):
        generate_city(tmp_path / difficulty, 6000, 2, difficulty, "csv")
        rings = pd.read_csv(tmp_path / difficulty / "rings.csv", dtype=str)
        sizes[difficulty] = rings.groupby("ring_id").size().mean()
    assert sizes["hard"] < sizes["easy"]


def test_too_small_a_city_is_one_clear_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["generate", "--persons", "10", "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
