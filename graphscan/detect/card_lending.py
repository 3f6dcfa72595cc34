"""Card collection and lending (出借、回收医保卡、代刷): many unrelated cards swiped by the
same operator at the same pharmacy in bursts minutes apart, the same cards together again
and again. A busy counter swipes many cards per burst too, but different ones each day;
the burst-size-aware null model expects that, and members of one household are expected
to come together."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from graphscan.detect.base import Candidate, Window, finish, short
from graphscan.detect.cooccurrence import Params, find_groups
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
        groups = find_groups(members, sizes, self.params, holders["address_key"])
        candidates = []
        for group in groups:
            pharmacy, operator = group.venue.split("\x1e")
            persons = sorted(set(holders.loc[group.entities, "person_id"]))
            members_ = [
                Member("pharmacy", pharmacy, "pharmacy"),
                Member("operator", operator, "operator"),
                *(Member("card", c, "card_holder") for c in group.entities),
                *(Member("person", p, "card_holder") for p in persons),
            ]
            numbers = {
                "cards": len(group.entities),
                "op": short(operator),
                "ph": short(pharmacy),
                "gap": self.gap_minutes,
                "bursts": group.observed,
                "quorum": group.quorum,
                "exp": f"{group.expected:.2g}",
            }
            candidates.append(
                Candidate(
                    pattern=self.pattern,
                    members=members_,
                    claim_ids=group.claim_ids,
                    statistic=group.observed,
                    expected=group.expected,
                    tests=group.tests,
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
                        "pair_edges": group.pair_edges,
                    },
                )
            )
        return finish(store, candidates)
