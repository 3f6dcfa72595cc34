"""Identity misuse on small hand-built cities: overlapping stays are one person's whatever
card or ID card each was settled with, and borrowed cards settled by whichever cashier is
on duty are one ring of the institution."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from embedded_store import embedded_store

from graphscan.detect import scan
from graphscan.store import embedded
from graphscan.store.embedded import EmbeddedStore
from graphscan.workspace import Workspace

START = pd.Timestamp("2025-01-01")


def _claim(
    rows: list[dict[str, object]],
    person: str,
    provider: str,
    day: int,
    stay: int,
    card: str | None,
    operator: str | None = None,
    kind: str = "inpatient",
) -> None:
    when = START + pd.Timedelta(days=day, hours=9)
    rows.append(
        {
            "claim_id": f"C{len(rows):05d}",
            "kind": kind,
            "person_id": person,
            "card_id": card,
            "provider_id": provider,
            "operator_id": operator,
            "start_time": when,
            "end_time": when + pd.Timedelta(days=stay) if kind == "inpatient" else None,
            "diagnosis_code": "K80.2" if kind == "inpatient" else "J06",
            "total_amount": 3000.0,
            "fund_amount": 2100.0,
            "account_amount": 0.0,
            "cash_amount": 900.0,
        }
    )


def _store(path: Path, tables: dict[str, pd.DataFrame]) -> EmbeddedStore:
    store = embedded_store(Workspace.open(path))
    for table in ("persons", "providers", "claims"):
        if table in tables:
            store.upsert(table, tables[table])
    return store


def _shops_at_home(rows: list[dict[str, object]], person: str, offset: int) -> None:
    """A holder from another county: a purchase at Q, in their own county, every month."""
    for day in range(0, 365, 30):
        _claim(rows, person, "Q", day + offset, 0, None, kind="pharmacy")


def test_an_overlap_is_one_person_whatever_card_each_stay_used(tmp_path: Path) -> None:
    """X lies in hospital A on a card number while a stay at B starts on X's ID card (no
    card number): nobody lies in two hospitals at once, whichever credential each used."""
    rows: list[dict[str, object]] = []
    _claim(rows, "X", "A", 10, 8, "card-77")
    _claim(rows, "X", "B", 13, 6, None)
    store = _store(tmp_path / "ws", {"claims": pd.DataFrame(rows)})
    flagged = store.projection("card_conflicts", since=None, until=None, region_digits=6)
    assert flagged[["card_id", "provider_id", "reason"]].to_numpy().tolist() == [
        ["X", "B", "overlap"]
    ]


def test_dead_holders_cards_spread_over_the_cashiers_are_one_ring(tmp_path: Path) -> None:
    """Ten dead holders' cards are settled at hospital H after their deaths by whichever
    of four cashiers is on duty (three, three, two and two each: no more than a scattered
    flag or two per cashier): H's desks together are one ring, named by H and the ten
    cards, no cashier. Scattered data errors elsewhere (a dead holder at each of two
    big hospitals) are not."""
    rows: list[dict[str, object]] = []
    dead = [f"D{i}" for i in range(10)]
    for i, person in enumerate(dead):
        _claim(rows, person, "H", 60 + 20 * i, 5, f"card-{person}", f"O{i % 4}")
    local = [f"L{i:04d}" for i in range(1000)]
    for i, person in enumerate(local):
        if i < 100:
            _claim(rows, person, "H", i, 4, f"card-{person}", f"O{i % 4}")
        _claim(rows, person, f"G{i % 2}", i % 300, 3, f"card-{person}", f"Q{i % 2}")
    errors = ["E0", "E1"]
    for i, person in enumerate(errors):
        _claim(rows, person, f"G{i}", 200, 3, f"card-{person}", f"Q{i}")
    persons = pd.DataFrame({"person_id": dead + errors + local})
    persons["death_date"] = [START.date() + pd.Timedelta(days=10)] * 12 + [None] * 1000
    store = _store(tmp_path / "ws", {"claims": pd.DataFrame(rows), "persons": persons})
    rings = scan(store, patterns=["identity_misuse"])
    assert len(rings) == 1
    ring = rings[0]
    assert ring.member_ids("institution") == {"H"}
    assert ring.member_ids("operator") == set()
    assert ring.member_ids("person") == set(dead)
    assert ring.q_value <= 0.01


def test_overlaps_are_expected_from_the_holders_own_stays(tmp_path: Path) -> None:
    """Three cards settled at busy hospital H while their holders lie in hospital G: H
    settles most of the city's stays, so a city rate of overlaps per stay would expect
    about three of them there; but only these three of H's patients were in hospital
    anywhere else at all, a few days each, and an admission independent of its holder's
    other stays falls inside one of them almost never. One ring: H and the three cards.
    (Five thousand outpatients make the city rate of impossible cards a small one.)"""
    rows: list[dict[str, object]] = []
    for i in range(5000):
        _claim(rows, f"V{i:04d}", f"K{i % 5}", i % 365, 0, None, kind="outpatient")
    for i in range(300):
        _claim(rows, f"L{i:03d}", "H", i * 365 // 300, 5, None)
    for i in range(100):
        _claim(rows, f"M{i:03d}", "G", i * 365 // 100, 5, None)
    holders = [f"X{i}" for i in range(3)]
    for i, person in enumerate(holders):
        _claim(rows, person, "G", 40 + 90 * i, 8, None)
        _claim(rows, person, "H", 43 + 90 * i, 4, f"card-{person}")
    store = _store(tmp_path / "ws", {"claims": pd.DataFrame(rows)})
    rings = scan(store, patterns=["identity_misuse"])
    assert [r.member_ids("institution") for r in rings] == [{"H"}]
    assert rings[0].member_ids("person") == set(holders)


def test_a_card_admitted_inside_its_holders_stays_again_and_again_counts_each_time(
    tmp_path: Path,
) -> None:
    """Three holders lie in hospital G three times each, ten days a time, and each time
    their card is admitted at H inside the stay: three cards, against 0.6 overlaps the
    holders' time in G expects of H's nine admissions, is a coincidence a city has by
    chance (p 0.02, eight tests); nine admissions inside stays elsewhere, each expected
    at that rate, are not. One ring: H and the three cards."""
    rows: list[dict[str, object]] = []
    for i in range(5000):
        _claim(rows, f"V{i:04d}", f"K{i % 5}", i % 365, 0, None, kind="outpatient")
    for i in range(300):
        _claim(rows, f"L{i:03d}", "H", i * 365 // 300, 5, None)
    holders = [f"X{i}" for i in range(3)]
    for i, person in enumerate(holders):
        for visit in range(3):
            day = 20 + 110 * visit + 30 * i
            _claim(rows, person, "G", day, 10, None)
            _claim(rows, person, "H", day + 3, 4, f"card-{person}")
    store = _store(tmp_path / "ws", {"claims": pd.DataFrame(rows)})
    rings = scan(store, patterns=["identity_misuse"])
    assert [r.member_ids("institution") for r in rings] == [{"H"}]
    assert rings[0].member_ids("person") == set(holders)
    assert len(rings[0].claim_ids) == 9


def test_local_patients_trips_do_not_set_the_pace_of_far_away_holders(tmp_path: Path) -> None:
    """Five holders who live in another county (their pharmacy Q, every two months) lie
    in hospital H while their cards buy at Q once inside each stay. H's ten local
    patients shop next door (N) and travel often (T, far away), never during their stays:
    a trip is no home life going on elsewhere, so their pace of far-away claims does not
    raise what the far-away holders' stays expect. One ring: H and the five holders."""
    providers = pd.DataFrame(
        {
            "provider_id": ["H", "Q", "N", "T"],
            "kind": ["hospital", "pharmacy", "pharmacy", "pharmacy"],
            "region_code": ["330702001", "330703001", "330702001", "330801001"],
        }
    )
    rows: list[dict[str, object]] = []
    far = [f"F{i}" for i in range(5)]
    for i, person in enumerate(far):
        for day in range(0, 365, 60):
            _claim(rows, person, "Q", day + i, 0, None, kind="pharmacy")
        _claim(rows, person, "H", 200 + 10 * i, 5, None)
        _claim(rows, person, "Q", 202 + 10 * i, 0, None, kind="pharmacy")
    local = [f"L{i}" for i in range(10)]
    for i, person in enumerate(local):
        stay = 30 * i + 3
        for day in range(0, 365, 5):
            _claim(rows, person, "N", day, 0, None, kind="pharmacy")
        for day in range(1, 365, 7):
            if not stay <= day <= stay + 5:
                _claim(rows, person, "T", day, 0, None, kind="pharmacy")
        _claim(rows, person, "H", stay, 5, None)
    store = _store(tmp_path / "ws", {"claims": pd.DataFrame(rows), "providers": providers})
    rings = scan(store, patterns=["identity_misuse"])
    assert [r.member_ids("institution") for r in rings] == [{"H"}]
    assert rings[0].member_ids("person") == set(far)


