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
