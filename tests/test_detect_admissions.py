"""Group hospitalisation and identity misuse on small hand-built cities: waves that
straddle a calendar week, a one-wave recruit tied by the recruiter's phone, a family and
a screening day left alone, and overlapping stays at one provider kept apart from
borrowed cards."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from embedded_store import embedded_store

from graphscan.detect import scan
from graphscan.detect.engines.cooccurrence import Group
from graphscan.detect.engines.wave_windows import Season, Wave, _merge_shared, meetings, waves
from graphscan.detect.group_hospitalisation import GroupHospitalisation
from graphscan.store.embedded import EmbeddedStore
from graphscan.workspace import Workspace

START = pd.Timestamp("2025-01-01")
#: 2025-01-02 is a Thursday: days since 1970-01-01 divisible by 7 start calendar weeks
#: of the old fixed buckets, so a wave around offset 1 + 7k straddles one
WEEK_STARTS = [1 + 7 * k for k in (6, 15, 24, 33)]
RECRUITS = [f"R{i}" for i in range(6)]
FAMILY = ["F0", "F1", "F2"]
VILLAGERS = [f"V{i:02d}" for i in range(20)]


def _stay(
    rows: list[dict[str, object]],
    person: str,
    provider: str,
    day: int,
    amount: float,
    stay: int,
    diagnosis: str,
    kind: str = "inpatient",
) -> None:
    when = START + pd.Timedelta(days=day, hours=9)
    rows.append(
        {
            "claim_id": f"C{len(rows):05d}",
            "kind": kind,
            "person_id": person,
            "card_id": f"card-{person}",
            "provider_id": provider,
            "doctor_id": "D1" if provider == "H" else "D2",
            "operator_id": "O1",
            "start_time": when,
            "end_time": when + pd.Timedelta(days=stay) if kind == "inpatient" else None,
            "diagnosis_code": diagnosis,
            "total_amount": amount,
            "fund_amount": round(amount * 0.7, 2),
            "account_amount": 0.0,
            "cash_amount": round(amount * 0.3, 2),
        }
    )


def _hospital_city() -> dict[str, pd.DataFrame]:
    """Hospital H admits 150 background patients 1-3 times a year. Six recruits come in
    four waves, each spread over six days across a Thursday (a calendar-week boundary);
    R6 comes once, in the second wave, with another diagnosis and bill, but carries the
    phone that R0 and R1 (different households) carry, as does the recruiter Q. A family
    of three is admitted together four times; twenty villagers are admitted to township
    centre T on one screening day."""
    rng = np.random.default_rng(17)
    rows: list[dict[str, object]] = []
    background = [f"B{i:03d}" for i in range(150)]
    for person in background:
        for day in rng.choice(360, int(rng.integers(1, 4)), replace=False):
            amount = float(round(3000 * rng.lognormal(0, 0.4), 2))
            dx = str(rng.choice(["J18.9", "I10", "E11.9", "K29.7"]))
            _stay(rows, person, "H", int(day), amount, int(rng.integers(2, 12)), dx)
    for wave, start in enumerate(WEEK_STARTS):
        for i, person in enumerate(RECRUITS):
            day = start - 3 + (i + wave) % 6
            _stay(rows, person, "H", day, 4800 + 20 * i, 8, "M54.5")
    _stay(rows, "R6", "H", WEEK_STARTS[1], 9100.0, 3, "K29.7")
    for day in (40, 130, 220, 300):
        for person in FAMILY:
            _stay(rows, person, "H", day, 2500.0, 3, "A09")
    for person in VILLAGERS:
        _stay(rows, person, "T", 50, 900.0, 2, "Z00.0")
    _stay(rows, "Q", "T", 80, 60.0, 0, "J06", kind="outpatient")
    everyone = sorted({str(r["person_id"]) for r in rows})
    persons = pd.DataFrame(
        {
            "person_id": everyone,
            "address_key": ["addr-family" if p in FAMILY else f"addr-{p}" for p in everyone],
            "phone_key": [
                "phone-recruiter" if p in {"R0", "R1", "R6", "Q"} else f"phone-{p}"
                for p in everyone
            ],
        }
    )
    providers = pd.DataFrame({"provider_id": ["H", "T"], "kind": ["hospital", "township"]})
    return {"claims": pd.DataFrame(rows), "persons": persons, "providers": providers}


def _store(path: Path, frames: dict[str, pd.DataFrame]) -> EmbeddedStore:
    store = embedded_store(Workspace.open(path))
    for table in ("persons", "providers", "claims"):
        store.upsert(table, frames[table])
    return store


@pytest.fixture(scope="module")
def hospital(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    return _store(tmp_path_factory.mktemp("hospital") / "ws", _hospital_city())


def test_waves_across_a_week_boundary_stay_whole(hospital: EmbeddedStore) -> None:
    rings = scan(hospital, patterns=["group_hospitalisation"])
    assert len(rings) == 1
    ring = rings[0]
    assert ring.member_ids("institution") == {"H"}
    assert set(RECRUITS) <= ring.member_ids("person")
    assert ring.q_value <= 0.01
    # four waves of all six, each spread over six days across a Thursday
    assert re.search(
        r"at least 6 of these \d+ people within 7 days of each other 4 times", (ring.explanation_en)
    )
    claims = hospital.claims(ring.claim_ids)
    ring_days = claims.loc[claims["person_id"].isin(RECRUITS), "start_time"]
    assert len(ring_days) == 4 * len(RECRUITS)


def test_one_wave_recruit_tied_by_the_recruiters_phone(hospital: EmbeddedStore) -> None:
    ring = scan(hospital, patterns=["group_hospitalisation"])[0]
    recruits = {m.id for m in ring.members if m.role == "recruit"}
    assert {*RECRUITS, "R6"} <= recruits
    assert {m.id for m in ring.members if m.role == "organiser"} == {"Q", "card-Q"}
    assert "3 share a phone with another member" in ring.explanation_en
    assert ring.method["recruiters"] == 1


def test_family_and_screening_day_are_left_alone(hospital: EmbeddedStore) -> None:
    for ring in scan(hospital, patterns=["group_hospitalisation", "identity_misuse"]):
        assert not ring.member_ids("person") & {*FAMILY, *VILLAGERS}, ring.explanation_en
        assert "T" not in ring.member_ids("institution")


def test_three_who_came_twice_with_a_bus_of_look_alikes_are_no_family(tmp_path: Path) -> None:
    """No persons table, so no address tells a family apart. Three people are admitted
    together twice, each time with four strangers of the same diagnosis, stay and bill
    who came only once: a family brings no such crowd, so the three and the eight are one
    ring. The family of three, admitted together four times with no one like them, is
    still left alone."""
    frames = _hospital_city()
    rows = [r for r in frames["claims"].to_dict("records") if str(r["person_id"])[0] in "BF"]
    core, once = ["K0", "K1", "K2"], [f"W{i}" for i in range(8)]
    for start in (100, 250):
        for i, person in enumerate(core):
            _stay(rows, person, "H", start + i, 4800.0 + 30 * i, 8, "M54.5")
    for i, person in enumerate(once):
        _stay(rows, person, "H", (100, 250)[i % 2] + i % 4, 4750.0 + 20 * i, 8, "M54.5")
    for i, row in enumerate(rows):
        row["claim_id"] = f"C{i:05d}"
    persons = pd.DataFrame({"person_id": sorted({str(r["person_id"]) for r in rows})})
    store = _store(tmp_path / "ws", {**frames, "claims": pd.DataFrame(rows), "persons": persons})
    rings = scan(store, patterns=["group_hospitalisation"])
    assert [r.member_ids("person") for r in rings] == [{*core, *once}]


CAMPAIGN = [f"E{i:02d}" for i in range(45)]
SECOND_EYE = CAMPAIGN[:14]


def _campaign_city(
    buses: tuple[int, ...] = (150, 157, 168), second_eye: list[str] = SECOND_EYE
) -> dict[str, pd.DataFrame]:
    """The hospital city, and a free cataract-surgery campaign at H: 45 elderly villagers
    bused in on three days within three weeks, each admitted once for H25.9 with the
    same package bill; 14 (``second_eye``) come back 14-42 days later for the second
    eye. Then two campaign villagers come back the next winter for something else."""
    frames = _hospital_city()
    rng = np.random.default_rng(5)
    rows = frames["claims"].to_dict("records")
    first = {p: buses[i % 3] for i, p in enumerate(CAMPAIGN)}
    for person in CAMPAIGN:
        _stay(rows, person, "H", first[person], 4200 + float(rng.uniform(0, 150)), 2, "H25.9")
    for person in second_eye:
        day = first[person] + int(rng.integers(14, 43))
        _stay(rows, person, "H", day, 4200 + float(rng.uniform(0, 150)), 2, "H25.9")
    for person in CAMPAIGN[:2]:
        _stay(rows, person, "H", 330, 3100.0, 6, "J18.9")
    persons = pd.concat(
        [
            frames["persons"],
            pd.DataFrame(
                {
                    "person_id": CAMPAIGN,
                    "address_key": [f"addr-{p}" for p in CAMPAIGN],
                    "phone_key": [f"phone-{p}" for p in CAMPAIGN],
                }
            ),
        ]
    )
    for i, row in enumerate(rows):
        row["claim_id"] = f"C{i:05d}"
    return {**frames, "claims": pd.DataFrame(rows), "persons": persons}


def _rings_with(tmp_path: Path, frames: dict[str, pd.DataFrame], rows: list[dict]) -> list:
    """Group hospitalisation's rings on ``frames`` with its claims replaced by ``rows``
    (claim ids numbered again, so added stays get ids of their own)."""
    for i, row in enumerate(rows):
        row["claim_id"] = f"C{i:05d}"
    store = _store(tmp_path / "ws", {**frames, "claims": pd.DataFrame(rows)})
    return scan(store, patterns=["group_hospitalisation"])


@pytest.mark.parametrize("persons", [True, False], ids=["persons", "no persons table"])
def test_a_cataract_campaign_is_not_a_ring(tmp_path: Path, persons: bool) -> None:
    """The second-eye round makes fourteen villagers come twice, together, with the same
    diagnosis and bill; the campaign is still one campaign. The repeated group is found
    beside it, with or without the persons table."""
    frames = _campaign_city()
    if not persons:
        frames = {**frames, "persons": frames["persons"][["person_id"]]}
    rings = scan(_store(tmp_path / "ws", frames), patterns=["group_hospitalisation"])
    assert [r.member_ids("person") & set(CAMPAIGN) for r in rings] == [set()]
    ring = rings[0]
    assert set(RECRUITS) <= ring.member_ids("person")
    if not persons:
        lost = dict(ring.method["lost_signals"])
        assert "households not recognised" in lost["persons.address_key"]
        assert "no recruiter phones" in lost["persons.phone_key"]


def test_second_eyes_meeting_again_are_explained_by_their_first_meeting(tmp_path: Path) -> None:
    """Three buses within five days, and most of the campaign come back for the second
    eye, so no crowd of other villagers treated once surrounds them: still, each one's
    second stay is placed by their own first, and villagers who met on the buses and meet
    again at their second eyes met once. Neither the campaign nor any part of it is a
    ring."""
    frames = _campaign_city(buses=(150, 152, 154), second_eye=CAMPAIGN[:36])
    rings = scan(_store(tmp_path / "ws", frames), patterns=["group_hospitalisation"])
    assert [r.member_ids("person") & set(CAMPAIGN) for r in rings] == [set()]
    assert set(RECRUITS) <= rings[0].member_ids("person")


def test_the_second_eyes_of_a_campaigns_last_bus_are_still_the_campaign(tmp_path: Path) -> None:
    """Buses nine days apart; most of the last bus come back for the second eye, so the
    last bus alone holds fewer people treated once than second-eye villagers: the
    campaign is the whole three weeks, not the last bus's week."""
    last_bus = CAMPAIGN[2::3]
    frames = _campaign_city(buses=(150, 159, 168), second_eye=last_bus[:11])
    rings = scan(_store(tmp_path / "ws", frames), patterns=["group_hospitalisation"])
    assert [r.member_ids("person") & set(CAMPAIGN) for r in rings] == [set()]


