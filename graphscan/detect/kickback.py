"""Kickback and resale (回扣、医患合谋、倒卖药品): doctors of one institution steering their
patients to one pharmacy far more than their own volume and their colleagues' choices
predict.

A purchase is the doctor's when the pharmacy claim names them (an external prescription)
or, for an ordinary purchase naming no doctor, when the patient saw them at an outpatient
visit the same or the previous day (prescription_flows.sql). Patients of every doctor buy
at the pharmacies by the hospital door, and a specialist's chronic patients refill their
expensive drugs there every month; so the null model keeps each doctor's own number of
high-value patients and spreads them over pharmacies the way the institution's other
doctors' patients choose (any purchase, so the catchment is measured on plenty of data),
smoothed toward the choices of the region's other institutions. A pharmacy in the
institution's own region or among its usual pharmacies is expected and never tested; a
far pharmacy that two or three colleagues send a group of patients to is one ring, tested
against the institution's remaining doctors so that the colleagues do not explain each
other away. Patients living in the pharmacy's town are compared with the colleagues'
patients from that town (like with like: a town's patients buy at home, but spread over
its pharmacies and the hospital's door as the colleagues' patients from there do). A
single doctor's patients coming back at a steady pace are that specialist's chronic
refills, not a ring. Counting patients, not purchases, keeps a chronic patient's
monthly refills from counting twelve times. Resale is the second source
(graphscan.detect.engines.resale): patients buying a high-value drug far beyond need
across outlets; where they are the patients of a flagged flow they confirm it,
otherwise they are a ring of their own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import igraph as ig
import numpy as np
import pandas as pd
from scipy import stats

from graphscan.detect.base import Candidate, Coverage, Detector, Frames, Lost, Window, short
from graphscan.detect.engines.far_cards import REGION_DIGITS
from graphscan.detect.engines.resale import AHEAD, over_need, resale_rings
from graphscan.detect.engines.significance import log10_fisher_many, poisson_tail
from graphscan.rings import Member
from graphscan.store.base import Store

FLOW_ZH = (
    "机构 {inst} 的医师 {doc} 把 {patients} 名患者引向{far}药店 {ph}，"
    "高值购药（每笔≥{hv} 元）{rx} 笔，其中 {repeat} 名患者重复出现，{paired} 笔为就诊后"
    "当日或次日的普通购药（未记医师）；该机构其他医师的患者只有 {peer} 去这家药店，"
    "按这些医师自身的高值患者数估计的期望为 {exp} 人（约 {ratio} 倍）；{resale_zh}"
    "证据结算 {claims} 笔（{days} 天），合计 {total:.2f} 元"
    "（统筹 {fund:.2f}，个人账户 {account:.2f}），{first} 至 {last}。"
)
FLOW_EN = (
    "Doctor(s) {doc} of institution {inst} sent {patients} patients to {far}pharmacy {ph}: "
    "{rx} high-value (>= {hv} yuan) purchases, {repeat} patients came back, {paired} were "
    "ordinary purchases (no doctor recorded) the same or the day after a visit; only "
    "{peer} of the institution's other doctors' patients buy there, which predicts {exp} "
    "patients given these doctors' own high-value patients (about {ratio}x); {resale_en}"
    "{claims} evidence claims on {days} days, {total:.2f} yuan (fund {fund:.2f}, personal "
    "account {account:.2f}), {first} to {last}."
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
    high_value: a purchase whose drug lines (or, without item lines, whose total) reach
        this many yuan is high-value
    min_patients: distinct high-value patients a ring needs at its pharmacy
    doctor_patients: a doctor joins a ring with at least this many such patients there
    screen_p: and when that many is this unlikely given the colleagues' choices (a
        screen: the ring test decides)
    max_doctors: more doctors than this working one arrangement with one far pharmacy
        is the institution's catchment (patients from that town), not a ring of
        colleagues
    steady_p: a flow of one doctor is that specialist's chronic patients refilling
        when its purchases come this unlikely evenly spaced for purchases at random
        times (few gaps under half the patient's mean gap)
    edge_p: the ring's patients at the pharmacy must be this unlikely
    prior_weight: pseudo-count pulling the colleagues' choices toward the region's
    catchment_share: where distance is unknown, a pharmacy taking at least this share
        of the colleagues' patients may be the one by the door, expected
    region_digits: leading region-code digits shared by an institution and a pharmacy
        near it (a shorter region, such as the county of a national code, places
        nothing)
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
    min_patients: int = 4
    doctor_patients: int = 2
    screen_p: float = 1e-2
    max_doctors: int = 5
    steady_p: float = 1e-3
    edge_p: float = 1e-5
    prior_weight: float = 20.0
    catchment_share: float = 0.05
    region_digits: int = REGION_DIGITS
    min_outlets: int = 2
    resale_p: float = 1e-4
    min_resellers: int = 2

    def lost_signals(self, coverage: Coverage) -> list[Lost]:
        lost: list[Lost] = []
        if not coverage.share("claims", "doctor_id"):
            lost.append(("doctor_id", "not recorded: flows by institution, no doctor joins"))
        elif not coverage.share("claims", "doctor_id", "pharmacy"):
            lost.append(
                (
                    "doctor_id",
                    "not on pharmacy claims: purchases attributed to the visit the same or "
                    "the day before",
                )
            )
        if coverage.share("claims", "doctor_id", "pharmacy") and not coverage.share(
            "doctors", "provider_id"
        ):
            lost.append(
                (
                    "doctors",
                    "table missing (or without institutions): a prescription's institution "
                    "is where its doctor treats most",
                )
            )
        if not coverage.share("persons", "region_code"):
            lost.append(
                (
                    "persons.region_code",
                    "not recorded: homes unknown, patients buying near their homes after a "
                    "visit are counted as sent there",
                )
            )
        if not coverage.rows("claim_items"):
            lost.append(
                (
                    "claim_items",
                    "table missing: high value from claim totals, no drug resale beyond need",
                )
            )
        if not coverage.share("providers", "region_code"):
            lost.append(
                (
                    "providers.region_code",
                    "not recorded: regions from the national codes, else unknown; a county "
                    "is no distance, so only the institution's usual pharmacies are "
                    "expected",
                )
            )
        return lost

    def read(self, store: Store, window: Window) -> Frames:
        args = {**window.params(), "high_value": self.high_value}
        return self.frames(
            store,
            window,
            {
                "prescription_flows": store.projection(
                    "prescription_flows", **args, region_digits=self.region_digits
                ),
                "drug_purchases": store.projection("drug_purchases", **args),
            },
        )

    def decide(self, frames: Frames) -> list[Candidate]:
        flows = frames["prescription_flows"]
        rings = self.decide_flows(flows)
        claims = self._evidence(frames, rings)
        catchment: list[pd.DataFrame] = []  # computed once, only when a ring splits
        rings = [
            part
            for ring in rings
            for part in self._split(ring, _flow_claims(ring, claims), flows, catchment)
            if len(part) <= self.max_doctors
        ]
        paced = [(ring, self._pace(ring, _flow_claims(ring, claims))) for ring in rings]
        candidates = [
            self._candidate(frames, ring, claims, pace)
            for ring, pace in paced
            if pace is None or pace["p"] > self.steady_p
        ]
        return _confirm(candidates, self._resale(frames))

    def decide_flows(self, flows: pd.DataFrame) -> list[pd.DataFrame]:
        """The flagged rings: for each, its flows (one row per doctor, all to one pharmacy
        from one institution) with the ring's ``ring_expected``, ``ring_p`` and
        ``ring_peer_share``."""
        if flows.empty:
            return []
        flows = self.catchment(flows)
        candidates = flows[(flows["hv_patients"] >= self.doctor_patients) & ~flows["near"]]
        tests = []
        for (institution, _), group in candidates.groupby(
            ["institution_id", "pharmacy_id"], sort=True
        ):
            here = flows[flows["institution_id"] == institution]
            tests.append((here, group, self._screen(here, group)[0]))
        # each doctor belongs to the one ring where they send the most patients: a few of
        # their patients at another ring's pharmacy strayed (resellers buying there too)
        home: dict[tuple[str, str], tuple[int, str]] = {}
        for *_, kept in tests:
            for i, d, n, ph in kept[
                ["institution_id", "doctor_id", "away_hv", "pharmacy_id"]
            ].itertuples(index=False):
                if d and ((i, d) not in home or (-n, ph) < home[(i, d)]):
                    home[(i, d)] = (-n, ph)
        assigned = {key: ph for key, (_, ph) in home.items()}
        rings = [self._ring_test(here, group, assigned) for here, group, kept in tests if len(kept)]
        return [r for r in rings if r is not None]

    def catchment(self, flows: pd.DataFrame) -> pd.DataFrame:
        """Per doctor and pharmacy, the institution's and the doctor's volumes, ``prior``
        (the pharmacy's share among the region's other institutions' high-value patients),
        ``peer_share`` (its share of the colleagues' patients, any value, counting at the
        pharmacy those who live elsewhere, as the ring is counted) and ``near`` for
        pharmacies in the institution's own region."""
        flows = flows.assign(institution_region=self._seat(flows))
        # a patient buying near home was not steered there: the catchment counts every
        # patient, a ring only those who buy away from home (all where homes are unknown)
        flows = flows.assign(
            region=flows["institution_region"].fillna("").str[: self.region_digits],
            away=flows["patients"] - flows["home_patients"],
            away_hv=flows["hv_patients"] - flows["hv_home"],
        )
        for col in ("patients", "hv_patients"):
            flows = flows.assign(
                **{
                    f"inst_to_{col}": flows.groupby(["institution_id", "pharmacy_id"])[
                        col
                    ].transform("sum"),
                    f"inst_{col}": flows.groupby("institution_id")[col].transform("sum"),
                    f"doc_{col}": flows.groupby(["institution_id", "doctor_id"])[col].transform(
                        "sum"
                    ),
                }
            )
        inst_to_away = flows.groupby(["institution_id", "pharmacy_id"])["away"].transform("sum")
        peer_share = (inst_to_away - flows["away"]) / (
            flows["inst_patients"] - flows["doc_patients"]
        ).clip(lower=1)
        return flows.assign(
            prior=self._prior(flows),
            peer_share=peer_share,
            placed=self._placed(flows),
            near=self._near(flows),
        )

    def _prior(self, flows: pd.DataFrame) -> pd.Series:
        """Share of the pharmacy among the high-value patients of the region's other
        institutions (add-one over pharmacies, so no share is zero; the whole city where
        the region is unknown)."""
        region_to = flows.groupby(["region", "pharmacy_id"])["hv_patients"].transform("sum")
        region_all = flows.groupby("region")["hv_patients"].transform("sum")
        pharmacies = flows["pharmacy_id"].nunique()
        return (region_to - flows["inst_to_hv_patients"] + 1) / (
            region_all - flows["inst_hv_patients"] + pharmacies
        )

    def _seat(self, flows: pd.DataFrame) -> pd.Series:
        """Institution regions; where the data do not place an institution to
        ``region_digits``, its door's: the region of the pharmacy most of its patients
        buy at, where that one is placed, within the county of the institution's code.
        (Where most patients live says little of a big hospital serving a county.)"""
        digits = self.region_digits
        per = flows.groupby(["institution_id", "pharmacy_id"], as_index=False).agg(
            patients=("patients", "sum"), region=("pharmacy_region", "first")
        )
        door = (
            per.sort_values(
                ["institution_id", "patients", "pharmacy_id"], ascending=[True, False, True]
            )
            .drop_duplicates("institution_id")
            .set_index("institution_id")["region"]
        )
        seated = {}
        pairs = flows[["institution_id", "institution_region"]].drop_duplicates()
        for institution, code in pairs.itertuples(index=False):
            seat = door.get(institution)
            coarse = not isinstance(code, str) or len(code) < digits
            fits = isinstance(seat, str) and len(seat) >= digits
            within = not isinstance(code, str) or str(seat).startswith(code)
            if institution and coarse and fits and within:
                seated[institution] = seat
        mapped = flows["institution_id"].map(seated)
        return mapped.where(mapped.notna(), flows["institution_region"])

    def _placed(self, flows: pd.DataFrame) -> np.ndarray:
        """Flows whose institution and pharmacy regions are both known to
        ``region_digits``, or known to differ: a county from a national code says nothing
        of the town, and a pharmacy in another town of the county may be the far one, but
        a pharmacy in another county is in another town whatever the towns."""
        digits = self.region_digits
        institution = flows["institution_region"].fillna("")
        pharmacy = flows["pharmacy_region"].fillna("")
        known = (institution.str.len() >= digits) & (pharmacy.str.len() >= digits)
        common = np.minimum(np.minimum(institution.str.len(), pharmacy.str.len()), digits)
        differ = [
            n > 0 and a[:n] != b[:n] for a, b, n in zip(institution, pharmacy, common, strict=True)
        ]
        return known.to_numpy(dtype=bool) | np.asarray(differ, dtype=bool)

    def _near(self, flows: pd.DataFrame) -> np.ndarray:
        """Pharmacies in the institution's own region, where both are placed."""
        digits = self.region_digits
        same = flows["institution_region"].str[:digits] == flows["pharmacy_region"].str[:digits]
        return self._placed(flows) & same.fillna(False).to_numpy(dtype=bool)

    def _screen(self, here: pd.DataFrame, candidates: pd.DataFrame) -> tuple[pd.DataFrame, _Peers]:
        """Doctors of one institution (``here``: its flows) sending several high-value
        patients to one pharmacy (``candidates``), each tested against the colleagues who
        do not (so that colleagues of one ring do not make each other look expected):
        those passing ``screen_p``, and where the colleagues' patients buy.

        The catchment is where the colleagues' patients buy, of any value (plenty of data
        even at a small institution, and a pharmacy that no colleague's patient uses is
        unexpected whatever the drug), smoothed toward the region's other institutions,
        in two strata: patients living elsewhere, and patients living in the pharmacy's
        town, who are expected there as often as the colleagues' patients from that town
        buy there (after a visit a town's patients buy at home, but spread over the
        town's pharmacies and the one by the hospital door as the colleagues' patients
        from there do). Where no doctor is recorded at all there are no colleagues: the
        institution's patients of ordinary value are the catchment of its high-value
        ones."""
        pharmacy = candidates["pharmacy_id"].iloc[0]
        to = (here["pharmacy_id"] == pharmacy).to_numpy()
        if _unrecorded(here):
            ordinary = here["patients"] - here["hv_patients"]
            ordinary_away = here["away"] - here["away_hv"]
            peers_to, peers_all = float(ordinary_away[to].sum()), float(ordinary.sum())
            home_to = float((candidates["home_patients"] - candidates["hv_home"]).sum())
            home_all = float((candidates["town_patients"] - candidates["hv_town"]).sum())
        else:
            mine = here["doctor_id"].isin(candidates["doctor_id"]).to_numpy()
            peers_to = float(here.loc[to & ~mine, "away"].sum())
            peers_all = float(here.loc[~mine, "patients"].sum())
            home_to = float(here.loc[to & ~mine, "home_patients"].sum())
            home_all = float(
                candidates["inst_town_patients"].iloc[0] - candidates["town_patients"].sum()
            )
            every = peers_all == 0 and here["doctor_id"].nunique() > 1
            if every and not candidates["placed"].all():
                # every doctor there does it, to a pharmacy that may be its door (distance
                # unknown): the institution's habit; to one known to be far, the region's
                # other institutions judge (below)
                return candidates.iloc[:0], _Peers(0.0, peers_to, peers_all, 0.0, 0.0, 0.0)
        prior = float(candidates["prior"].iloc[0])
        w = self.prior_weight
        share = (peers_to + w * prior) / (peers_all + w)
        # no colleague's patient from the pharmacy's town: nothing to expect them by, so
        # those patients are not counted (as before the strata: never steered)
        home_share = (home_to + w * prior) / (home_all + w) if home_all > 0 else 0.0
        peers = _Peers(share, peers_to, peers_all, home_share, home_to, home_all)
        p = np.ones(len(candidates))
        for observed, expected in _strata(candidates, peers):
            p = np.minimum(p, poisson_tail(observed, expected))
        return candidates[p <= self.screen_p], peers

    def _ring_test(
        self, here: pd.DataFrame, candidates: pd.DataFrame, assigned: dict[tuple[str, str], str]
    ) -> pd.DataFrame | None:
        """The screened doctors whose ring this is (``assigned``: each doctor's pharmacy)
        tested together. More than ``max_doctors`` of them is judged once they are split
        into arrangements (``decide``): two rings may share a pharmacy."""
        kept, peers = self._screen(here, candidates)
        pharmacy = candidates["pharmacy_id"].iloc[0]
        mine = [
            not d or assigned.get((i, d)) == pharmacy
            for i, d in zip(kept["institution_id"], kept["doctor_id"], strict=True)
        ]
        kept = kept[mine]
        unrecorded = _unrecorded(here)
        if kept.empty:
            return None
        if unrecorded:
            at = (kept["away_hv"], kept["doc_hv_patients"], kept["hv_home"], kept["hv_town"])
        else:
            at = (kept["away"], kept["doc_patients"], kept["home_patients"], kept["town_patients"])
        # the Fisher test below needs colleagues to compare with: for patients living
        # elsewhere at least ``prior_weight`` of them (fewer are no catchment: the share
        # expected of them is mostly the region's other institutions', and a ring that is
        # nearly all of an institution's doctors has no colleagues to be told from, so
        # the Poisson test against that share judges); for the pharmacy's town's
        # patients any (nothing but the colleagues' patients from that town says what to
        # expect of them)
        tables = [
            (int(at[0].sum()), int(at[1].sum()), peers.to, peers.all, self.prior_weight),
            (int(at[2].sum()), int(at[3].sum()), peers.home_to, peers.home_all, 1.0),
        ]
        # each stratum tested on its own, and both together: the strongest decides, paid
        # for (adding a stratum where the ring's patients buy as the colleagues' do
        # would only dilute the other, so it is never the only way)
        tests = []
        for (observed, expected), (ring_at, ring_all, peers_to, peers_all, least) in zip(
            _strata(kept, peers), tables, strict=False
        ):
            p = float(poisson_tail(int(observed.sum()), float(expected.sum())))
            if peers_all >= least:
                # the same doctors against the catchment by where patients buy, a
                # one-sided Fisher exact test (a town's patients buying at home after
                # seeing any doctor are the institution's habit, however the doctors were
                # picked); without doctors, the high-value patients against the ordinary
                table = [[ring_at, ring_all - ring_at], [int(peers_to), int(peers_all - peers_to)]]
                p = max(p, float(stats.fisher_exact(table, alternative="greater")[1]))
            if observed.sum() >= self.min_patients:
                tests.append((p, int(observed.sum()), float(expected.sum())))
        if not tests:
            return None
        if len(tests) == 2:
            # a doctor steering both the town's patients and those from elsewhere: the
            # strata hold different patients, so their tests combine by Fisher's method
            lp = np.log10(np.maximum([t[0] for t in tests], 1e-300))
            tests.append(
                (
                    10 ** log10_fisher_many(lp),
                    sum(t[1] for t in tests),
                    sum(t[2] for t in tests),
                )
            )
        p_ring, observed, expected_ring = min(tests, key=lambda t: t[0])
        p_ring = min(1.0, p_ring * len(tests))  # Bonferroni for the tests tried
        peer_share = peers.to / max(peers.all, 1.0)
        # where the pharmacy is known to be far, the test decides; where distance is
        # unknown, a pharmacy the colleagues' patients often use may be the door one
        usual = not kept["placed"].all() and peer_share >= self.catchment_share
        if p_ring > self.edge_p or usual:
            return None
        return kept.assign(
            ring_expected=expected_ring,
            ring_p=p_ring,
            ring_peer_share=peer_share,
            ring_observed=observed,
        )

    def _split(
        self,
        ring: pd.DataFrame,
        evidence: pd.DataFrame,
        flows: pd.DataFrame,
        catchment: list[pd.DataFrame],
    ) -> list[pd.DataFrame]:
        """A ring of doctors working two separate arrangements with one pharmacy as two
        rings (``arrangements``), each tested again without the other's doctors; the ring
        as it is unless every part passes on its own. ``evidence``: the ring's
        prescription_flow_claims; ``flows``: prescription_flows, whose catchment is
        computed into ``catchment`` the first time a ring splits."""
        parts = arrangements(evidence)
        if len(parts) < 2:
            return [ring]
        if not catchment:
            catchment.append(self.catchment(flows))
        institution, pharmacy = ring["institution_id"].iloc[0], ring["pharmacy_id"].iloc[0]
        here = catchment[0][catchment[0]["institution_id"] == institution]
        tested = []
        for doctors in parts:
            others = set(ring["doctor_id"]) - set(doctors)
            part = here[(here["pharmacy_id"] == pharmacy) & here["doctor_id"].isin(doctors)]
            assigned = {(institution, d): pharmacy for d in doctors}
            found = self._ring_test(here[~here["doctor_id"].isin(others)], part, assigned)
            if found is None or set(found["doctor_id"]) != set(doctors):
                return [ring]
            tested.append(found)
        return tested

    def _pace(self, ring: pd.DataFrame, evidence: pd.DataFrame) -> dict[str, float] | None:
        """How evenly a one-doctor ring's purchases are spaced (None for a ring of two or
        more recorded doctors: a refill group is one doctor's). A specialist's chronic
        patients refill at the pharmacy every month, steered patients buy when they are
        sent. Null model: purchases at random times; given a patient's first and last
        purchase, the k - 1 between lie uniformly in that span, so each of the k gaps is
        shorter than half the mean gap with probability 1 - (1 - 1/2k)^(k-1) (1/4 for
        k = 2, toward 1 - e^-1/2 = 0.39). Steady refills have almost none: the binomial
        lower tail of the short gaps is ``p``."""
        if (ring["doctor_id"] != "").sum() >= 2:
            return None
        days = (evidence["start_time"] - evidence["start_time"].min()).dt.total_seconds()
        bought = evidence.assign(day=days / 86400.0).sort_values(["person_id", "day"])
        gaps = bought.groupby("person_id")["day"].diff()
        k = gaps.groupby(bought["person_id"]).transform("count")
        span = gaps.groupby(bought["person_id"]).transform("sum")
        tested = gaps.notna() & (span > 0)
        if not tested.any():
            return None
        k, mean = k[tested].to_numpy(dtype=float), (span / k)[tested].to_numpy(dtype=float)
        short = int((gaps[tested].to_numpy(dtype=float) < mean / 2).sum())
        expected = float((1 - (1 - 1 / (2 * k)) ** (k - 1)).sum())
        p = float(stats.binom.cdf(short, len(k), expected / len(k)))
        return {"gaps": len(k), "short_gaps": short, "expected": expected, "p": p}

    def _evidence(self, frames: Frames, rings: list[pd.DataFrame]) -> pd.DataFrame:
        if not rings:
            return pd.DataFrame()
        flagged = pd.concat(rings)
        return frames.more(
            "prescription_flow_claims",
            high_value=self.high_value,
            doctors=sorted(set(flagged["doctor_id"])),
            pharmacies=sorted(set(flagged["pharmacy_id"])),
        )

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

    def _candidate(
        self,
        frames: Frames,
        ring: pd.DataFrame,
        claims: pd.DataFrame,
        pace: dict[str, float] | None,
    ) -> Candidate:
        """One ring's members, evidence (purchases and the visits that attributed them) and
        figures. ``ring``: its flows as decide_flows returns them; ``pace``: _pace's."""
        # '' stands for the institution's visits that name no doctor
        doctors = sorted(set(ring["doctor_id"]) - {""})
        pharmacies = sorted(set(ring["pharmacy_id"]))
        institutions = sorted(set(ring["institution_id"]) - {""})
        evidence = _flow_claims(ring, claims)
        patients = sorted(set(evidence["person_id"]))
        # the card at the counter and the one at the visit (an ID card at the hospital)
        cards = set(evidence["card_id"]) | set(evidence["visit_card_id"].dropna())
        per_patient = evidence.groupby("person_id")["claim_id"].nunique()
        tests = ring.drop_duplicates(["institution_id", "pharmacy_id"])
        observed = int(tests["ring_observed"].sum())
        expected = float(tests["ring_expected"].sum())
        numbers = {
            "doc": ", ".join(
                [*(short(d) + "…" for d in doctors)] + ["?"] * ("" in set(ring["doctor_id"]))
            ),
            "ph": ", ".join(short(p) + "…" for p in pharmacies),
            "inst": ", ".join(short(i) + "…" for i in institutions) or "?",
            "rx": int(evidence["claim_id"].nunique()),
            "patients": len(patients),
            "repeat": int((per_patient >= 2).sum()),
            "paired": int((evidence["named"] == 0).sum()),
            "peer": f"{tests['ring_peer_share'].max():.1%}",
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
                *(Member("card", c, "card_holder") for c in sorted(cards)),
            ],
            claim_ids=sorted(set(evidence["claim_id"]) | set(evidence["visit_id"].dropna())),
            statistic=observed,
            expected=expected,
            explain_zh=FLOW_ZH.replace("{far}", "外地" if ring["placed"].all() else ""),
            explain_en=FLOW_EN.replace("{far}", "the distant " if ring["placed"].all() else ""),
            numbers=numbers,
            method=self.method(
                frames,
                flows=len(ring),
                institutions=institutions,
                attributed_by_visit=numbers["paired"],
                **({"pace": pace} if pace else {}),
            ),
        )


