"""Each detector finds its hand-built ring and leaves the hand-built hard negatives
alone; scans are deterministic; explanations say what the claims say."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path

import handmade_city as city
import numpy as np
import pandas as pd
import pytest
from embedded_store import embedded_store
from handmade_city import City
from scipy import stats

from graphscan.detect import Detector, detectors, rank, scan
from graphscan.detect.base import Window
from graphscan.detect.engines.significance import (
    benjamini_hochberg,
    fisher,
    log10_benjamini_hochberg,
    log10_fisher,
    log10_poisson_tail,
    poisson_tail,
)
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
    store = embedded_store(ws)
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
        # patients, not purchases: a chronic patient's monthly refills count once
        assert int(ring.statistic) == persons
        assert f"sent {persons} patients" in ring.explanation_en
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


def test_fisher_combines_two_independent_tests() -> None:
    assert fisher(0.01, 0.2) == pytest.approx(
        stats.combine_pvalues([0.01, 0.2], method="fisher").pvalue
    )
    assert fisher(0.01, 1.0) > 0.01  # a test that says nothing costs a little
    assert fisher(1e-300, 1e-300) > 0  # floored, never zero


def test_rank_keeps_only_discoveries(ranked: list[Ring]) -> None:
    assert all(r.q_value <= 0.01 for r in ranked)
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    weak = ranked[0].__class__(**{**vars(ranked[0]), "p_value": 0.5, "surprise": np.log10(2)})
    assert rank([weak]) == []


def test_log_space_tails_go_past_the_floor() -> None:
    for k, lam in [(3, 0.5), (20, 2.0), (60, 10.0)]:
        assert log10_poisson_tail(k, lam) == pytest.approx(
            np.log10(stats.poisson.sf(k - 1, lam)), rel=1e-9
        )
    # far past 1e-300 the bound keeps ordering: more together is more certain
    assert log10_poisson_tail(400, 0.01) < log10_poisson_tail(200, 0.01) < -300
    assert log10_fisher(-2.0, np.log10(0.2)) == pytest.approx(np.log10(fisher(0.01, 0.2)))
    assert log10_benjamini_hochberg(np.log10([0.01, 0.04, 0.03])) == pytest.approx(
        np.log10(benjamini_hochberg(np.array([0.01, 0.04, 0.03])))
    )


def _ring(pattern: str, surprise: float, amount: float) -> Ring:
    start = pd.Timestamp("2025-01-01").to_pydatetime()
    return Ring(
        pattern, [], [], 1, 1, 10**-surprise, amount, 0, 0, start, start, "", "", surprise=surprise
    )


def test_one_ranking_by_certainty_whatever_the_pattern() -> None:
    """Certainty orders the combined list; money only breaks ties of equal certainty; a
    pattern with many weak candidates does not dilute another's (BH per pattern)."""
    sure = _ring("identity_misuse", 40.0, 1_000.0)
    rich = _ring("card_lending", 12.0, 9_000_000.0)
    tied_poor, tied_rich = _ring("kickback", 20.0, 10.0), _ring("kickback", 20.0, 10_000.0)
    lone = _ring("group_hospitalisation", 3.0, 100.0)
    noise = [_ring("card_lending", 0.1, 5.0) for _ in range(300)]
    ranked = rank([rich, tied_poor, lone, sure, tied_rich, *noise])
    assert ranked == [sure, tied_rich, tied_poor, rich, lone]
    assert lone.q_value == pytest.approx(1e-3)  # its own family of one, not 305


def test_unknown_pattern_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown pattern"):
        detectors(["telepathy"])


def _store(path: Path, frames: dict[str, pd.DataFrame]) -> EmbeddedStore:
    store = embedded_store(Workspace.open(path))
    for table in ("persons", "providers", "doctors", "claims", "claim_items"):
        if table in frames:
            store.upsert(table, frames[table])
    return store