def _township(rows: list[dict[str, object]], outsiders: int) -> pd.DataFrame:
    """Township hospital H (county 330704) with sixty local inpatients who shop at N next
    door, and ``outsiders`` inpatients who live in county 330702 (their pharmacy Q, their
    county hospital G); a thousand outpatients of clinic K make the city's rate of
    scattered flags. Returns the providers."""
    for i in range(1000):
        _claim(rows, f"V{i:04d}", "K", i % 365, 0, None, kind="outpatient")
    for i in range(60):
        _claim(rows, f"L{i:02d}", "N", i, 0, None, kind="pharmacy")
        _claim(rows, f"L{i:02d}", "H", 6 * i, 4, None)
    for i in range(outsiders):
        _claim(rows, f"F{i:02d}", "Q", 5 * i, 0, None, kind="pharmacy")
        _claim(rows, f"F{i:02d}", "H", 5 * i + 100, 4, None)
    return pd.DataFrame(
        {
            "provider_id": ["H", "N", "Q", "G", "K"],
            "kind": ["hospital", "pharmacy", "pharmacy", "hospital", "clinic"],
            "region_code": ["330704001", "330704001", "330702001", "330702001", "330702001"],
        }
    )


def test_cards_of_holders_from_another_county_at_a_local_hospital_are_one_ring(
    tmp_path: Path,
) -> None:
    """Hospital H serves its own county: its sixty other inpatients live there. Four
    holders from another county are admitted at H; two of them lie in their own county's
    hospital G at the time (overlaps), the other two carry no other flag (a dead holder's
    card, with no persons table to say so). Two conflicts expect little at H, and that
    both are of holders from outside H's catchment expects far less: one ring, H and the
    four holders."""
    rows: list[dict[str, object]] = []
    providers = _township(rows, 0)
    ring = [f"R{i}" for i in range(4)]
    for i, person in enumerate(ring):
        _shops_at_home(rows, person, i)
        if i < 2:
            _claim(rows, person, "G", 150 + 40 * i, 8, None)
        _claim(rows, person, "H", 153 + 40 * i, 4, f"card-{person}")
    store = _store(tmp_path / "ws", {"claims": pd.DataFrame(rows), "providers": providers})
    rings = scan(store, patterns=["identity_misuse"])
    assert [r.member_ids("institution") for r in rings] == [{"H"}]
    assert rings[0].member_ids("person") == set(ring)


