"""Kickback and resale (回扣、医患合谋、倒卖药品): a doctor's high-value external
prescriptions flowing to one pharmacy far more than the doctor's volume and that
pharmacy's share among the doctor's colleagues (same institution) predict. Patients of
every doctor fill prescriptions at the pharmacy by the hospital door, and chronic refills
are cheap, so neither stands out; a doctor steering a group of patients with expensive
drugs to a pharmacy the colleagues do not use does, the same doctor - patient - pharmacy
triangles repeating. Resale is the second source (graphscan.detect.engines.resale): patients
buying a high-value drug far beyond need across outlets; where they are the patients of a
flagged flow they confirm it, otherwise they are a ring of their own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import igraph as ig
import numpy as np
import pandas as pd

from graphscan.detect.base import Candidate, Coverage, Detector, Frames, Lost, Window, short
from graphscan.detect.engines.resale import AHEAD, over_need, resale_rings
from graphscan.detect.engines.significance import poisson_tail
from graphscan.rings import Member
from graphscan.store.base import Store

FLOW_ZH = (
    "医师 {doc} 的高值外配处方（每张≥{hv} 元）有 {rx} 张流向药店 {ph}，"
    "涉及 {patients} 名患者，其中 {repeat} 名重复出现（同一医师—患者—药店三角"
    "两次以上）；按该医师处方量和同机构其他医师的药店选择"
    "估计的期望为 {exp} 张（约 {ratio} 倍）；{resale_zh}"
    "证据结算 {claims} 笔（{days} 天），合计 {total:.2f} 元"
    "（统筹 {fund:.2f}，个人账户 {account:.2f}），{first} 至 {last}。"
)
FLOW_EN = (
    "{rx} high-value (>= {hv} yuan) external prescriptions of doctor {doc} were "
    "filled at pharmacy {ph} for {patients} patients, {repeat} of whom came back "
    "(the same doctor - patient - pharmacy triangle twice or more); expected from "
    "the doctor's "
    "volume and the pharmacy choices of colleagues at the same institution: "
    "{exp} (about {ratio}x); {resale_en}"
    "{claims} evidence claims on {days} days, {total:.2f} yuan (fund "
    "{fund:.2f}, personal account {account:.2f}), {first} to {last}."
)
RESALE_ZH = (
    "{people} 名参保人在 {outlets} 家药店反复购买高值药品（每次≥{hv} 元：{drugs}），"
    "最后一次购药前已购入约 {obs} 次常规购药量；按该药全部购药者的中位购药节奏"
    "（{span} 天内）加一次提前购药估计，应为 {exp} 次（约 {ratio} 倍），远超用药需要；"
    "证据结算 {claims} 笔（{days} 天），合计 {total:.2f} 元（统筹 {fund:.2f}，"
    "个人账户 {account:.2f}），{first} 至 {last}。"
)
RESALE_EN = (
    "{people} patients bought high-value drugs (lines >= {hv} yuan: {drugs}) at "
    "{outlets} pharmacies far beyond need: before their last purchase they had "
    "bought about {obs} typical purchases' worth, where the drug's median pace "
    "among all its buyers (over up to {span} days) plus one refill ahead predicts "
    "{exp} (about {ratio}x); "
    "{claims} evidence claims on {days} days, {total:.2f} yuan (fund {fund:.2f}, "
    "personal account {account:.2f}), {first} to {last}."
)


@dataclass
class Kickback(Detector):
    """Parameters:
    high_value: a prescription at least this expensive (yuan) is high-value
    min_claims: high-value prescriptions a flow needs before it is tested
    min_patients: patients a flow needs who filled two or more of its prescriptions: the
        same doctor - patient - pharmacy triangle repeating (one patient is not a ring)
    edge_p: a doctor-pharmacy flow this unlikely under the colleagues' choices is flagged
    prior_weight: pseudo-count pulling a thin regional share toward the city-wide share
    min_outlets: resale: a person's purchases of one drug must span this many pharmacies
    resale_p: and exceed need this clearly (Poisson tail per person and drug)
    min_resellers: over-need buyers a resale ring needs
    """

    pattern: ClassVar[str] = "kickback"
    projections: ClassVar[tuple[str, ...]] = (
        "prescription_flows",
        "prescription_flow_claims",
        "drug_purchases",
    )

    high_value: float = 1000.0
    min_claims: int = 5
    min_patients: int = 3
    edge_p: float = 1e-6
    prior_weight: float = 20.0
    min_outlets: int = 2
    resale_p: float = 1e-4
    min_resellers: int = 2

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

    def lost_signals(self, coverage: Coverage) -> list[Lost]:
        lost: list[Lost] = []
        if not coverage.share("claims", "doctor_id", "pharmacy"):
            lost.append(("doctor_id", "not recorded on pharmacy claims: no prescription flows"))
        if not coverage.rows("claim_items"):
            lost.append(("claim_items", "table missing: no drug resale beyond need"))
        return lost

    def read(self, store: Store, window: Window) -> Frames:
        args = {**window.params(), "high_value": self.high_value}
        return self.frames(
            store,
            window,
            {
                "prescription_flows": store.projection("prescription_flows", **args),
                "drug_purchases": store.projection("drug_purchases", **args),
            },
        )

    def decide(self, frames: Frames) -> list[Candidate]:
        return _confirm(self._flows(frames), self._resale(frames))

    def _flows(self, frames: Frames) -> list[Candidate]:
        flows = frames["prescription_flows"]
        if flows.empty:
            return []
        flows = flows.assign(expected=self.expected(flows))
        flows = flows.assign(p=poisson_tail(flows["claims"].to_numpy(), flows["expected"]))
        flagged = flows[
            (flows["claims"] >= self.min_claims)
            & (flows["repeat_patients"] >= self.min_patients)
            & (flows["p"] <= self.edge_p)
        ]
        if flagged.empty:
            return []
        claims = frames.more(
            "prescription_flow_claims",
            high_value=self.high_value,
            doctors=sorted(set(flagged["doctor_id"])),
            pharmacies=sorted(set(flagged["pharmacy_id"])),
        )
        pairs = set(zip(flagged["doctor_id"], flagged["pharmacy_id"], strict=True))
        keep = [
            (d, f) in pairs for d, f in zip(claims["doctor_id"], claims["pharmacy_id"], strict=True)
        ]
        claims = claims[keep]
        return [self._candidate(frames, part, claims) for part in _components(flagged)]

    def _resale(self, frames: Frames) -> list[Candidate]:
        """Groups of patients buying high-value drugs far beyond need across outlets."""
        purchases = frames["drug_purchases"]
        if purchases.empty:
            return []
        need = over_need(purchases)
        flagged = need[(need["outlets"] >= self.min_outlets) & (need["p"] <= self.resale_p)]
        rings = []
        for lines in resale_rings(flagged, purchases):
            mine = need.merge(lines[["person_id", "item_code"]].drop_duplicates())
            if mine["person_id"].nunique() >= self.min_resellers:
                rings.append(self._resale_candidate(frames, mine, lines))
        return rings

    def _resale_candidate(
        self, frames: Frames, need: pd.DataFrame, lines: pd.DataFrame
    ) -> Candidate:
        people = sorted(set(lines["person_id"]))
        pharmacies = sorted(set(lines["pharmacy_id"]))
        per_doctor = lines.dropna(subset=["doctor_id"]).groupby("doctor_id")["person_id"]
        doctors = sorted(d for d, n in per_doctor.nunique().items() if n >= 2)
        observed, expected = int(need["observed"].sum()), float(need["expected"].sum())
        numbers = {
            "people": len(people),
            "outlets": len(pharmacies),
            "drugs": ", ".join(sorted(set(need["item_code"]))),
            "obs": observed,
            "exp": f"{expected:.1f}",
            "ratio": f"{observed / max(expected, 1e-9):.1f}",
            "span": f"{need['span'].max():.0f}",
            "hv": f"{self.high_value:.0f}",
        }
        return Candidate(
            pattern=self.pattern,
            members=[
                *(Member("pharmacy", p, "pharmacy") for p in pharmacies),
                *(Member("doctor", d, "doctor") for d in doctors),
                *(Member("person", p, "recruit") for p in people),
                *(Member("card", c, "card_holder") for c in sorted(set(lines["card_id"]))),
            ],
            claim_ids=sorted(set(lines["claim_id"])),
            statistic=observed,
            expected=expected,
            explain_zh=RESALE_ZH,
            explain_en=RESALE_EN,
            numbers=numbers,
            method=self.method(frames, signal="resale", purchases_ahead=AHEAD),
        )

    def _candidate(self, frames: Frames, flows: pd.DataFrame, claims: pd.DataFrame) -> Candidate:
        doctors = sorted(set(flows["doctor_id"]))
        pharmacies = sorted(set(flows["pharmacy_id"]))
        evidence = claims[
            claims["doctor_id"].isin(doctors) & claims["pharmacy_id"].isin(pharmacies)
        ]
        patients = sorted(set(evidence["person_id"]))
        triangles = evidence.groupby(["doctor_id", "pharmacy_id", "person_id"]).size()
        repeating = triangles[triangles >= 2].index.get_level_values("person_id").nunique()
        cards = sorted(set(evidence["card_id"]))
        observed, expected = int(flows["claims"].sum()), float(flows["expected"].sum())
        numbers = {
            "doc": ", ".join(short(d) + "…" for d in doctors),
            "ph": ", ".join(short(p) + "…" for p in pharmacies),
            "rx": observed,
            "patients": len(patients),
            "repeat": repeating,
            "exp": f"{expected:.2g}",
            "ratio": f"{observed / max(expected, 1e-9):.0f}",
            "hv": f"{self.high_value:.0f}",
            "resale_zh": "",
            "resale_en": "",
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
            explain_zh=FLOW_ZH,
            explain_en=FLOW_EN,
            numbers=numbers,
            method=self.method(frames, flows=len(flows)),
        )


def _confirm(flows: list[Candidate], resale: list[Candidate]) -> list[Candidate]:
    """A resale group sharing patients with a flow ring confirms that ring (its claims and
    patients added, its figures in the explanation) instead of standing apart."""
    kept = []
    folded: dict[int, list[Candidate]] = {}
    for group in resale:
        people = {m.id for m in group.members if m.kind == "person"}
        home = next(
            (
                i
                for i, f in enumerate(flows)
                if people & {m.id for m in f.members if m.kind == "person"}
            ),
            None,
        )
        if home is None:
            kept.append(group)
        else:
            folded.setdefault(home, []).append(group)
    for i, groups in folded.items():
        ring = flows[i]
        observed = sum(g.statistic for g in groups)
        expected = sum(g.expected for g in groups)
        people = {m.id for g in groups for m in g.members if m.kind == "person"}
        outlets = {m.id for g in groups for m in g.members if m.kind == "pharmacy"}
        cards = {m.id for g in groups for m in g.members if m.kind == "card"}
        ring.members += [Member("person", p, "recruit") for p in sorted(people)]
        ring.members += [Member("card", c, "card_holder") for c in sorted(cards)]
        ring.claim_ids = sorted(set(ring.claim_ids).union(*(g.claim_ids for g in groups)))
        # the flow's own fills are part of the over-need supply, so the two tests are not
        # independent: the resale test confirms in words and figures, not in the p-value
        ring.method["resale"] = {
            "observed": observed,
            "expected": expected,
            "p": float(poisson_tail(observed, expected)),
        }
        ring.numbers["resale_zh"] = (
            f"其中 {len(people)} 名患者还在 {len(outlets)} 家药店购买远超用药需要的高值药品"
            f"（约 {observed:.0f} 次常规购药量，按该药中位购药节奏应为 {expected:.1f} 次）；"
        )
        ring.numbers["resale_en"] = (
            f"{len(people)} of the patients also bought the drugs far beyond need at "
            f"{len(outlets)} pharmacies ({observed:.0f} typical purchases' worth where the "
            f"drug's median pace predicts {expected:.1f}); "
        )
    return [*flows, *kept]


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
