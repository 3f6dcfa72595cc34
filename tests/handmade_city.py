"""A small hand-built city for detector tests: one ring of each pattern and the hard
negatives that naive co-occurrence would flag (a busy pharmacy at rush hour, a family
shopping together, a village screening day, chronic patients refilling next door)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

START = datetime(2025, 1, 1)
DAYS = 120

LENDING_CARDS = [f"L{i}" for i in range(8)]
RECRUITS = [f"R{i}" for i in range(10)]
KICKBACK_PATIENTS = [f"K{i}" for i in range(8)]
DEAD = [f"X{i}" for i in range(5)]
FAMILY = [f"F{i}" for i in range(4)]
VILLAGERS = [f"V{i:03d}" for i in range(60)]
BACKGROUND = [f"B{i:03d}" for i in range(300)]


@dataclass
class City:
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(7))
    rows: list[dict[str, object]] = field(default_factory=list)

    def claim(
        self,
        kind: str,
        person: str,
        provider: str,
        when: datetime,
        amount: float,
        operator: str | None = None,
        doctor: str | None = None,
        stay: int | None = None,
        diagnosis: str = "J06",
    ) -> None:
        fund = round(amount * (0.7 if kind == "inpatient" else 0.0), 2)
        account = round((amount - fund) * 0.8, 2)
        self.rows.append(
            {
                "claim_id": f"C{len(self.rows):06d}",
                "kind": kind,
                "person_id": person,
                "card_id": f"card-{person}",
                "provider_id": provider,
                "doctor_id": doctor,
                "operator_id": operator,
                "start_time": when,
                "end_time": when + timedelta(days=stay) if stay else None,
                "diagnosis_code": diagnosis,
                "total_amount": round(amount, 2),
                "fund_amount": fund,
                "account_amount": account,
                "cash_amount": round(amount - fund - account, 2),
            }
        )

    def at(self, day: int, hour: float) -> datetime:
        return START + timedelta(days=int(day), minutes=round(hour * 60))


def build() -> dict[str, pd.DataFrame]:
    city = City()
    rng = city.rng
    for day in range(DAYS):
        # busy pharmacy next to the hospital: one operator, a crowd at rush hour
        for person in rng.choice(BACKGROUND, 25, replace=False):
            city.claim("pharmacy", person, "P1", city.at(day, 8 + rng.random()), 40, "O1")
        # a quiet pharmacy in town with a few random customers
        for person in rng.choice(BACKGROUND, 3, replace=False):
            city.claim("pharmacy", person, "P2", city.at(day, 9 + 9 * rng.random()), 35, "O2")
        # the big hospital admits unrelated people every day
        # (one-night stays, so nobody is ever admitted twice at once)
        for person in rng.choice(BACKGROUND[:200], 5, replace=False):
            bill = 5000 * rng.lognormal(0, 0.3)
            city.claim("inpatient", person, "H1", city.at(day, 10), bill, doctor="D1", stay=1)
        for person in rng.choice(BACKGROUND[200:], 3, replace=False):
            city.claim("inpatient", person, "H2", city.at(day, 11), 4000, doctor="D6", stay=1)
        # oncology: colleagues' expensive prescriptions go to the pharmacy by the door
        doctor = ("D1", "D2", "D3", "D4")[day % 4]
        city.claim("pharmacy", rng.choice(BACKGROUND), "P1", city.at(day, 15), 1500, "O1", doctor)
    # card collection: operator O2 swipes a subset of 8 collected cards minutes apart
    for day in rng.choice(DAYS, 20, replace=False):
        chosen = rng.choice(LENDING_CARDS, int(rng.integers(5, 9)), replace=False)
        for k, person in enumerate(sorted(chosen)):
            city.claim("pharmacy", person, "P2", city.at(day, 21 + k / 60), 180, "O2")
    # a family shopping together at the busy pharmacy
    for day in rng.choice(DAYS, 15, replace=False):
        for k, person in enumerate(FAMILY):
            city.claim("pharmacy", person, "P1", city.at(day, 15 + k / 60), 30, "O1")
    # village screening day at the township centre, then the whole village at the pharmacy
    for k, person in enumerate(VILLAGERS):
        city.claim("outpatient", person, "T1", city.at(45, 8 + k / 30), 20, doctor="D7")
        city.claim("pharmacy", person, "P2", city.at(45, 12 + k / 60), 25, "O2")
        if k < 20:
            city.claim("inpatient", person, "T1", city.at(45, 14), 800, doctor="D7", stay=2)
    # group hospitalisation: recruits admitted to the private hospital in waves
    for day in (10, 30, 50, 70, 90, 110):
        for person in rng.choice(RECRUITS, int(rng.integers(6, 11)), replace=False):
            amount = 3000 + rng.normal(0, 50)
            city.claim("inpatient", person, "H2", city.at(day, 9), amount, "", "D5", 7, "I10")
    # kickback: doctor D9 steers high-value prescriptions to a distant pharmacy
    for person in KICKBACK_PATIENTS:
        for day in rng.choice(DAYS, 6, replace=False):
            city.claim("pharmacy", person, "P3", city.at(day, 16), 3000, "O3", "D9", None, "C34")
    # chronic patients of every hospital doctor refill monthly at the pharmacy next door
    for i, person in enumerate(BACKGROUND[:120]):
        doctor = ("D1", "D2", "D3", "D4", "D9")[i % 5]
        for month in range(4):
            day = month * 30 + int(rng.integers(0, 28))
            hour = 9 + 8 * rng.random()
            city.claim("pharmacy", person, "P1", city.at(day, hour), 60, "O1", doctor, None, "I10")
    # identity misuse: dead people's cards keep being used at one clinic
    for person in DEAD:
        for day in rng.choice(np.arange(20, DAYS), 3, replace=False):
            city.claim("outpatient", person, "K1", city.at(day, 10), 300, "O5", "D8")
    city.claim("outpatient", BACKGROUND[299], "H1", city.at(100, 9), 50, doctor="D1")

    claims = pd.DataFrame(city.rows)
    everyone = sorted(set(claims["person_id"]))
    persons = pd.DataFrame(
        {
            "person_id": everyone,
            "sex": ["F" if i % 2 else "M" for i in range(len(everyone))],
            "birth_date": pd.Timestamp("1960-01-01"),
            "region_code": "R1",
            "address_key": [f"addr-{p}" for p in everyone],
            "phone_key": [f"phone-{p}" for p in everyone],
        }
    )
    persons.loc[persons["person_id"].isin(FAMILY), "address_key"] = "addr-family"
    persons.loc[persons["person_id"].isin(VILLAGERS), "address_key"] = None
    persons.loc[persons["person_id"].isin(RECRUITS[:4]), "phone_key"] = "phone-recruiter"
    dead = persons["person_id"].isin([*DEAD, BACKGROUND[299]])
    persons.loc[dead, "death_date"] = pd.Timestamp(START + timedelta(days=5))
    providers = pd.DataFrame(
        {
            "provider_id": ["H1", "H2", "T1", "K1", "P1", "P2", "P3"],
            "kind": ["hospital", "hospital", "township", "clinic"] + ["pharmacy"] * 3,
            "region_code": ["R1", "R1", "R2", "R1", "R1", "R2", "R3"],
        }
    )
    doctors = pd.DataFrame(
        {
            "doctor_id": ["D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9"],
            "provider_id": ["H1", "H1", "H1", "H1", "H2", "H2", "T1", "K1", "H1"],
        }
    )
    return {"claims": claims, "persons": persons, "providers": providers, "doctors": doctors}


def load(store: object) -> dict[str, pd.DataFrame]:
    """Entity tables first: claims would otherwise create bare derived entity rows."""
    frames = build()
    for table in ("persons", "providers", "doctors", "claims"):
        store.upsert(table, frames[table])  # type: ignore[attr-defined]
    return frames