def test_a_villagers_own_illness_during_the_second_eyes_is_not_a_second_round(
    tmp_path: Path,
) -> None:
    """One villager of the campaign's last bus is admitted with a cold in the week the
    second eyes come back: their stay is their own, the group is still the campaign."""
    last_bus = CAMPAIGN[2::3]
    frames = _campaign_city(buses=(150, 159, 168), second_eye=last_bus[:11])
    rows = frames["claims"].to_dict("records")
    cold = last_bus[12]
    _stay(rows, cold, "H", 168 + 30, 1700.0, 3, "J06.9")
    rings = _rings_with(tmp_path, frames, rows)
    assert [r.member_ids("person") & set(CAMPAIGN) for r in rings] == [set()]


def test_a_villagers_own_illness_just_before_the_bus_is_not_the_campaigns_treatment(
    tmp_path: Path,
) -> None:
    """Two villagers of the first bus were in the ward days before it, each for an illness
    of their own, and came back for the second eye on the same day: their first stay there
    is not what the campaign treats, so cataract and second eye are one treatment (they
    met once, on the bus) and the pair is the campaign."""
    frames = _campaign_city()
    rows = frames["claims"].to_dict("records")
    pair = [CAMPAIGN[30], CAMPAIGN[33]]
    for person, day, dx in zip(pair, (146, 148), ("M54.5", "K29.7"), strict=True):
        _stay(rows, person, "H", day, 2800.0, 5, dx)
        _stay(rows, person, "H", 185, 4260.0, 2, "H25.9")
    rings = _rings_with(tmp_path, frames, rows)
    assert [r.member_ids("person") & set(CAMPAIGN) for r in rings] == [set()]


