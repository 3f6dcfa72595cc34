"""Every projection the detectors read has a Cypher twin that returns the same frame as
its SQL: same columns, same types, same rows in the same order. The test enumerates
graphscan/sql/, so a new projection without a twin in cypher/ fails here."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from embedded_store import embedded_store

from graphscan.detect.card_lending import CardLending
from graphscan.detect.engines.far_cards import REGION_DIGITS
from graphscan.detect.group_hospitalisation import GroupHospitalisation
from graphscan.detect.kickback import Kickback
from graphscan.store import embedded as store_module
from graphscan.store.embedded import RANGE_PARAMETERS, EmbeddedStore
from graphscan.store.neo4j import Neo4jStore
from graphscan.workspace import Workspace

pytestmark = pytest.mark.neo4j

#: Store-internal statements, not projections: they read frames the store registers
#: (_ids, _ent, _rows) and are compared through claims() and neighbourhood() in
#: test_neo4j_store, maintain the embedded store's claim and item links (link_claims,
#: link_items), or cut its per-pharmacy reads into ranges (pharmacy_swipes, and
#: card_roaming's first two steps: compared through card_roaming).
INTERNAL = {
    "card_conflicts_totals",
    "card_roaming_bursts",
    "card_roaming_screened",
    "claims_by_id",
    "claims_by_row",
    "link_claims",
    "link_items",
    "neighbourhood_step",
    "macros",
    "pharmacy_swipes",
    "provider_claims",
}
START = datetime(2024, 3, 1)


def projection_names() -> list[str]:
    sql = files("graphscan.sql")
    return sorted(
        p.name.removesuffix(".sql")
        for p in sql.iterdir()
        if p.name.endswith(".sql") and p.name.removesuffix(".sql") not in INTERNAL
    )


def parameter_sets() -> list[dict[str, Any]]:
    """The detectors' own parameters first, then a window and other settings."""
    lending, hospital, kickback = CardLending(), GroupHospitalisation(), Kickback()
    lists = {
        "doctors": ["D1", "D2", "D9", "nobody"],
        "pharmacies": ["P1", "P2", "P3"],
        "phones": ["t1", "t3", "nobody"],
        "claim_ids": ["c00000", "c00001", "c00007", "c00100", "nobody"],
        "person_ids": ["p01", "p02", "p03", "nobody"],
        "id_head": "p1",
        "id_tail": "",
    }
    return [
        {
            "since": None,
            "until": None,
            "gap_minutes": lending.gap_minutes,
            "min_bursts": lending.min_together,
            "max_burst_cards": lending.max_burst_cards,
            "stranger_bursts": lending.stranger_bursts,
            "min_strangers": lending.min_strangers,
            "wave_days": hospital.wave_days,
            "min_waves": hospital.min_together,
            "similar_bill": hospital.similar_bill,
            "high_value": kickback.high_value,
            "region_digits": REGION_DIGITS,
            "provider_id": "H2",
            **lists,
        },
        {
            "since": START + timedelta(days=10, hours=12),
            "until": START + timedelta(days=70),
            "gap_minutes": 2,
            "min_bursts": 2,
            "max_burst_cards": 3,
            "stranger_bursts": 1,
            "min_strangers": 2,
            "wave_days": 3,
            "min_waves": 3,
            "similar_bill": 0.5,
            "high_value": 0.0,
            "region_digits": 1,
            "provider_id": "K1",
            **lists,
        },
    ]