def _lending_city(ring_town: str) -> dict[str, pd.DataFrame]:
    """Pharmacy P in town 330701001: 60 customers, 45 from the town, swipe now and then;
    the same operator O1 swipes a stack of 8 cards whose holders live in ``ring_town``,
    minutes apart, on 12 days."""
    rng = np.random.default_rng(3)
    start = pd.Timestamp("2025-01-01")
    made = City()
    customers = [f"B{i:02d}" for i in range(60)]
    for day in range(120):
        for person in rng.choice(customers, 4, replace=False):
            made.claim(
                "pharmacy",
                person,
                "P",
                start + pd.Timedelta(days=day, hours=9 + 8 * rng.random()),
                50.0,
                "O1",
            )
    ring = [f"L{i}" for i in range(8)]
    for day in rng.choice(120, 12, replace=False):
        for k, person in enumerate(ring):
            when = start + pd.Timedelta(days=int(day), hours=20, minutes=3 * k)
            made.claim("pharmacy", person, "P", when, 280.0, "O1")
    town = {p: "330701001" if i < 45 else "330702001" for i, p in enumerate(customers)}
    town |= dict.fromkeys(ring, ring_town)
    persons = pd.DataFrame(
        {
            "person_id": list(town),
            "region_code": [t + "001" for t in town.values()],
            "address_key": [f"addr-{p}" for p in town],
        }
    )
    providers = pd.DataFrame(
        {"provider_id": ["P"], "kind": ["pharmacy"], "region_code": ["330701001000"]}
    )
    return {"claims": pd.DataFrame(made.rows), "persons": persons, "providers": providers}


def test_cards_far_from_their_holders_raise_a_lending_ring(tmp_path: Path) -> None:
    """The same stack of cards is more suspect when its holders live in another town than
    the pharmacy's other customers do; the explanation counts the far cards."""
    far_store = _store(tmp_path / "far", _lending_city("330703001"))
    near_store = _store(tmp_path / "near", _lending_city("330701001"))
    lending = detectors(["card_lending"])[0]
    far, near = lending.find(far_store, Window()), lending.find(near_store, Window())
    assert len(far) == len(near) == 1
    assert far[0].statistic == near[0].statistic and far[0].expected == near[0].expected
    assert far[0].p_value < near[0].p_value
    assert "8 of 8 cards were swiped outside" in far[0].explanation_en
    assert "0 of 8 cards were swiped outside" in near[0].explanation_en
    assert "8/8 张卡" in far[0].explanation_zh
    # expected far cards: 8 x the pharmacy's other customers' far share (15 of 60, add-one)
    assert f"other customers: {8 * 16 / 62:.1f}" in far[0].explanation_en
    assert far[0].method["far_cards_p"] < 1e-4


def test_far_cards_without_an_address_use_the_holders_other_places(tmp_path: Path) -> None:
    """Holders with no known region: their cards' other claims (a pharmacy in their own
    town, another town than the ring pharmacy's) say where they usually are."""
    frames = _lending_city("330703001")
    ring = frames["persons"]["person_id"].str.startswith("L")
    frames["persons"].loc[ring, "region_code"] = None
    home = pd.Timestamp("2025-02-01")
    made = City()
    for k, person in enumerate(sorted(frames["persons"]["person_id"][ring])):
        made.claim("pharmacy", person, "H", home + pd.Timedelta(days=k), 30.0, "O9")
    home_claims = pd.DataFrame(made.rows).assign(claim_id=lambda f: "H" + f["claim_id"])
    frames["claims"] = pd.concat([frames["claims"], home_claims], ignore_index=True)
    frames["providers"] = pd.concat(
        [
            frames["providers"],
            pd.DataFrame(
                {"provider_id": ["H"], "kind": ["pharmacy"], "region_code": ["330703001000"]}
            ),
        ],
        ignore_index=True,
    )
    store = _store(tmp_path / "homeless", frames)
    rings = detectors(["card_lending"])[0].find(store, Window())
    assert len(rings) == 1
    assert "8 of 8 cards were swiped outside" in rings[0].explanation_en
    assert rings[0].method["far_cards_p"] < 1e-4


RESELLERS = 6