def test_a_campaigns_villagers_from_another_county_are_the_hospitals_catchment(
    tmp_path: Path,
) -> None:
    """H admits twenty villagers from another county (a cataract campaign) besides its
    sixty locals; one of them lies in G at the time (a data error). A quarter of H's
    inpatients live outside its county, so a flagged holder from there is no surprise:
    no ring."""
    rows: list[dict[str, object]] = []
    providers = _township(rows, 20)
    _claim(rows, "F00", "G", 98, 8, None)
    store = _store(tmp_path / "ws", {"claims": pd.DataFrame(rows), "providers": providers})
    assert scan(store, patterns=["identity_misuse"]) == []


def _township_with_outpatients(rows: list[dict[str, object]]) -> pd.DataFrame:
    """:func:`_township` without outsiders, and two hundred outpatients of H who live in
    its county (they shop at N): H's catchment is local. Returns the providers."""
    providers = _township(rows, 0)
    for i in range(200):
        _claim(rows, f"U{i:03d}", "H", i, 0, None, kind="outpatient")
        _claim(rows, f"U{i:03d}", "N", i + 1, 0, None, kind="pharmacy")
    return providers


def test_inpatients_from_another_county_beyond_the_outpatients_catchment_are_one_ring(
    tmp_path: Path,
) -> None:
    """H's outpatients all live in its county, and so do its sixty other inpatients. Six
    holders from another county (they shop at Q there) are admitted at H over the year,
    carrying no other flag: a township hospital whose own outpatients are local expects
    hardly any inpatients from so far away. One ring, H and the six holders."""
    rows: list[dict[str, object]] = []
    providers = _township_with_outpatients(rows)
    ring = [f"R{i}" for i in range(6)]
    for i, person in enumerate(ring):
        _shops_at_home(rows, person, i)
        _claim(rows, person, "H", 20 + 55 * i, 4, f"card-{person}")
    store = _store(tmp_path / "ws", {"claims": pd.DataFrame(rows), "providers": providers})
    rings = scan(store, patterns=["identity_misuse"])
    assert [r.member_ids("institution") for r in rings] == [{"H"}]
    assert rings[0].member_ids("person") == set(ring)