def city() -> dict[str, pd.DataFrame]:
    """A small city that touches every branch of the projections: bursts with gaps of
    exactly and just over the limit, cards missing (the person's id stands in), waves
    across midnight, open stays, prescriptions, and each identity conflict."""
    rng = np.random.default_rng(11)
    people = [f"p{i:02d}" for i in range(40)]
    rows: list[dict[str, Any]] = []

    def claim(kind: str, person: str, provider: str, when: datetime, **extra: Any) -> None:
        cents = int(rng.integers(100, 500_000))
        rows.append(
            {
                "claim_id": f"c{len(rows):05d}",
                "kind": kind,
                "person_id": person,
                "card_id": None if len(rows) % 9 == 0 else f"k-{person}",
                "provider_id": provider,
                "start_time": when,
                "total_amount": f"{cents // 100}.{cents % 100:02d}",
                "fund_amount": f"{cents // 300}.{cents % 7:02d}",
                **extra,
            }
        )

    for day in range(90):
        base = START + timedelta(days=day, hours=9)
        # a lending group of 6 cards swiped minutes apart at P2 by O2 on some days
        if day % 4 == 0:
            for k, person in enumerate(people[:6]):
                gap = [0, 300, 300.5, 120, 299.999, 60][k]
                when = base + timedelta(seconds=gap * (k + 1))
                claim("pharmacy", person, "P2", when, operator_id="O2", doctor_id="D2")
        # the same bag of cards carried to two pharmacies far from the holders' homes
        if day % 6 == 3:
            outlet, operator = [("P4", "O6"), ("P5", "O7")][day % 12 // 6]
            for k, person in enumerate(people[:6]):
                when = base + timedelta(hours=5, minutes=2 * k)
                claim("pharmacy", person, outlet, when, operator_id=operator)
        # busy pharmacy P1 with two operators and some swipes without an operator
        for person in rng.choice(people, 6, replace=False):
            when = base + timedelta(minutes=int(rng.integers(0, 600)))
            op = ["O1", "O3", None][int(rng.integers(0, 3))]
            doctor = ["D1", "D3", None, "D9"][int(rng.integers(0, 4))]
            claim("pharmacy", person, "P1", when, operator_id=op, doctor_id=doctor)
        # kickback flow D1 -> P3
        if day % 3 == 0:
            claim("pharmacy", people[10 + day % 5], "P3", base, operator_id="O4", doctor_id="D1")
        # group admissions at H2 around midnight, other admissions at H1, some still open
        if day % 7 == 0:
            for k, person in enumerate(people[12:20]):
                when = START + timedelta(days=day, hours=23, minutes=50 + 4 * k)
                stay = None if k == 0 else when + timedelta(days=int(rng.integers(2, 9)))
                claim(
                    "inpatient",
                    person,
                    "H2",
                    when,
                    end_time=stay,
                    doctor_id="D5",
                    diagnosis_code="I10",
                )
        person = people[20 + day % 15]
        claim(
            "inpatient",
            person,
            "H1",
            base,
            end_time=base + timedelta(days=5),
            doctor_id="D3",
            diagnosis_code="J18",
        )
        if day % 10 == 5:  # admitted elsewhere in the middle of that stay
            claim("inpatient", person, "K1", base + timedelta(days=2, hours=3), doctor_id="D4")
        # outpatient visits, some inside a stay elsewhere, with telling diagnoses
        dx = ["O80", "N40", "P07", "C61", "N85", "J06", None][day % 7]
        claim(
            "outpatient",
            people[20 + (day + 2) % 15],
            "K1",
            base + timedelta(days=1, hours=3),
            doctor_id="D4",
            operator_id="O5",
            diagnosis_code=dx,
        )
    # a holder living far away (buying at P4 every few days) in hospital at H1 now and
    # then while the purchases go on
    for day in range(2, 90, 4):
        claim("pharmacy", people[36], "P4", START + timedelta(days=day, hours=15))
    for day in (9, 49):
        when = START + timedelta(days=day, hours=10)
        claim("inpatient", people[36], "H1", when, end_time=when + timedelta(days=6))
    # pharmacies and hospitals the providers table does not hold, placed by their national
    # codes only (a county against the holders' regions, or against the card's other places)
    for k, person in enumerate(people[20:26]):
        when = START + timedelta(days=30 + k, hours=11)
        claim("pharmacy", person, "P33070410036", when, operator_id="O8")
        clinic = "H33070410002" if k % 2 else "H33070210001"
        claim("outpatient", person, clinic, when + timedelta(days=1), doctor_id="D4")
    # people admitted once at K1, for a few diagnoses (one unrecorded): ordinary inpatients
    for k, person in enumerate(people[:10]):
        when = START + timedelta(days=12 + 6 * k, hours=9)
        claim(
            "inpatient",
            person,
            "K1",
            when,
            end_time=when + timedelta(days=3),
            diagnosis_code=["K29", "K29", "M54", None][k % 4],
        )
    claims = pd.DataFrame(rows)
    claims["start_time"] = pd.to_datetime(claims["start_time"])
    claims["end_time"] = pd.to_datetime(claims["end_time"])
    claims = claims.assign(
        source_file="claims.csv",
        source_row=range(2, len(claims) + 2),
        load_id="L1",
        row_hash=[f"h{i}" for i in range(len(claims))],
    )
    persons = pd.DataFrame(
        {
            "person_id": people,
            "sex": [["M", "F", "男", "女", None][i % 5] for i in range(40)],
            "birth_date": [
                None if i % 11 == 0 else pd.Timestamp(1940 + (i * 7) % 80, 1 + i % 12, 1)
                for i in range(40)
            ],
            "death_date": [pd.Timestamp(2024, 4, 1) if i in (3, 25) else None for i in range(40)],
            "address_key": [f"a{i // 2}" if i % 3 else None for i in range(40)],
            "region_code": [f"R{1 + i % 2}" if i % 4 else None for i in range(40)],
            "phone_key": [f"t{i % 4}" if i % 2 else None for i in range(40)],
            "row_hash": [f"ph{i}" for i in range(40)],
        }
    )
    providers = pd.DataFrame(
        {
            "provider_id": ["H1", "H2", "K1", "P1", "P2", "P3", "P4", "P5"],
            "name": ["一院", "二院", None, "康民药店", None, "仁和药店", None, None],
            "kind": ["hospital", "hospital", "clinic"] + ["pharmacy"] * 5,
            "region_code": ["R1", "R2", "R1", "R1", "R2", None, "X4", "Y5"],
            "row_hash": ["v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8"],
        }
    )
    doctors = pd.DataFrame(
        {
            "doctor_id": ["D1", "D2", "D3", "D4", "D5"],
            "provider_id": ["H1", "H2", "H1", "K1", "H2"],
            "row_hash": ["d1", "d2", "d3", "d4", "d5"],
        }
    )
    # every fifth purchase has no item lines: valued by its total instead
    pharmacy = claims[claims["kind"] == "pharmacy"].reset_index(drop=True)
    bought = pharmacy[pharmacy.index % 5 != 4].reset_index(drop=True)
    code = np.array(["HV1", "HV2", "CH1"])[bought.index % 3]
    quantity = 1 + bought.index % 4
    price = np.where(code == "CH1", 30.0, 600.0)
    items = pd.DataFrame(
        {
            "claim_id": bought["claim_id"],
            "item_code": code,
            "item_kind": np.where(bought.index % 7 == 0, "other", "drug"),
            "quantity": quantity.astype(float),
            "unit_price": price,
            "amount": price * quantity,
            "source_file": "claim_items.csv",
            "source_row": range(2, len(bought) + 2),
            "load_id": "L1",
            "row_hash": [f"i{i}" for i in range(len(bought))],
        }
    )
    return {
        "claims": claims,
        "claim_items": items,
        "persons": persons,
        "providers": providers,
        "doctors": doctors,
    }


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing values as None and numbers as Python numbers, so int64 and Int64 agree."""
    return frame.astype(object).where(frame.notna(), None).reset_index(drop=True)


def kind(series: pd.Series) -> str:
    """Text, number or time: DuckDB returns some integer sums as float64, equal in value."""
    code = series.dtype.kind
    return "number" if code in "iuf" else "text" if code in "OSU" else code


@pytest.fixture
def stores(neo4j_store: Neo4jStore, tmp_path: Path) -> tuple[EmbeddedStore, Neo4jStore]:
    embedded = embedded_store(Workspace.open(tmp_path / "embedded"))
    for table, frame in city().items():
        for store in (embedded, neo4j_store):
            store.upsert(table, frame)
    # persons without sex (every fifth) or birth date (every eleventh) in the table, and
    # one known from claims only, with sex and birth date read from ID numbers
    facts = pa.table(
        {
            "person_id": ["p04", "p09", "p11", "p22", "p24", "nobody"],
            "sex": ["F", "M", "F", "M", "M", "F"],
            "birth_date": pa.array(
                [date(1950, 5, 1), date(2024, 1, 1), date(1960, 1, 1)] + [date(1990, 2, 3)] * 3,
                pa.date32(),
            ),
        }
    )
    for store in (embedded, neo4j_store):
        store.record_id_facts(facts)
    neo4j_store.record_load({"load_id": "L1", "source_file": "claims.csv", "report": {}})
    for store in (embedded, neo4j_store):  # two loads with their key fingerprints
        for day, key in ((2, "b0b0b0b0b0b0"), (1, "a1a1a1a1a1a1")):
            report = {"file": "claims.csv", "key": key}
            store.record_load(
                {
                    "load_id": f"K{day}",
                    "source_file": "claims.csv",
                    "finished_at": datetime(2025, 1, day),
                    "report": report,
                }
            )
    return embedded, neo4j_store


def test_every_projection_has_a_cypher_twin() -> None:
    cypher = files("graphscan.cypher")
    missing = [n for n in projection_names() if not (cypher / f"{n}.cypher").is_file()]
    assert not missing, f"projections without cypher/<name>.cypher: {missing}"


@pytest.mark.parametrize("name", projection_names())
def test_projection_returns_the_same_frame(
    name: str, stores: tuple[EmbeddedStore, Neo4jStore]
) -> None:
    embedded, neo4j = stores
    sql = files("graphscan.sql").joinpath(f"{name}.sql").read_text(encoding="utf-8")
    wanted = set(re.findall(r"\$([a-z_]+)", sql)) - set(RANGE_PARAMETERS)
    sets = parameter_sets()
    assert wanted <= set(sets[0]), f"{name}.sql takes parameters this test does not set"
    for params in sets:
        want, got = embedded.projection(name, **params), neo4j.projection(name, **params)
        assert list(got.columns) == list(want.columns)
        assert len(want) > 0, f"{name} is empty on the test city with {params}: extend it"
        if name == "card_conflicts":
            assert {"after_death", "overlap", "elsewhere", "outsider", "sex", "age"} <= set(
                want["reason"]
            )
        pd.testing.assert_frame_equal(
            comparable(got), comparable(want), check_dtype=False, check_exact=True
        )
        kinds = {c: (kind(got[c]), kind(want[c])) for c in want.columns if want[c].notna().any()}
        assert all(a == b for a, b in kinds.values()), kinds
    after = {**sets[0], "since": START + timedelta(days=3650)}  # mostly empty frames
    want, got = embedded.projection(name, **after), neo4j.projection(name, **after)
    assert list(got.columns) == list(want.columns)
    pd.testing.assert_frame_equal(
        comparable(got), comparable(want), check_dtype=False, check_exact=True
    )


def test_silent_stays_where_no_death_is_recorded_are_the_same(
    neo4j_store: Neo4jStore, tmp_path: Path
) -> None:
    """Where the persons table records no death, card_conflicts flags stays admitted after
    the holder's own claims stopped (silent) and sums what honest holders expect of them:
    both stores agree on the flags and the sums."""
    frames = city()
    frames["persons"] = frames["persons"].assign(death_date=None)
    # a holder who bought drugs on the first four days, then nothing, and whose card is
    # admitted at the end of the window
    claims = frames["claims"]
    stay = claims[claims["kind"] == "inpatient"].iloc[0]
    extra = [
        stay.to_dict()
        | {"claim_id": f"s{day}", "kind": "pharmacy", "provider_id": "P2", "end_time": None}
        | {"start_time": START + timedelta(days=day, hours=10), "diagnosis_code": None}
        for day in range(4)
    ]
    extra.append(
        stay.to_dict()
        | {"claim_id": "s9", "start_time": START + timedelta(days=85, hours=9)}
        | {"end_time": START + timedelta(days=88, hours=11)}
    )
    extra = [row | {"person_id": "p99", "card_id": "k-p99"} for row in extra]
    frames["claims"] = pd.concat([claims, pd.DataFrame(extra)], ignore_index=True)
    embedded = embedded_store(Workspace.open(tmp_path / "embedded"))
    for table, frame in frames.items():
        for store in (embedded, neo4j_store):
            store.upsert(table, frame)
    params = parameter_sets()[0]
    want = embedded.projection("card_conflicts", **params)
    got = neo4j_store.projection("card_conflicts", **params)
    assert "silent" in set(want["reason"]) and "after_death" not in set(want["reason"])
    assert want["provider_silent_expected"].gt(0).any()
    pd.testing.assert_frame_equal(
        comparable(got), comparable(want), check_dtype=False, check_exact=True
    )


@pytest.mark.parametrize(
    ("name", "ranged", "kinds"),
    [
        ("card_bursts", "card_bursts", ("pharmacy",)),
        ("card_burst_sizes", "card_burst_sizes", ("pharmacy",)),
        ("card_roaming", "card_roaming_bursts", ("pharmacy",)),
        ("card_conflicts", "card_conflicts", ("pharmacy", "outpatient", "inpatient")),
    ],
)
def test_a_read_in_ranges_of_providers_is_the_read_in_one_piece(
    name: str, ranged: str, kinds: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On this city, whose cards also travel between pharmacies and whose holders lie in
    two hospitals, are dead, far from home or of the wrong sex and age, the embedded
    store's ranged reads cut into one range per provider (a budget for a few rows at once)
    give the frames of the read in one piece, rows and sums, for every parameter set."""
    embedded = embedded_store(Workspace.open(tmp_path / "embedded"))
    for table, frame in city().items():
        embedded.upsert(table, frame)
    whole = [embedded.projection(name, **params) for params in parameter_sets()]
    for cut in (store_module.PER_PHARMACY, store_module.PER_PROVIDER):
        monkeypatch.setattr(cut, "row_bytes", 2**30)
    embedded.limit_memory(2**30)
    providers = embedded.db.execute(
        "SELECT count(DISTINCT provider_id) FROM claims WHERE list_contains(?, kind)",
        [list(kinds)],
    ).fetchall()[0][0]
    assert len(embedded.ranges(ranged, None, None)) == providers >= 3
    for params, want in zip(parameter_sets(), whole, strict=True):
        pd.testing.assert_frame_equal(embedded.projection(name, **params), want, obj=name)
