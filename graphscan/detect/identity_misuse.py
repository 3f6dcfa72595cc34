"""Identity misuse (冒名就医、人证不符): cards used where their holder cannot be - after
the holder's death, inside the holder's hospital stay elsewhere, with a diagnosis the
holder's sex or age rules out - grouped by the providers and operators that served them.
One such claim is a data error or a rule hit; many misused cards settled by one operator
at one provider, far more than that operator's share of the city's cards predicts, is a
ring: the provider, the operator and the cards."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from graphscan.detect.base import Candidate, Window, finish, short
from graphscan.rings import Member, Ring
from graphscan.store.base import Store

REASONS_ZH = {
    "after_death": "死亡后",
    "overlap": "住院期间异地",
    "sex": "性别不符",
    "age": "年龄不符",
}


@dataclass
class IdentityMisuse:
    pattern: str = "identity_misuse"
    #: distinct misused cards a provider needs before it is a ring
    min_cards: int = 3

    def find(self, store: Store, window: Window) -> list[Ring]:
        flagged = store.projection("card_conflicts", **window.params())
        if flagged.empty:
            return []
        rate = flagged["card_id"].nunique() / float(flagged["all_cards"].iloc[0])
        candidates = []
        for (provider, _), rows in flagged.groupby(["provider_id", "operator_id"], sort=True):
            cards = sorted(set(rows["card_id"]))
            if len(cards) >= self.min_cards:
                expected = rate * float(rows["operator_cards"].iloc[0])
                candidates.append(self._candidate(rows, cards, str(provider), expected))
        return finish(store, candidates)

    def _candidate(
        self, rows: pd.DataFrame, cards: list[str], provider: str, expected: float
    ) -> Candidate:
        role = "pharmacy" if rows["provider_kind"].iloc[0] == "pharmacy" else "institution"
        operators = sorted(set(rows["operator_id"]) - {""})
        reasons = rows.drop_duplicates(["card_id", "reason"])["reason"].value_counts()
        numbers = {
            "cards": len(cards),
            "prov": short(provider) + "…",
            "op": ", ".join(short(o) + "…" for o in operators) or "-",
            "exp": f"{expected:.2g}",
            "why_zh": "、".join(f"{REASONS_ZH[r]} {n}" for r, n in sorted(reasons.items())),
            "why_en": ", ".join(f"{r} {n}" for r, n in sorted(reasons.items())),
        }
        return Candidate(
            pattern=self.pattern,
            members=[
                Member(role, provider, role),
                *(Member("operator", o, "operator") for o in operators),
                *(Member("card", c, "card_holder") for c in cards),
                *(Member("person", p, "card_holder") for p in sorted(set(rows["person_id"]))),
            ],
            claim_ids=sorted(set(rows["claim_id"])),
            statistic=len(cards),
            expected=expected,
            explain_zh=(
                "{cards} 张医保卡在 {prov}（操作员 {op}）被用于持卡人不可能亲自就医的结算"
                "（{why_zh}）；"
                "按该操作员经手的卡数和全市异常率估计的期望为 {exp} 张；证据结算 {claims} 笔"
                "（{days} 天），合计 {total:.2f} 元（统筹 {fund:.2f}），{first} 至 {last}。"
            ),
            explain_en=(
                "{cards} cards were settled at {prov} by operator {op} where their holders "
                "cannot have been "
                "({why_en}); expected from the operator's card volume and the city-wide "
                "rate: {exp}; {claims} evidence claims on {days} days, {total:.2f} yuan "
                "(fund {fund:.2f}), {first} to {last}."
            ),
            numbers=numbers,
            method={
                "detector": self.pattern,
                "projection": ["card_conflicts"],
                "min_cards": self.min_cards,
                "reasons": {str(r): int(n) for r, n in reasons.items()},
            },
        )