@pytest.mark.parametrize("cashier", [None, "O1"])
def test_far_holders_home_life_going_on_at_a_local_hospital_joins_its_catchment(
    tmp_path: Path, cashier: str | None
) -> None:
    """H's outpatients and other inpatients all live in its county. Four holders from
    another county, who buy at Q there every week, are admitted at H once each, and
    each card buys at Q during the stay: at their pace a purchase inside a five-day
    stay is no surprise on its own, so H is judged on these flags, and weakly; but that
    four holders from so far away lie at a township hospital whose own outpatients are
    local is the other half of the fraud. H's outsiders against its catchment judge H
    with its flags, whether no operator is recorded or one cashier settled them all:
    one ring, H and the four holders."""
    rows: list[dict[str, object]] = []
    providers = _township_with_outpatients(rows)
    ring = [f"R{i}" for i in range(4)]
    for i, person in enumerate(ring):
        admitted = 40 + 80 * i
        for day in range(i, 365, 7):
            if not admitted < day < admitted + 5:
                _claim(rows, person, "Q", day, 0, None, kind="pharmacy")
        _claim(rows, person, "H", admitted, 5, f"card-{person}", cashier)
        _claim(rows, person, "Q", admitted + 2, 0, None, kind="pharmacy")
    store = _store(tmp_path / "ws", {"claims": pd.DataFrame(rows), "providers": providers})
    flagged = store.projection("card_conflicts", since=None, until=None, region_digits=6)
    assert set(flagged.loc[flagged["reason"] == "elsewhere", "person_id"]) == set(ring)
    rings = scan(store, patterns=["identity_misuse"])
    assert [r.member_ids("institution") for r in rings] == [{"H"}]
    assert rings[0].member_ids("person") == set(ring)


def test_far_holders_each_with_an_errand_at_home_inside_their_stay_are_one_ring(
    tmp_path: Path,
) -> None:
    """H draws its outpatients from another county: outsiders are its catchment. Six
    holders from there, who buy at Q every two weeks, are admitted once each, and every
    card buys at Q during the stay. Each stay had about one chance in four of an errand
    at home, so all six having one is about 2e-4 (eight tests: 0.002); a Poisson tail of
    their summed chances (1.5) would call it 0.005 and, with the eight tests, chance.
    One ring, H and the six holders."""
    rows: list[dict[str, object]] = []
    providers = _township(rows, 0)
    for i in range(200):
        _claim(rows, f"U{i:03d}", "H", i, 0, None, kind="outpatient")
        _claim(rows, f"U{i:03d}", "Q", i + 1, 0, None, kind="pharmacy")
    ring = [f"R{i}" for i in range(6)]
    for i, person in enumerate(ring):
        admitted = 40 + 50 * i
        for day in range(i, 365, 14):
            if not admitted <= day <= admitted + 4:
                _claim(rows, person, "Q", day, 0, None, kind="pharmacy")
        _claim(rows, person, "H", admitted, 4, f"card-{person}")
        _claim(rows, person, "Q", admitted + 2, 0, None, kind="pharmacy")
    store = _store(tmp_path / "ws", {"claims": pd.DataFrame(rows), "providers": providers})
    rings = scan(store, patterns=["identity_misuse"])
    assert [r.member_ids("institution") for r in rings] == [{"H"}]
    assert rings[0].member_ids("person") == set(ring)


