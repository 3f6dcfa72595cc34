"""Kickback and resale (回扣、医患合谋、倒卖药品): a doctor's high-value external
prescriptions flowing to one pharmacy far more than the doctor's volume and that
pharmacy's share among the doctor's colleagues (same institution) predict. Patients of
every doctor fill prescriptions at the pharmacy by the hospital door, and chronic refills
are cheap, so neither stands out; a doctor steering a group of patients with expensive
drugs to a pharmacy the colleagues do not use does."""

from __future__ import annotations

from dataclasses import dataclass

import igraph as ig
import numpy as np
import pandas as pd

from graphscan.detect.base import Candidate, Window, finish, short
from graphscan.detect.significance import poisson_tail
from graphscan.rings import Member, Ring
from graphscan.store.base import Store


@dataclass
class Kickback:
    pattern: str = "kickback"
    #: a prescription at least this expensive (yuan) is high-value
    high_value: float = 1000.0
    #: high-value prescriptions a flow needs before it is tested
    min_claims: int = 5
    #: distinct patients a flow needs (one patient is not a ring)
    min_patients: int = 3
    edge_p: float = 1e-6
    #: pseudo-count pulling a thin regional share toward the city-wide share
    prior_weight: float = 20.0

    def expected(self, flows: pd.DataFrame) -> np.ndarray:
        """Prescriptions the doctor would send to the pharmacy if they chose pharmacies
        like their colleagues, smoothed toward the city-wide share (both without the
        doctor's own prescriptions; add-one over pharmacies, so no share is zero)."""
        pharmacies = flows["pharmacy_id"].nunique()
        city = (flows["pharmacy_claims"] - flows["claims"] + 1).astype(float) / (
            flows["all_claims"] - flows["doctor_claims"] + pharmacies
        ).astype(float)
        peers_to = (flows["peers_to_pharmacy"] - flows["claims"]).astype(float)
        peers = (flows["peers_claims"] - flows["doctor_claims"]).astype(float)
        share = (peers_to + self.prior_weight * city) / (peers + self.prior_weight)
        return (flows["doctor_claims"].astype(float) * share).to_numpy()

    def find(self, store: Store, window: Window) -> list[Ring]:
        args = {**window.params(), "high_value": self.high_value}
        flows = store.projection("prescription_flows", **args)
        if flows.empty:
            return []
        flows = flows.assign(expected=self.expected(flows))
        flows = flows.assign(p=poisson_tail(flows["claims"].to_numpy(), flows["expected"]))
        flagged = flows[
            (flows["claims"] >= self.min_claims)
            & (flows["patients"] >= self.min_patients)
            & (flows["p"] <= self.edge_p)
        ]
        if flagged.empty:
            return []
        claims = store.projection(
            "prescription_flow_claims",
            **args,
            doctors=sorted(set(flagged["doctor_id"])),
            pharmacies=sorted(set(flagged["pharmacy_id"])),
        )
        pairs = set(zip(flagged["doctor_id"], flagged["pharmacy_id"], strict=True))
        keep = [
            (d, f) in pairs for d, f in zip(claims["doctor_id"], claims["pharmacy_id"], strict=True)
        ]
        claims = claims[keep]
        candidates = [self._candidate(part, claims) for part in _components(flagged)]
        return finish(store, candidates)

    def _candidate(self, flows: pd.DataFrame, claims: pd.DataFrame) -> Candidate:
        doctors = sorted(set(flows["doctor_id"]))
        pharmacies = sorted(set(flows["pharmacy_id"]))
        evidence = claims[
            claims["doctor_id"].isin(doctors) & claims["pharmacy_id"].isin(pharmacies)
        ]
        patients = sorted(set(evidence["person_id"]))
        cards = sorted(set(evidence["card_id"]))
        observed, expected = int(flows["claims"].sum()), float(flows["expected"].sum())
        numbers = {
            "doc": ", ".join(short(d) + "…" for d in doctors),
            "ph": ", ".join(short(p) + "…" for p in pharmacies),
            "rx": observed,
            "patients": len(patients),
            "exp": f"{expected:.2g}",
            "ratio": f"{observed / max(expected, 1e-9):.0f}",
            "hv": f"{self.high_value:.0f}",
        }
        return Candidate(
            pattern=self.pattern,
            members=[
                *(Member("doctor", d, "doctor") for d in doctors),
                *(Member("pharmacy", p, "pharmacy") for p in pharmacies),
                *(Member("person", p, "recruit") for p in patients),
                *(Member("card", c, "card_holder") for c in cards),
            ],
            claim_ids=sorted(evidence["claim_id"]),
            statistic=observed,
            expected=expected,
            explain_zh=(
                "医师 {doc} 的高值外配处方（每张≥{hv} 元）有 {rx} 张流向药店 {ph}，"
                "涉及 {patients} 名患者；按该医师处方量和同机构其他医师的药店选择"
                "估计的期望为 {exp} 张"
                "（约 {ratio} 倍）；证据结算 {claims} 笔（{days} 天），合计 {total:.2f} 元"
                "（统筹 {fund:.2f}，个人账户 {account:.2f}），{first} 至 {last}。"
            ),
            explain_en=(
                "{rx} high-value (>= {hv} yuan) external prescriptions of doctor {doc} were "
                "filled at pharmacy {ph} for {patients} patients; expected from the doctor's "
                "volume and the pharmacy choices of colleagues at the same institution: "
                "{exp} (about {ratio}x); "
                "{claims} evidence claims on {days} days, {total:.2f} yuan (fund "
                "{fund:.2f}, personal account {account:.2f}), {first} to {last}."
            ),
            numbers=numbers,
            method={
                "detector": self.pattern,
                "projection": ["prescription_flows", "prescription_flow_claims"],
                "high_value": self.high_value,
                "min_claims": self.min_claims,
                "min_patients": self.min_patients,
                "edge_p": self.edge_p,
                "prior_weight": self.prior_weight,
                "flows": len(flows),
            },
        )


def _components(flagged: pd.DataFrame) -> list[pd.DataFrame]:
    """Doctor-pharmacy flows that share a doctor or a pharmacy belong to one ring."""
    names = sorted(set(flagged["doctor_id"]) | set(flagged["pharmacy_id"]))
    index = {n: i for i, n in enumerate(names)}
    graph = ig.Graph(
        n=len(names),
        edges=list(
            zip(flagged["doctor_id"].map(index), flagged["pharmacy_id"].map(index), strict=True)
        ),
    )
    label = np.array(graph.connected_components().membership)
    part = label[flagged["doctor_id"].map(index).to_numpy()]
    return [flagged[part == k] for k in sorted(set(part))]