class _Peers(NamedTuple):
    """Where the colleagues' patients buy: of those living elsewhere, ``to`` of ``all``
    at the pharmacy (``share`` smoothed); of those living in the pharmacy's town,
    ``home_to`` of ``home_all`` (``home_share``, 0 where there are none)."""

    share: float
    to: float
    all: float
    home_share: float
    home_to: float
    home_all: float


def _strata(flows: pd.DataFrame, peers: _Peers) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per doctor, high-value patients at the pharmacy and those expected, in each
    stratum: patients living elsewhere (each doctor's high-value patients spread as the
    colleagues' patients choose), and, where the colleagues have patients from the
    pharmacy's town, those living there (the doctor's from there as the colleagues'
    from there choose)."""
    away = (
        flows["away_hv"].to_numpy(dtype=float),
        (flows["doc_hv_patients"] * peers.share).to_numpy(dtype=float),
    )
    if peers.home_all <= 0:
        return [away]
    home = (
        flows["hv_home"].to_numpy(dtype=float),
        (flows["hv_town"] * peers.home_share).to_numpy(dtype=float),
    )
    return [away, home]


def arrangements(evidence: pd.DataFrame) -> list[list[str]]:
    """The ring's doctors (of ``evidence``: its prescription_flow_claims) grouped by the
    arrangement they work with the pharmacy. Colleagues of one ring pass patients between
    them (a team), or send them the same way over the same months: the shares of their
    patients' purchases that name the doctor (external prescriptions) within a half of
    each other, so a city recording the doctor on some purchases at random sets no one
    apart. Doctors with no patient in common who send them differently (one's purchases
    mostly naming him, the other's mostly not), or at different times, work two
    arrangements that happen to use one pharmacy; so do two teams that never pass a
    patient to each other, whatever their way. A doctor of no team joins the one team
    sending patients his way; like two teams, or none, he joins the others of no team
    (a ring whose doctors keep their own patients forms no team). Doctors sorted, parts
    by their first doctor; one part (or none, without recorded doctors) when nothing
    sets them apart."""
    named = evidence[evidence["doctor_id"] != ""]
    per = named.groupby("doctor_id").agg(
        prescribed=("named", "mean"), first=("start_time", "min"), last=("start_time", "max")
    )
    patients = named.groupby("doctor_id")["person_id"].agg(set)
    doctors = sorted(per.index)

    def alike(a: str, b: str) -> bool:
        """The same way over overlapping months."""
        same_way = abs(per.at[a, "prescribed"] - per.at[b, "prescribed"]) <= 0.5
        overlap = (
            per.at[a, "first"] <= per.at[b, "last"] and per.at[b, "first"] <= per.at[a, "last"]
        )
        return bool(same_way and overlap)

    at = {d: i for i, d in enumerate(doctors)}
    edges = [
        (i, j)
        for i, a in enumerate(doctors)
        for j, b in enumerate(doctors[i + 1 :], i + 1)
        if patients[a] & patients[b]
    ]
    teams = ig.Graph(n=len(doctors), edges=edges).connected_components()
    alone = [doctors[part[0]] for part in teams if len(part) == 1]
    together = [[doctors[i] for i in part] for part in teams if len(part) > 1]
    pool = []
    for loner in alone:
        joins = [team for team in together if any(alike(loner, d) for d in team)]
        if len(joins) == 1:
            edges.append((at[loner], at[joins[0][0]]))
        else:
            pool.append(loner)
    edges += [(at[a], at[b]) for i, a in enumerate(pool) for b in pool[i + 1 :] if alike(a, b)]
    parts = ig.Graph(n=len(doctors), edges=edges).connected_components()
    return sorted([doctors[i] for i in sorted(part)] for part in parts)


def _flow_claims(ring: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """The evidence claims of the ring's own flows (institution, doctor, pharmacy)."""
    flows = set(zip(ring["institution_id"], ring["doctor_id"], ring["pharmacy_id"], strict=True))
    keys = zip(claims["institution_id"], claims["doctor_id"], claims["pharmacy_id"], strict=True)
    return claims[[k in flows for k in keys]]


def _unrecorded(flows: pd.DataFrame) -> bool:
    """No flow of the institution names a doctor (doctor_id '' throughout)."""
    return bool((flows["doctor_id"] == "").all())


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
