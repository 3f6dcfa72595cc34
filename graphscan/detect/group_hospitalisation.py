"""Group hospitalisation (诱导住院、挂床住院): the same people admitted to the same
institution together, wave after wave. A big hospital admits many people every day, so
chance co-admissions are expected there; a village screening day happens once; families
are expected together. What stays is a group admitted within days of each other (see
``wave_windows``: no calendar bucket splits a wave) far more often than each member's own
admissions explain, with similar stays, diagnoses and amounts, and often a recruiter's
phone linking them. Recruits who came to one wave only are attached by their look-alike
bills and stays or by that phone."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from graphscan.detect.base import Candidate, Window, finish, short
from graphscan.detect.cooccurrence import Params
from graphscan.detect.package_stays import PackageGroup, package_groups
from graphscan.detect.significance import poisson_tail
from graphscan.detect.wave_windows import Season, WaveGroup, find_wave_groups
from graphscan.rings import Member, Ring
from graphscan.store.base import Store

#: more non-recruits than this on one phone is a switchboard, not a recruiter
MAX_RECRUITERS_PER_PHONE = 3
#: a doctor joins the ring when they treated at least this share of its admissions
DOCTOR_SHARE = 0.2
#: a one-time admission within reach of the ring's waves looks like the ring's when its
#: diagnosis is one of the ring's, its stay within two days of their range and its bill
#: within this share of their range of bills for that diagnosis
SIMILAR_BILL = 0.10
SIMILAR_STAY = 2
#: and when ring-like admissions are this unlikely to crowd those days by chance
SIMILAR_P = 1e-3
#: a group this small whose addresses are unknown could be one household
HOUSEHOLD = 3
#: one campaign (free cataract surgery, 白内障复明) admits its people within this many days
CAMPAIGN_DAYS = 31
#: and some come back once, for the same treatment, within this many days (the second eye)
SECOND_ROUND_DAYS = 90


PACKAGE_ZH = (
    "机构 {inst}… 的 {people} 人各有至少两次住院按同一价格结算（{low}–{high} 元），"
    "按各人自身住院次数和该机构其他住院的金额分布估计，期望只有 {exp} 人；"
    "涉及 {dx} 种诊断；证据住院 {claims} 笔（{days} 天），合计 {total:.2f} 元"
    "（统筹 {fund:.2f}），{first} 至 {last}。"
)
PACKAGE_EN = (
    "Institution {inst}… billed {people} people the same price ({low}-{high} yuan) in two "
    "or more admissions each, where each one's own admissions and the institution's other "
    "bills predict {exp}; {dx} distinct diagnoses; {claims} evidence stays on {days} days, "
    "{total:.2f} yuan (fund {fund:.2f}), {first} to {last}."
)


@dataclass
class GroupHospitalisation:
    pattern: str = "group_hospitalisation"
    #: recruits of one wave are admitted within this many days of each other
    wave_days: int = 7
    #: two shared waves are rarely significant alone, so pairs only propose groups
    #: (edge_p 0.05) and the group test decides, supported by the look-alike admissions
    #: crowding the group's waves (which carries a pair that no third person joins)
    params: Params = field(default_factory=lambda: Params(min_together=2, edge_p=0.05, min_group=2))
    #: people billed one package price in two or more admissions each a package group needs
    min_package: int = 5
    #: and how unlikely that many must be, given each one's admissions and the
    #: institution's other bills
    package_p: float = 1e-6

    def find(self, store: Store, window: Window) -> list[Ring]:
        args = {**window.params(), "wave_days": self.wave_days}
        stays = store.projection("admission_waves", **args, min_waves=self.params.min_together)
        daily = store.projection("admission_wave_sizes", **window.params())
        if stays.empty:
            return []
        season = Season(daily.groupby("day")["admissions"].sum())
        span = self.wave_days - 1
        frame = pd.DataFrame(
            {
                "venue": stays["provider_id"],
                "entity": stays["person_id"],
                "day": stays["day"].astype(int),
                "n_entity": stays["person_waves"],
                "claim_id": stays["claim_id"],
            }
        )
        people = stays.drop_duplicates("person_id").set_index("person_id")
        cards = stays.groupby("person_id")["card_id"].unique()
        spans = tuple(sorted({1, span // 2, span} - {0}))
        groups = find_wave_groups(
            frame, season, spans, self.params, store.communities, people["address_key"]
        )
        admissions: dict[str, pd.DataFrame] = {}
        found = []
        campaigns = 0
        for group in groups:
            if group.venue not in admissions:
                admissions[group.venue] = store.projection(
                    "wave_admissions", **window.params(), provider_id=group.venue
                )
            unknown = people.loc[group.entities, "address_key"].isna().all()
            if unknown and len(group.entities) <= HOUSEHOLD:
                continue  # could be one family admitted together: nothing says otherwise
            reach = [w.reach(span) for w in group.waves]
            if one_campaign(admissions[group.venue], group.entities, reach, self.wave_days):
                campaigns += 1
                continue
            evidence = stays[stays["claim_id"].isin(group.claim_ids)]
            contacts = people.loc[group.entities, ["phone_key", "address_key"]]
            found.append(
                (
                    group,
                    evidence,
                    contacts,
                    *self._once(admissions[group.venue], group, evidence, contacts),
                )
            )
        lost = lost_signals(stays)
        packages = self._packages(store, window, stays, admissions)
        found = [f for f in found if not any(_within(f[0], g) for g in packages)]
        packages = [g for g in packages if not any(_within(g, f[0]) for f in found)]
        phones = sorted({p for *_, shared in found for p in shared})
        holders = store.projection("persons_by_phone", phones=phones) if phones else None
        candidates = []
        for group, evidence, contacts, once, alike, expected, shared in found:
            doctors = evidence["doctor_id"].value_counts()
            doctors = sorted(doctors[doctors >= max(2, DOCTOR_SHARE * len(evidence))].index)
            recruits = sorted(set(group.entities) | set(once["person_id"]))
            recruit_cards = sorted(
                {c for p in group.entities for c in cards[p]} | set(once["card_id"])
            )
            linked = int(contacts["phone_key"].isin(shared).sum()) + int(
                once.drop_duplicates("person_id")["phone_key"].isin(shared).sum()
            )
            recruiters = self._recruiters(holders, shared, recruits)
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
                "alike": alike,
                "exp_alike": f"{expected:.2g}",
                "stay_tol": SIMILAR_STAY,
                "bill_tol": f"{SIMILAR_BILL:.0%}",
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
                    support_p=float(poisson_tail(alike, expected)),
                    explain_zh=(
                        "机构 {inst}… 有 {waves} 批（{wd} 天之内，涉及 {days} 天）"
                        "收治了这 {people} 人中的至少 {quorum} 人"
                        "（按各人自身住院次数独立估计的期望批次：{exp}）；另有 {once} 人"
                        "在这些批次中入院，诊断、住院天数（±{stay_tol} 天）"
                        "和金额（±{bill_tol}）与之相同"
                        "或与组内他人共用电话（相似住院 {alike} 人次，按该机构其他日子估计的期望："
                        "{exp_alike}）；"
                        "涉及 {dx} 种诊断，金额变异系数 {cv}，{linked} 人与组内他人共用电话；"
                        "证据住院 {claims} 笔，合计 {total:.2f} 元（统筹 {fund:.2f}），"
                        "{first} 至 {last}。"
                    ),
                    explain_en=(
                        "Institution {inst}… admitted at least {quorum} of these {people} "
                        "people within {wd} days of each other {waves} times ({days} "
                        "admission days; expected under independence given each person's "
                        "own admissions: {exp}); {once} more were admitted in these waves "
                        "with the same diagnoses, stay (+-{stay_tol} days) and bill "
                        "(+-{bill_tol}), or with a phone shared in the group ({alike} "
                        "look-alike stays where the institution's other days predict "
                        "{exp_alike}); "
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
                        "look_alikes": {"observed": int(alike), "expected": float(expected)},
                        "recruiters": len(recruiters),
                        "campaigns_set_aside": campaigns,
                        "lost_signals": lost,
                    },
                )
            )
        candidates += [self._package_candidate(g, stays, lost) for g in packages]
        return finish(store, candidates)

    def _packages(
        self,
        store: Store,
        window: Window,
        stays: pd.DataFrame,
        admissions: dict[str, pd.DataFrame],
    ) -> list[PackageGroup]:
        """Repeaters billed one package price again and again (package_stays), unless they
        could be one household or one campaign explains them."""

        def venue_admissions(venue: str) -> pd.DataFrame:
            if venue not in admissions:
                admissions[venue] = store.projection(
                    "wave_admissions", **window.params(), provider_id=venue
                )
            return admissions[venue]

        span = self.wave_days - 1
        people = stays.drop_duplicates("person_id").set_index("person_id")
        kept = []
        for group in package_groups(
            stays, venue_admissions, SIMILAR_BILL, SIMILAR_STAY, self.min_package, self.package_p
        ):
            unknown = people.loc[group.entities, "address_key"].isna().all()
            if unknown and len(group.entities) <= HOUSEHOLD:
                continue
            reach = [(d - span, d + span) for d in group.days]
            if not one_campaign(
                venue_admissions(group.venue), group.entities, reach, self.wave_days
            ):
                kept.append(group)
        return kept

    def _package_candidate(
        self, group: PackageGroup, stays: pd.DataFrame, lost: list[str]
    ) -> Candidate:
        evidence = stays[stays["claim_id"].isin(group.claim_ids)]
        doctors = evidence["doctor_id"].value_counts()
        doctors = sorted(doctors[doctors >= max(2, DOCTOR_SHARE * len(evidence))].index)
        numbers = {
            "people": len(group.entities),
            "inst": short(group.venue),
            "low": f"{group.low:.0f}",
            "high": f"{group.high:.0f}",
            "exp": f"{group.expected:.2g}",
            "dx": evidence["diagnosis_code"].nunique(),
        }
        return Candidate(
            pattern=self.pattern,
            members=[
                Member("institution", group.venue, "institution"),
                *(Member("doctor", d, "doctor") for d in doctors),
                *(Member("person", p, "recruit") for p in group.entities),
                *(Member("card", c, "card_holder") for c in sorted(set(evidence["card_id"]))),
            ],
            claim_ids=group.claim_ids,
            statistic=group.observed,
            expected=group.expected,
            tests=group.tests,
            explain_zh=PACKAGE_ZH,
            explain_en=PACKAGE_EN,
            numbers=numbers,
            method={
                "detector": self.pattern,
                "signal": "package",
                "projection": ["admission_waves", "wave_admissions"],
                "wave_days": self.wave_days,
                "min_package": self.min_package,
                "package_p": self.package_p,
                "band": SIMILAR_BILL,
                "stay_tolerance": SIMILAR_STAY,
                "lost_signals": lost,
            },
        )

    def _once(
        self, rows: pd.DataFrame, group: WaveGroup, evidence: pd.DataFrame, contacts: pd.DataFrame
    ) -> tuple[pd.DataFrame, int, float, list[str]]:
        """Admissions (``rows``: the institution's ``wave_admissions``) within reach of the
        ring's waves by people outside the group who belong to it all the same (recruits
        who came once, invisible to repetition): those that look like the ring's own (same
        diagnoses, stay within two days, bill within 10% of the ring's median for the
        diagnosis) when such admissions crowd the waves far beyond their rate on the
        institution's other days (flat-rate billing makes them common everywhere), and
        those carrying a phone that ties different households among the group and the
        people admitted in its waves (the recruiter's). Also returns the look-alikes
        counted and expected there, and those phones (``contacts``: the group's phone_key
        and address_key by person)."""
        span = self.wave_days - 1
        reach = [w.reach(span) for w in group.waves]
        near = np.zeros(len(rows), dtype=bool)
        for lo, hi in reach:
            near |= rows["day"].between(lo, hi).to_numpy()
        near_days = len(set().union(*(range(lo, hi + 1) for lo, hi in reach)))
        other_days = int(rows["day"].max() - rows["day"].min() + 1) - near_days
        bills = evidence.groupby("diagnosis_code")["total_amount"].agg(["min", "max"])
        amount = rows["total_amount"].astype(float)
        dx = rows["diagnosis_code"]
        stays = evidence["stay_days"].astype(float)
        similar = (
            (
                (amount >= dx.map(bills["min"]).astype(float) * (1 - SIMILAR_BILL))
                & (amount <= dx.map(bills["max"]).astype(float) * (1 + SIMILAR_BILL))
                & rows["stay_days"]
                .astype(float)
                .between(stays.min() - SIMILAR_STAY, stays.max() + SIMILAR_STAY)
            )
            .fillna(False)
            .to_numpy()
        )
        outside = ~rows["person_id"].isin(group.entities).to_numpy()
        # one look-alike is added elsewhere, so a quiet institution still expects some
        expected = (similar[~near].sum() + 1) / max(other_days, 1) * near_days
        alike = rows[similar & near & outside]
        crowd = len(alike)
        if alike.empty or poisson_tail(crowd, expected) > SIMILAR_P:
            alike = alike.iloc[:0]
        around = rows[near & outside]
        keys = pd.concat([contacts, around.set_index("person_id")[["phone_key", "address_key"]]])
        households = keys.dropna().groupby("phone_key")["address_key"].nunique()
        shared = sorted(households[households >= 2].index)
        tied = around[around["phone_key"].isin(shared)]
        found = pd.concat([alike, tied]).drop_duplicates("claim_id")
        return found, crowd, float(expected), shared

    @staticmethod
    def _recruiters(
        holders: pd.DataFrame | None, phones: list[str], recruits: list[str]
    ) -> pd.DataFrame:
        """Non-recruits carrying a phone that recruits of different households share: the
        recruiter (ignored when the phone is so common it cannot point at anyone).
        ``holders``: persons_by_phone of every ring's phones, read once for the scan."""
        if holders is None or not phones:
            return pd.DataFrame(columns=["person_id", "card_id"])
        holders = holders[holders["phone_key"].isin(phones)]
        holders = holders[~holders["person_id"].isin(recruits)]
        counts = holders.groupby("phone_key")["person_id"].nunique()
        usable = counts[counts <= MAX_RECRUITERS_PER_PHONE].index
        return holders[holders["phone_key"].isin(usable)]


def _within(a: WaveGroup | PackageGroup, b: WaveGroup | PackageGroup) -> bool:
    """``a`` is a smaller group of the same institution, mostly inside ``b``: ``b``
    carries it (the fragments of a package group found by chance meetings)."""
    overlap = len(set(a.entities) & set(b.entities))
    return (
        a.venue == b.venue and len(a.entities) < len(b.entities) and 2 * overlap >= len(a.entities)
    )


def lost_signals(stays: pd.DataFrame) -> list[str]:
    """What the admissions could not use, in words for the case memo."""
    lost = []
    if stays["address_key"].isna().all():
        lost.append(
            f"persons' addresses: households unknown, groups of {HOUSEHOLD} or fewer "
            "could be families and are not reported"
        )
    if stays["phone_key"].isna().all():
        lost.append("persons' phones: no recruiter's phone can tie recruits")
    if stays["doctor_id"].isna().all():
        lost.append("doctors: no treating doctor joins the ring")
    if stays["diagnosis_code"].isna().all():
        lost.append(
            "diagnoses: no look-alike one-time admissions are attached, campaigns are "
            "told by their bills"
        )
    return lost


def one_campaign(
    rows: pd.DataFrame, members: list[str], reach: list[tuple[int, int]], wave_days: int
) -> bool:
    """Whether a single campaign explains the group's admissions on the days ``reach``
    (``rows``: the institution's wave_admissions): there every member is admitted once,
    or twice for the same treatment (same diagnosis, or a bill within SIMILAR_BILL where
    diagnoses are unknown) within SECOND_ROUND_DAYS; their first admissions lie within
    CAMPAIGN_DAYS; and those days are crowded by look-alike admissions of people who came
    only once, at least as many as the group and far more than the institution's other
    days hold. A campaign brings dozens once and a few back for the second eye; a ring
    brings the same people back again and again, and those it brings once are fewer than
    those it brings back."""
    near = np.zeros(len(rows), dtype=bool)
    for lo, hi in reach:
        near |= rows["day"].between(lo, hi).to_numpy()
    mine = rows[near & rows["person_id"].isin(members).to_numpy()]
    mine = mine.sort_values(["person_id", "day"])
    gap = mine.groupby("person_id")["day"].diff()
    episodes = mine[gap.isna() | (gap >= wave_days)]
    if episodes.groupby("person_id").size().max() > 2:
        return False
    first = episodes.groupby("person_id").nth(0).set_index("person_id")
    second = episodes.groupby("person_id").nth(1).set_index("person_id")
    before = first.loc[second.index]
    if ((second["day"] - before["day"]) > SECOND_ROUND_DAYS).any():
        return False
    if not _same_treatment(before, second).all():
        return False
    lo, hi = int(first["day"].min()), int(first["day"].max())
    if hi - lo > CAMPAIGN_DAYS:
        return False
    once = rows[~rows["person_id"].isin(members)]
    once = once[once.groupby("person_id")["day"].transform("size") == 1]
    alike = _same_treatment_as(once, first)
    inside = once["day"].between(lo - wave_days, hi + wave_days).to_numpy()
    crowd = int((alike & inside).sum())
    days = max(int(rows["day"].max() - rows["day"].min() + 1), 1)
    burst = hi - lo + 1 + 2 * wave_days
    expected = (int((alike & ~inside).sum()) + 1) / max(days - burst, 1) * burst
    return crowd >= len(members) and float(poisson_tail(crowd, expected)) <= SIMILAR_P


def _same_treatment(a: pd.DataFrame, b: pd.DataFrame) -> pd.Series:
    """Row by row: the same diagnosis where both are known, else a bill within SIMILAR_BILL."""
    known = a["diagnosis_code"].notna() & b["diagnosis_code"].notna()
    dx = a["diagnosis_code"] == b["diagnosis_code"]
    bill = _close(a["total_amount"], b["total_amount"])
    return (known & dx) | (~known & bill)


def _same_treatment_as(rows: pd.DataFrame, first: pd.DataFrame) -> np.ndarray:
    """Rows whose diagnosis is one of the group's first diagnoses (where known), else whose
    bill lies within SIMILAR_BILL of the group's range of first bills."""
    codes = set(first["diagnosis_code"].dropna())
    amount = rows["total_amount"].astype(float)
    lo, hi = first["total_amount"].astype(float).min(), first["total_amount"].astype(float).max()
    bill = amount.between(lo * (1 - SIMILAR_BILL), hi * (1 + SIMILAR_BILL))
    return np.where(
        rows["diagnosis_code"].notna() & bool(codes), rows["diagnosis_code"].isin(codes), bill
    ).astype(bool)


def _close(a: pd.Series, b: pd.Series) -> pd.Series:
    a, b = a.astype(float), b.astype(float)
    return (a - b).abs() <= SIMILAR_BILL * np.maximum(a.abs(), b.abs())
