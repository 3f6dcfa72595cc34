"""Kickback on a small hand-built city with the traits real extracts have: the busiest
hospital of the city, ordinary purchases that name no doctor (the visit the same or the
day before says who sent the patient), three colleagues steering one group of patients to
one pharmacy in another town, a specialist's chronic patients refilling expensive drugs
every month at the pharmacy facing the hospital, and patients from a far town buying at
home after their visit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from embedded_store import embedded_store
from handmade_city import City

from graphscan.detect import scan
from graphscan.detect.kickback import Kickback, arrangements
from graphscan.store.embedded import EmbeddedStore
from graphscan.store.neo4j import Neo4jStore
from graphscan.workspace import Workspace

DOCTORS = [f"D{i:02d}" for i in range(20)]
RING_DOCTORS = ["D09", "D10", "D11"]
SPECIALIST = "D00"
RING = [f"K{i:02d}" for i in range(15)]
CHRONIC = [f"C{i:02d}" for i in range(25)]
FAR_TOWN = [f"T{i:02d}" for i in range(30)]
BACKGROUND = [f"B{i:03d}" for i in range(500)]
TOWN, OTHER_TOWN = "330102001000", "330205003000"
#: the door pharmacy and the town's others; PF is the steered one, PX the far town's own
NEAR = ["P1", "P2", "P3", "P4"]
DAYS = 120


def _kickback_city(prescribed_share: float = 0.2) -> dict[str, pd.DataFrame]:
    """Hospital H1 (twenty doctors, 40 visits a day) is the city's busiest. Most visitors
    buy cheap drugs right after at the door pharmacy P1 or another pharmacy in town; the
    purchase names no doctor. Specialist D00's chronic patients come monthly and refill a
    3,000-yuan drug at P1 (some as external prescriptions naming D00). Patients from the
    far town see any doctor and buy at home (PX) the next day. D09-D11 send K00-K14 to PF
    in the far town: each patient 3-5 visits, each followed the same or the next day by a
    2,500-yuan purchase at PF, ``prescribed_share`` of them naming the doctor."""
    rng = np.random.default_rng(23)
    city = City(rng=rng)
    for day in range(DAYS):
        for person in rng.choice(BACKGROUND, 40, replace=False):
            doctor = str(rng.choice(DOCTORS))
            when = city.at(day, 8 + 8 * rng.random())
            city.claim("outpatient", str(person), "H1", when, 80, doctor=doctor)
            if rng.random() < 0.8:
                where = "P1" if rng.random() < 0.6 else str(rng.choice(NEAR[1:]))
                later = when + pd.Timedelta(hours=float(rng.uniform(0.2, 20)))
                city.claim("pharmacy", str(person), where, later, 60 * rng.lognormal(0, 0.5), "O1")
    for person in CHRONIC:
        for month in range(4):
            when = city.at(month * 30 + int(rng.integers(0, 25)), 9 + 6 * rng.random())
            city.claim("outpatient", person, "H1", when, 50, doctor=SPECIALIST)
            named = SPECIALIST if rng.random() < 0.3 else None
            later = when + pd.Timedelta(minutes=40)
            city.claim("pharmacy", person, "P1", later, 3000, "O1", named, None, "N18")
    for person in FAR_TOWN:
        for day in rng.choice(DAYS - 1, 3, replace=False):
            when = city.at(int(day), 10)
            city.claim("outpatient", person, "H1", when, 80, doctor=str(rng.choice(DOCTORS)))
            amount = 1500 if rng.random() < 0.5 else 90
            city.claim("pharmacy", person, "PX", when + pd.Timedelta(days=1), amount, "O9")
    for i, person in enumerate(RING):
        doctor = RING_DOCTORS[i % 3]
        for day in rng.choice(DAYS - 1, int(rng.integers(3, 6)), replace=False):
            when = city.at(int(day), 9 + 3 * rng.random())
            city.claim("outpatient", person, "H1", when, 120, doctor=doctor, diagnosis="C34")
            named = doctor if rng.random() < prescribed_share else None
            later = when + pd.Timedelta(hours=float(rng.uniform(3, 26)))
            city.claim("pharmacy", person, "PF", later, 2500, "O7", named, None, "C34")
    claims = pd.DataFrame(city.rows)
    items = claims.loc[claims["kind"] == "pharmacy", ["claim_id", "total_amount"]]
    items = pd.DataFrame(
        {
            "claim_id": items["claim_id"],
            "item_code": "X01",
            "item_kind": "drug",
            "quantity": 1.0,
            "unit_price": items["total_amount"],
            "amount": items["total_amount"],
        }
    )
    providers = pd.DataFrame(
        {
            "provider_id": ["H1", *NEAR, "PF", "PX"],
            "kind": ["hospital"] + ["pharmacy"] * 6,
            "region_code": [TOWN] * 5 + [OTHER_TOWN] * 2,
        }
    )
    doctors = pd.DataFrame({"doctor_id": DOCTORS, "provider_id": "H1"})
    return {"claims": claims, "claim_items": items, "providers": providers, "doctors": doctors}


def _homes(city: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The city with a persons table: the far town's patients live there, everyone else
    in the hospital's town."""
    people = sorted(set(city["claims"]["person_id"]))
    region = [OTHER_TOWN if p in FAR_TOWN else TOWN for p in people]
    return city | {"persons": pd.DataFrame({"person_id": people, "region_code": region})}