def test_two_conflicts_and_unflagged_outsiders_are_one_ring(tmp_path: Path) -> None:
    """At H (local outpatients and inpatients) two local holders' cards are admitted
    while the holders lie in the county hospital C (overlaps: two cards, below
    ``min_cards`` on their own), and three holders from another county carry no flag
    (dead holders' cards, no persons table to say so). The overlaps' test holds two
    cards and the outsiders' three: joined (independent evidence, no card in both) the
    desk holds five, one ring, not the outsiders alone."""
    rows: list[dict[str, object]] = []
    providers = _township_with_outpatients(rows)
    county_hospital = {"provider_id": "C", "kind": "hospital", "region_code": "330704002"}
    providers = pd.concat([providers, pd.DataFrame([county_hospital])])
    locals_ = ["X0", "X1"]
    for i, person in enumerate(locals_):
        _claim(rows, person, "N", 10 + i, 0, None, kind="pharmacy")
        _claim(rows, person, "C", 150 + 40 * i, 8, None)
        _claim(rows, person, "H", 153 + 40 * i, 4, f"card-{person}")
    far = ["R0", "R1", "R2"]
    for i, person in enumerate(far):
        _shops_at_home(rows, person, i)
        _claim(rows, person, "H", 245 + 40 * i, 4, f"card-{person}")
    store = _store(tmp_path / "ws", {"claims": pd.DataFrame(rows), "providers": providers})
    rings = scan(store, patterns=["identity_misuse"])
    assert [r.member_ids("institution") for r in rings] == [{"H"}]
    assert rings[0].member_ids("person") == set(locals_ + far)


def test_a_relatives_errands_in_runs_during_one_stay_are_no_ring(tmp_path: Path) -> None:
    """Referral hospital H admits forty-four patients from another county (their
    pharmacy Q, once a month), its outpatients from there too. While ten of them lie in
    H a relative fetches their drugs at Q once; cashier O1's four patients' relatives do
    so three times each. Twelve purchases where their monthly pace expects about one
    would be a ring if purchases were counted, but one family's errands come in runs:
    four stays with purchases inside, where the pace expects more than one and H's other
    far-away patients show the same, are none."""
    providers = pd.DataFrame(
        {
            "provider_id": ["H", "Q", "K"],
            "kind": ["hospital", "pharmacy", "clinic"],
            "region_code": ["330702001", "330703001", "330702001"],
        }
    )
    rows: list[dict[str, object]] = []
    for i in range(1000):
        _claim(rows, f"V{i:04d}", "K", i % 365, 0, None, kind="outpatient")
    for i in range(100):
        _claim(rows, f"U{i:03d}", "H", i, 0, None, kind="outpatient")
        _claim(rows, f"U{i:03d}", "Q", i + 1, 0, None, kind="pharmacy")
    for i in range(44):
        person, admitted = f"F{i:02d}", 8 * i + 5
        for day in range(i % 30, 365, 30):
            if not admitted < day < admitted + 10:
                _claim(rows, person, "Q", day, 0, None, kind="pharmacy")
        _claim(rows, person, "H", admitted, 10, f"card-{person}", "O1" if i < 4 else "O2")
        runs = 3 if i < 4 else 1 if i < 14 else 0
        for k in range(runs):
            _claim(rows, person, "Q", admitted + 2 + 2 * k, 0, None, kind="pharmacy")
    store = _store(tmp_path / "ws", {"claims": pd.DataFrame(rows), "providers": providers})
    assert scan(store, patterns=["identity_misuse"]) == []


def test_a_campaign_bussing_villagers_from_another_county_is_no_ring(tmp_path: Path) -> None:
    """The same H (local outpatients) holds a cataract campaign: twenty-five villagers from
    another county are bussed in on three days within three weeks, admitted once each.
    Admitted together far beyond H's own pace of outsiders, they are one campaign, the
    hospital's catchment for those weeks, not borrowed cards: no ring."""
    rows: list[dict[str, object]] = []
    providers = _township_with_outpatients(rows)
    for i in range(25):
        person = f"F{i:02d}"
        _claim(rows, person, "Q", 5 * i, 0, None, kind="pharmacy")
        _claim(rows, person, "H", 150 + (0, 7, 14)[i % 3], 2, None)
    store = _store(tmp_path / "ws", {"claims": pd.DataFrame(rows), "providers": providers})
    assert scan(store, patterns=["identity_misuse"]) == []


