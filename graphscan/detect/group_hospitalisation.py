"""Group hospitalisation (诱导住院、挂床住院): the same people admitted to the same
institution together, wave after wave. A big hospital admits many people every day, so
chance co-admissions are expected there; a village screening day happens once; families
are expected together. What stays is a group admitted together far more often than each
member's own admissions explain, with similar stays, diagnoses and amounts, and often a
recruiter's phone linking them."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from graphscan.detect.base import Candidate, Window, finish, short
from graphscan.detect.cooccurrence import Params, find_groups
from graphscan.rings import Member, Ring
from graphscan.store.base import Store

#: more non-recruits than this on one phone is a switchboard, not a recruiter
MAX_RECRUITERS_PER_PHONE = 3
#: a doctor joins the ring when they treated at least this share of its admissions
DOCTOR_SHARE = 0.5


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
        groups = find_groups(members, sizes, self.params, people["address_key"])
        candidates = []
        for group in groups:
            evidence = stays[stays["claim_id"].isin(group.claim_ids)]
            doctors = evidence["doctor_id"].value_counts()
            doctors = sorted(doctors[doctors >= DOCTOR_SHARE * len(evidence)].index)
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
            }
            candidates.append(
                Candidate(
                    pattern=self.pattern,
                    members=[
                        Member("institution", group.venue, "institution"),
                        *(Member("doctor", d, "doctor") for d in doctors),
                        *(Member("person", p, "recruit") for p in group.entities),
                        *(
                            Member("card", c, "card_holder")
                            for p in group.entities
                            for c in cards[p]
                        ),
                        *(Member("person", p, "organiser") for p in recruiters["person_id"]),
                        *(Member("card", c, "organiser") for c in recruiters["card_id"].dropna()),
                    ],
                    claim_ids=group.claim_ids,
                    statistic=group.observed,
                    expected=group.expected,
                    tests=group.tests,
                    explain_zh=(
                        "机构 {inst}… 有 {waves} 批（同一 {wd} 天窗口内，涉及 {days} 天）"
                        "收治了这 {people} 人中的至少 {quorum} 人"
                        "（按各人自身住院次数独立估计的期望批次：{exp}）；"
                        "涉及 {dx} 种诊断，金额变异系数 {cv}，{linked} 人与组内他人共用电话；"
                        "证据住院 {claims} 笔，合计 {total:.2f} 元（统筹 {fund:.2f}），"
                        "{first} 至 {last}。"
                    ),
                    explain_en=(
                        "Institution {inst}… admitted at least {quorum} of these {people} "
                        "people within the same {wd}-day window {waves} times ({days} "
                        "admission days; expected under independence given each person's "
                        "own admissions: {exp}); "
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
                        "recruiters": len(recruiters),
                    },
                )
            )
        return finish(store, candidates)

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
