"""Card collection and lending (出借、回收医保卡、代刷): many unrelated cards swiped by the
same operator at the same pharmacy in bursts minutes apart, the same cards together again
and again. A busy counter swipes many cards per burst too, but different ones each day;
the burst-size-aware null model expects that, and members of one household are expected
to come together. Cards swiped far from their holders' usual places (engines.far_cards)
are a second, independent test that raises or weakens each ring. A broker's thin session
at a busy pharmacy, where half the customers come once a year, is found by its cards
that are both strangers there and away from home, against the pharmacy's own share of
away cards among its one-off customers (mostly neighbours). A stack that is most of a
quiet counter's traffic explains its own pairs; its sessions, bursts of two to six where
the counter's other customers come one at a time, are judged by their sizes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from math import log10
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from graphscan.detect.base import Candidate, Coverage, Detector, Frames, Lost, Window, short
from graphscan.detect.engines.burst_sizes import BurstSizes
from graphscan.detect.engines.cooccurrence import (
    Group,
    Params,
    crowd_groups,
    find_groups,
    linked_contexts,
    stranger_crowds,
    stranger_tails,
)
from graphscan.detect.engines.far_cards import REGION_DIGITS, FarCards, far_cards
from graphscan.detect.engines.roaming import roaming_groups
from graphscan.detect.engines.significance import log10_fisher_many, log10_poisson_tail
from graphscan.rings import Member
from graphscan.store.base import Store

EXPLAIN_ZH = (
    "{moving_zh}操作员 {op}… 在药店 {ph}… 以 {gap} 分钟内连续刷卡的方式，"
    "{bursts} 次（{days} 天）同时刷了这 {cards} 张卡中的至少 {quorum} 张"
    "（按各卡自身刷卡次数独立估计的期望次数：{exp}）；{far_zh}"
    "证据结算 {claims} 笔，合计 {total:.2f} 元（统筹 {fund:.2f}，"
    "个人账户 {account:.2f}），{first} 至 {last}。"
)
EXPLAIN_EN = (
    "{moving_en}Operator {op}… at pharmacy {ph}… swiped at least {quorum} "
    "of these {cards} cards within {gap}-minute bursts {bursts} times on "
    "{days} days (expected under independence given each card's own visits: "
    "{exp}); {far_en}"
    "{claims} evidence claims, {total:.2f} yuan (fund {fund:.2f}, "
    "personal account {account:.2f}), {first} to {last}."
)
#: a stack found only as crowds of strangers (a broker's sessions)
STRANGERS_ZH = (
    "{moving_zh}药店 {ph}…（操作员 {op}…）在 {sessions} 次连续刷卡（{gap} 分钟内）中刷了 "
    "{cards} 张在该柜台全年只出现一两次的卡（按该柜台平时此类卡的比例估计的期望：{exp} 张）；"
    "{far_zh}证据结算 {claims} 笔，合计 {total:.2f} 元（统筹 {fund:.2f}，"
    "个人账户 {account:.2f}），{first} 至 {last}。"
)
STRANGERS_EN = (
    "{moving_en}Pharmacy {ph}… (operator {op}…) swiped {cards} cards seen at this counter "
    "only once or twice a year in {sessions} bursts of swipes {gap} minutes apart "
    "(expected from the counter's usual share of such cards: {exp}); {far_en}"
    "{claims} evidence claims, {total:.2f} yuan (fund {fund:.2f}, "
    "personal account {account:.2f}), {first} to {last}."
)
#: a crowd found by the cards its sessions share (a broker's bag of cards swiped again)
RECURRING_ZH = (
    "{moving_zh}药店 {ph}…（操作员 {op}…）在 {sessions} 次连续刷卡（{gap} 分钟内）中刷了 "
    "{cards} 张卡，同一批卡在这些批次之间重复出现 {bursts} 次（按各卡在该药店自身的刷卡频率"
    "估计的期望：{exp} 次）；{far_zh}证据结算 {claims} 笔，合计 {total:.2f} 元（统筹 "
    "{fund:.2f}，个人账户 {account:.2f}），{first} 至 {last}。"
)
RECURRING_EN = (
    "{moving_en}Pharmacy {ph}… (operator {op}…) swiped {cards} cards in {sessions} bursts "
    "of swipes {gap} minutes apart, the same cards coming back {bursts} times between "
    "these bursts (expected from each card's own pace at the pharmacy: {exp}); {far_en}"
    "{claims} evidence claims, {total:.2f} yuan (fund {fund:.2f}, "
    "personal account {account:.2f}), {first} to {last}."
)
#: a stack found as crowds of strangers swiped away from their holders' homes
AWAY_ZH = (
    "{moving_zh}药店 {ph}…（操作员 {op}…）在 {sessions} 次连续刷卡（{gap} 分钟内）中刷了 "
    "{cards} 张在该药店全年只出现一两次、且在持卡人常住乡镇（或其平时就医购药的地方）以外的卡"
    "（按该药店平时此类卡的比例估计的期望：{exp} 张）；{far_zh}证据结算 {claims} 笔，合计 "
    "{total:.2f} 元（统筹 {fund:.2f}，个人账户 {account:.2f}），{first} 至 {last}。"
)
AWAY_EN = (
    "{moving_en}Pharmacy {ph}… (operator {op}…) swiped {cards} cards seen at this pharmacy "
    "only once or twice a year and away from their holders' home township (or the places "
    "they otherwise use) in {sessions} bursts of swipes {gap} minutes apart (expected from "
    "the pharmacy's usual share of such cards: {exp}); {far_en}"
    "{claims} evidence claims, {total:.2f} yuan (fund {fund:.2f}, "
    "personal account {account:.2f}), {first} to {last}."
)
#: a stack found as bursts far larger than its counter's bursts grow by chance
SIZE_ZH = (
    "{moving_zh}药店 {ph}…（操作员 {op}…）有 {bursts} 次连续刷卡（{gap} 分钟内）各刷了至少 "
    "{quorum} 张卡（共 {cards} 张，多为在该柜台全年只出现一两次的卡）；按该柜台自身的刷卡批次大小"
    "估计，这样大的批次期望只有 {exp} 次；{far_zh}证据结算 {claims} 笔，合计 {total:.2f} 元"
    "（统筹 {fund:.2f}，个人账户 {account:.2f}），{first} 至 {last}。"
)
SIZE_EN = (
    "{moving_en}Pharmacy {ph}… (operator {op}…) swiped at least {quorum} cards in each of "
    "{bursts} bursts of swipes {gap} minutes apart ({cards} cards, most seen at this counter "
    "only once or twice a year), where the counter's own burst sizes expect {exp} such "
    "bursts; {far_en}{claims} evidence claims, {total:.2f} yuan (fund {fund:.2f}, "
    "personal account {account:.2f}), {first} to {last}."
)
#: a stack found as bursts of its own regulars far larger than its counter's other bursts
DENSE_ZH = (
    "{moving_zh}药店 {ph}…（操作员 {op}…）把这 {cards} 张卡一起刷："
    "{bursts} 次连续刷卡（{gap} 分钟内）各刷了其中至少 {quorum} 张；"
    "除去这些批次，该柜台其余的刷卡批次大小估计这样大的批次期望只有 "
    "{exp} 次；{far_zh}证据结算 {claims} 笔，合计 {total:.2f} 元（统筹 {fund:.2f}，"
    "个人账户 {account:.2f}），{first} 至 {last}。"
)
DENSE_EN = (
    "{moving_en}Pharmacy {ph}… (operator {op}…) swiped these {cards} cards together, at "
    "least {quorum} of them in each of {bursts} bursts of swipes {gap} minutes apart, where "
    "the counter's other bursts expect {exp} bursts that large; {far_en}{claims} evidence "
    "claims, {total:.2f} yuan (fund {fund:.2f}, personal account {account:.2f}), {first} to "
    "{last}."
)
MOVING_ZH = "同一组卡在 {n} 家药店之间一起流动。"
MOVING_EN = "The same cards moved together across {n} pharmacies. "
#: the explanation of each signal a stack can be judged on
TEMPLATES = {
    "repeat": (EXPLAIN_ZH, EXPLAIN_EN),
    "strangers": (STRANGERS_ZH, STRANGERS_EN),
    "recurring": (RECURRING_ZH, RECURRING_EN),
    "away": (AWAY_ZH, AWAY_EN),
    "size": (SIZE_ZH, SIZE_EN),
    "dense": (DENSE_ZH, DENSE_EN),
}


@dataclass
class CardLending(Detector):
    """Parameters:
    gap_minutes: a longer pause between an operator's swipes opens a new burst (hard
        rings swipe a stack 2-10 minutes apart)
    min_together: a pair of cards must share at least this many bursts
    edge_p: and that often must be this unlikely under independence (a screen: the
        group test decides)
    attach_p: a card joins a group when its presence in the group's bursts is this
        unlikely
    min_group: smallest group of cards reported
    max_group: groups larger than this are split with Leiden
    region_digits: region code characters that name a home area (9: the township)
    max_burst_cards: bursts with more cards are rush hours, kept in the null model but
        never searched (this bounds the pairs a burst can make; a stack swiped only
        inside such crowds is missed)
    stranger_bursts: a card seen in at most this many bursts of a counter is a stranger
        there
    min_strangers: a burst with at least this many strangers is tested as a crowd of
        collected cards (a broker's session), against the counter's share of strangers
    share_weight: a counter's share of strangers in its crowded bursts (those of at
        least min_strangers cards) is smoothed with this many cards at its overall share
        (a quiet counter has few crowded bursts to learn from); crowds are tested against
        the larger of the two shares
    recurrence_weight: a crowd whose sessions are not unusual for their strangers is still
        a ring when its sessions at one pharmacy share more cards than the cards' paces
        there predict; that prediction is scaled by the pharmacy's own excess among its
        other crowded sessions (rush hours draw on a smaller clientele), smoothed with
        this many expected shared cards at no excess (a quiet pharmacy has few to learn
        from)
    devoted_share: two cards swiped together in at least this share of each one's
        bursts are searched as a pair whatever chance predicts (a stack that makes up
        most of a quiet counter's big bursts explains its own pairs); the group test,
        the stack taken out of the counter's bursts, decides
    outing_share: a crowd of strangers with at least this share from one village, each
        swiped in one of its sessions only, is a village outing (screening day, check-up
        bus), not collected cards
    household_size: without household keys (or found only by its cards coming back
        together, whatever the keys: relatives live apart too), a group of at most this
        many cards that is not away from its holders' places may be one family (家庭共济:
        spouse, parents, children) and is not reported; counted on its cards that come
        back (a customer swiped once in a family's burst, or a regular of the counter
        served beside it as often as chance gives, makes it no larger), unless its
        sessions hold more strangers than the counter's share predicts (tail at edge_p)
        or, for a crowd found by its cards coming back, more cards than a card finds
        beside it in a burst there; a crowd of strangers' cards all count
    """

    pattern: ClassVar[str] = "card_lending"
    projections: ClassVar[tuple[str, ...]] = (
        "card_bursts",
        "card_roaming",
        "card_burst_sizes",
        "card_away",
    )

    gap_minutes: int = 10
    min_together: int = 3
    edge_p: float = 1e-3
    attach_p: float = 1e-2
    min_group: int = 3
    max_group: int = 60
    region_digits: int = REGION_DIGITS
    max_burst_cards: int = 100
    stranger_bursts: int = 2
    min_strangers: int = 5
    share_weight: float = 20.0
    outing_share: float = 0.5
    household_size: int = 6
    recurrence_weight: float = 20.0
    devoted_share: float = 0.5

    @property
    def cooccurrence(self) -> Params:
        """The co-occurrence engine's parameters, from this detector's fields."""
        return Params(
            self.min_together,
            self.edge_p,
            self.attach_p,
            self.min_group,
            self.max_group,
            devoted=self.devoted_share,
        )

    def lost_signals(self, coverage: Coverage) -> list[Lost]:
        lost: list[Lost] = []
        operator = coverage.share("claims", "operator_id", "pharmacy")
        if operator == 0:
            lost.append(
                (
                    "operator_id",
                    "not recorded on pharmacy claims: bursts per pharmacy, all counters together",
                )
            )
        elif operator < 1:
            lost.append(
                (
                    "operator_id",
                    f"missing on {1 - operator:.0%} of pharmacy claims: those swipes in bursts "
                    "per pharmacy",
                )
            )
        if coverage.share("claims", "card_id") == 0:
            lost.append(("card_id", "not recorded: each holder's person_id stands for the card"))
        if coverage.share("persons", "address_key") == 0:
            lost.append(
                (
                    "persons.address_key",
                    "not recorded: households unknown, small groups at home taken as families",
                )
            )
        if coverage.share("persons", "region_code") == 0:
            lost.append(
                (
                    "persons.region_code",
                    "not recorded: homes from each card's other places, no roaming stacks, "
                    "crowds of strangers not told from village outings",
                )
            )
        if coverage.share("providers", "region_code") == 0:
            lost.append(
                (
                    "providers.region_code",
                    "not recorded: regions from the national codes (a county), else "
                    "far-away cards not tested",
                )
            )
        return lost

    def read(self, store: Store, window: Window) -> Frames:
        args = {**window.params(), "gap_minutes": self.gap_minutes}
        return self.frames(
            store,
            window,
            {
                "card_bursts": store.projection(
                    "card_bursts",
                    **args,
                    min_bursts=self.min_together,
                    max_burst_cards=self.max_burst_cards,
                    stranger_bursts=self.stranger_bursts,
                    min_strangers=self.min_strangers,
                ),
                "card_roaming": store.projection(
                    "card_roaming",
                    **args,
                    min_bursts=self.min_together,
                    region_digits=self.region_digits,
                ),
                "card_burst_sizes": store.projection(
                    "card_burst_sizes", **args, stranger_bursts=self.stranger_bursts
                ),
            },
        )

    def decide(self, frames: Frames) -> list[Candidate]:
        swipes, travelling = frames["card_bursts"], frames["card_roaming"]
        holders = pd.concat([swipes, travelling]).drop_duplicates("card_id").set_index("card_id")
        venues = Venues(frames["card_burst_sizes"])
        sizes = pd.DataFrame(
            {
                "venue": venues.code(frames["card_burst_sizes"]),
                "size": frames["card_burst_sizes"]["size"],
                "contexts": frames["card_burst_sizes"]["bursts"],
            }
        )
        household = holders["address_key"]
        params = self.cooccurrence
        members = venues.members(
            swipes, swipes["burst"].astype(str), swipes["card_bursts"], swipes["start_time"]
        )
        groups = find_groups(members, sizes, params, frames.communities, household)
        # strangers (seen at the counter once or twice) that were only ever swiped
        # together: two shared bursts are all they can show, and chance rarely gives two
        strangers = members[members["n_entity"] <= self.stranger_bursts]
        groups += find_groups(
            strangers,
            sizes,
            replace(params, min_together=2, pay_for_pairs=True, devoted=None),
            frames.communities,
            household,
        )
        dense = self._dense_crowds(groups, members, sizes, household)
        counts = _stranger_counts(
            sizes, frames["card_burst_sizes"]["strangers"], self.min_strangers, self.gap_minutes
        )
        crowds = stranger_crowds(
            members,
            counts,
            self.stranger_bursts,
            self.min_strangers,
            self.edge_p,
            self.share_weight,
            household=household,
            recurrence_weight=self.recurrence_weight,
        )
        home = holders["home_region"].dropna()
        searched = Sessions(members)
        crowds = [
            c
            for c in crowds
            if not self._household(c, None, household, searched, counts)
            and not (_swiped_once(c, searched) and self._outing(_cards(c), home))
        ]
        # judged with their repeat groups (household, far-away cards) once merged
        crowds += dense
        away = AwayCards(frames, self.region_digits)
        # sessions the other tests found need no second look, and their stacks keep the
        # far-away cards as independent support; the household test waits for those
        found = [*groups, *(g for stack in crowds for g in stack)]
        covered = {(g.venue, c) for g in found for c in g.contexts}
        crowds += [
            c
            for c in self._away_crowds(members, away, household, home, searched)
            if not {(g.venue, x) for g in c for x in g.contexts} <= covered
        ]
        covered |= {(g.venue, x) for c in crowds for g in c for x in g.contexts}
        crowds += [
            c
            for c in self._size_crowds(members, sizes, household)
            if not {(g.venue, x) for g in c for x in g.contexts} <= covered
            and not (_swiped_once(c, searched) and self._outing(_cards(c), home))
        ]
        # a roaming context is a (day, burst) of a counter: one integer code per pair
        burst = pd.Series(
            pd.MultiIndex.from_frame(travelling[["day", "burst"]]).factorize()[0],
            index=travelling.index,
        )
        moving = venues.members(travelling, burst.astype(str), travelling["card_swipes"])
        roaming = roaming_groups(
            moving,
            sizes,
            params,
            frames.communities,
            household,
        )
        seen = [set(g.entities) for g in groups] + [_cards(c) for c in crowds]
        roaming = [r for r in roaming if not any(_overlap(_cards(r), s) for s in seen)]
        stacks = _lockstep(groups, crowds) + roaming
        places = [venues.card_places(stack) for stack in stacks]
        pharmacies = sorted({p for ring in places for where in ring.values() for p in where})
        far = far_cards(away.of(pharmacies), places) if pharmacies else []
        candidates = []
        travelled = Sessions(moving)
        for i, (stack, far_) in enumerate(zip(stacks, far, strict=True)):
            # roaming stacks were chosen for being far from home: no independent evidence
            travels = i >= len(stacks) - len(roaming)
            sessions = travelled if travels else searched
            if self._household(stack, far_, household, sessions, counts):
                continue
            candidates.append(self._candidate(frames, venues, stack, far_, holders, travels))
        return candidates

    def _away_crowds(
        self,
        members: pd.DataFrame,
        away: AwayCards,
        household: pd.Series,
        home: pd.Series,
        searched: Sessions,
    ) -> list[list[Group]]:
        """Sessions crowded with cards that are strangers at the pharmacy (swiped there at
        most ``stranger_bursts`` times) and away from their holders' homes: a broker's
        collected cards. A busy pharmacy's one-off customers are mostly its neighbours,
        and the travellers it serves (by a hospital door, in rush hours or not) are its
        own share: the null is the pharmacy's share of away cards among its strangers'
        swipes, each session's away strangers a binomial draw among its strangers at it
        (:func:`stranger_crowds`, Bonferroni over the sessions tested and x2 for this
        second test of a session's strangers). Cards of one known household
        count once in a session: relatives shop together, strangers to each other do
        not. A session whose cards come from one village more often than the pharmacy's
        other away strangers do is a village's outing (:meth:`_village_outing`); the
        significant sessions left at one counter are one operator's: one stack."""
        sites = self._crowded_pharmacies(members)
        if not sites:
            return []
        judged = away.of(sites)
        # a session's strangers (at the pharmacy) are its draws: how many strangers a
        # counter serves, in a rush hour or a quiet one, is the other test's question
        strange = judged[judged["swipes"] <= self.stranger_bursts]
        rows = self._away_strangers(members, strange, household)
        counts = _away_shares(strange, rows)
        stacks = stranger_crowds(
            rows,
            counts,
            self.stranger_bursts,
            self.min_strangers,
            self.edge_p / 2,
            self.share_weight,
        )
        travellers = _travellers(rows, home)
        kept = [s for s in stacks if not self._village_outing(s, travellers, searched)]
        for stack in kept:
            _mark_away(stack)
        linked = Linked(rows, counts, self.attach_p, self.share_weight)
        return _one_per_counter([linked.grown(stack) for stack in kept])

    def _size_crowds(
        self, members: pd.DataFrame, sizes: pd.DataFrame, household: pd.Series
    ) -> list[list[Group]]:
        """Sessions crowded with strangers (at least ``min_strangers`` cards swiped at the
        counter at most ``stranger_bursts`` times) that are far larger than the counter's
        bursts grow by chance (:class:`BurstSizes`, the session's cards with one known
        household counted once): a broker's operator swiping a bag of collected cards
        at a counter whose customers come one or two at a time. Only sessions sharing two
        strangers are judged, as one crowd (the broker's bag swiped again), their tails
        combined by Fisher's method: one long burst alone is a busy hour as often as not
        (real traffic has peaks no geometric tail foresees), and a crowd is all the
        sessions its shared strangers link (picking the longest of a busy counter's would
        make any chain look unusual). Bonferroni over the sessions tested, x3 (the third
        test of a session's strangers)."""
        strangers = members[members["n_entity"] <= self.stranger_bursts]
        per = strangers.groupby(["venue", "context"], sort=True).agg(
            k=("entity", "nunique"), n=("size", "first")
        )
        per = per[per["k"] >= self.min_strangers]
        if per.empty:
            return []
        tests = 3 * len(per)
        null = BurstSizes(sizes, self.share_weight)
        rows = members[_pairs(members, "venue", "context").isin(per.index)]
        units = (
            rows.assign(unit=_units(rows, household))
            .groupby(["venue", "context"])["unit"]
            .nunique()
        )
        per["units"] = units.reindex(per.index).to_numpy()
        bar = log10(self.edge_p) - log10(tests)
        # a shared card links sessions when it is a stranger there, or a card swiped in
        # such sessions at the pharmacy (its operators take turns) far more often than
        # the pharmacy's share of its swipes in them predicts (binomial tail at
        # attach_p: the broker's own cards, in every bag); a regular of a pharmacy whose
        # bursts are mostly crowded links none. A crowd they link past ``max_group``
        # cards is no one broker's bag but a busy pharmacy's regulars chaining its busy
        # hours (the chance one in a hundred of them): there strangers alone link
        site = members.drop_duplicates("venue").set_index("venue")["site"]
        seen = rows.drop_duplicates(["venue", "context", "entity"])
        times = seen.groupby(["site", "entity"])["context"].size()
        visits = (
            members.drop_duplicates(["venue", "entity"])
            .groupby(["site", "entity"])["n_entity"]
            .sum()
        )
        slots = (sizes["size"] * sizes["contexts"]).groupby(sizes["venue"].map(site)).sum()
        crowded = (
            per["n"].groupby(site.reindex(per.index.get_level_values("venue")).to_numpy()).sum()
        )
        share = (crowded / slots.reindex(crowded.index).clip(lower=1.0)).clip(upper=1.0)
        key = _pairs(rows, "site", "entity")
        k = times.reindex(key).to_numpy()
        tail = stats.binom.sf(
            k - 1, visits.reindex(key).to_numpy(), share.reindex(rows["site"]).to_numpy()
        )
        devoted = (k >= 2) & (tail <= self.attach_p)
        stranger = (rows["n_entity"] <= self.stranger_bursts).to_numpy()
        chosen = rows[stranger | devoted]
        crowds = []
        for crowd in self._bags(chosen, stranger[stranger | devoted]):
            if len(crowd) < 2:
                continue
            part = per.loc[crowd]
            # the crowd's sessions out of their counters' counts together
            tails = null.log10_tails(
                part.index.get_level_values("venue").to_numpy(), part["n"], part["units"]
            )
            part = part.assign(
                log10_p=tails["log10_p"].to_numpy(), expected=tails["expected"].to_numpy()
            )
            together = log10_fisher_many(part["log10_p"].to_numpy())
            if together <= bar:
                # each session counts one burst that large against those expected
                sessions = part.assign(sessions=1)
                crowds.append(
                    crowd_groups(rows, sessions, together, tests, "size", "units", "sessions")
                )
        return crowds

    def _bags(self, chosen: pd.DataFrame, stranger: np.ndarray) -> list[list[tuple[Any, Any]]]:
        """Sessions of ``chosen`` linked by two shared cards; a part holding more than
        ``max_group`` cards is linked again by its strangers (``stranger``, a mask over
        ``chosen``) alone."""
        bags = []
        key = _pairs(chosen, "venue", "context")
        for crowd in linked_contexts(chosen, 2):
            inside = key.isin(crowd)
            if chosen.loc[inside, "entity"].nunique() <= self.max_group:
                bags.append(crowd)
            else:
                bags += linked_contexts(chosen[inside & stranger], 2)
        return bags

    def _dense_crowds(
        self,
        groups: list[Group],
        members: pd.DataFrame,
        sizes: pd.DataFrame,
        household: pd.Series,
    ) -> list[list[Group]]:
        """A stack that is most of a quiet counter's traffic: its cards' pairs meet about
        as often as the counter's bursts (its own) predict, and its repeat group, found
        from the devoted pairs, holds only some of its cards. Each repeat group is grown
        to the cards swiped beside its cards in at least ``min_together`` bursts and in
        ``devoted_share`` of their own bursts there, until none joins, and its sessions
        (bursts holding two or more of its cards) are judged by their sizes against the
        counter's other bursts (:class:`BurstSizes`, the sessions taken out: a counter
        whose customers come one at a time has no bursts of four), a known household
        counting once, the tails combined by Fisher's method. Bonferroni over the
        sessions judged, x2 (a second look at a repeat group's sessions). Kept only where
        it says more than the repeat group's own test."""
        repeat = [g for g in groups if g.kind == "repeat"]
        if not repeat:
            return []
        by_venue = members.groupby("venue", sort=False).indices
        grown: dict[tuple[Any, frozenset[str]], tuple[list[str], Group]] = {}
        for group in repeat:
            rows = members.iloc[by_venue[group.venue]]
            cards, sessions = _grow_dense(
                rows, set(group.entities), self.devoted_share, self.min_together, self.max_group
            )
            key = (group.venue, frozenset(cards))
            if len(sessions) >= self.min_together and key not in grown:
                grown[key] = (sessions, group)
        if not grown:
            return []
        tests = 2 * sum(len(s) for s, _ in grown.values())
        bar = log10(self.edge_p) - log10(tests)
        null = BurstSizes(sizes, self.share_weight)
        crowds = []
        for (venue, cards), (sessions, group) in grown.items():
            rows = members.iloc[by_venue[venue]]
            rows = rows[rows["context"].isin(sessions)]
            per = (
                rows.assign(unit=_units(rows, household), mine=rows["entity"].isin(cards))
                .groupby(["venue", "context"], sort=True)
                .agg(n=("size", "first"), units=("unit", "nunique"), quorum=("mine", "sum"))
            )
            tails = null.log10_tails(
                per.index.get_level_values("venue").to_numpy(), per["n"], per["units"]
            )
            together = log10_fisher_many(tails["log10_p"].to_numpy())
            own = log10_poisson_tail(group.observed, group.expected) + log10(max(group.tests, 1))
            if together > bar or together + log10(tests) >= own:
                continue
            part = per.assign(sessions=1, expected=tails["expected"].to_numpy())
            chosen = rows[rows["entity"].isin(cards)]
            crowds.append(
                crowd_groups(chosen, part, together, tests, "dense", "quorum", "sessions")
            )
        return crowds

    def _crowded_pharmacies(self, members: pd.DataFrame) -> list[str]:
        """The pharmacies with a session of at least ``min_strangers`` strangers: the only
        ones whose cards' homes are read."""
        strangers = members[members["n_entity"] <= self.stranger_bursts]
        per = strangers.groupby(["venue", "context"])["entity"].nunique()
        crowded = per.index[per >= self.min_strangers]
        if crowded.empty:
            return []
        return sorted(set(strangers.set_index(["venue", "context"]).loc[crowded, "site"]))

    def _away_strangers(
        self, members: pd.DataFrame, strange: pd.DataFrame, household: pd.Series
    ) -> pd.DataFrame:
        """The strangers' swipes at the pharmacies of ``strange`` (card_away's rows of
        cards swiped there at most ``stranger_bursts`` times) as a membership list for
        :func:`stranger_crowds`: ``n_entity`` 1 for an away card (a hit), one more than
        ``stranger_bursts`` for one at home (a draw that missed); one card per known
        household and session, a hit first; ``size`` the session's strangers left."""
        hit = strange[strange["away"] == 1]
        rows = members[members["site"].isin(set(strange["provider_id"]))]
        rows = rows[_pairs(rows, "site", "entity").isin(_pairs(strange, "provider_id", "card_id"))]
        found = _pairs(rows, "site", "entity").isin(_pairs(hit, "provider_id", "card_id"))
        rows = rows.assign(
            n_entity=np.where(found, 1, self.stranger_bursts + 1), home=_units(rows, household)
        )
        rows = rows.sort_values("n_entity", kind="stable").drop_duplicates(
            ["venue", "context", "home"]
        )
        rows["size"] = rows.groupby(["venue", "context"])["entity"].transform("size")
        return rows.drop(columns="home")

    def _village_outing(
        self, stack: list[Group], travellers: pd.DataFrame, searched: Sessions
    ) -> bool:
        """Whether a crowd of away strangers, each swiped in one of its sessions only,
        holds more cards from its commonest village than the share of that village among
        the pharmacies' other away strangers (``travellers``: site, entity, home region)
        predicts: binomial tail at ``edge_p``, Bonferroni over the villages seen. A
        screening day's bus brings one village; a broker collects across villages (a
        township has a few, so half from one of them is no sign of a trip)."""
        if not _swiped_once(stack, searched):
            return False
        cards = _cards(stack)
        mine = travellers[travellers["entity"].isin(cards)].drop_duplicates("entity")
        if mine.empty:
            return False
        top = mine["home"].value_counts()
        pool = travellers[
            ~travellers["entity"].isin(cards) & travellers["site"].isin(set(mine["site"]))
        ]
        share = (float((pool["home"] == top.index[0]).sum()) + 1.0) / (len(pool) + 2.0)
        villages = max(pool["home"].nunique(), 1)
        tail = stats.binom.sf(int(top.iloc[0]) - 1, len(mine), share) * villages
        return bool(tail <= self.edge_p)

    def _outing(self, cards: set[str], home: pd.Series) -> bool:
        """A crowd of strangers most of whom live in one village (the full region code)
        came together (a village's screening day, a bus to a check-up): a broker's
        collected cards come from scattered homes. Unknown homes cannot tell the two
        apart."""
        places = home.reindex(sorted(cards)).dropna()
        if places.empty:
            return False
        return places.value_counts().iloc[0] >= self.outing_share * len(cards)

    def _household(
        self,
        stack: list[Group],
        far_: FarCards | None,
        household: pd.Series,
        sessions: Sessions,
        counts: pd.DataFrame,
    ) -> bool:
        """A small group whose holders' households are unknown (or that is found only by
        its cards coming back together) and who are not away from their usual places more
        than the pharmacy's other customers: maybe one family shopping together (or paying
        for each other, 家庭共济), not a ring. A repeat group's size is that of its cards
        that come back, swiped in two or more of its sessions (``sessions``: the swipes its
        sessions were found in) more often than chance: a customer swiped once in one of a
        family's bursts, or a regular in two of its visits, was served beside it and makes
        it no larger, unless its sessions hold more cards seen there once or twice than
        the counter's share of such cards (``counts``) predicts (a small stack's regulars
        come with collected cards swiped once). So is a
        recurring crowd's or a crowd of long bursts', its other cards also no more than
        the company a card finds in a burst there. A crowd of strangers' cards all count:
        it is judged on them."""
        cards = _cards(stack)
        if len(cards) > self.household_size and not self._family_beside(stack, sessions, counts):
            return False
        # relatives pay for each other from separate households (家庭共济): a few cards
        # coming back together, session after session, are a family whatever their
        # addresses say
        coming_back = all(g.kind == "recurring" for g in stack)
        if not coming_back and household.reindex(list(cards)).notna().any():
            return False
        return far_ is None or not far_.known or far_.p_value > self.edge_p

    def _family_beside(self, stack: list[Group], sessions: Sessions, counts: pd.DataFrame) -> bool:
        """Whether a stack larger than a household is one with customers served beside it:
        its strangers' crowds' cards and its repeat groups' and recurring crowds' returning
        cards no more than a household, the others in those groups' sessions no more
        strangers than the counter's share predicts; the others of a crowd whose sessions
        its cards link (recurring, or long bursts) also no more than any card finds beside
        it in the counter's bursts (``counts["company"]`` per session): it is judged on the
        cards that come back, and a broker's bag swiped again brings many cards swiped
        once, a family only the walk-ins of its visits."""
        back = [g for g in stack if g.kind in COMING_BACK]
        crowd = _cards([g for g in stack if g.kind not in COMING_BACK])
        if len(crowd) > self.household_size:
            return False
        rows = sessions.of(back)
        returning = _returning(rows, _cards(back), counts, self.edge_p)
        if len(returning | crowd) > self.household_size:
            return False
        bar = log10(self.edge_p)
        if _log10_beside(rows, counts, returning, self.stranger_bursts) <= bar:
            return False
        linked = [g for g in stack if g.kind in LINKED_BY_CARDS]
        return not linked or _log10_company(sessions.of(linked), counts, returning) > bar

    def _candidate(
        self,
        frames: Frames,
        venues: Venues,
        stack: list[Group],
        far_: FarCards,
        holders: pd.DataFrame,
        travels: bool,
    ) -> Candidate:
        # a stack found for its far-away cards cannot be supported by them again
        independent = bool(far_.known) and not travels and all(g.kind != "away" for g in stack)
        pharmacies = sorted({venues.pharmacy(g.venue) for g in stack})
        operators = sorted({venues.operator(g.venue) for g in stack} - {""})
        cards = sorted({c for g in stack for c in g.entities})
        persons = sorted(set(holders.loc[cards, "person_id"]))
        evidence = _evidence(stack)
        moving = len(pharmacies) >= 2
        numbers = {
            "cards": len(cards),
            "op": "…, ".join(short(o) for o in operators),
            "ph": "…, ".join(short(p) for p in pharmacies),
            "gap": self.gap_minutes,
            "bursts": evidence.observed,
            "quorum": min(g.quorum for g in stack),
            "exp": f"{evidence.expected:.2g}",
            **far_.numbers(),
            "moving_zh": MOVING_ZH.format(n=len(pharmacies)) if moving else "",
            "moving_en": MOVING_EN.format(n=len(pharmacies)) if moving else "",
            "sessions": len({(g.venue, c) for g in stack for c in g.contexts}),
        }
        zh, en = TEMPLATES[evidence.signal]
        return Candidate(
            pattern=self.pattern,
            members=[
                *(Member("pharmacy", p, "pharmacy") for p in pharmacies),
                *(Member("operator", o, "operator") for o in operators),
                *(Member("card", c, "card_holder") for c in cards),
                *(Member("person", p, "card_holder") for p in persons),
            ],
            claim_ids=sorted({c for g in stack for c in g.claim_ids}),
            statistic=evidence.observed,
            expected=evidence.expected,
            tests=evidence.tests,
            explain_zh=zh,
            explain_en=en,
            numbers=numbers,
            method=self.method(
                frames,
                signal=evidence.signal,
                pair_edges=sum(g.pair_edges for g in stack),
                venues=len(stack),
                roaming=travels,
                far_cards_p=far_.p_value,
            ),
            support_p=far_.p_value if independent else None,
            log10_tail=evidence.log10_tail,
        )


@dataclass(frozen=True)
class Evidence:
    """What a stack is judged on: its repeat groups' bursts (one Poisson count over
    them), or its crowds' strangers or shared cards (their own tails)."""

    signal: str
    observed: int
    expected: float
    tests: int
    log10_tail: float | None


def _evidence(stack: list[Group]) -> Evidence:
    """A stack of repeat groups alone or of crowds alone is judged on them; one that
    holds both on the stronger of the two, Bonferroni x2 (their counts are of different
    things: bursts, cards seen once or twice, shared cards, and are never summed)."""
    repeat = [g for g in stack if g.kind == "repeat"]
    crowd = [g for g in stack if g.kind != "repeat"]
    if repeat:
        bursts = Evidence(
            "repeat",
            sum(g.observed for g in repeat),
            sum(g.expected for g in repeat),
            sum(g.tests for g in repeat),
            None,
        )
        if not crowd:
            return bursts
    best = min(crowd, key=lambda g: g.log10_p)
    same = [g for g in crowd if g.kind == best.kind]
    crowds = Evidence(
        best.kind,
        sum(g.observed for g in same),
        sum(g.expected for g in same),
        sum(g.tests for g in crowd),
        best.log10_p,
    )
    if not repeat:
        return crowds
    tails = [
        (log10_poisson_tail(e.observed, e.expected) if e.log10_tail is None else e.log10_tail)
        + log10(max(e.tests, 1))
        for e in (bursts, crowds)
    ]
    winner = (bursts, crowds)[int(tails[1] < tails[0])]
    return replace(winner, tests=1, log10_tail=min(tails) + log10(2))


class Venues:
    """The counters (pharmacy, operator; operator '' where none is recorded) as integer
    codes for the co-occurrence engine, and back."""

    def __init__(self, sizes: pd.DataFrame) -> None:
        self.table = sizes[["provider_id", "operator_id"]].drop_duplicates().reset_index(drop=True)
        self._index = pd.MultiIndex.from_frame(self.table)

    def code(self, frame: pd.DataFrame) -> np.ndarray:
        keys = pd.MultiIndex.from_frame(frame[["provider_id", "operator_id"]])
        return self._index.get_indexer(keys)

    def pharmacy(self, venue: int) -> str:
        return str(self.table.at[venue, "provider_id"])

    def operator(self, venue: int) -> str:
        return str(self.table.at[venue, "operator_id"])

    def members(
        self,
        swipes: pd.DataFrame,
        burst: pd.Series,
        visits: pd.Series,
        time: pd.Series | None = None,
    ) -> pd.DataFrame:
        """Swipes as the co-occurrence engine's membership list: the burst is the
        context, ``visits`` the card's bursts (or an upper bound) at the counter, ``time``
        each swipe's (NaT where not read: the span of such sessions counts as none)."""
        return pd.DataFrame(
            {
                "venue": self.code(swipes),
                "site": swipes["provider_id"],
                "context": burst,
                "size": swipes["burst_cards"],
                "entity": swipes["card_id"],
                "n_entity": visits,
                "claim_id": swipes["claim_id"],
                "time": pd.NaT if time is None else time,
            }
        )

    def card_places(self, stack: list[Group]) -> dict[str, list[str]]:
        """Each card of a stack -> the pharmacies where the stack swiped it."""
        places: dict[str, set[str]] = {}
        for group in stack:
            for card in group.entities:
                places.setdefault(card, set()).add(self.pharmacy(group.venue))
        return {card: sorted(p) for card, p in places.items()}


class Linked:
    """A broker's thinner sessions, found from a significant one: the sessions that swipe
    one of its cards again (a stranger's one other visit) and hold more other away
    strangers among its strangers than the pharmacy's share predicts. ``rows``: the
    strangers' swipes in the crowded pharmacies' searched sessions, ``n_entity`` 1 for an
    away stranger; ``counts``: each venue's away strangers and strangers' slots at its
    pharmacy, in the shape :func:`stranger_crowds` reads (``weight`` its smoothing)."""

    def __init__(
        self, rows: pd.DataFrame, counts: pd.DataFrame, max_p: float, weight: float
    ) -> None:
        self.rows = rows
        self.counts = counts
        self.bar = log10(max_p)
        self.weight = weight
        self.hits = rows[rows["n_entity"] == 1]
        self._at = rows.groupby(["venue", "context"], sort=False).indices

    def grown(self, stack: list[Group]) -> list[Group]:
        """The stack with its linked sessions, each a Group of its away strangers: the
        session's other away strangers (the shared cards taken out: the link chose the
        session) tested by binomial tail at its pharmacy's share, the session's own swipes
        taken out of it, at ``max_p`` with Bonferroni over the linked sessions looked at.
        Cards that join link further sessions. A linked session's tail is conditional on
        the link and never stands for the stack (log10_p 0)."""
        grown = list(stack)
        cards = _cards(stack)
        done = {(g.venue, c) for g in stack for c in g.contexts}
        looked = 0
        while True:
            at = self.hits[self.hits["entity"].isin(cards)]
            keys = dict.fromkeys(zip(at["venue"], at["context"], strict=True))
            fresh = [k for k in keys if k not in done]
            if not fresh:
                return grown
            looked += len(fresh)
            done.update(fresh)
            joined = [g for g in (self._test(k, cards, looked) for k in fresh) if g is not None]
            if not joined:
                return grown
            grown += joined
            cards |= _cards(joined)

    def _test(self, key: tuple[Any, Any], cards: set[str], looked: int) -> Group | None:
        session = self.rows.iloc[self._at[key]]
        new = session[(session["n_entity"] == 1) & ~session["entity"].isin(cards)]
        n = int((~session["entity"].isin(cards)).sum())
        k = len(new)
        if k == 0:
            return None
        part = pd.DataFrame(
            {"k": [k], "n": [n]}, index=pd.MultiIndex.from_tuples([key], names=["venue", "context"])
        )
        tested = stranger_tails(part, self.counts, self.weight, part)
        if float(tested["log10_p"].iloc[0]) + log10(looked) > self.bar:
            return None
        joined = session[session["entity"].isin(cards) | session.index.isin(new.index)]
        return Group(
            venue=key[0],
            entities=sorted(set(joined["entity"])),
            contexts=[key[1]],
            quorum=k,
            claim_ids=sorted(set(joined["claim_id"])),
            observed=k,
            expected=float(tested["expected"].iloc[0]),
            tests=0,
            pair_edges=0,
            kind="away",
        )


def _one_per_counter(stacks: list[list[Group]]) -> list[list[Group]]:
    """Stacks sharing a counter (venue) as one: its operator swiped them all. They come
    from one test, whose Bonferroni factor the merged stack pays once."""
    parent = list(range(len(stacks)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    first: dict[Any, int] = {}
    for i, stack in enumerate(stacks):
        for group in stack:
            j = first.setdefault(group.venue, i)
            parent[root(i)] = root(j)
    merged: dict[int, list[Group]] = {}
    for i, stack in enumerate(stacks):
        if root(i) in merged:
            stack = [replace(g, tests=0) for g in stack]
        merged.setdefault(root(i), []).extend(stack)
    return list(merged.values())


class AwayCards:
    """The card_away projection, each pharmacy read once: the crowded sessions'
    pharmacies for the away crowds, then the stacks' others for their far-away test."""

    def __init__(self, frames: Frames, region_digits: int) -> None:
        self.frames = frames
        self.region_digits = region_digits
        self.read: set[str] = set()
        self.rows: pd.DataFrame | None = None

    def of(self, pharmacies: list[str]) -> pd.DataFrame:
        """card_away's rows at these pharmacies."""
        missing = sorted(set(pharmacies) - self.read)
        if missing:
            more = self.frames.more(
                "card_away", pharmacies=missing, region_digits=self.region_digits
            )
            rows = more if self.rows is None else pd.concat([self.rows, more])
            self.rows = rows.drop_duplicates(["provider_id", "card_id"], ignore_index=True)
            self.read |= set(missing)
        assert self.rows is not None
        return self.rows[self.rows["provider_id"].isin(pharmacies)]


def _stranger_counts(
    sizes: pd.DataFrame, strangers: pd.Series, crowded: int, gap_minutes: int
) -> pd.DataFrame:
    """Per venue: its bursts; strangers and slots (cards summed over its bursts) in all
    its bursts and in its crowded ones (at least ``crowded`` cards), for the strangers'
    test; ``company``, the other cards a card finds in its burst there on average (each
    burst weighed by its cards: what a family's visit brings beside it); and
    ``walk_ins``, the customers a minute that company implies. Customers arriving at
    random, λ a minute, chain onto a swipe's burst for e^(λ·gap) − 1 on average on each
    side, so λ is ln(1 + company / 2) / gap: a family whose swipes take a quarter of an
    hour is served beside a quarter-hour's walk-ins as well."""
    frame = pd.DataFrame(
        {
            "venue": sizes["venue"].to_numpy(),
            "strangers": strangers.to_numpy(dtype=float),
            "bursts": sizes["contexts"].to_numpy(dtype=float),
            "slots": (sizes["size"] * sizes["contexts"]).to_numpy(dtype=float),
            "pairs": (sizes["size"] * (sizes["size"] - 1) * sizes["contexts"]).to_numpy(
                dtype=float
            ),
        }
    )
    big = (sizes["size"] >= crowded).to_numpy()
    frame["crowded_strangers"] = frame["strangers"].where(big, 0.0)
    frame["crowded_slots"] = frame["slots"].where(big, 0.0)
    counts = frame.groupby("venue").sum()
    counts["company"] = counts.pop("pairs") / counts["slots"].clip(lower=1.0)
    counts["walk_ins"] = np.log1p(counts["company"] / 2.0) / gap_minutes
    return counts


def _pairs(frame: pd.DataFrame, first: str, second: str) -> pd.MultiIndex:
    """Two columns of a frame as one key per row."""
    return pd.MultiIndex.from_frame(frame[[first, second]])


def _away_shares(strange: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Per venue of ``rows``: its pharmacy's away strangers and strangers' swipes over the
    year (``strange``: card_away's stranger rows), in the shape :func:`stranger_crowds`
    reads; no crowded share (how many strangers a session holds is the other test's)."""
    share = pd.DataFrame(
        {
            "strangers": strange[strange["away"] == 1].groupby("provider_id")["swipes"].sum(),
            "slots": strange.groupby("provider_id")["swipes"].sum(),
        }
    ).fillna(0.0)
    site = rows.drop_duplicates("venue").set_index("venue")["site"]
    counts = share.reindex(site.to_numpy()).set_index(site.index)
    counts["crowded_strangers"] = counts["crowded_slots"] = 0.0
    return counts


def _travellers(rows: pd.DataFrame, home: pd.Series) -> pd.DataFrame:
    """The away strangers of ``rows`` with their home regions (site, entity, home): the
    pool a village outing is told from."""
    travellers = rows.loc[rows["n_entity"] == 1, ["site", "entity"]].drop_duplicates()
    travellers["home"] = home.reindex(travellers["entity"]).to_numpy()
    return travellers.dropna()


def _mark_away(stack: list[Group]) -> None:
    """A crowd kept by the away test: its groups are away crowds, and its Bonferroni
    factor doubles (the second test of a session's strangers)."""
    stack[0].tests *= 2
    for group in stack:
        group.kind = "away"


def _units(rows: pd.DataFrame, household: pd.Series) -> np.ndarray:
    """Per row of ``rows``, its card's known household, else the card itself: what a
    session counts once."""
    keys = household.reindex(rows["entity"]).to_numpy()
    return np.where(pd.isna(keys), rows["entity"].to_numpy(), keys)


def _grow_dense(
    rows: pd.DataFrame, cards: set[str], share: float, least: int, largest: int
) -> tuple[set[str], list[str]]:
    """A repeat group's cards at one counter (``rows``: its swipes there) with those
    swiped beside one of them in at least ``least`` bursts and in at least ``share`` of
    their own bursts there, until none joins (or the group would pass ``largest``); and
    its sessions, the bursts holding two or more of its cards."""
    while True:
        inside = rows[rows["entity"].isin(cards)].groupby("context")["entity"].nunique()
        sessions = sorted(inside.index[inside >= 2])
        around = rows[rows["context"].isin(inside.index) & ~rows["entity"].isin(cards)]
        seen = around.groupby("entity").agg(times=("context", "nunique"), n=("n_entity", "first"))
        join = seen.index[(seen["times"] >= least) & (seen["times"] >= share * seen["n"])]
        if join.empty or len(cards) + len(join) > largest:
            return cards, sessions
        cards = cards | set(join)


def _cards(stack: list[Group]) -> set[str]:
    return {c for g in stack for c in g.entities}


class Sessions:
    """The swipes of each session (venue, burst) of a membership list, found by key: a
    stack reads its own sessions' rows, never the whole list again."""

    def __init__(self, members: pd.DataFrame) -> None:
        self.members = members
        self._at = members.groupby(["venue", "context"], sort=False).indices

    def of(self, stack: list[Group]) -> pd.DataFrame:
        """The swipes of a stack's sessions (its groups' contexts at their venues)."""
        keys = dict.fromkeys((g.venue, c) for g in stack for c in g.contexts)
        at = [self._at[key] for key in keys if key in self._at]
        return self.members.iloc[np.concatenate(at)] if at else self.members.iloc[:0]


def _sessions_per_card(stack: list[Group], sessions: Sessions) -> pd.Series:
    """Each card swiped in a stack's sessions -> how many of them."""
    inside = sessions.of(stack)
    return inside.drop_duplicates(["entity", "venue", "context"])["entity"].value_counts()


def _returning(rows: pd.DataFrame, cards: set[str], counts: pd.DataFrame, max_p: float) -> set[str]:
    """The cards of a stack (``cards``) that come back with it: swiped in two or more of
    its sessions (``rows``: their swipes), more often than their own bursts at its
    counters make chance (binomial: each of a card's bursts at a counter falls in the
    stack's sessions at the stack's share of that counter's bursts, ``counts``; tail at
    ``max_p``, Bonferroni over the cards tested; a Poisson tail let a stack that is a
    fifth of a quiet counter's bursts keep only half its cards, d2403). A regular of the
    counter served beside a family in two of its visits is not one of it; a card seen
    there only in a broker's sessions is."""
    inside = rows.drop_duplicates(["entity", "venue", "context"])
    inside = inside[inside["entity"].isin(cards)]
    if inside.empty:
        return set()
    held = inside.drop_duplicates(["venue", "context"])["venue"].value_counts()
    share = held / counts["bursts"].reindex(held.index).clip(lower=1.0)
    seen = inside.groupby(["entity", "venue"], sort=False).agg(
        k=("context", "size"), n=("n_entity", "first")
    )
    seen["chance"] = seen["n"] * share.reindex(seen.index.get_level_values("venue")).to_numpy()
    per = seen.groupby(level="entity", sort=False)[["k", "n", "chance"]].sum()
    tested = per[per["k"] >= 2]
    bar = log10(max_p / max(len(tested), 1))
    # each burst's chance of falling in the stack's sessions, over the card's counters
    rate = (tested["chance"] / tested["n"].clip(lower=1)).clip(upper=1.0)
    tail = stats.binom.logsf(tested["k"] - 1, tested["n"], rate) / np.log(10)
    return set(tested.index[np.asarray(tail) <= bar])


def _log10_beside(
    rows: pd.DataFrame, counts: pd.DataFrame, returning: set[str], max_visits: int
) -> float:
    """log10 binomial tail of the strangers (cards seen at the counter in at most
    ``max_visits`` bursts) among the swipes of a stack's sessions (``rows``) by cards that
    do not come back, at the counters' own share of strangers over all their bursts
    (``counts``: strangers and slots per venue), those swipes taken out of it."""
    beside = rows[~rows["entity"].isin(returning)].drop_duplicates(["venue", "context", "entity"])
    if beside.empty:
        return 0.0
    per = beside.groupby("venue").agg(
        n=("entity", "size"), k=("n_entity", lambda v: int((v <= max_visits).sum()))
    )
    own = counts.reindex(per.index)
    share = ((own["strangers"] - per["k"]) / (own["slots"] - per["n"]).clip(lower=1.0)).clip(
        1e-6, 1.0
    )
    n, k = int(per["n"].sum()), int(per["k"].sum())
    rate = float((per["n"] * share.fillna(1.0)).sum()) / n
    return float(stats.binom.logsf(k - 1, n, rate) / np.log(10))


def _log10_company(rows: pd.DataFrame, counts: pd.DataFrame, returning: set[str]) -> float:
    """log10 Poisson tail of the cards swiped in a stack's sessions (``rows``) that do not
    come back, against what each session's counter brings beside them (``counts``): the
    company a card finds in a burst there, and its walk-ins a minute over the minutes from
    the session's first swipe of a returning card to its last, summed over the sessions."""
    coming = rows["entity"].isin(returning)
    beside = rows[~coming].drop_duplicates(["venue", "context", "entity"])
    keys = rows.drop_duplicates(["venue", "context"])[["venue", "context"]]
    times = rows[coming].groupby(["venue", "context"], sort=False)["time"].agg(["min", "max"])
    minutes = (times["max"] - times["min"]).dt.total_seconds().div(60.0)
    minutes = minutes.reindex(pd.MultiIndex.from_frame(keys)).fillna(0.0).to_numpy()
    own = counts.reindex(keys["venue"]).fillna(0.0)
    expected = float((own["company"].to_numpy() + own["walk_ins"].to_numpy() * minutes).sum())
    return log10_poisson_tail(len(beside), expected)


def _swiped_once(crowd: list[Group], sessions: Sessions) -> bool:
    """Whether every card of a crowd was swiped in one of its sessions only. A village's
    outing is one trip: each villager is swiped once, and its bursts share no cards. The
    same cards swiped together again in another session (another day, another counter)
    are a bag of collected cards, wherever their holders live."""
    return bool(_sessions_per_card(crowd, sessions).max() <= 1)


#: the groups judged on their cards coming back (a family's size is its returning cards):
#: a crowd of long bursts is one too, its sessions linked by the cards they share, and the
#: walk-ins served beside a family in its bursts make it no larger
COMING_BACK = ("repeat", "recurring", "dense", "size")
#: the crowds whose sessions are linked by the cards they share
LINKED_BY_CARDS = ("recurring", "size")

#: two card groups sharing this many cards are one ring, whatever their sizes: unrelated
#: cards of one group turning up together in another group elsewhere is the lockstep
SHARED_CARDS = 3


def _overlap(a: set[str], b: set[str]) -> bool:
    """Two card sets are one stack when they share half of the smaller one, or
    ``SHARED_CARDS`` (a broker's big groups at two counters share few cards, each card
    being swiped once or twice)."""
    shared = len(a & b)
    return shared >= min(SHARED_CARDS, 0.5 * min(len(a), len(b)))


def _overlap_bursts(a: set[str], b: set[str]) -> bool:
    """Two groups of one counter swiped in the same bursts (half of the smaller group's)
    are parts of one stack: the regulars of a stack and the cards it swipes only once or
    twice are found by different searches, or split by Leiden, but share the sessions."""
    return bool(a) and bool(b) and len(a & b) >= 0.5 * min(len(a), len(b))


def _lockstep(groups: list[Group], crowds: list[list[Group]]) -> list[list[Group]]:
    """Groups at different counters that share at least half of the smaller group's cards
    are one stack of cards moving together across outlets: one ring; so are groups of one
    counter swiped in the same bursts. Each crowd of strangers (its sessions linked by
    shared cards) is one already."""
    start = len(groups)
    groups = groups + [g for crowd in crowds for g in crowd]
    parent = list(range(len(groups)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for crowd in crowds:
        for k in range(1, len(crowd)):
            parent[start + k] = start
        start += len(crowd)
    cards = [set(g.entities) for g in groups]
    bursts = [set(g.contexts) for g in groups]
    for i in range(len(groups)):
        for j in range(i + 1, len(groups)):
            same_sessions = groups[i].venue == groups[j].venue and _overlap_bursts(
                bursts[i], bursts[j]
            )
            if same_sessions or _overlap(cards[i], cards[j]):
                parent[root(j)] = root(i)
    stacks: dict[int, list[Group]] = {}
    for i, group in enumerate(groups):
        stacks.setdefault(root(i), []).append(group)
    return list(stacks.values())