def _store(path: Path, frames: dict[str, pd.DataFrame], *skip: str) -> EmbeddedStore:
    store = embedded_store(Workspace.open(path))
    for table in ("persons", "providers", "doctors", "claims", "claim_items"):
        if table in frames and table not in skip:
            store.upsert(table, frames[table])
    return store


@pytest.fixture(scope="module")
def city() -> dict[str, pd.DataFrame]:
    return _homes(_kickback_city())


def _only_ring(store: EmbeddedStore) -> object:
    rings = scan(store, patterns=["kickback"])
    assert len(rings) == 1, [r.explanation_en for r in rings]
    return rings[0]


def test_colleagues_steering_from_the_busiest_hospital_are_one_ring(
    city: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    ring = _only_ring(_store(tmp_path / "ws", city))
    assert ring.member_ids("doctor") == set(RING_DOCTORS)
    assert ring.member_ids("pharmacy") == {"PF"}
    assert ring.member_ids("person") == set(RING)
    assert ring.statistic == len(RING)
    # most purchases name no doctor: the visit the same or the day before attributes them
    assert ring.method["attributed_by_visit"] > ring.method["flows"]
    claims = pd.DataFrame(city["claims"]).set_index("claim_id").loc[ring.claim_ids]
    assert set(claims["kind"]) == {"outpatient", "pharmacy"}
    assert set(claims["person_id"]) == set(RING)
    assert "the distant pharmacy" in ring.explanation_en
    assert ring.method["lost_signals"] == []


def test_chronic_refills_at_the_door_and_far_town_patients_are_not_rings(
    city: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    """The specialist's patients all buy 3,000-yuan drugs at P1, far more than the
    colleagues' patients, but P1 is the hospital's own door pharmacy; the far town's
    patients buy at home after seeing any of the doctors."""
    store = _store(tmp_path / "ws", city)
    flows = Kickback().catchment(
        store.projection(
            "prescription_flows", since=None, until=None, high_value=1000.0, region_digits=9
        )
    )
    door = flows[(flows["doctor_id"] == SPECIALIST) & (flows["pharmacy_id"] == "P1")]
    assert (door["hv_patients"] == len(CHRONIC)).all()
    # the door is near; its patients live in its town, so it is no catchment of patients
    # from elsewhere
    assert door["near"].all() and (door["peer_share"] == 0).all()
    for ring in scan(store, patterns=["kickback"]):
        assert not ring.member_ids("person") & {*CHRONIC, *FAR_TOWN}
        assert SPECIALIST not in ring.member_ids("doctor")
        assert not ring.member_ids("pharmacy") & {"P1", "PX"}


def test_without_regions_the_catchment_still_expects_the_door(
    city: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    ring = _only_ring(_store(tmp_path / "ws", city, "providers"))
    assert ring.member_ids("doctor") == set(RING_DOCTORS)
    assert ring.member_ids("person") == set(RING)
    assert [s for s, _ in ring.method["lost_signals"]] == ["providers.region_code"]
    assert "the distant pharmacy" not in ring.explanation_en


def test_without_claim_items_or_doctors_table(
    city: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    """High value comes from the claim totals, and the institution from the visits."""
    ring = _only_ring(_store(tmp_path / "ws", city, "claim_items", "doctors"))
    assert ring.member_ids("doctor") == set(RING_DOCTORS)
    assert ring.member_ids("person") == set(RING)
    lost = dict(ring.method["lost_signals"])
    assert "high value from claim totals" in lost["claim_items"]
    assert "where its doctor treats most" in lost["doctors"]


def test_only_visits_say_who_sent_the_patients(tmp_path: Path) -> None:
    """No purchase names a doctor: the ring is found from visit -> purchase pairs alone."""
    ring = _only_ring(_store(tmp_path / "ws", _kickback_city(prescribed_share=0.0)))
    assert ring.member_ids("doctor") == set(RING_DOCTORS)
    assert ring.member_ids("person") == set(RING)
    assert ring.method["attributed_by_visit"] == len(pd.DataFrame(ring.claim_ids)) // 2


def test_without_any_doctor_the_high_value_patients_are_tested_against_ordinary_ones(
    city: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    """No claim names a doctor: the hospital's high-value patients go to PF where none of
    its ordinary patients do; the far town's patients buy at PX, near their homes."""
    anonymous = _homes(city | {"claims": city["claims"].assign(doctor_id=None)})
    ring = _only_ring(_store(tmp_path / "ws", anonymous, "doctors"))
    assert ring.member_ids("pharmacy") == {"PF"}
    assert ring.member_ids("person") == set(RING)
    assert not ring.member_ids("doctor")
    assert "no doctor joins" in dict(ring.method["lost_signals"])["doctor_id"]


def test_a_far_towns_patients_buying_at_home_are_expected(
    city: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    store = _store(tmp_path / "ws", _homes(city))
    flows = store.projection(
        "prescription_flows", since=None, until=None, high_value=1000.0, region_digits=9
    )
    home = flows[flows["pharmacy_id"] == "PX"]
    assert (home["home_patients"] == home["patients"]).all() and home["hv_home"].sum() > 0
    assert (flows.loc[flows["pharmacy_id"] == "PF", "home_patients"] == 0).all()
    assert _only_ring(store).member_ids("person") == set(RING)


def test_a_rings_strayed_patients_do_not_merge_it_with_another(tmp_path: Path) -> None:
    """A second ring (D12, D13 -> PG) whose doctor D12 also sent two of its patients to
    PF: two rings, D12 only in its own."""
    city = _kickback_city()
    rng = np.random.default_rng(5)
    second = City(rng=rng)
    second.rows = list(city["claims"].to_dict("records"))
    for i, person in enumerate(f"G{i:02d}" for i in range(12)):
        doctor = ("D12", "D13")[i % 2]
        where = "PF" if i in (0, 2) else "PG"
        for day in rng.choice(DAYS - 1, 4, replace=False):
            when = second.at(int(day), 10)
            second.claim("outpatient", person, "H1", when, 120, doctor=doctor)
            later = when + pd.Timedelta(hours=4)
            second.claim("pharmacy", person, where, later, 2500, "O8")
    claims = pd.DataFrame(second.rows).drop_duplicates("claim_id")
    providers = pd.concat(
        [
            city["providers"],
            pd.DataFrame(
                {"provider_id": ["PG"], "kind": ["pharmacy"], "region_code": [OTHER_TOWN]}
            ),
        ]
    )
    store = _store(
        tmp_path / "ws", city | {"claims": claims, "providers": providers}, "claim_items"
    )
    rings = {frozenset(r.member_ids("pharmacy")): r for r in scan(store, patterns=["kickback"])}
    assert set(rings) == {frozenset({"PF"}), frozenset({"PG"})}
    assert rings[frozenset({"PF"})].member_ids("doctor") == set(RING_DOCTORS)
    assert rings[frozenset({"PG"})].member_ids("doctor") == {"D12", "D13"}


def _second_arrangement(start: int = 0) -> dict[str, pd.DataFrame]:
    """The city, plus D12 writing external prescriptions (the purchase names him) for
    his own patients J00-J09 to fill at PF, from day ``start`` on: none of them sees
    D09-D11, none of the ring's sees him."""
    city = _kickback_city()
    rng = np.random.default_rng(8)
    more = City(rng=rng)
    more.rows = list(city["claims"].to_dict("records"))
    for person in (f"J{i:02d}" for i in range(10)):
        for day in rng.choice(np.arange(start, DAYS - 1), 4, replace=False):
            when = more.at(int(day), 10)
            more.claim("outpatient", person, "H1", when, 120, doctor="D12")
            later = when + pd.Timedelta(hours=5)
            more.claim("pharmacy", person, "PF", later, 2600, "O7", "D12", None, "C34")
    return _homes(city | {"claims": pd.DataFrame(more.rows).drop_duplicates("claim_id")})


def test_a_doctor_prescribing_to_the_rings_pharmacy_on_his_own_is_a_second_ring(
    tmp_path: Path,
) -> None:
    """D12's patients bring his prescriptions to PF, the ring's patients buy there after
    their visit naming no one, and no patient passes between them: two arrangements with
    one pharmacy, two rings. The ring's three doctors, who share no patient either but
    send them the same way over the same months, stay one."""
    rings = scan(_store(tmp_path / "ws", _second_arrangement()), patterns=["kickback"])
    found = sorted((sorted(r.member_ids("doctor")), sorted(r.member_ids("person"))) for r in rings)
    assert found == [
        (RING_DOCTORS, sorted(RING)),
        (["D12"], [f"J{i:02d}" for i in range(10)]),
    ]


def test_two_rings_at_one_pharmacy_over_max_doctors_together_are_found_apart(
    tmp_path: Path,
) -> None:
    """Besides the ring of D09-D11, two teams of three doctors (D12-D14, D15-D17) each
    pass their own patients between them and send them to PF too, the same way: nine
    doctors at one far pharmacy, more than ``max_doctors``, yet three arrangements, each
    within it, and three rings."""
    city = _kickback_city()
    rng = np.random.default_rng(11)
    more = City(rng=rng)
    more.rows = list(city["claims"].to_dict("records"))
    teams = {"L": ["D12", "D13", "D14"], "M": ["D15", "D16", "D17"]}
    for team, doctors in teams.items():
        for person in (f"{team}{i:02d}" for i in range(12)):
            for day in rng.choice(DAYS - 1, 4, replace=False):
                doctor = str(rng.choice(doctors))
                when = more.at(int(day), 10)
                more.claim("outpatient", person, "H1", when, 120, doctor=doctor)
                named = doctor if rng.random() < 0.2 else None
                later = when + pd.Timedelta(hours=5)
                more.claim("pharmacy", person, "PF", later, 2600, "O7", named, None, "C34")
    claims = pd.DataFrame(more.rows).drop_duplicates("claim_id")
    store = _store(tmp_path / "ws", _homes(city | {"claims": claims}))
    rings = scan(store, patterns=["kickback"])
    found = sorted(sorted(r.member_ids("doctor")) for r in rings)
    assert found == [RING_DOCTORS, teams["L"], teams["M"]]
    assert len(RING_DOCTORS) + sum(map(len, teams.values())) > Kickback.max_doctors


def test_doctors_sending_patients_the_same_way_are_one_arrangement() -> None:
    """Shared patients, or the same way over overlapping months, tie doctors into one
    arrangement; no patient in common and another way, or other months, part them."""
    day = pd.Timestamp("2025-01-01")

    def bought(doctor: str, person: str, named: bool, offset: int) -> dict[str, object]:
        when = day + pd.Timedelta(days=offset)
        return {"doctor_id": doctor, "person_id": person, "named": named, "start_time": when}

    ring = [bought(d, f"{d}-{k}", False, 10 * k) for d in ("A", "B", "C") for k in range(6)]
    assert arrangements(pd.DataFrame(ring)) == [["A", "B", "C"]]
    apart = ring + [bought("D", f"D-{k}", True, 10 * k) for k in range(6)]
    assert arrangements(pd.DataFrame(apart)) == [["A", "B", "C"], ["D"]]
    passed = [*apart, bought("D", "A-0", True, 30)]
    assert arrangements(pd.DataFrame(passed)) == [["A", "B", "C", "D"]]
    later = ring + [bought("E", f"E-{k}", False, 100 + 10 * k) for k in range(6)]
    assert arrangements(pd.DataFrame(later)) == [["A", "B", "C"], ["E"]]
    # the doctor recorded on some purchases at random (a third of one's, two thirds of
    # the other's) is no other way of sending them
    mixed = [
        bought(d, f"{d}-{k}", (k % 3 == 0) == (d == "A"), 10 * k) for d in "AF" for k in range(6)
    ]
    assert arrangements(pd.DataFrame(mixed)) == [["A", "F"]]


def test_two_teams_passing_patients_among_themselves_are_two_arrangements() -> None:
    """Two teams of colleagues, each passing its own patients between its doctors and
    never to the other's, work two arrangements even the same way over the same months
    (draw 1134: two rings of three doctors at one hospital and one pharmacy, six doctors
    over ``max_doctors`` as one). A doctor of no team like both joins neither."""
    day = pd.Timestamp("2025-01-01")

    def bought(doctor: str, person: str, offset: int) -> dict[str, object]:
        when = day + pd.Timedelta(days=offset)
        return {"doctor_id": doctor, "person_id": person, "named": True, "start_time": when}

    teams = [
        bought(doctor, f"{team}-{k}", 10 * k + i)
        for team, doctors in (("A", "ABC"), ("D", "DEF"))
        for k in range(8)
        for i, doctor in enumerate(doctors)
        if (k + i) % 3  # each patient sees two of the team's three doctors
    ]
    assert arrangements(pd.DataFrame(teams)) == [["A", "B", "C"], ["D", "E", "F"]]
    loner = teams + [bought("G", f"G-{k}", 10 * k) for k in range(6)]
    assert arrangements(pd.DataFrame(loner)) == [["A", "B", "C"], ["D", "E", "F"], ["G"]]
    joined = [t for t in teams if t["doctor_id"] in "ABC"] + loner[len(teams) :]
    assert arrangements(pd.DataFrame(joined)) == [["A", "B", "C", "G"]]


#: national codes (H/P, 6-digit county, sequence) for the city's providers: every one in
#: the hospital's county but PX, in the far town's
NATIONAL = {
    "H1": "H33010210001",
    **{p: f"P3301021000{i}" for i, p in enumerate(NEAR, 1)},
    "PF": "P33010210099",
    "PX": "P33020510001",
}


@pytest.mark.parametrize("home_digits", [12, 6])
def test_without_providers_a_pharmacy_in_the_hospitals_county_is_not_near(
    city: dict[str, pd.DataFrame], tmp_path: Path, home_digits: int
) -> None:
    """No providers table: the national codes give the county only, and PF (in another
    town of the hospital's county) must still be tested, the door pharmacy still
    expected by the colleagues' choices; nor is a patient whose home is known by county
    only (``home_digits`` 6) near home there."""
    coded = {
        table: city[table].assign(provider_id=city[table]["provider_id"].map(NATIONAL))
        for table in ("claims", "doctors")
    }
    persons = city["persons"].assign(region_code=city["persons"]["region_code"].str[:home_digits])
    ring = _only_ring(_store(tmp_path / "ws", city | coded | {"persons": persons}, "providers"))
    assert ring.member_ids("pharmacy") == {NATIONAL["PF"]}
    assert ring.member_ids("doctor") == set(RING_DOCTORS)
    assert ring.member_ids("person") == set(RING)
    # a county is no distance
    assert "the distant pharmacy" not in ring.explanation_en


def _walk_in_city() -> dict[str, pd.DataFrame]:
    """No providers table, so the national codes place H, its door pharmacy PD and PB
    in one county only. Town A's people see H's colleagues and buy at PD, town B's buy
    at home at PB the next day (29 % of the colleagues' patients), and both walk in to
    their own pharmacy now and then; D1 and D2 send twelve town-A patients to PB."""
    rng = np.random.default_rng(11)
    city = City(rng=rng)
    h, door, far = "H33010210001", "P33010210001", "P33010210002"
    homes = {f"A{i:03d}": TOWN for i in range(100)} | {f"T{i:02d}": OTHER for i in range(40)}
    for person, home in homes.items():
        pharmacy, delay = (door, 1) if home == TOWN else (far, 24)
        for day in rng.choice(60, 3, replace=False):
            when = city.at(int(day), 9 + 3 * rng.random())
            city.claim("outpatient", person, h, when, 80, doctor=f"C{rng.integers(10)}")
            city.claim("pharmacy", person, pharmacy, when + pd.Timedelta(hours=delay), 60, "O1")
        for day in rng.choice(range(70, DAYS), 2, replace=False):
            city.claim("pharmacy", person, pharmacy, city.at(int(day), 15), 40, "O1")
    for i, person in enumerate(RING[:12]):
        homes[person] = TOWN
        for day in rng.choice(60, 3, replace=False):
            when = city.at(int(day), 10)
            city.claim("outpatient", person, h, when, 120, doctor=("D1", "D2")[i % 2])
            city.claim("pharmacy", person, far, when + pd.Timedelta(hours=3), 2500, "O2")
    persons = pd.DataFrame({"person_id": list(homes), "region_code": list(homes.values())})
    return {"claims": pd.DataFrame(city.rows), "persons": persons}


#: town B of the hospital's county (OTHER_TOWN is in another county)
OTHER = "330102002000"


def test_without_providers_a_pharmacy_sits_where_its_walk_ins_live(tmp_path: Path) -> None:
    """PB's walk-in customers live in town B, so PB is placed there, and H by its door
    pharmacy PD in town A: town B's patients buying at home at PB are expected, the
    twelve sent from town A are a ring."""
    ring = _only_ring(_store(tmp_path / "ws", _walk_in_city()))
    assert ring.member_ids("doctor") == {"D1", "D2"}
    assert ring.member_ids("pharmacy") == {"P33010210002"}
    assert ring.member_ids("person") == set(RING[:12])
    assert ring.statistic == 12


def _flows(
    rows: list[tuple[str, str, int, int, int, int]], town_b: dict[str, int] | None = None
) -> pd.DataFrame:
    """prescription_flows rows of one institution H (town A) by hand: doctor, pharmacy
    (P1 by the door in town A, PF in town B), patients, high-value patients, and of
    those the ones living in the pharmacy's town. Town B's patients buy at PF only, or
    ``town_b`` gives a doctor's patients from town B (at P1 too)."""
    flows = pd.DataFrame(
        rows,
        columns=["doctor_id", "pharmacy_id", "patients", "hv_patients", "home_patients", "hv_home"],
    )
    far = flows["pharmacy_id"] == "PF"
    town = flows[far].groupby("doctor_id")[["home_patients", "hv_home"]].sum()
    if town_b:
        town["home_patients"] = pd.Series(town_b).reindex(town.index).fillna(town["home_patients"])
    mine = flows["doctor_id"].map
    return flows.assign(
        institution_id="H",
        institution_region=TOWN,
        pharmacy_region=np.where(far, OTHER_TOWN, TOWN),
        town_patients=np.where(far, mine(town["home_patients"]).fillna(0), 0),
        hv_town=np.where(far, mine(town["hv_home"]).fillna(0), 0),
        inst_town_patients=np.where(far, town["home_patients"].sum(), 0),
    )


def test_a_towns_patients_buying_at_home_do_not_hide_the_steered_ones() -> None:
    """Ten colleagues' patients from town B buy at home at PF (9 % of their patients, no
    high value); D1 and D2 send 12 high-value patients each to PF, 8 of them living
    there. Compared with the colleagues' patients who live elsewhere (none at PF), the
    four others of each doctor were sent."""
    colleagues = [
        (f"C{i}", ph, n, 0, n if ph == "PF" else 0, 0)
        for i in range(10)
        for ph, n in (("P1", 100), ("PF", 10))
    ]
    ring = [
        (d, ph, n, hv, home, home if hv else 0)
        for d in ("D1", "D2")
        for ph, n, hv, home in (("P1", 10, 0, 0), ("PF", 12, 12, 8))
    ]
    found = Kickback().decide_flows(_flows(colleagues + ring))
    assert len(found) == 1
    assert set(found[0]["doctor_id"]) == {"D1", "D2"}
    assert set(found[0]["pharmacy_id"]) == {"PF"}
    assert int(found[0]["ring_observed"].iloc[0]) == 8


def test_patients_sent_to_a_pharmacy_in_their_own_town_are_tested_against_that_towns() -> None:
    """Every patient D1 and D2 send to PF lives in PF's town B. Town B's patients of the
    ten colleagues (20 each) mostly buy at the door P1 after their visit, 2 each at PF:
    like with like, the ring's 24 of 24 at PF against the colleagues' 20 of 200 are a
    ring. Where the colleagues' patients from town B all buy at PF too, buying there is
    the town's habit."""
    colleagues = [
        (f"C{i}", ph, n, 0, home, 0)
        for i in range(10)
        for ph, n, home in (("P1", 100, 0), ("PF", 2, 2))
    ]
    ring = [
        (d, ph, n, hv, hv, hv)
        for d in ("D1", "D2")
        for ph, n, hv in (("P1", 10, 0), ("PF", 12, 12))
    ]
    town_b = {f"C{i}": 20 for i in range(10)}
    found = Kickback().decide_flows(_flows(colleagues + ring, town_b))
    assert [set(f["doctor_id"]) for f in found] == [{"D1", "D2"}]
    assert int(found[0]["ring_observed"].iloc[0]) == 24
    assert Kickback().decide_flows(_flows(colleagues + ring, {c: 2 for c in town_b})) == []


def test_a_doctor_steering_both_a_towns_patients_and_outsiders_is_judged_on_both() -> None:
    """D1 sends ten high-value patients to PF in town B, six living there and four
    elsewhere, where the colleagues' patients from elsewhere never buy there and those
    from town B seldom do. Neither stratum alone passes edge_p (about 5e-5 and 3e-5), but
    they hold different patients, so together (Fisher's method, paid for as a third test)
    they do: one doctor's steering is not hidden by being split by where patients live
    (draw 1208, a single doctor's seventeen patients)."""
    colleagues = [
        (f"C{i}", ph, n, 0, home, 0)
        for i in range(10)
        for ph, n, home in (("P1", 100, 0), ("PF", 3, 2))
    ]
    ring = [("D1", "P1", 30, 0, 0, 0), ("D1", "PF", 10, 10, 6, 6)]
    flows = _flows(colleagues + ring, {f"C{i}": 30 for i in range(10)} | {"D1": 8})
    found = Kickback().decide_flows(flows)
    assert [set(f["doctor_id"]) for f in found] == [{"D1"}]
    assert int(found[0]["ring_observed"].iloc[0]) == 10
    assert 1e-7 < float(found[0]["ring_p"].iloc[0]) < Kickback().edge_p


@pytest.mark.parametrize("colleague_patients", [3, 0])
def test_doctors_who_are_nearly_all_of_an_institution_are_judged_against_the_region(
    colleague_patients: int,
) -> None:
    """D1, D2 and D3 send half their patients, all of high value, to PF in another town;
    H's only other doctor has three patients (or none) who buy by the door. Three
    colleagues' patients are no catchment (the Fisher exact test against them cannot go
    below 0.1), but G, the town's other institution, sends two patients in a hundred to
    PF: against the region, sixty patients are a ring (draw 2022, three doctors with
    thirty patients, 5,000 to 18,000 yuan a purchase, at a clinic whose other doctors'
    patients seldom buy after a visit)."""
    colleagues = [("C0", "P1", colleague_patients, 0, 0, 0)] if colleague_patients else []
    ring = [(d, ph, 20, hv, 0, 0) for d in ("D1", "D2", "D3") for ph, hv in (("P1", 0), ("PF", 20))]
    here = _flows(colleagues + ring)
    region = _flows(
        [(f"G{i}", ph, n, 0, 0, 0) for i in range(10) for ph, n in (("P1", 98), ("PF", 2))]
    ).assign(institution_id="G")
    found = Kickback().decide_flows(pd.concat([here, region], ignore_index=True))
    assert [set(f["doctor_id"]) for f in found] == [{"D1", "D2", "D3"}]


def test_a_far_pharmacy_the_colleagues_use_is_no_catchment_where_distance_is_known() -> None:
    """Homes unknown: the colleagues' patients from town B buying at PF make 9 % of their
    patients there, above catchment_share; but PF is known to be in another town, so the
    test against that share decides, and D1 and D2 sending all their high-value patients
    there are a ring."""
    colleagues = [
        (f"C{i}", ph, n, 0, 0, 0) for i in range(10) for ph, n in (("P1", 100), ("PF", 10))
    ]
    ring = [
        (d, ph, n, hv, 0, 0) for d in ("D1", "D2") for ph, n, hv in (("P1", 10, 0), ("PF", 12, 12))
    ]
    flows = _flows(colleagues + ring)
    found = Kickback().decide_flows(flows)
    assert [set(f["doctor_id"]) for f in found] == [{"D1", "D2"}]
    # the same flows with the regions unknown: PF may be the door pharmacy
    unplaced = flows.assign(institution_region=None, pharmacy_region=None)
    assert Kickback().decide_flows(unplaced) == []


def test_a_pharmacy_in_another_county_is_far_whatever_the_towns() -> None:
    """The flows above with regions known only to the county (6 digits, as national
    codes give them): PF in another county is in another town, so the test decides; in
    the hospital's own county PF may be the door pharmacy, and the catchment expects it."""
    colleagues = [
        (f"C{i}", ph, n, 0, 0, 0) for i in range(10) for ph, n in (("P1", 100), ("PF", 10))
    ]
    ring = [
        (d, ph, n, hv, 0, 0) for d in ("D1", "D2") for ph, n, hv in (("P1", 10, 0), ("PF", 12, 12))
    ]
    flows = _flows(colleagues + ring)
    counties = flows.assign(
        institution_region=flows["institution_region"].str[:6],
        pharmacy_region=flows["pharmacy_region"].str[:6],
    )
    found = Kickback().decide_flows(counties)
    assert [set(f["doctor_id"]) for f in found] == [{"D1", "D2"}]
    same_county = counties.assign(pharmacy_region=TOWN[:6])
    assert Kickback().decide_flows(same_county) == []


def _one_doctor_city() -> dict[str, pd.DataFrame]:
    """No providers table, so no distance: H1's patients buy at the door pharmacy P1.
    Specialist D00's eighteen patients refill a 3,000-yuan drug every month for half a
    year at PR, which no colleague's patient uses (a third of the fills name D00, the
    others follow a visit within the hour); D05 sends fifteen patients, each three to
    six times at random, to PF, which no colleague's patient uses either."""
    rng = np.random.default_rng(31)
    city = City(rng=rng)
    days = 180
    for day in range(days):
        for person in rng.choice(BACKGROUND, 15, replace=False):
            when = city.at(day, 8 + 8 * rng.random())
            city.claim("outpatient", str(person), "H1", when, 80, doctor=str(rng.choice(DOCTORS)))
            later = when + pd.Timedelta(hours=float(rng.uniform(0.2, 20)))
            city.claim("pharmacy", str(person), "P1", later, 60 * rng.lognormal(0, 0.5), "O1")
    for person in CHRONIC[:18]:
        first = int(rng.integers(0, 25))
        for month in range(6):
            when = city.at(min(first + 30 * month + int(rng.integers(-2, 3)), days - 1), 9)
            named = SPECIALIST if rng.random() < 0.3 else None
            if named is None:
                city.claim("outpatient", person, "H1", when, 50, doctor=SPECIALIST)
            later = when + pd.Timedelta(minutes=40)
            city.claim("pharmacy", person, "PR", later, 3000, "O2", named, None, "C92.1")
    for person in RING:
        for day in rng.choice(days - 1, int(rng.integers(3, 7)), replace=False):
            when = city.at(int(day), 9 + 3 * rng.random())
            city.claim("outpatient", person, "H1", when, 120, doctor="D05", diagnosis="C34")
            later = when + pd.Timedelta(hours=float(rng.uniform(3, 26)))
            city.claim("pharmacy", person, "PF", later, 2500, "O7", None, None, "C34")
    doctors = pd.DataFrame({"doctor_id": DOCTORS, "provider_id": "H1"})
    return {"claims": pd.DataFrame(city.rows), "doctors": doctors}


def test_one_specialists_steady_refills_are_no_ring_one_doctors_steering_is(
    tmp_path: Path,
) -> None:
    """Both single doctors send their high-value patients where the colleagues' never go,
    so the catchment flags both; a refill group is one doctor's patients coming back
    every month, steered patients buy when sent: D00's evenly spaced refills (almost no
    gap under half the patient's mean, where random times give about a third) are
    expected, D05's patients are a ring."""
    store = _store(tmp_path / "ws", _one_doctor_city())
    flows = store.projection(
        "prescription_flows", since=None, until=None, high_value=1000.0, region_digits=9
    )
    flagged = [set(f["doctor_id"]) for f in Kickback().decide_flows(flows)]
    assert sorted(flagged, key=sorted) == [{SPECIALIST}, {"D05"}]
    ring = _only_ring(store)
    assert ring.member_ids("doctor") == {"D05"}
    assert ring.member_ids("pharmacy") == {"PF"}
    assert ring.member_ids("person") == set(RING)
    pace = ring.method["pace"]
    assert pace["p"] > Kickback().steady_p
    assert pace["short_gaps"] > pace["expected"] / 2


@pytest.mark.neo4j
def test_neo4j_finds_the_same_ring(
    city: dict[str, pd.DataFrame], neo4j_store: Neo4jStore, tmp_path: Path
) -> None:
    for table in ("persons", "providers", "doctors", "claims", "claim_items"):
        neo4j_store.upsert(table, city[table])
    want = _only_ring(_store(tmp_path / "ws", city))
    got = scan(neo4j_store, patterns=["kickback"])
    assert len(got) == 1
    assert got[0].members == want.members
    assert got[0].claim_ids == want.claim_ids
    assert got[0].p_value == pytest.approx(want.p_value)


@pytest.mark.neo4j
def test_neo4j_places_pharmacies_by_their_walk_ins_the_same(
    neo4j_store: Neo4jStore, tmp_path: Path
) -> None:
    city = _walk_in_city()
    for table in ("persons", "claims"):
        neo4j_store.upsert(table, city[table])
    args = {"since": None, "until": None, "high_value": 1000.0, "region_digits": 9}
    want = _store(tmp_path / "ws", city).projection("prescription_flows", **args)
    got = neo4j_store.projection("prescription_flows", **args)
    assert set(want["pharmacy_region"]) == {TOWN[:9], OTHER[:9]}
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
