"""A hand-built card-collection ring with background traffic, for the evidence tests:
a pharmacy operator swipes 24 lent cards in bursts, a doctor sends prescriptions there,
and ordinary patients (a few card lenders among them) visit hospitals and pharmacies."""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta

import pandas as pd

from graphscan.pseudonym import Pseudonymiser
from graphscan.rings import Case, Member


def clear_id(i: int) -> str:
    """An 18-character ID number shape (not a real person)."""
    return f"3301021960{i:06d}1X"


def ring_claims(
    pseudonymiser: Pseudonymiser, seed: int = 3, ring_cards: int = 24, background: int = 60
) -> pd.DataFrame:
    """Canonical claims with lineage; persons are pseudonymised as a load would."""
    rng = random.Random(seed)
    rows = []
    start = datetime(2024, 3, 1, 9, 0)
    for burst in range(12):
        day = start + timedelta(days=burst * 7 + rng.randint(0, 2))
        for c in range(ring_cards):
            if rng.random() < 0.8:
                rows.append(
                    {
                        "person_id": clear_id(c),
                        "provider_id": "P33010200017",
                        "doctor_id": "D330102000123" if rng.random() < 0.3 else None,
                        "operator_id": "OP-7",
                        "kind": "pharmacy",
                        "start_time": day + timedelta(minutes=3 * c),
                        "total_amount": round(rng.uniform(180, 320), 2),
                    }
                )
    providers = ["H33010200001", "H33010200002", "P33010200031"]
    for b in range(background):
        provider = rng.choice(providers)
        rows.append(
            {
                "person_id": clear_id(b % 6 if b < 12 else 1000 + b % 40),
                "provider_id": provider,
                "doctor_id": f"D3301020009{b % 5:02d}" if provider.startswith("H") else None,
                "operator_id": None,
                "kind": "pharmacy" if provider.startswith("P") else "outpatient",
                "start_time": start + timedelta(days=rng.randint(0, 90), hours=rng.randint(0, 8)),
                "total_amount": round(rng.uniform(20, 400), 2),
            }
        )
    frame = pd.DataFrame(rows)
    frame.insert(0, "claim_id", [f"CL{i:06d}" for i in range(len(frame))])
    frame["person_id"] = pseudonymiser.pseudonymise(frame["person_id"])
    frame["card_id"] = frame["person_id"]
    frame["end_time"] = pd.NaT
    frame["diagnosis_code"] = None
    frame["fund_amount"] = 0.0
    frame["account_amount"] = frame["total_amount"]
    frame["cash_amount"] = 0.0
    frame["source_file"] = "settlement_2024Q1.csv"
    frame["source_row"] = range(2, len(frame) + 2)
    frame["load_id"] = "load-0001"
    frame["row_hash"] = [hashlib.sha256(c.encode()).hexdigest()[:16] for c in frame["claim_id"]]
    return frame


def ring_case(claims: pd.DataFrame) -> Case:
    ring = claims[claims["operator_id"] == "OP-7"]
    members = [
        Member("pharmacy", "P33010200017", "pharmacy"),
        Member("operator", "OP-7", "operator"),
    ]
    members += [Member("person", p, "card_holder") for p in sorted(ring["person_id"].unique())]
    return Case(
        pattern="card_lending",
        members=members,
        claim_ids=sorted(ring["claim_id"]),
        statistic=float(len(ring)),
        expected=3.2,
        p_value=1.4e-12,
        total_amount=float(ring["total_amount"].sum()),
        fund_amount=0.0,
        account_amount=float(ring["total_amount"].sum()),
        first_time=ring["start_time"].min().to_pydatetime(),
        last_time=ring["start_time"].max().to_pydatetime(),
        explanation_zh="同一操作员在同一药店成批刷 24 张无关医保卡，远超独立行为的期望。",
        explanation_en="One operator swiped 24 unrelated cards at one pharmacy in bursts, far "
        "above what independent behaviour predicts.",
        q_value=3.1e-10,
        score=27.5,
        method={"detector": "cooccurrence", "parameters": {"window_minutes": 60, "min_cards": 5}},
        case_id="C-2024-0001",
        rank=1,
    )


INSTITUTION = ("城东医院", "H330102000009")
KICKBACK_DOCTOR = "D330102000777"
KICKBACK_PHARMACY = "P33010200055"
DRUG = ("XC10AAA123A001010101", "阿托伐他汀钙片")