def test_a_patient_who_met_a_villager_at_both_eyes_by_chance_is_not_a_ring(
    tmp_path: Path,
) -> None:
    """A local patient was admitted for diabetes on the day a campaign villager came for
    the first eye, and for bronchitis the day the villager came back for the second: the
    two were admitted together twice, and the campaign's crowd of look-alike cataract
    stays fills both waves, but no diagnosis is theirs in common. The campaign is what
    their diagnoses share with the crowd around them; the patient's stays are his own
    illnesses, and the pair is the campaign, not a ring."""
    frames = _campaign_city(second_eye=CAMPAIGN[:3])
    rows = frames["claims"].to_dict("records")
    villager = CAMPAIGN[2]
    first, second = sorted(
        int((r["start_time"] - START).days) for r in rows if r["person_id"] == villager
    )
    _stay(rows, "P0", "H", first, 7400.0, 10, "E11.9")
    _stay(rows, "P0", "H", second, 4900.0, 9, "J20.9")
    rings = _rings_with(tmp_path, frames, rows)
    assert [r.member_ids("person") & {*CAMPAIGN, "P0"} for r in rings] == [set()]


def test_the_same_campaign_people_back_again_and_again_are_a_ring(tmp_path: Path) -> None:
    """Had the second-eye villagers come back a third and fourth time together, it would
    no longer be a campaign."""
    frames = _campaign_city()
    rows = frames["claims"].to_dict("records")
    for day in (240, 300):
        for person in SECOND_EYE:
            _stay(rows, person, "H", day, 4200.0, 2, "H25.9")
    rings = _rings_with(tmp_path, frames, rows)
    assert any(set(SECOND_EYE) <= r.member_ids("person") for r in rings)


