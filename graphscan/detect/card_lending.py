"""Card collection and lending (出借、回收医保卡、代刷): many unrelated cards swiped by the
same operator at the same pharmacy in bursts minutes apart, the same cards together again
and again. A busy counter swipes many cards per burst too, but different ones each day;
the burst-size-aware null model expects that, and members of one household are expected
to come together. Cards swiped far from their holders' usual places (graphscan.detect.
far_cards) are a second, independent test that raises or weakens each ring."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from graphscan.detect.base import Candidate, Window, finish, short
from graphscan.detect.cooccurrence import Group, Params, find_groups
from graphscan.detect.far_cards import REGION_DIGITS, far_cards
from graphscan.detect.roaming import roaming_groups
from graphscan.rings import Member, Ring
from graphscan.store.base import Store


@dataclass
class CardLending:
    pattern: str = "card_lending"
    #: hard rings swipe a stack 2-10 minutes apart; a longer gap opens a new burst
    gap_minutes: int = 10
    params: Params = field(default_factory=Params)

    def find(self, store: Store, window: Window) -> list[Ring]:
        args = {**window.params(), "gap_minutes": self.gap_minutes}
        swipes = store.projection("card_bursts", **args, min_bursts=self.params.min_together)
        travelling = store.projection(
            "card_roaming",
            **args,
            min_bursts=self.params.min_together,
            region_digits=REGION_DIGITS,
        )
        sizes = store.projection("card_burst_sizes", **args)
        holders = pd.concat([swipes, travelling]).drop_duplicates("card_id").set_index("card_id")
        sizes = pd.DataFrame(
            {
                "venue": sizes["provider_id"] + "\x1e" + sizes["operator_id"],
                "size": sizes["size"],
                "contexts": sizes["bursts"],
            }
        )
        household = holders["address_key"]
        groups = find_groups(
            _members(swipes, swipes["burst"].astype(str), swipes["card_bursts"]),
            sizes,
            self.params,
            store.communities,
            household,
        )
        burst = travelling["day"].astype(str) + "#" + travelling["burst"].astype(str)
        roaming = roaming_groups(
            _members(travelling, burst, travelling["card_swipes"]),
            sizes,
            self.params,
            store.communities,
            household,
        )
        seen = [set(g.entities) for g in groups]
        roaming = [r for r in roaming if not any(_overlap(_cards(r), s) for s in seen)]
        stacks = _lockstep(groups) + roaming
        far = far_cards(store, window, [_card_places(stack) for stack in stacks])
        candidates = []
        for i, (stack, far_) in enumerate(zip(stacks, far, strict=True)):
            # roaming stacks were chosen for being far from home: no independent evidence
            travels = i >= len(stacks) - len(roaming)
            independent = bool(far_.known) and not travels
            venues = [g.venue.split("\x1e") for g in stack]
            pharmacies = sorted({v[0] for v in venues})
            operators = sorted({v[1] for v in venues})
            cards = sorted({c for g in stack for c in g.entities})
            persons = sorted(set(holders.loc[cards, "person_id"]))
            members_ = [
                *(Member("pharmacy", p, "pharmacy") for p in pharmacies),
                *(Member("operator", o, "operator") for o in operators),
                *(Member("card", c, "card_holder") for c in cards),
                *(Member("person", p, "card_holder") for p in persons),
            ]
            observed = sum(g.observed for g in stack)
            expected = sum(g.expected for g in stack)
            numbers = {
                "cards": len(cards),
                "op": "…, ".join(short(o) for o in operators),
                "ph": "…, ".join(short(p) for p in pharmacies),
                "gap": self.gap_minutes,
                "bursts": observed,
                "quorum": min(g.quorum for g in stack),
                "exp": f"{expected:.2g}",
                **far_.numbers(),
                **_moving(len(pharmacies)),
            }
            candidates.append(
                Candidate(
                    pattern=self.pattern,
                    members=members_,
                    claim_ids=sorted({c for g in stack for c in g.claim_ids}),
                    statistic=observed,
                    expected=expected,
                    tests=sum(g.tests for g in stack),
                    explain_zh=(
                        "{moving_zh}操作员 {op}… 在药店 {ph}… 以 {gap} 分钟内连续刷卡的方式，"
                        "{bursts} 次（{days} 天）同时刷了这 {cards} 张卡中的至少 {quorum} 张"
                        "（按各卡自身刷卡次数独立估计的期望次数：{exp}）；{far_zh}"
                        "证据结算 {claims} 笔，合计 {total:.2f} 元（统筹 {fund:.2f}，"
                        "个人账户 {account:.2f}），{first} 至 {last}。"
                    ),
                    explain_en=(
                        "{moving_en}Operator {op}… at pharmacy {ph}… swiped at least {quorum} "
                        "of these {cards} cards within {gap}-minute bursts {bursts} times on "
                        "{days} days (expected under independence given each card's own visits: "
                        "{exp}); {far_en}"
                        "{claims} evidence claims, {total:.2f} yuan (fund {fund:.2f}, "
                        "personal account {account:.2f}), {first} to {last}."
                    ),
                    numbers=numbers,
                    method={
                        "detector": self.pattern,
                        "projection": ["card_bursts", "card_roaming", "card_burst_sizes"],
                        "gap_minutes": self.gap_minutes,
                        **vars(self.params),
                        "pair_edges": sum(g.pair_edges for g in stack),
                        "venues": len(stack),
                        "roaming": travels,
                        "region_digits": REGION_DIGITS,
                        "far_cards_p": far_.p_value,
                    },
                    support_p=far_.p_value if independent else None,
                )
            )
        return finish(store, candidates)


def _moving(pharmacies: int) -> dict[str, str]:
    """The explanation's clause for one stack of cards swiped at several pharmacies."""
    if pharmacies < 2:
        return {"moving_zh": "", "moving_en": ""}
    return {
        "moving_zh": f"同一组卡在 {pharmacies} 家药店之间一起流动。",
        "moving_en": f"The same cards moved together across {pharmacies} pharmacies. ",
    }