def context_tables(pseudonymiser: Pseudonymiser) -> dict[str, pd.DataFrame]:
    """A group hospitalisation ring whose organiser has no claims of their own (six
    recruits share the organiser's phone) and a kickback ring of one doctor, whose
    institution only the doctors table knows, with drug lines and cash payments."""
    recruits = [clear_id(500 + i) for i in range(6)]
    organiser = clear_id(900)
    start = datetime(2024, 5, 6, 8, 0)
    rows = []
    for wave in range(4):
        for i, person in enumerate(recruits):
            rows.append(
                ("inpatient", person, "H33010200088", "D330102000321", None,
                 start + timedelta(days=14 * wave, minutes=10 * i), 3200.0, 2600.0, 0.0, 600.0)
            )  # fmt: skip
    for i in range(8):
        rows.append(
            ("pharmacy", recruits[i % 3], KICKBACK_PHARMACY, KICKBACK_DOCTOR, "OP-9",
             start + timedelta(days=3 * i, hours=2), 900.0, 500.0, 300.0, 100.0)
        )  # fmt: skip
    columns = ["kind", "person_id", "provider_id", "doctor_id", "operator_id", "start_time"]
    columns += ["total_amount", "fund_amount", "account_amount", "cash_amount"]
    claims = pd.DataFrame(rows, columns=columns)
    claims.insert(0, "claim_id", [f"CX{i:05d}" for i in range(len(claims))])
    claims["person_id"] = pseudonymiser.pseudonymise(claims["person_id"])
    claims["card_id"] = claims["person_id"]
    claims["end_time"] = [
        t + timedelta(days=6) if k == "inpatient" else pd.NaT
        for k, t in zip(claims["kind"], claims["start_time"], strict=True)
    ]
    claims["diagnosis_code"] = ["I10" if k == "inpatient" else None for k in claims["kind"]]
    claims["source_file"] = "settlement_2024Q2.csv"
    claims["source_row"] = range(2, len(claims) + 2)
    claims["load_id"] = "load-0002"
    claims["row_hash"] = [f"r{i}" for i in range(len(claims))]
    people = pseudonymiser.pseudonymise(pd.Series([*recruits, organiser]))
    persons = pd.DataFrame(
        {"person_id": people, "phone_key": "tel-shared", "row_hash": [f"p{i}" for i in range(7)]}
    )
    rx = claims[claims["kind"] == "pharmacy"]
    items = pd.DataFrame(
        {
            "claim_id": rx["claim_id"],
            "item_code": DRUG[0],
            "item_name": DRUG[1],
            "item_kind": "drug",
            "quantity": 3.0,
            "unit_price": 300.0,
            "amount": 900.0,
            "source_file": "items.csv",
            "source_row": range(2, len(rx) + 2),
            "load_id": "load-0002",
            "row_hash": [f"i{i}" for i in range(len(rx))],
        }
    )
    doctors = pd.DataFrame(
        {"doctor_id": [KICKBACK_DOCTOR], "provider_id": [INSTITUTION[1]], "row_hash": ["d1"]}
    )
    providers = pd.DataFrame(
        {"provider_id": [INSTITUTION[1]], "name": [INSTITUTION[0]], "row_hash": ["v1"]}
    )
    return {
        "persons": persons,
        "providers": providers,
        "doctors": doctors,
        "claims": claims,
        "claim_items": items,
    }


def context_cases(tables: dict[str, pd.DataFrame]) -> tuple[Case, Case]:
    """(group hospitalisation case with its organiser, kickback case)."""
    claims = tables["claims"]
    organiser = str(tables["persons"]["person_id"].iloc[-1])

    def case(pattern: str, part: pd.DataFrame, members: list[Member], case_id: str) -> Case:
        total = float(part["total_amount"].sum())
        return Case(
            pattern=pattern,
            members=members,
            claim_ids=sorted(part["claim_id"]),
            statistic=4.0,
            expected=4.766e-11,
            p_value=9.89e-142,
            total_amount=total,
            fund_amount=float(part["fund_amount"].sum()),
            account_amount=float(part["account_amount"].sum()),
            first_time=part["start_time"].min().to_pydatetime(),
            last_time=part["start_time"].max().to_pydatetime(),
            explanation_zh="测试说明。",
            explanation_en="A test explanation.",
            q_value=2.2e-140,
            score=40.0,
            method={"detector": pattern, "high_value": 500.0, "min_claims": 5},
            case_id=case_id,
            rank=1,
        )

    stays = claims[claims["kind"] == "inpatient"]
    recruits = sorted(stays["person_id"].unique())
    group = case(
        "group_hospitalisation",
        stays,
        [
            Member("institution", "H33010200088", "institution"),
            *(Member("person", p, "recruit") for p in recruits),
            Member("person", organiser, "organiser"),
        ],
        "GS-group001",
    )
    rx = claims[claims["kind"] == "pharmacy"]
    kickback = case(
        "kickback",
        rx,
        [
            Member("doctor", KICKBACK_DOCTOR, "doctor"),
            Member("pharmacy", KICKBACK_PHARMACY, "pharmacy"),
            *(Member("person", p, "recruit") for p in sorted(rx["person_id"].unique())),
        ],
        "GS-kick0001",
    )
    return group, kickback