VAN = [f"U{i:02d}" for i in range(12)]


def _van_city(flat_rate: bool = False, background: str = "G") -> dict[str, pd.DataFrame]:
    """Private hospital G admits 120 background patients 1-3 times (bills spread like real
    ones, or all at one flat rate when ``flat_rate``; at hospital ``background`` instead,
    leaving G to its recruits). Twelve recruits are fetched two at a time by a weekly van,
    each three times over the year, for back pain or gastritis, always billed the
    2,600-yuan package (+-2%): they rarely meet, but the price repeats."""
    rng = np.random.default_rng(29)
    rows: list[dict[str, object]] = []
    for i in range(120):
        for day in rng.choice(360, int(rng.integers(1, 4)), replace=False):
            amount = 2600.0 if flat_rate else float(round(3000 * rng.lognormal(0, 0.4), 2))
            dx = str(rng.choice(["J18.9", "I10", "E11.9", "K29.7"]))
            _stay(rows, f"B{i:03d}", background, int(day), amount, int(rng.integers(2, 12)), dx)
    trips = [(p, t) for p in range(12) for t in rng.choice(50, 3, replace=False)]
    for person, trip in trips:
        amount = 2600 * float(rng.uniform(0.98, 1.02))
        dx = str(rng.choice(["M54.5", "K29.7"]))
        _stay(rows, VAN[person], "G", 7 * int(trip), amount, 5, dx)
    everyone = sorted({str(r["person_id"]) for r in rows})
    persons = pd.DataFrame({"person_id": everyone, "address_key": [f"a-{p}" for p in everyone]})
    providers = pd.DataFrame({"provider_id": sorted({"G", background}), "kind": "hospital"})
    return {"claims": pd.DataFrame(rows), "persons": persons, "providers": providers}