def _identity_city() -> dict[str, pd.DataFrame]:
    """Eight hospitals in two counties, 120 holders: each has a stay at one hospital and
    visits and purchases at home or far away; some lie in a second hospital meanwhile,
    some are dead, some have a diagnosis of the other sex, some are too young for it."""
    rows: list[dict[str, object]] = []
    persons = []
    for i in range(120):
        person = f"X{i:03d}"
        card = f"card-{i:03d}" if i % 5 else None
        hospital = f"H{i % 8}"
        _claim(rows, person, hospital, 20 + i % 50, 4 + i % 9, card, f"O{i % 3}")
        for k in range(i % 4 + 1):
            elsewhere = f"Q{(i + k) % 6}" if k % 2 else f"S{(i + k) % 4}"
            _claim(rows, person, elsewhere, 18 + i % 50 + 3 * k, 0, card, kind="outpatient")
        if i % 7 == 0:  # a second stay at another hospital starting inside the first
            _claim(rows, person, f"H{(i + 3) % 8}", 22 + i % 50, 3, card, f"O{i % 2}")
        if i % 11 == 0:
            rows[-1]["diagnosis_code"] = "O80"  # pregnancy
        persons.append(
            {
                "person_id": person,
                "sex": "M" if i % 2 else "F",
                "birth_date": pd.Timestamp("2024-06-01" if i % 13 == 0 else "1970-01-01"),
                "death_date": START + pd.Timedelta(days=10) if i % 17 == 0 else None,
                "region_code": "110101" if i % 3 else "330102",
            }
        )
    providers = [
        {"provider_id": p, "kind": kind, "region_code": "110101" if n % 2 else "330102"}
        for kind, prefix, count in (("institution", "H", 8), ("institution", "Q", 6))
        for n, p in enumerate(f"{prefix}{n}" for n in range(count))
    ] + [{"provider_id": f"S{n}", "kind": "pharmacy", "region_code": "330102"} for n in range(4)]
    return {
        "persons": pd.DataFrame(persons),
        "providers": pd.DataFrame(providers),
        "claims": pd.DataFrame(rows),
    }


