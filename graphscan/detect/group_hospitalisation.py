"""Group hospitalisation (诱导住院、挂床住院): the same people admitted to the same
institution together, wave after wave. A big hospital admits many people every day, so
chance co-admissions are expected there; a village screening day happens once; families
are expected together. What stays is a group admitted within days of each other (see
``wave_windows``: no calendar bucket splits a wave) far more often than each member's own
admissions explain, with similar stays, diagnoses and amounts, and often a recruiter's
phone linking them. Recruits who came to one wave only are attached by their look-alike
bills and stays or by that phone.

One campaign is not a ring: a free cataract-surgery campaign (白内障复明) admits dozens of
elderly villagers once each within a few weeks and brings some back for the second eye, so
its second-eye people look like a group admitted together twice. A group whose waves one
campaign explains (``one_campaign``) is set aside. The second signature is admission
without indication on one package price (``engines.package_stays``): recruits fetched a
few at a time all year round rarely meet, but are billed the same flat price each time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, TypeVar

import numpy as np
import pandas as pd

from graphscan.detect.base import Candidate, Coverage, Detector, Frames, Lost, Window, short
from graphscan.detect.engines.alike_bursts import BurstGroup, burst_groups
from graphscan.detect.engines.cooccurrence import Group, Params
from graphscan.detect.engines.package_stays import PackageGroup, package_groups, reference_share
from graphscan.detect.engines.significance import poisson_tail
from graphscan.detect.engines.wave_windows import Season, find_wave_groups
from graphscan.rings import Member
from graphscan.store.base import Store

#: a group found by its price: a package of repeaters, or bursts of look-alike stays
Priced = TypeVar("Priced", PackageGroup, BurstGroup)

EXPLAIN_ZH = (
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
)
EXPLAIN_EN = (
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
)

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

BURST_ZH = (
    "机构 {inst}… 有 {bursts} 批入院（每批 {wd} 天之内）远多于该机构平时的收治量，"
    "其中 {alike} 人次住院天数相近、金额相同（{low}–{high} 元），按该机构其他日子估计的"
    "期望为 {exp}；其中 {unrelated} 人次诊断为其他疾病（共 {dx} 种诊断），"
    "同一价格、不同疾病，即无指征住院；涉及 {people} 人；"
    "证据住院 {claims} 笔，合计 {total:.2f} 元（统筹 {fund:.2f}），{first} 至 {last}。"
)
BURST_EN = (
    "Institution {inst}… admitted far more people than its own pace in {bursts} bursts "
    "(each within {wd} days): {alike} stays of about one length billed the same "
    "({low}-{high} yuan), where its other days predict {exp}; {unrelated} of them for "
    "other illnesses ({dx} distinct diagnoses), one price whatever the illness "
    "(admission without indication); {people} people; {claims} evidence stays, "
    "{total:.2f} yuan (fund {fund:.2f}), {first} to {last}."
)


@dataclass
class GroupHospitalisation(Detector):
    """Parameters:
    wave_days: recruits of one wave are admitted within this many days of each other
    min_together: a pair must share at least this many waves
    edge_p: and that often must be this unlikely by chance; two shared waves are rarely
        significant alone, so pairs only propose groups (0.05) and the group test decides,
        supported by the look-alike admissions crowding the group's waves (which carries
        a pair that no third person joins)
    attach_p: a person joins a group when their presence in its waves is this unlikely
    min_group: smallest group reported
    max_group: groups larger than this are split with Leiden
    max_recruiters_per_phone: more non-recruits than this on one phone is a
        switchboard, not a recruiter
    doctor_share: a doctor joins the ring when they treated at least this share of its
        admissions
    similar_bill: a one-time admission within reach of the ring's waves looks like the
        ring's when its diagnosis is one of the ring's, its stay within ``similar_stay``
        days of their range and its bill within this share of their range of bills for
        that diagnosis
    similar_stay: see ``similar_bill`` (days)
    similar_p: and when ring-like admissions are this unlikely to crowd those days by
        chance
    household: a group this small whose addresses are all unknown could be one family
        admitted together, and is not reported unless look-alike strangers who came once
        crowd its waves (a family brings no bus of people treated like it)
    campaign_days: one campaign admits its people within this many days
    second_round_days: and brings some back once, for the same treatment, within this
        many days (the second eye)
    min_package: people billed one package price in two or more admissions each that a
        package group needs
    package_p: and how unlikely that many must be, given each one's admissions and the
        institution's other bills; also how unlikely the look-alike stays of a burst
        group must be (``engines.alike_bursts``)
    burst_p: a window of ``wave_days`` is a burst when the institution's own pace makes
        that many admissions in it this unlikely (a screen: the look-alike stays decide)
    """

    pattern: ClassVar[str] = "group_hospitalisation"
    projections: ClassVar[tuple[str, ...]] = (
        "admission_waves",
        "admission_wave_sizes",
        "wave_admissions",
        "persons_by_phone",
        "inpatient_price_spread",
    )

    wave_days: int = 7
    min_together: int = 2
    edge_p: float = 0.05
    attach_p: float = 1e-2
    min_group: int = 2
    max_group: int = 60
    max_recruiters_per_phone: int = 3
    doctor_share: float = 0.2
    similar_bill: float = 0.10
    similar_stay: int = 2
    similar_p: float = 1e-3
    household: int = 3
    campaign_days: int = 31
    second_round_days: int = 90
    min_package: int = 5
    package_p: float = 1e-6
    burst_p: float = 1e-3

    @property
    def cooccurrence(self) -> Params:
        """The co-occurrence engine's parameters, from this detector's fields."""
        return Params(self.min_together, self.edge_p, self.attach_p, self.min_group, self.max_group)

    def lost_signals(self, coverage: Coverage) -> list[Lost]:
        lost: list[Lost] = []
        if not coverage.share("claims", "diagnosis_code", "inpatient"):
            lost.append(
                (
                    "diagnosis_code",
                    "not recorded: look-alike admissions by stay and bill; bursts of look-alike "
                    "stays cannot be told from a campaign and are not reported",
                )
            )
        if not coverage.share("claims", "end_time", "inpatient"):
            lost.append(("end_time", "no discharge dates: look-alikes without stay lengths"))
        if not coverage.share("persons", "phone_key"):
            lost.append(("persons.phone_key", "not recorded: no recruiter phones"))
        if not coverage.share("persons", "address_key"):
            lost.append(
                (
                    "persons.address_key",
                    f"not recorded: households not recognised, groups of {self.household} "
                    "or fewer admitted with no look-alike strangers could be families and "
                    "are not reported",
                )
            )
        if not coverage.share("claims", "doctor_id", "inpatient"):
            lost.append(("doctor_id", "not recorded on inpatient claims: no doctor joins a ring"))
        return lost

    def read(self, store: Store, window: Window) -> Frames:
        args = {**window.params(), "wave_days": self.wave_days}
        return self.frames(
            store,
            window,
            {
                "admission_waves": store.projection(
                    "admission_waves", **args, min_waves=self.min_together
                ),
                "admission_wave_sizes": store.projection("admission_wave_sizes", **window.params()),
                "inpatient_price_spread": store.projection(
                    "inpatient_price_spread", **window.params(), similar_bill=self.similar_bill
                ),
            },
        )

    def decide(self, frames: Frames) -> list[Candidate]:
        stays, daily = frames["admission_waves"], frames["admission_wave_sizes"]
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
                "follows": self._follow_ups(stays),
            }
        )
        people = stays.drop_duplicates("person_id").set_index("person_id")
        cards = stays.groupby("person_id")["card_id"].unique()
        spans = tuple(sorted({1, span // 2, span} - {0}))
        groups = find_wave_groups(
            frame, season, spans, self.cooccurrence, frames.communities, people["address_key"]
        )
        admissions: dict[str, pd.DataFrame] = {}
        firsts: dict[str, pd.DataFrame] = {}

        def venue_admissions(venue: str) -> pd.DataFrame:
            if venue not in admissions:
                admissions[venue] = frames.more("wave_admissions", provider_id=venue)
            return admissions[venue]

        def venue_firsts(venue: str) -> pd.DataFrame:
            if venue not in firsts:
                firsts[venue] = first_stays(venue_admissions(venue))
            return firsts[venue]

        by_venue = stays.groupby("provider_id", sort=False).indices
        found = []
        campaigns = 0
        for group in groups:
            # all of the members' admissions a campaign could hold around the waves: a
            # member whose first eye came days before the fullest wave, or whose second
            # came days after the last, is still in the campaign
            reach = [self._campaign_reach(group.contexts[0].first, group.contexts[-1].last)]
            if self.one_campaign(
                venue_admissions(group.venue), venue_firsts(group.venue), group.entities, reach
            ):
                campaigns += 1
                continue
            evidence = _evidence(stays, by_venue, group)
            contacts = people.loc[group.entities, ["phone_key", "address_key"]]
            once = self._once(venue_admissions(group.venue), group, evidence, contacts)
            if once[0].empty and self._maybe_family(people, group.entities):
                continue
            found.append((group, evidence, contacts, *once))
        prior = reference_share(frames["inpatient_price_spread"])
        packages = self._packages(
            stays.assign(follows=frame["follows"].to_numpy()),
            people,
            venue_admissions,
            venue_firsts,
            prior,
        )
        found = [f for f in found if not any(_within(f[0], g, True) for g in packages)]
        packages = [g for g in packages if not any(_within(g, f[0]) for f in found)]
        packages = [g for g in packages if not any(_within(g, h) for h in packages)]
        taken = [(f[0].venue, {*f[0].entities, *f[3]["person_id"]}) for f in found]
        taken += [(g.venue, set(g.entities)) for g in packages]
        bursts = [
            b
            for b in self._bursts(daily, season, venue_admissions, venue_firsts)
            if not any(
                v == b.venue and 2 * len(people & set(b.entities)) >= len(b.entities)
                for v, people in taken
            )
        ]
        # a wave group mostly inside a larger burst group of its institution is a part of
        # it (the few recruits of its waves who happen to meet twice): the burst carries it
        found = [f for f in found if not any(_within(f[0], b) for b in bursts)]
        phones = sorted({p for *_, shared in found for p in shared})
        holders = frames.more("persons_by_phone", phones=phones) if phones else None
        candidates = []
        for group, evidence, contacts, once, alike, expected, shared in found:
            doctors = evidence["doctor_id"].value_counts()
            doctors = sorted(doctors[doctors >= max(2, self.doctor_share * len(evidence))].index)
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
                "stay_tol": self.similar_stay,
                "bill_tol": f"{self.similar_bill:.0%}",
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
                    explain_zh=EXPLAIN_ZH,
                    explain_en=EXPLAIN_EN,
                    numbers=numbers,
                    method=self.method(
                        frames,
                        pair_edges=group.pair_edges,
                        shared_phones=linked,
                        admitted_once_alike=int(once["person_id"].nunique()),
                        look_alikes={"observed": int(alike), "expected": float(expected)},
                        recruiters=len(recruiters),
                        campaigns_set_aside=campaigns,
                    ),
                )
            )
        candidates += [
            self._package_candidate(frames, g, _evidence(stays, by_venue, g)) for g in packages
        ]
        return candidates + [
            self._burst_candidate(frames, b, venue_admissions(b.venue)) for b in bursts
        ]

    def _follow_ups(self, stays: pd.DataFrame) -> np.ndarray:
        """For each row of ``stays`` (admission_waves), the day of the person's index stay
        at the institution that the row's episode follows up, NaN where the episode is an
        index stay itself. An episode (a stay ``wave_days`` or more after the person's
        previous one there) follows up the previous episode when it is the same treatment
        (``_same_treatment``) within ``second_round_days``, and no third such episode
        follows within reach: a follow-up completes one treatment (the second eye), the
        same treatment again and again is no single course and nothing explains it."""
        order = stays.sort_values(["provider_id", "person_id", "day", "claim_id"])
        person = order["provider_id"].astype(str) + "\x00" + order["person_id"].astype(str)
        day = order["day"].astype(int)
        same = person.eq(person.shift())
        start = ~same | (day - day.shift()).ge(self.wave_days)
        episode = start.cumsum()
        first = order[start.to_numpy()].reset_index(drop=True)
        before = first.shift()
        linked = (
            same[start].to_numpy()
            & (first["day"] - before["day"]).le(self.second_round_days).to_numpy()
            & self._same_treatment(before, first).to_numpy()
        )
        run = pd.Series(np.cumsum(~linked))
        follows = (run.groupby(run).transform("size") == 2).to_numpy() & linked
        index_day = np.where(follows, before["day"].to_numpy(dtype=float), np.nan)
        by_row = pd.Series(index_day[episode.to_numpy() - 1], index=order.index)
        return by_row.reindex(stays.index).to_numpy()

    def _maybe_family(self, people: pd.DataFrame, members: list[str]) -> bool:
        """Small enough to be one household, and no address says otherwise."""
        unknown = bool(people.loc[members, "address_key"].isna().all())
        return unknown and len(members) <= self.household

    def _packages(
        self,
        stays: pd.DataFrame,
        people: pd.DataFrame,
        admissions: Callable[[str], pd.DataFrame],
        firsts: Callable[[str], pd.DataFrame],
        prior: float,
    ) -> list[PackageGroup]:
        """Repeaters billed one package price again and again (engines.package_stays;
        ``prior``: the city's reference_share), unless they could be one household or one
        campaign explains them."""
        groups = package_groups(
            stays,
            admissions,
            self.similar_bill,
            self.similar_stay,
            self.min_package,
            self.package_p,
            prior,
        )
        groups = [g for g in groups if not self._maybe_family(people, g.entities)]
        return self._no_campaign(groups, admissions, firsts)

    def _bursts(
        self,
        daily: pd.DataFrame,
        season: Season,
        admissions: Callable[[str], pd.DataFrame],
        firsts: Callable[[str], pd.DataFrame],
    ) -> list[BurstGroup]:
        """Bursts of look-alike stays for unrelated illnesses (engines.alike_bursts),
        unless one campaign explains them."""
        groups = burst_groups(
            daily,
            season,
            admissions,
            self.wave_days,
            (self.similar_bill, self.similar_stay),
            self.min_package,
            self.burst_p,
            (self.package_p, self.similar_p),
        )
        return self._no_campaign(groups, admissions, firsts)

    def _no_campaign(
        self,
        groups: list[Priced],
        admissions: Callable[[str], pd.DataFrame],
        firsts: Callable[[str], pd.DataFrame],
    ) -> list[Priced]:
        """The price-found ``groups`` that no one campaign explains (``one_campaign``
        over their evidence days)."""
        kept = []
        for group in groups:
            reach = [self._campaign_reach(group.days[0], group.days[-1])]
            if not self.one_campaign(
                admissions(group.venue), firsts(group.venue), group.entities, reach
            ):
                kept.append(group)
        return kept

    def _burst_candidate(self, frames: Frames, group: BurstGroup, rows: pd.DataFrame) -> Candidate:
        numbers = {
            "bursts": len(group.windows),
            "wd": self.wave_days,
            "alike": group.observed,
            "unrelated": group.unrelated,
        }
        evidence = rows[rows["claim_id"].isin(group.claim_ids)]
        method = self.method(frames, signal="bursts", burst_p=self.burst_p)
        return self._priced_candidate(group, evidence, (BURST_ZH, BURST_EN), numbers, method)

    def _package_candidate(
        self, frames: Frames, group: PackageGroup, evidence: pd.DataFrame
    ) -> Candidate:
        method = self.method(frames, signal="package")
        return self._priced_candidate(group, evidence, (PACKAGE_ZH, PACKAGE_EN), {}, method)

    def _priced_candidate(
        self,
        group: PackageGroup | BurstGroup,
        evidence: pd.DataFrame,
        texts: tuple[str, str],
        numbers: dict[str, object],
        method: dict[str, object],
    ) -> Candidate:
        """A group found by its price (a package, or bursts of look-alike stays): its
        institution, the doctors of ``doctor_share`` of its ``evidence`` stays, its
        people and their cards."""
        doctors = evidence["doctor_id"].value_counts()
        doctors = sorted(doctors[doctors >= max(2, self.doctor_share * len(evidence))].index)
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
            explain_zh=texts[0],
            explain_en=texts[1],
            numbers={
                "people": len(group.entities),
                "inst": short(group.venue),
                "low": f"{group.low:.0f}",
                "high": f"{group.high:.0f}",
                "exp": f"{group.expected:.2g}",
                "dx": evidence["diagnosis_code"].nunique(),
                **numbers,
            },
            method=method,
        )

    def _campaign_reach(self, first: int, last: int) -> tuple[int, int]:
        """The days on which a campaign that admitted a group on days ``first..last``
        could have admitted its members: its first round up to ``campaign_days`` before,
        its second round up to ``second_round_days`` after."""
        return first - self.campaign_days, last + self.second_round_days

    def one_campaign(
        self,
        rows: pd.DataFrame,
        firsts: pd.DataFrame,
        members: list[str],
        reach: list[tuple[int, int]],
    ) -> bool:
        """Whether a single campaign explains the group's admissions on the days ``reach``
        (``rows``: the institution's wave_admissions, ``firsts``: their ``first_stays``,
        computed once per institution): there every member is admitted
        once, or twice for the same treatment (same diagnosis, or a bill within
        ``similar_bill`` where diagnoses are unknown; a stay for a diagnosis no other
        member was treated for is that person's own illness and does not count)
        within ``second_round_days``; their
        first admissions lie within ``campaign_days``; and the campaign around them
        brought at least as many others, first admitted there like the group (a campaign,
        or an eye ward's routine: many people treated alike, some back for the second
        eye). A ring brings the same people back again and again, and the look-alike
        strangers around its first wave are fewer than its members."""
        near = np.zeros(len(rows), dtype=bool)
        for lo, hi in reach:
            near |= rows["day"].between(lo, hi).to_numpy()
        mine = rows[near & rows["person_id"].isin(members).to_numpy()]
        mine = mine.sort_values(["person_id", "day"])
        # the campaign's treatment is what its members share, and what most of the others
        # it brought were treated for; a diagnosis only one member was treated for is that
        # person's own illness (even at their first stay there), unless it is the crowd's
        treated = mine.dropna(subset=["diagnosis_code"]).drop_duplicates(
            ["person_id", "diagnosis_code"]
        )
        shared = treated["diagnosis_code"].value_counts()
        crowd = self._crowd_treatment(firsts, members, reach, set(shared.index))
        codes = set(shared[shared >= 2].index) | crowd or set(shared.index)
        if codes:
            mine = mine[mine["diagnosis_code"].isna() | mine["diagnosis_code"].isin(codes)]
        gap = mine.groupby("person_id")["day"].diff()
        episodes = mine[gap.isna() | (gap >= self.wave_days)]
        if episodes.empty or episodes.groupby("person_id").size().max() > 2:
            return False
        first = episodes.groupby("person_id").nth(0).set_index("person_id")
        second = episodes.groupby("person_id").nth(1).set_index("person_id")
        before = first.loc[second.index]
        if ((second["day"] - before["day"]) > self.second_round_days).any():
            return False
        if not self._same_treatment(before, second).all():
            return False
        lo, hi = int(first["day"].min()), int(first["day"].max())
        if hi - lo > self.campaign_days:
            return False
        # the others the campaign brought: their first stay at the institution, treated
        # like the group's first stays (whether or not they came back for a second eye)
        others = firsts[~firsts["person_id"].isin(members)]
        alike = self._treated_like(others, first)
        lo, hi = self._campaign_run(others["day"].to_numpy()[alike], lo, hi)
        inside = others["day"].between(lo, hi).to_numpy()
        return int((alike & inside).sum()) >= len(members)

    def _crowd_treatment(
        self,
        firsts: pd.DataFrame,
        members: list[str],
        reach: list[tuple[int, int]],
        codes: set[str],
    ) -> set[str]:
        """The one of the members' diagnoses ``codes`` that most others first admitted
        within ``reach`` were treated for, when at least as many of them as the group:
        the treatment a campaign around the group gave. A patient whose stays fell on a
        bus day and a second-eye day by chance shares no diagnosis with the villager he
        met, but the villager shares one with the whole bus."""
        near = np.zeros(len(firsts), dtype=bool)
        for lo, hi in reach:
            near |= firsts["day"].between(lo, hi).to_numpy()
        around = firsts[near & ~firsts["person_id"].isin(members).to_numpy()]
        counts = around.loc[around["diagnosis_code"].isin(codes), "diagnosis_code"].value_counts()
        if counts.empty or int(counts.iloc[0]) < len(members):
            return set()
        return {str(counts.index[0])}

    def _campaign_run(self, days: np.ndarray, lo: int, hi: int) -> tuple[int, int]:
        """The campaign around the group's first admissions ``lo..hi``: the stretch of
        ``campaign_days`` holding them that holds the most look-alike admissions ``days``
        (a group admitted on a campaign's last days is still in it; its buses need not
        come within a week of each other)."""
        if hi - lo >= self.campaign_days or not len(days):
            return lo, hi
        starts = np.arange(hi - self.campaign_days, lo + 1)
        counts = [int(((days >= a) & (days <= a + self.campaign_days)).sum()) for a in starts]
        best = int(starts[int(np.argmax(counts))])
        return best, best + self.campaign_days

    def _same_treatment(self, a: pd.DataFrame, b: pd.DataFrame) -> pd.Series:
        """Row by row: the same diagnosis where both are known, else a bill within
        ``similar_bill``."""
        known = a["diagnosis_code"].notna() & b["diagnosis_code"].notna()
        dx = a["diagnosis_code"] == b["diagnosis_code"]
        x, y = a["total_amount"].astype(float), b["total_amount"].astype(float)
        bill = (x - y).abs() <= self.similar_bill * np.maximum(x.abs(), y.abs())
        return (known & dx) | (~known & bill)

    def _treated_like(self, rows: pd.DataFrame, first: pd.DataFrame) -> np.ndarray:
        """Rows whose diagnosis is one of the group's first diagnoses (where known), else
        whose bill lies within ``similar_bill`` of the group's range of first bills."""
        codes = set(first["diagnosis_code"].dropna())
        amount = rows["total_amount"].astype(float)
        bills = first["total_amount"].astype(float)
        lo, hi = bills.min() * (1 - self.similar_bill), bills.max() * (1 + self.similar_bill)
        by_bill = amount.between(lo, hi).to_numpy()
        by_dx = rows["diagnosis_code"].isin(codes).to_numpy()
        known = rows["diagnosis_code"].notna().to_numpy() & bool(codes)
        return np.where(known, by_dx, by_bill)

    def _once(
        self, rows: pd.DataFrame, group: Group, evidence: pd.DataFrame, contacts: pd.DataFrame
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
        reach = [w.reach(span) for w in group.contexts]
        near = np.zeros(len(rows), dtype=bool)
        for lo, hi in reach:
            near |= rows["day"].between(lo, hi).to_numpy()
        near_days = len(set().union(*(range(lo, hi + 1) for lo, hi in reach)))
        other_days = int(rows["day"].max() - rows["day"].min() + 1) - near_days
        bills = evidence.groupby("diagnosis_code")["total_amount"].agg(["min", "max"])
        amount = rows["total_amount"].astype(float)
        dx = rows["diagnosis_code"]
        # a stay without a diagnosis is compared with the ring's whole range of bills
        ring_bills = evidence["total_amount"].astype(float)
        low = dx.map(bills["min"]).astype(float).where(dx.notna(), ring_bills.min())
        high = dx.map(bills["max"]).astype(float).where(dx.notna(), ring_bills.max())
        stays = evidence["stay_days"].astype(float)
        similar = (
            (
                (amount >= low * (1 - self.similar_bill))
                & (amount <= high * (1 + self.similar_bill))
                & rows["stay_days"]
                .astype(float)
                .between(stays.min() - self.similar_stay, stays.max() + self.similar_stay)
            )
            .fillna(False)
            .to_numpy()
        )
        outside = ~rows["person_id"].isin(group.entities).to_numpy()
        # one look-alike is added elsewhere, so a quiet institution still expects some
        expected = (similar[~near].sum() + 1) / max(other_days, 1) * near_days
        alike = rows[similar & near & outside]
        crowd = len(alike)
        if alike.empty or poisson_tail(crowd, expected) > self.similar_p:
            alike = alike.iloc[:0]
        around = rows[near & outside]
        keys = pd.concat([contacts, around.set_index("person_id")[["phone_key", "address_key"]]])
        households = keys.dropna().groupby("phone_key")["address_key"].nunique()
        shared = sorted(households[households >= 2].index)
        tied = around[around["phone_key"].isin(shared)]
        found = pd.concat([alike, tied]).drop_duplicates("claim_id")
        return found, crowd, float(expected), shared

    def _recruiters(
        self, holders: pd.DataFrame | None, phones: list[str], recruits: list[str]
    ) -> pd.DataFrame:
        """Non-recruits carrying a phone that recruits of different households share: the
        recruiter (ignored when the phone is so common it cannot point at anyone).
        ``holders``: persons_by_phone of every ring's phones, read once for the scan."""
        if holders is None or not phones:
            return pd.DataFrame(columns=["person_id", "card_id"])
        holders = holders[holders["phone_key"].isin(phones)]
        holders = holders[~holders["person_id"].isin(recruits)]
        counts = holders.groupby("phone_key")["person_id"].nunique()
        usable = counts[counts <= self.max_recruiters_per_phone].index
        return holders[holders["phone_key"].isin(usable)]


def first_stays(rows: pd.DataFrame) -> pd.DataFrame:
    """Each person's first stay among an institution's ``rows`` (wave_admissions), in
    (day, claim) order: what ``one_campaign`` compares a group's first stays with."""
    return rows.sort_values(["day", "claim_id"]).drop_duplicates("person_id")


def _evidence(
    stays: pd.DataFrame, by_venue: dict[str, np.ndarray], group: Group | PackageGroup
) -> pd.DataFrame:
    """The group's stays, looked up among its institution's rows only (``by_venue``: row
    positions of each institution in ``stays``): a city's thousands of groups never scan
    every stay of the city each."""
    rows = stays.iloc[by_venue[group.venue]]
    return rows[rows["claim_id"].isin(group.claim_ids)]


def _within(
    a: Group | PackageGroup, b: Group | PackageGroup | BurstGroup, or_equal: bool = False
) -> bool:
    """``a`` is a smaller group of the same institution (or as large, ``or_equal``),
    mostly inside ``b``: ``b`` carries it (the fragments of a package group found by
    chance meetings, or the same people found both ways)."""
    overlap = len(set(a.entities) & set(b.entities))
    smaller = len(a.entities) < len(b.entities) or (or_equal and len(a.entities) == len(b.entities))
    return a.venue == b.venue and smaller and 2 * overlap >= len(a.entities)