def test_recruits_billed_one_package_again_and_again(tmp_path: Path) -> None:
    rings = scan(_store(tmp_path / "ws", _van_city()), patterns=["group_hospitalisation"])
    assert len(rings) == 1
    ring = rings[0]
    assert ring.method["signal"] == "package"
    # a background patient billed twice on the price with a like stay may join by chance
    assert set(VAN) <= ring.member_ids("person")
    assert len(ring.member_ids("person") - set(VAN)) <= 2
    assert ring.member_ids("institution") == {"G"}
    assert f"billed {len(ring.member_ids('person'))} people the same price" in ring.explanation_en


def test_a_flat_rate_ward_is_no_package_ring(tmp_path: Path) -> None:
    """Where the institution bills every stay at that price, the recruits' price is the
    institution's, and repeating it is expected."""
    store = _store(tmp_path / "ws", _van_city(flat_rate=True))
    assert not [
        r for r in scan(store, patterns=["group_hospitalisation"]) if r.method.get("signal")
    ]


def test_a_hospital_admitting_only_its_recruits_is_judged_by_the_citys_inpatients(
    tmp_path: Path,
) -> None:
    """G has no other inpatients to say what it bills; the city's one-time inpatients
    (at H) say how often an ordinary stay lands on one price: rarely."""
    store = _store(tmp_path / "ws", _van_city(background="H"))
    rings = scan(store, patterns=["group_hospitalisation"])
    packages = [r for r in rings if r.method.get("signal")]
    assert len(packages) == 1 and set(VAN) == packages[0].member_ids("person")


def test_recruits_alone_on_the_citys_flat_rate_are_no_package_ring(tmp_path: Path) -> None:
    """Where the city's institutions bill every stay of a diagnosis at one price, the
    recruits' repeated price is what an ordinary inpatient pays too."""
    store = _store(tmp_path / "ws", _van_city(flat_rate=True, background="H"))
    assert not [
        r for r in scan(store, patterns=["group_hospitalisation"]) if r.method.get("signal")
    ]


def test_an_eye_hospitals_second_eyes_are_no_package_ring(tmp_path: Path) -> None:
    """Eye hospital E, with few other inpatients, runs a campaign: 40 villagers on three
    buses, 32 back weeks later for the second eye, each billed the package twice. A
    second eye is its first eye's treatment completed, billed as it was: one draw of the
    price, not two, so 32 people billed it twice is what the campaign gives."""
    rng = np.random.default_rng(41)
    frames = _hospital_city()
    rows = frames["claims"].to_dict("records")
    villagers = [f"W{i:02d}" for i in range(40)]
    for i, person in enumerate(villagers):
        first = (150, 158, 166)[i % 3]
        _stay(rows, person, "E", first, 4200 + float(rng.uniform(0, 150)), 2, "H25.9")
        if i < 32:
            back = first + int(rng.integers(14, 43))
            _stay(rows, person, "E", back, 4200 + float(rng.uniform(0, 150)), 2, "H25.9")
    for i in range(12):
        amount = float(round(3000 * rng.lognormal(0, 0.4), 2))
        _stay(rows, f"O{i:02d}", "E", 20 * i + 5, amount, int(rng.integers(2, 12)), "J18.9")
    for i, row in enumerate(rows):
        row["claim_id"] = f"C{i:05d}"
    everyone = sorted({str(r["person_id"]) for r in rows})
    persons = pd.DataFrame({"person_id": everyone, "address_key": [f"a-{p}" for p in everyone]})
    providers = pd.DataFrame({"provider_id": ["E", "H", "T"], "kind": "hospital"})
    store = _store(
        tmp_path / "ws",
        {"claims": pd.DataFrame(rows), "persons": persons, "providers": providers},
    )
    rings = scan(store, patterns=["group_hospitalisation"])
    assert not [r for r in rings if r.member_ids("person") & set(villagers)]


BUS = [f"S{i:02d}" for i in range(10)]


