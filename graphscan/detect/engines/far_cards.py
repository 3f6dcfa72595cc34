"""Cards used far from their holders' usual places: collected cards are swiped where the
broker or the collecting pharmacy is, not where their holders live and shop. A pharmacy
always serves some customers from elsewhere (by a hospital door, most of them), so the
null model is the pharmacy's own share of far-away cards among its other customers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

#: region code characters that name a holder's home area: 9 is the township of the
#: national 12-digit administrative division code (行政区划代码)
REGION_DIGITS = 9

FAR_ZH = (
    "其中 {k}/{n} 张卡在持卡人常住乡镇（或其平时就医购药的地方）以外被刷"
    "（按这些药店其他顾客的比例估计的期望：{e} 张）；"
)
FAR_EN = (
    "{k} of {n} cards were swiped outside their holders' home township (or the places "
    "they otherwise use), expected from these pharmacies' other customers: {e}; "
)


@dataclass(frozen=True)
class FarCards:
    #: ring cards whose holder's home is known (by address or other claims)
    known: int
    #: of them, swiped at a ring pharmacy outside that home
    away: int
    #: away cards expected if the ring's cards were like each pharmacy's other customers
    expected: float
    #: binomial tail of ``away`` at the mean expected share
    p_value: float

    def numbers(self) -> dict[str, str]:
        """The explanation's clauses (empty when no holder's home is known)."""
        if not self.known:
            return {"far_zh": "", "far_en": ""}
        values = {"n": self.known, "k": self.away, "e": f"{self.expected:.1f}"}
        return {"far_zh": FAR_ZH.format(**values), "far_en": FAR_EN.format(**values)}


def far_cards(judged: pd.DataFrame, rings: list[dict[str, list[str]]]) -> list[FarCards]:
    """For each ring (card -> the ring pharmacies where it was swiped), how many of its
    cards were swiped away from home, against each pharmacy's share of far-away cards
    among customers outside the ring. A card counts as away if it is away at any of its
    ring pharmacies; its expectation is the largest of those pharmacies' shares.
    ``judged`` is the card_away projection of (at least) the rings' pharmacies."""
    judged = judged[judged["away"].notna()].astype({"away": int})
    keys = zip(judged["provider_id"], judged["card_id"], strict=True)
    away = dict(zip(keys, judged["away"], strict=True))
    counts = judged.groupby("provider_id")["away"].agg(["sum", "count"])
    results = []
    for ring in rings:
        ours = judged[judged["card_id"].isin(list(ring))]
        mine = ours.groupby("provider_id")["away"].agg(["sum", "count"])
        others = counts.sub(mine, fill_value=0)
        # add-one smoothing: a pharmacy with no other customers expects half
        share = ((others["sum"] + 1) / (others["count"] + 2)).to_dict()
        known, hits, expected = 0, 0, 0.0
        for card, places in sorted(ring.items()):
            seen = [p for p in places if (p, card) in away]
            if not seen:
                continue
            known += 1
            hits += any(away[(p, card)] for p in seen)
            expected += max(share[p] for p in seen)
        mean = expected / known if known else 0.0
        p_value = float(stats.binom.sf(hits - 1, known, mean)) if known else 1.0
        results.append(FarCards(known, hits, expected, float(np.clip(p_value, 0.0, 1.0))))
    return results
