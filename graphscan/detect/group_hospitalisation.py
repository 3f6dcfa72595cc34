"""Group hospitalisation (诱导住院、挂床住院): the same people admitted to the same
institution together, wave after wave. A big hospital admits many people every day, so
chance co-admissions are expected there; a village screening day happens once; families
are expected together. What stays is a group admitted together far more often than each
member's own admissions explain, with similar stays, diagnoses and amounts, and often a
recruiter's phone linking them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from graphscan.detect.base import Candidate, Window, finish, short
from graphscan.detect.cooccurrence import Params, find_groups
from graphscan.detect.significance import poisson_tail
from graphscan.rings import Member, Ring
from graphscan.store.base import Store

#: more non-recruits than this on one phone is a switchboard, not a recruiter
MAX_RECRUITERS_PER_PHONE = 3
#: a doctor joins the ring when they treated at least this share of its admissions
DOCTOR_SHARE = 0.2
#: a one-time admission in (or next to) the ring's waves looks like the ring's when its
#: diagnosis is one of the ring's, its stay within two days of theirs and its bill within this
#: share of the ring's median bill for that diagnosis
SIMILAR_BILL = 0.10
SIMILAR_STAY = 2
#: and when ring-like admissions are this unlikely to crowd those windows by chance
SIMILAR_P = 1e-3


@dataclass
class GroupHospitalisation:
    pattern: str = "group_hospitalisation"
    #: recruits of one wave are admitted within a few days of each other
    wave_days: int = 7
    #: two shared waves are rarely significant alone, so pairs only propose groups
    #: (edge_p 0.05) and the group test decides
    params: Params = field(default_factory=lambda: Params(min_together=2, edge_p=0.05))

    def find(self, store: Store, window: Window) -> list[Ring]:
        args = {**window.params(), "wave_days": self.wave_days}
        stays = store.projection("admission_waves", **args, min_waves=self.params.min_together)
        sizes = store.projection("admission_wave_sizes", **args)
        members = pd.DataFrame(
            {
                "venue": stays["provider_id"],
                "context": stays["wave"].astype(str),
                "size": stays["wave_persons"],
                "entity": stays["person_id"],
                "n_entity": stays["person_waves"],
                "claim_id": stays["claim_id"],
            }
        )
        people = stays.drop_duplicates("person_id").set_index("person_id")
        cards = stays.groupby("person_id")["card_id"].unique()
        sizes = sizes.rename(columns={"provider_id": "venue", "waves": "contexts"})
        groups = find_groups(members, sizes, self.params, store.communities, people["address_key"])
        candidates = []
        for group in groups:
            evidence = stays[stays["claim_id"].isin(group.claim_ids)]
            doctors = evidence["doctor_id"].value_counts()
            doctors = sorted(doctors[doctors >= max(2, DOCTOR_SHARE * len(evidence))].index)
            once = self._lookalikes(store, args, group.venue, group.contexts, evidence)
            once = once[~once["person_id"].isin(group.entities)]
            recruits = sorted(set(group.entities) | set(once["person_id"]))
            recruit_cards = sorted(
                {c for p in group.entities for c in cards[p]} | set(once["card_id"])
            )
            phones = people.loc[group.entities, ["phone_key", "address_key"]].dropna()
            shared = phones.groupby("phone_key")["address_key"].nunique()
            shared = sorted(shared[shared >= 2].index)
            linked = int(phones["phone_key"].isin(shared).sum())
            recruiters = self._recruiters(store, shared, group.entities)
            amounts = evidence["total_amount"].astype(float)
            numbers = {
                "people": len(group.entities),
                "inst": short(group.venue),
                "waves": group.observed,
                "quorum": group.quorum,
                "exp": f"{group.expected:.2g}",
                "dx": evidence["diagnosis_code"].nunique(),
                "cv": f"{amounts.std(ddof=0) / amounts.mean():.2f}" if amounts.mean() else "0",
                "linked": linked,
                "wd": self.wave_days,
                "once": once["person_id"].nunique(),
            }
            candidates.append(
                Candidate(
                    pattern=self.pattern,
                    members=[
                        Member("institution", group.venue, "institution"),
                        *(Member("doctor", d, "doctor") for d in doctors),
                        *(Member("person", p, "recruit") for p in recruits),
                        *(Member("card", c, "card_holder") for c in recruit_cards),
                        *(Member("person", p, "organiser") for p in recruiters["person_id"]),
                        *(Member("card", c, "organiser") for c in recruiters["card_id"].dropna()),
                    ],
                    claim_ids=sorted(set(group.claim_ids) | set(once["claim_id"])),
                    statistic=group.observed,
                    expected=group.expected,
                    tests=group.tests,
                    explain_zh=(
                        "机构 {inst}… 有 {waves} 批（同一 {wd} 天窗口内，涉及 {days} 天）"
                        "收治了这 {people} 人中的至少 {quorum} 人"
                        "（按各人自身住院次数独立估计的期望批次：{exp}）；另有 {once} 人"
                        "在这些批次中仅住院一次，诊断、住院天数（±2 天）和金额（±10%）与之相同；"
                        "涉及 {dx} 种诊断，金额变异系数 {cv}，{linked} 人与组内他人共用电话；"
                        "证据住院 {claims} 笔，合计 {total:.2f} 元（统筹 {fund:.2f}），"
                        "{first} 至 {last}。"
                    ),
                    explain_en=(
                        "Institution {inst}… admitted at least {quorum} of these {people} "
                        "people within the same {wd}-day window {waves} times ({days} "
                        "admission days; expected under independence given each person's "
                        "own admissions: {exp}); {once} more were admitted once in these "
                        "waves with the same diagnoses, stay (+-2 days) and bill (+-10%); "
                        "{dx} distinct diagnoses, amount variation {cv}, {linked} share a "
                        "phone with another member; {claims} evidence stays, {total:.2f} yuan "
                        "(fund {fund:.2f}), {first} to {last}."
                    ),
                    numbers=numbers,
                    method={
                        "detector": self.pattern,
                        "projection": ["admission_waves", "admission_wave_sizes"],
                        "wave_days": self.wave_days,
                        **vars(self.params),
                        "pair_edges": group.pair_edges,
                        "shared_phones": linked,
                        "admitted_once_alike": int(once["person_id"].nunique()),
                        "recruiters": len(recruiters),
                    },
                )
            )
        return finish(store, candidates)

    def _lookalikes(
        self,
        store: Store,
        args: dict[str, Any],
        institution: str,
        waves: list[str],
        evidence: pd.DataFrame,
    ) -> pd.DataFrame:
        """Admissions in the ring's waves (and the windows either side, which a wave may
        spill into) that look like the ring's own: recruits who came only once, invisible
        to repetition but not to their near-identical bills. Kept only when such
        admissions are far more common there than in the institution's other windows
        (flat-rate billing makes them common everywhere)."""
        rows = store.projection("wave_admissions", **args, provider_id=institution)
        bill = evidence.groupby("diagnosis_code")["total_amount"].median().astype(float)
        stay = evidence["stay_days"].astype(float).median()
        similar = (
            ((rows["total_amount"].astype(float) / rows["diagnosis_code"].map(bill) - 1).abs()
             <= SIMILAR_BILL)
            & ((rows["stay_days"].astype(float) - stay).abs() <= SIMILAR_STAY)
        ).fillna(False)  # fmt: skip
        core = {int(float(w)) for w in waves}
        near = rows["wave"].isin({w + d for w in core for d in (-1, 0, 1)})
        others = rows.loc[~near, "wave"].nunique()
        inside = len(core) * 3
        expected = similar[~near].sum() / max(others, 1) * inside
        found = rows[similar & near & ~rows["claim_id"].isin(evidence["claim_id"])]
        if found.empty or poisson_tail(len(found), expected) > SIMILAR_P:
            return found.iloc[:0]
        return found

    def _recruiters(self, store: Store, phones: list[str], recruits: list[str]) -> pd.DataFrame:
        """Non-recruits carrying a phone that recruits of different households share: the
        recruiter (ignored when the phone is so common it cannot point at anyone)."""
        if not phones:
            return pd.DataFrame(columns=["person_id", "card_id"])
        holders = store.projection("persons_by_phone", phones=phones)
        holders = holders[~holders["person_id"].isin(recruits)]
        counts = holders.groupby("phone_key")["person_id"].nunique()
        usable = counts[counts <= MAX_RECRUITERS_PER_PHONE].index
        return holders[holders["phone_key"].isin(usable)]