def test_conflicts_read_in_ranges_of_providers_are_the_read_in_one_piece(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A budget for about 40 claims at once cuts card_conflicts into ranges of a few
    providers each, the holders' claims elsewhere joined from the whole window: the rows
    and every sum over them (per desk, per provider, over the window) are those of the
    read in one piece, and identity misuse finds the same rings."""
    store = _store(tmp_path / "ws", _identity_city())
    params = {"since": None, "until": None, "region_digits": 6}
    whole = store.projection("card_conflicts", **params)
    assert {"after_death", "overlap", "elsewhere", "outsider", "sex", "age"} <= set(whole["reason"])
    rings = scan(store, patterns=["identity_misuse"])
    monkeypatch.setattr(embedded.PER_PROVIDER, "row_bytes", 64 * 2**20 // 40)
    store.limit_memory(64 * 2**20)
    ranges = store.ranges("card_conflicts", None, None)
    assert len(ranges) >= 5, ranges
    pd.testing.assert_frame_equal(store.projection("card_conflicts", **params), whole)
    again = scan(store, patterns=["identity_misuse"])
    assert [(r.score, sorted(m.id for m in r.members)) for r in again] == [
        (r.score, sorted(m.id for m in r.members)) for r in rings
    ]


def test_the_ranges_are_counted_once_per_budget_and_window_until_the_next_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The providers' ranges are counted once for every read of one budget and window
    (card lending's three burst reads share the pharmacies' count the same way); a write
    counts again (the new claims are in the next ranges)."""
    store = _store(tmp_path / "ws", _identity_city())
    store.limit_memory(64 * 2**20)
    monkeypatch.setattr(embedded.PER_PROVIDER, "row_bytes", 64 * 2**20 // 40)
    counted = []
    cut = store._cut
    monkeypatch.setattr(store, "_cut", lambda *a: counted.append(a[1:]) or cut(*a))
    first = store.ranges("card_conflicts", None, None)
    assert store.ranges("card_conflicts", None, None) == first
    assert len(counted) == 1
    assert store.ranges("card_conflicts", START, None) == first  # another window: counted
    assert len(counted) == 2
    rows: list[dict[str, object]] = []
    for day in range(60):
        _claim(rows, "Y", "Z9", day, 0, None, kind="outpatient")
    store.upsert("claims", pd.DataFrame(rows).assign(claim_id=lambda f: "Y" + f["claim_id"]))
    after = store.ranges("card_conflicts", None, None)
    assert len(counted) == 3 and after[-1] == ("Z9", "Z9") and after[:-1] == first


def _one_county() -> pd.DataFrame:
    """Hospital H, pharmacy N and clinic K, all in county 330704."""
    return pd.DataFrame(
        {
            "provider_id": ["H", "N", "K"],
            "kind": ["hospital", "pharmacy", "clinic"],
            "region_code": ["330704001", "330704001", "330704001"],
        }
    )


def test_cards_admitted_after_their_holders_life_stopped_join_the_impossible_ones(
    tmp_path: Path,
) -> None:
    """No persons table records deaths (it tells sex only). At township hospital H, two
    women's cards are admitted for prostate disease (impossible: two cards, below
    ``min_cards``), and two holders who bought at N every fortnight until April, then
    never again, have their cards admitted at H twice each from June: all their own
    claims falling in the first quarter of the year is improbable for a living holder
    (a dead holder's card, with nothing to say so). H's sixty other inpatients shop at N
    all year. One ring: H and the four holders."""
    rows: list[dict[str, object]] = []
    for i in range(1000):
        _claim(rows, f"V{i:04d}", "K", i % 365, 0, None, kind="outpatient")
    for i in range(60):
        for day in range(i % 30, 365, 30):
            _claim(rows, f"L{i:02d}", "N", day, 0, None, kind="pharmacy")
        _claim(rows, f"L{i:02d}", "H", 6 * i, 4, f"card-L{i:02d}")
    women = ["W0", "W1"]
    for i, person in enumerate(women):
        for day in range(i, 365, 30):
            _claim(rows, person, "N", day, 0, None, kind="pharmacy")
        _claim(rows, person, "H", 120 + 50 * i, 6, f"card-{person}")
        rows[-1]["diagnosis_code"] = "N40"
    silent = ["D0", "D1"]
    for i, person in enumerate(silent):
        for day in range(i, 91, 14):
            _claim(rows, person, "N", day, 0, None, kind="pharmacy")
        for admitted in (150 + 20 * i, 210 + 20 * i):
            _claim(rows, person, "H", admitted, 5, f"card-{person}")
    persons = pd.DataFrame({"person_id": women + silent, "sex": ["F", "F", "M", "M"]})
    tables = {"claims": pd.DataFrame(rows), "persons": persons, "providers": _one_county()}
    store = _store(tmp_path / "ws", tables)
    flagged = store.projection("card_conflicts", since=None, until=None, region_digits=6)
    assert set(flagged.loc[flagged["reason"] == "silent", "person_id"]) == set(silent)
    rings = scan(store, patterns=["identity_misuse"])
    assert [r.member_ids("institution") for r in rings] == [{"H"}]
    assert rings[0].member_ids("person") == set(women + silent)


def test_a_holder_whose_death_is_recorded_is_not_judged_by_silence(tmp_path: Path) -> None:
    """Where the persons table records deaths, a card admitted after its holder's own
    claims stopped is after_death when the holder died, and a living holder's silence
    is no flag: D0 died in April and is flagged after_death, D1 (alive, all claims in
    the first quarter) is not flagged at all."""
    rows: list[dict[str, object]] = []
    for i, person in enumerate(["D0", "D1"]):
        for day in range(i, 91, 14):
            _claim(rows, person, "N", day, 0, None, kind="pharmacy")
        _claim(rows, person, "H", 150 + 20 * i, 5, f"card-{person}")
    persons = pd.DataFrame(
        {"person_id": ["D0", "D1"], "death_date": [START.date() + pd.Timedelta(days=100), None]}
    )
    tables = {"claims": pd.DataFrame(rows), "persons": persons, "providers": _one_county()}
    store = _store(tmp_path / "ws", tables)
    flagged = store.projection("card_conflicts", since=None, until=None, region_digits=6)
    assert flagged[["person_id", "reason"]].to_numpy().tolist() == [["D0", "after_death"]]


def test_a_purchase_at_home_on_the_morning_before_a_discharge_is_inside_the_stay(
    tmp_path: Path,
) -> None:
    """Two holders from another county (their pharmacy Q) lie in township hospital H,
    each discharged at 09:00 on day 45. R0's card buys at Q at 07:00 that morning, while
    the holder is still in H's bed; R1's at 15:00, after the discharge. Only R0's stay
    has home life going on inside it."""
    rows: list[dict[str, object]] = []
    providers = _township_with_outpatients(rows)
    for i, person in enumerate(["R0", "R1"]):
        _shops_at_home(rows, person, 1 + i)
        _claim(rows, person, "H", 40, 5, f"card-{person}")
        _claim(rows, person, "Q", 45, 0, None, kind="pharmacy")
        rows[-1]["start_time"] = START + pd.Timedelta(days=45, hours=7 + 8 * i)
    store = _store(tmp_path / "ws", {"claims": pd.DataFrame(rows), "providers": providers})
    flagged = store.projection("card_conflicts", since=None, until=None, region_digits=6)
    assert set(flagged.loc[flagged["reason"] == "elsewhere", "person_id"]) == {"R0"}


def test_a_busy_hospitals_overlaps_do_not_leave_the_error_rate_to_the_quiet_desks(
    tmp_path: Path,
) -> None:
    """Hospital G's desk settles 20,000 cards and three stays inside their holders' stays
    at F (its own flags, no impossible card); clinic K's 300 cards are the city's quiet
    desk. Cashier O at hospital B serves 1,500 outpatients and admits four women's cards
    for prostate disease. Impossible cards are data errors at the rate of the desks
    without a cluster of them: G's cards count, its overlaps do not set it apart, and
    four such cards among B's 1,504 against 1 in 20,300 is a ring (against 1 in 300, the
    quiet desk alone, it would not be)."""
    rows: list[dict[str, object]] = []
    for i in range(20_000):
        _claim(rows, f"G{i:05d}", "G", i % 365, 0, None, "Q", kind="outpatient")
    for i in range(3):
        _claim(rows, f"G{i:05d}", "F", 40 + 30 * i, 12, None, "R")
        _claim(rows, f"G{i:05d}", "G", 43 + 30 * i, 3, None, "Q")
    for i in range(300):
        _claim(rows, f"K{i:03d}", "K", i % 365, 0, None, "S", kind="outpatient")
    for i in range(1500):
        _claim(rows, f"B{i:04d}", "B", i % 365, 0, None, "O", kind="outpatient")
    women = [f"W{i}" for i in range(4)]
    for i, person in enumerate(women):
        _claim(rows, person, "B", 60 + 50 * i, 6, f"card-{person}", "O")
        rows[-1]["diagnosis_code"] = "N40"
    persons = pd.DataFrame({"person_id": women, "sex": ["F"] * 4})
    store = _store(tmp_path / "ws", {"claims": pd.DataFrame(rows), "persons": persons})
    rings = scan(store, patterns=["identity_misuse"])
    found = [r for r in rings if r.member_ids("institution") == {"B"}]
    assert len(found) == 1
    assert found[0].member_ids("person") == set(women)


def test_a_providers_own_impossible_cards_do_not_set_its_error_rate() -> None:
    """Leave-one-out: B's two impossible cards (below ``min_cards``) are scattered errors
    for every other provider's rate but not for B's own; C's five are a cluster and set
    no one's rate."""
    from graphscan.detect.identity_misuse import IdentityMisuse

    flagged = pd.DataFrame(
        {
            "provider_id": ["B", "B", "C", "C", "C", "C", "C"],
            "card_id": ["b1", "b2", "c1", "c2", "c3", "c4", "c5"],
            "reason": ["sex", "age", "sex", "sex", "sex", "age", "sex"],
            "all_cards": 10_000.0,
        }
    )
    per_operator = pd.DataFrame(
        {"volume": [500.0, 1_000.0, 300.0], "impossible": [2.0, 5.0, 0.0]},
        index=pd.MultiIndex.from_tuples(
            [("B", "O1"), ("C", "O2"), ("D", "O3")], names=["provider_id", "operator_id"]
        ),
    )
    per_provider = per_operator.droplevel("operator_id")  # one cashier each
    rates = IdentityMisuse._scattered_rate(flagged, per_operator, per_provider, 3)
    assert rates["B"] == pytest.approx(1 / 8_500)
    assert rates["D"] == pytest.approx(3 / 8_700)
    assert rates["C"] == pytest.approx(3 / 9_000)
