"""Card collection and lending (出借、回收医保卡、代刷): many unrelated cards swiped by the
same operator at the same pharmacy in bursts minutes apart, the same cards together again
and again. A busy counter swipes many cards per burst too, but different ones each day;
the burst-size-aware null model expects that, and members of one household are expected
to come together."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from graphscan.detect.base import Candidate, Window, finish, short
from graphscan.detect.cooccurrence import Group, Params, find_groups
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
        sizes = store.projection("card_burst_sizes", **args)
        venue = swipes["provider_id"] + "\x1e" + swipes["operator_id"]
        members = pd.DataFrame(
            {
                "venue": venue,
                "context": swipes["burst"].astype(str),
                "size": swipes["burst_cards"],
                "entity": swipes["card_id"],
                "n_entity": swipes["card_bursts"],
                "claim_id": swipes["claim_id"],
            }
        )
        holders = swipes.drop_duplicates("card_id").set_index("card_id")
        sizes = pd.DataFrame(
            {
                "venue": sizes["provider_id"] + "\x1e" + sizes["operator_id"],
                "size": sizes["size"],
                "contexts": sizes["bursts"],
            }
        )
        groups = find_groups(members, sizes, self.params, store.communities, holders["address_key"])
        candidates = []
        for stack in _lockstep(groups):
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
                        "操作员 {op}… 在药店 {ph}… 以 {gap} 分钟内连续刷卡的方式，"
                        "{bursts} 次（{days} 天）同时刷了这 {cards} 张卡中的至少 {quorum} 张"
                        "（按各卡自身刷卡次数独立估计的期望次数：{exp}）；"
                        "证据结算 {claims} 笔，合计 {total:.2f} 元（统筹 {fund:.2f}，"
                        "个人账户 {account:.2f}），{first} 至 {last}。"
                    ),
                    explain_en=(
                        "Operator {op}… at pharmacy {ph}… swiped at least {quorum} of these "
                        "{cards} cards within {gap}-minute bursts {bursts} times on {days} days "
                        "(expected under independence given each card's own visits: "
                        "{exp}); "
                        "{claims} evidence claims, {total:.2f} yuan (fund {fund:.2f}, "
                        "personal account {account:.2f}), {first} to {last}."
                    ),
                    numbers=numbers,
                    method={
                        "detector": self.pattern,
                        "projection": ["card_bursts", "card_burst_sizes"],
                        "gap_minutes": self.gap_minutes,
                        **vars(self.params),
                        "pair_edges": sum(g.pair_edges for g in stack),
                        "venues": len(stack),
                    },
                )
            )
        return finish(store, candidates)


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
            if len(cards[i] & cards[j]) >= 0.5 * min(len(cards[i]), len(cards[j])):
                parent[root(j)] = root(i)
    stacks: dict[int, list[Group]] = {}
    for i, group in enumerate(groups):
        stacks.setdefault(root(i), []).append(group)
    return list(stacks.values())