def _resale_city(prescribed: bool) -> dict[str, pd.DataFrame]:
    """High-value drug HV: 30 chronic patients of four colleagues at hospital H1 refill one
    box monthly at the two pharmacies by its door (C20-C29 also at Q3 now and then);
    resellers S0-S5 (sent by doctor D2 of H2 when ``prescribed``) buy a box every 4-6 days
    rotating over three pharmacies for four months."""
    rng = np.random.default_rng(5)
    start = pd.Timestamp("2025-01-01")
    made = City()
    for i in range(30):
        home, doctor = ("Q1", "Q2")[i % 2], ("D1", "D3", "D4", "D5")[i // 2 % 4]
        day = float(rng.integers(0, 20))
        while day < 240:
            where = "Q3" if i >= 20 and rng.random() < 0.3 else home
            when = start + pd.Timedelta(days=day, hours=10)
            made.claim("pharmacy", f"C{i:02d}", where, when, 3000.0, "O1", doctor)
            day += rng.uniform(27, 33)
    for i in range(RESELLERS):
        day = float(rng.integers(0, 5))
        while day < 120:
            where = ("Q2", "Q3", "Q4")[int(rng.integers(0, 3))]
            when = start + pd.Timedelta(days=day, hours=15)
            made.claim("pharmacy", f"S{i}", where, when, 3000.0, "O2", "D2" if prescribed else None)
            day += rng.uniform(4, 6)
    claims = pd.DataFrame(made.rows)
    items = pd.DataFrame(
        {
            "claim_id": claims["claim_id"],
            "item_code": "HV",
            "item_kind": "drug",
            "quantity": 1.0,
            "unit_price": 3000.0,
            "amount": 3000.0,
        }
    )
    doctors = pd.DataFrame(
        {"doctor_id": ["D1", "D2", "D3", "D4", "D5"], "provider_id": ["H1", "H2", "H1", "H1", "H1"]}
    )
    return {"claims": claims, "claim_items": items, "doctors": doctors}


def test_resale_beyond_need_across_outlets(tmp_path: Path) -> None:
    """Resellers buying months of a drug in weeks across pharmacies form one ring; the
    chronic patients refilling monthly, even those using two pharmacies, stay clean."""
    store = _store(tmp_path / "resale", _resale_city(prescribed=False))
    rings = scan(store, patterns=["kickback"])
    assert len(rings) == 1
    ring = rings[0]
    assert ring.method["signal"] == "resale"
    assert ring.member_ids("person") == {f"S{i}" for i in range(RESELLERS)}
    assert ring.member_ids("pharmacy") == {"Q2", "Q3", "Q4"}
    claims = store.claims(ring.claim_ids)
    assert set(claims["person_id"]) == ring.member_ids("person")
    # observed: boxes bought before each reseller's last purchase (one box each time)
    assert ring.statistic == len(claims) - RESELLERS
    assert f"bought about {len(claims) - RESELLERS} typical purchases" in ring.explanation_en
    assert ring.statistic > 3 * ring.expected


def test_resale_confirms_the_prescribing_doctors_ring(tmp_path: Path) -> None:
    """When the resellers' prescriptions come from one doctor, the over-need purchases
    confirm that doctor's flow ring instead of making a second case of the same people."""
    store = _store(tmp_path / "resale", _resale_city(prescribed=True))
    rings = scan(store, patterns=["kickback"])
    assert len(rings) == 1
    ring = rings[0]
    assert ring.member_ids("doctor") == {"D2"}
    assert ring.member_ids("person") == {f"S{i}" for i in range(RESELLERS)}
    assert f"{RESELLERS} of the patients also bought the drugs far beyond need" in (
        ring.explanation_en
    )
    assert ring.method["resale"]["observed"] > 3 * ring.method["resale"]["expected"]


def _roaming_city() -> dict[str, pd.DataFrame]:
    """Four pharmacies in four towns, each with its own operator and 30 local customers. A
    broker carries a bag of 8 cards (holders from town 330701001) to them: 8 trips, each
    pharmacy twice, too rarely for the per-counter search. A family from another town
    shops together on its trips to two of the pharmacies (the hard negative)."""
    rng = np.random.default_rng(11)
    start = pd.Timestamp("2025-01-01")
    made = City()
    town = {}
    for n in range(1, 5):
        locals_ = [f"B{n}{i:02d}" for i in range(30)]
        town |= dict.fromkeys(locals_, f"33070200{n}")
        for day in range(120):
            for person in rng.choice(locals_, 3, replace=False):
                when = start + pd.Timedelta(days=day, hours=9 + 8 * rng.random())
                made.claim("pharmacy", person, f"P{n}", when, 60.0, f"O{n}")
    bag = [f"L{i}" for i in range(8)]
    town |= dict.fromkeys(bag, "330701001")
    for trip, day in enumerate(sorted(rng.choice(120, 8, replace=False))):
        n = trip % 4 + 1
        for k, person in enumerate(sorted(rng.choice(bag, 7, replace=False))):
            when = start + pd.Timedelta(days=int(day), hours=20, minutes=3 * k)
            made.claim("pharmacy", person, f"P{n}", when, 280.0, f"O{n}")
    family = ["F0", "F1", "F2"]
    town |= dict.fromkeys(family, "330701002")
    for trip, day in enumerate(sorted(rng.choice(120, 8, replace=False))):
        for k, person in enumerate(family):
            when = start + pd.Timedelta(days=int(day), hours=11, minutes=k)
            made.claim("pharmacy", person, f"P{trip % 2 + 1}", when, 90.0, f"O{trip % 2 + 1}")
    persons = pd.DataFrame(
        {
            "person_id": list(town),
            "region_code": [t + "001" for t in town.values()],
            "address_key": ["addr-family" if p in family else f"addr-{p}" for p in town],
        }
    )
    providers = pd.DataFrame(
        {
            "provider_id": [f"P{n}" for n in range(1, 5)],
            "kind": "pharmacy",
            "region_code": [f"33070200{n}000" for n in range(1, 5)],
        }
    )
    return {"claims": pd.DataFrame(made.rows), "persons": persons, "providers": providers}


def test_a_bag_of_cards_moving_across_pharmacies(tmp_path: Path) -> None:
    """The bag is one ring across all four pharmacies and operators although no counter
    saw it often enough for the repeat test: each counter sees its cards as strangers
    swiped together, and the sessions sharing them are one crowd (all from one village,
    but the same cards come back: a bag, not an outing); the family travelling together
    is not a ring."""
    store = _store(tmp_path / "roaming", _roaming_city())
    rings = scan(store, patterns=["card_lending"])
    assert len(rings) == 1
    ring = rings[0]
    assert ring.member_ids("person") == {f"L{i}" for i in range(8)}
    assert ring.member_ids("pharmacy") == {"P1", "P2", "P3", "P4"}
    assert ring.member_ids("operator") == {"O1", "O2", "O3", "O4"}
    assert "The same cards moved together across 4 pharmacies." in ring.explanation_en
    assert "8 of 8 cards were swiped outside" in ring.explanation_en
    claims = store.claims(ring.claim_ids)
    assert claims["start_time"].dt.hour.eq(20).all()
    assert f"in {claims['start_time'].dt.date.nunique()} bursts" in ring.explanation_en


def test_one_registry_drives_patterns_cli_and_docs() -> None:
    from click import Choice

    from graphscan.cli.scan import scan as scan_command
    from graphscan.detect import detector_class, pattern_table
    from graphscan.rings import PATTERNS, REGISTRY

    assert tuple(p.name for p in REGISTRY) == PATTERNS
    option = next(p for p in scan_command.params if p.name == "patterns")
    assert isinstance(option.type, Choice) and tuple(option.type.choices) == PATTERNS
    docs = (Path(__file__).parents[1] / "docs" / "detection.md").read_text(encoding="utf-8")
    assert pattern_table() in docs
    for name in PATTERNS:
        assert detector_class(name).pattern == name


@pytest.mark.parametrize("detector", detectors(), ids=lambda d: d.pattern)
def test_parameters_are_the_fields_and_documented(detector: Detector) -> None:
    params = detector.get_params()
    assert params == {f.name: getattr(detector, f.name) for f in fields(detector)}
    doc = type(detector).__doc__ or ""
    assert doc.startswith("Parameters:")
    for name in params:
        assert re.search(rf"^\s+{name}: ", doc, re.M), f"{name} is not documented"
    with pytest.raises(TypeError):
        type(detector)(pattern="other")  # type: ignore[call-arg]


def test_decide_needs_no_store(store: EmbeddedStore, ranked: list[Ring]) -> None:
    """What ``read`` returns is all ``decide`` needs: the same candidates from frames held
    in memory, with follow-up reads answered from the frames themselves."""
    from graphscan.detect.base import Frames

    lending = detectors(["card_lending"])[0]
    read = lending.read(store, Window())
    pharmacies = sorted(set(read["card_bursts"]["provider_id"]))
    away = store.projection(
        "card_away", **Window().params(), pharmacies=pharmacies, region_digits=9
    )
    frames = Frames({**read.tables, "card_away": away}, coverage=read.coverage, lost=read.lost)
    found = lending.decide(frames)
    assert found and {m.id for m in found[0].members} == {
        m.id for m in next(r for r in ranked if r.pattern == "card_lending").members
    }


def test_method_records_parameters_features_and_lost_signals(ranked: list[Ring]) -> None:
    for ring in ranked:
        detector = detectors([ring.pattern])[0]
        assert ring.method["detector"] == ring.pattern
        assert detector.get_params().items() <= ring.method.items()
        assert isinstance(ring.method["lost_signals"], list)


def test_pairs_are_counted_one_venue_at_a_time(store: EmbeddedStore) -> None:
    """The per-venue sparse product counts exactly the bursts each pair of repeat cards
    shared (brute force over the bursts), never pairing cards of different venues."""
    from itertools import combinations

    from graphscan.detect.engines.cooccurrence import venue_pairs

    lending = detectors(["card_lending"])[0]
    swipes = lending.read(store, Window())["card_bursts"]
    members = pd.DataFrame(
        {
            "venue": swipes["provider_id"] + "/" + swipes["operator_id"],
            "context": swipes["burst"].astype(str),
            "entity": swipes["card_id"],
            "n_entity": swipes["card_bursts"],
        }
    )
    counted = venue_pairs(members, min_together=2)
    got = {(v, a, b): n for v, a, b, n in counted.itertuples(index=False)}
    want: dict[tuple[str, str, str], int] = {}
    repeat = members[members["n_entity"] >= 2]
    for (venue, _), burst in repeat.groupby(["venue", "context"]):
        for a, b in combinations(sorted(set(burst["entity"])), 2):
            want[(venue, a, b)] = want.get((venue, a, b), 0) + 1
    assert got == {k: n for k, n in want.items() if n >= 2}
    assert got


def test_rush_hour_cap_leaves_a_normal_city_unchanged(store: EmbeddedStore) -> None:
    """Bursts above max_burst_cards are never searched (what bounds memory at busy
    counters); on a city without such crowds the rings are the same as with no cap."""
    from graphscan.detect.card_lending import CardLending

    capped = CardLending().find(store, Window())
    uncapped = CardLending(max_burst_cards=10**6).find(store, Window())
    assert [(r.members, r.claim_ids, r.p_value) for r in capped] == [
        (r.members, r.claim_ids, r.p_value) for r in uncapped
    ]
    assert capped


def test_sessions_sharing_collected_cards_are_one_crowd() -> None:
    """A broker's two sessions at one counter: each holds five strangers (cards seen
    there once or twice), too few alone against the counter's share of strangers; two of
    the cards were swiped in both sessions, so the sessions are one crowd, tested
    together, and found. A third session of strangers sharing no card stays alone and
    is not reported."""
    from graphscan.detect.engines.cooccurrence import stranger_crowds

    sessions = {
        "a": ["S0", "S1", "S2", "S3", "S4"],
        "b": ["S0", "S1", "S5", "S6", "S7"],
        "c": ["T0", "T1", "T2", "T3", "T4"],
    }
    rows = [
        (context, card, 2 if card in ("S0", "S1") else 1)
        for context, cards in sessions.items()
        for card in [*cards, "REGULAR"]
    ]
    members = pd.DataFrame(
        {
            "venue": 0,
            "site": "P1",
            "context": [c for c, _, _ in rows],
            "size": 6,
            "entity": [e for _, e, _ in rows],
            "n_entity": [50 if e == "REGULAR" else n for _, e, n in rows],
            "claim_id": [f"{c}-{e}" for c, e, _ in rows],
        }
    )
    # a quarter of the counter's 4,000 swipes are strangers; no crowded bursts elsewhere
    counts = pd.DataFrame(
        {"strangers": [1000.0], "slots": [4000.0], "crowded_strangers": [0.0],
         "crowded_slots": [0.0]}
    )  # fmt: skip
    alone = stats.binom.logsf(4, 6, 0.25) / np.log(10) + np.log10(3)
    assert alone > np.log10(0.01)  # no session is a crowd on its own
    crowds = stranger_crowds(
        members, counts, max_visits=2, min_strangers=5, max_p=0.01, weight=20.0
    )
    assert len(crowds) == 1 and len(crowds[0]) == 1
    crowd = crowds[0][0]
    assert crowd.contexts == ["a", "b"]
    assert crowd.entities == [f"S{i}" for i in range(8)]
    assert (crowd.observed, crowd.expected) == (10, pytest.approx(3.0, rel=0.01))