def _burst_city(diagnoses: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The hospital city, and a quiet township hospital K (40 admissions a year of its
    own, bills and stays spread like real ones) that admits ten recruits in two bursts
    forty days apart, six and then four, each new, nine or ten days and about 6,000
    yuan, with ``diagnoses`` taken in turn; only S00 and S01 come to both bursts."""
    frames = _hospital_city()
    rng = np.random.default_rng(41)
    rows = frames["claims"].to_dict("records")
    for i in range(40):
        amount = float(round(3000 * rng.lognormal(0, 0.4), 2))
        dx = str(rng.choice(["J18.9", "I10", "E11.9", "K29.7"]))
        _stay(
            rows, f"L{i:02d}", "K", int(rng.integers(0, 360)), amount, int(rng.integers(2, 12)), dx
        )
    waves = {100: BUS[:6], 140: [*BUS[:2], *BUS[6:]]}
    for start, people in waves.items():
        for i, person in enumerate(people):
            dx = diagnoses[i % len(diagnoses)]
            _stay(rows, person, "K", start + i % 2, 5900.0 + 40 * i, 9 + i % 2, dx)
    for i, row in enumerate(rows):
        row["claim_id"] = f"C{i:05d}"
    persons = pd.DataFrame({"person_id": sorted({str(r["person_id"]) for r in rows})})
    providers = pd.concat(
        [frames["providers"], pd.DataFrame({"provider_id": ["K"], "kind": ["township"]})]
    )
    return {"claims": pd.DataFrame(rows), "persons": persons, "providers": providers}


def test_bursts_of_unrelated_illnesses_billed_alike_are_a_ring(tmp_path: Path) -> None:
    """Two of ten come twice, so repetition cannot show the ring; the bursts can: a
    quiet hospital admits far more than its pace, all kept and billed alike, for knee
    arthritis and for lung disease at one price."""
    frames = _burst_city(("M17.9", "J44.9"))
    rings = scan(_store(tmp_path / "ws", frames), patterns=["group_hospitalisation"])
    found = [r for r in rings if r.member_ids("institution") == {"K"}]
    assert [r.member_ids("person") for r in found] == [set(BUS)]
    assert found[0].method["signal"] == "bursts"


def test_recruits_back_in_every_burst_are_part_of_the_burst_ring(tmp_path: Path) -> None:
    """A third burst brings S00-S03 back, so those four meet in three waves and are a
    wave group of their own; it is inside the burst ring of ten (the bursts' look-alike
    stays hold them), one case and not a second one of four."""
    frames = _burst_city(("M17.9", "J44.9"))
    rows = frames["claims"].to_dict("records")
    for i, person in enumerate(BUS[:4]):
        dx = ("M17.9", "J44.9")[i % 2]
        _stay(rows, person, "K", 220 + i % 2, 5900.0 + 40 * i, 9 + i % 2, dx)
    frames["claims"] = pd.DataFrame(rows).assign(claim_id=[f"C{i:05d}" for i in range(len(rows))])
    rings = scan(_store(tmp_path / "ws", frames), patterns=["group_hospitalisation"])
    found = [r for r in rings if r.member_ids("institution") == {"K"}]
    assert [r.member_ids("person") for r in found] == [set(BUS)]


def test_bursts_of_one_treatment_billed_alike_are_no_ring(tmp_path: Path) -> None:
    """The same bursts for one diagnosis are two campaign days of one treatment (a
    hospital's cataract days): look-alike stays for one illness are what a campaign
    brings, and nothing else crowds them."""
    frames = _burst_city(("H25.9",))
    rings = scan(_store(tmp_path / "ws", frames), patterns=["group_hospitalisation"])
    assert [r for r in rings if r.member_ids("institution") == {"K"}] == []


def test_windows_take_the_fullest_wave_first() -> None:
    """A stray admission two days before a wave does not cut the wave in two."""
    rows = pd.DataFrame({"entity": ["x", "a", "b", "c", "d"], "day": [98, 102, 104, 106, 108]})
    found = waves(rows, 6)
    assert [(w.first, w.last, w.entities) for w in found] == [
        (98, 98, ["x"]),
        (102, 108, ["a", "b", "c", "d"]),
    ]


def test_meetings_are_every_pair_of_a_venue_within_the_span() -> None:
    """The sweep over a venue's days finds exactly the pairs that the definition (every
    two people of one venue, admitted at most span days apart) gives, with their days."""
    rng = np.random.default_rng(7)
    stays = pd.DataFrame(
        {
            "venue": rng.choice(["H1", "H2", "H10"], 300),
            "entity": [f"p{i}" for i in rng.integers(0, 25, 300)],
            "day": rng.integers(20000, 20120, 300),
            "follows": np.nan,
        }
    )
    days = stays.drop_duplicates()
    both = days.merge(days, on="venue", suffixes=("_a", "_b"))
    for span, found in meetings(stays, (1, 3, 6)).items():
        near = both[
            (both["entity_a"] < both["entity_b"]) & ((both["day_a"] - both["day_b"]).abs() <= span)
        ]
        want = near.groupby(["venue", "entity_a", "entity_b"]).agg(
            a=("day_a", "nunique"), b=("day_b", "nunique")
        )
        assert len(found) == len(want) > 0
        assert found["together"].tolist() == np.minimum(want["a"], want["b"]).tolist()
        assert list(zip(found["venue"], found["a"], found["b"], strict=True)) == list(want.index)


def test_groups_sharing_a_person_are_one_group() -> None:
    """Two cores of one institution, each with a recruit attached who is the other's
    core member, are one ring; a third core apart stays apart, and no merge grows a
    group past the size Leiden split it to."""
    groups = [["a", "b", "x"], ["x", "y", "b"], ["p", "q"]]
    assert _merge_shared(groups, 60) == [["a", "b", "x", "y"], ["p", "q"]]
    assert _merge_shared(groups, 3) == [["a", "b", "x"], ["b", "x", "y"], ["p", "q"]]


def test_season_spreads_admissions_by_month_and_weekday() -> None:
    days = pd.Series(10.0, index=np.arange(20089, 20089 + 365))
    days.iloc[100] = 50.0  # a ring's burst of five days' admissions barely moves the null
    season = Season(days)
    assert season.share(20089, 20089 + 364) == pytest.approx(1.0)
    assert float(season.share(20089 + 100, 20089 + 100)) < 1.5 / 365


def _conflict_city() -> dict[str, pd.DataFrame]:
    """Card X is in hospital A while a stay at B starts (a borrowed card); card Y is
    admitted twice at A with overlapping stays (double billing by A, not misuse)."""
    rows: list[dict[str, object]] = []
    _stay(rows, "X", "A", 10, 3000.0, 8, "J18.9")
    _stay(rows, "X", "B", 13, 3000.0, 6, "K80.2")
    _stay(rows, "Y", "A", 30, 3000.0, 8, "J18.9")
    _stay(rows, "Y", "A", 33, 3000.0, 6, "J18.9")
    persons = pd.DataFrame({"person_id": ["X", "Y"]})
    providers = pd.DataFrame({"provider_id": ["A", "B"], "kind": ["hospital", "hospital"]})
    return {"claims": pd.DataFrame(rows), "persons": persons, "providers": providers}


def test_overlap_counts_only_across_providers(tmp_path: Path) -> None:
    store = _store(tmp_path / "conflicts", _conflict_city())
    flagged = store.projection("card_conflicts", since=None, until=None, region_digits=6)
    found = flagged[["card_id", "provider_id", "reason"]].to_numpy().tolist()
    assert found == [["card-X", "B", "overlap"]]
    # B's admission could have fallen inside X's eight days at A less the two days' margin
    assert flagged["overlap_seconds"].tolist() == [6 * 86400]


def test_borrowed_cards_spread_over_the_cashiers_are_one_ring(tmp_path: Path) -> None:
    """Ten holders from another county lie in hospital H, settled by whichever of five
    cashiers is at the desk (two cards each: no cashier has a ring of their own), while
    their cards keep buying at their home pharmacy far away. Over all of H's cashiers the
    far-away purchases inside the stays are far beyond the holders' own pace: one ring of
    H and the ten cards, no cashier named. H's local patients shopping next door are not
    far away and are not in it. No persons table is needed."""
    rows: list[dict[str, object]] = []
    far = [f"X{i}" for i in range(10)]
    for i, person in enumerate(far):
        for day in range(0, 360, 30):  # the holder's own pace at home
            _stay(rows, person, "P2", day, 80.0, 0, "J06", kind="pharmacy")
        admit = 35 + 30 * (i % 10)
        _stay(rows, person, "H", admit, 9_000.0, 8, "K80.2")
        rows[-1]["operator_id"] = f"O{i % 5}"
        _stay(rows, person, "P2", admit + 3, 80.0, 0, "J06", kind="pharmacy")
    for i in range(30):
        person = f"L{i:02d}"
        for day in range(i, 360, 20):
            _stay(rows, person, "P1", day, 60.0, 0, "J06", kind="pharmacy")
        _stay(rows, person, "H", 10 + 11 * i, 6_000.0, 6, "I63.9")
        rows[-1]["operator_id"] = f"O{i % 5}"
    providers = pd.DataFrame(
        {
            "provider_id": ["H", "P1", "P2"],
            "kind": ["institution", "pharmacy", "pharmacy"],
            "region_code": ["330702001000", "330702001000", "330703001000"],
        }
    )
    store = embedded_store(Workspace.open(tmp_path / "spread"))
    store.upsert("providers", providers)
    store.upsert("claims", pd.DataFrame(rows))
    rings = scan(store, patterns=["identity_misuse"])
    assert len(rings) == 1
    ring = rings[0]
    assert ring.member_ids("institution") == {"H"}
    assert ring.member_ids("operator") == set()
    assert ring.member_ids("person") == set(far)


def test_without_diagnoses_one_wave_recruits_are_look_alikes_by_stay_and_bill() -> None:
    """A ring of three admitted on days 100 and 200 (8 days, 5,000 yuan) and six more who
    came once in those waves with the same stay and bill; the institution's other stays are
    short and cheap; no stay carries a diagnosis: stay and bill alone attach the six."""
    ring, alike = ["A", "B", "C"], [f"L{i}" for i in range(6)]
    stays = [(p, d, 5000.0, 8) for p in ring for d in (100, 200)]
    stays += [(p, (100, 200)[i % 2] + i % 3, 5050.0, 8) for i, p in enumerate(alike)]
    stays += [(f"X{i}", 7 * i, 1000.0, 3) for i in range(50)]
    rows = pd.DataFrame(
        {
            "claim_id": [f"C{i}" for i in range(len(stays))],
            "person_id": [p for p, *_ in stays],
            "card_id": [p for p, *_ in stays],
            "day": [d for _, d, *_ in stays],
            "diagnosis_code": None,
            "total_amount": [a for *_, a, _ in stays],
            "stay_days": [n for *_, n in stays],
            "address_key": None,
            "phone_key": None,
        }
    )
    group = Group("H", ring, [Wave(100, 100, ring), Wave(200, 200, ring)], 3, [], 2, 0.01, 1, 3)
    evidence = rows[rows["person_id"].isin(ring)]
    contacts = pd.DataFrame({"phone_key": None, "address_key": None}, index=ring)
    found, crowd, *_ = GroupHospitalisation()._once(rows, group, evidence, contacts)
    assert set(found["person_id"]) == set(alike) and crowd == len(alike)


def _split_ring_city() -> dict[str, pd.DataFrame]:
    """The hospital city, and a quiet township hospital K (40 admissions a year of its
    own) where a ring brings four recruits in each of its waves: A0-A3 on days 30 and 90,
    B0-B3 on days 210 and 270, and all eight on day 150, with the illnesses, stays and
    bills of K's own patients (no package to find them by). A's and B's pairs meet once,
    in the wave of day 150."""
    frames = _hospital_city()
    rng = np.random.default_rng(43)
    rows = frames["claims"].to_dict("records")
    for i in range(40):
        amount = float(round(3000 * rng.lognormal(0, 0.4), 2))
        dx = str(rng.choice(["J18.9", "I10", "E11.9", "K29.7"]))
        _stay(
            rows, f"L{i:02d}", "K", int(rng.integers(0, 360)), amount, int(rng.integers(2, 12)), dx
        )
    halves = {"A": (30, 90), "B": (210, 270)}
    for half, days in halves.items():
        for day in (*days, 150):
            for i in range(4):
                amount = float(round(3000 * rng.lognormal(0, 0.4), 2))
                dx = str(rng.choice(["J18.9", "I10", "E11.9", "K29.7"]))
                _stay(rows, f"{half}{i}", "K", day + i % 2, amount, int(rng.integers(2, 12)), dx)
    for i, row in enumerate(rows):
        row["claim_id"] = f"C{i:05d}"
    persons = pd.DataFrame({"person_id": sorted({str(r["person_id"]) for r in rows})})
    providers = pd.concat(
        [frames["providers"], pd.DataFrame({"provider_id": ["K"], "kind": ["township"]})]
    )
    return {"claims": pd.DataFrame(rows), "persons": persons, "providers": providers}


def test_a_ring_whose_waves_each_bring_a_few_recruits_is_one_ring(tmp_path: Path) -> None:
    """A's and B's pairs meet too seldom across the halves to join them, but the halves
    were admitted in one wave, and together they are more certain than either: one ring
    of eight, not two of four."""
    frames = _split_ring_city()
    rings = scan(_store(tmp_path / "ws", frames), patterns=["group_hospitalisation"])
    found = [r for r in rings if r.member_ids("institution") == {"K"}]
    assert [r.member_ids("person") for r in found] == [{f"{h}{i}" for h in "AB" for i in range(4)}]