def _members(swipes: pd.DataFrame, burst: pd.Series, visits: pd.Series) -> pd.DataFrame:
    """Swipes as the co-occurrence engine's membership list: the burst is the context,
    ``visits`` the card's bursts (or an upper bound) at the counter."""
    return pd.DataFrame(
        {
            "venue": swipes["provider_id"] + "\x1e" + swipes["operator_id"],
            "context": burst,
            "size": swipes["burst_cards"],
            "entity": swipes["card_id"],
            "n_entity": visits,
            "claim_id": swipes["claim_id"],
        }
    )


def _cards(stack: list[Group]) -> set[str]:
    return {c for g in stack for c in g.entities}


def _overlap(a: set[str], b: set[str]) -> bool:
    """Two card sets are one stack when they share half of the smaller one."""
    return len(a & b) >= 0.5 * min(len(a), len(b))


def _card_places(stack: list[Group]) -> dict[str, list[str]]:
    """Each card of a stack -> the pharmacies where the stack swiped it."""
    places: dict[str, set[str]] = {}
    for group in stack:
        pharmacy = group.venue.split("\x1e")[0]
        for card in group.entities:
            places.setdefault(card, set()).add(pharmacy)
    return {card: sorted(p) for card, p in places.items()}


def _lockstep(groups: list[Group]) -> list[list[Group]]:
    """Groups at different counters that share at least half of the smaller group's cards
    are one stack of cards moving together across outlets: one ring."""
    parent = list(range(len(groups)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    cards = [set(g.entities) for g in groups]
    for i in range(len(groups)):
        for j in range(i + 1, len(groups)):
            if _overlap(cards[i], cards[j]):
                parent[root(j)] = root(i)
    stacks: dict[int, list[Group]] = {}
    for i, group in enumerate(groups):
        stacks.setdefault(root(i), []).append(group)
    return list(stacks.values())
