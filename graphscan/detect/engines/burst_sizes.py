"""How large a counter's bursts grow by chance: a broker's operator swipes ten or more
collected cards minutes apart at a counter whose customers come one or two at a time,
where neither the cards' visits (each is swiped once or twice) nor the counter's share
of one-off customers (a quiet counter's customers are mostly one-off) is unusual. The
burst itself is: its size.

Null model: a burst that has two cards goes on to one more with the counter's own
continuation rate ``q = sum(size - 2) / sum(size - 1)`` over its bursts of two or more
cards (a geometric tail fitted to the clumped part, so families and queues set it), and
a burst has two or more cards at the counter's own share ``p2`` of such bursts, so a
burst of ``k`` cards or more comes with chance ``p2 q^(k - 2)``; a burst no longer
than one of the counter's other bursts is no evidence at all (a counter of ones and
twos with rush hours is no geometric, and its longest bursts are always rare: only a
counter whose long bursts are the broker's alone is judged). A rush hour by a hospital door is its
counter's own: its bursts are long every day. The sessions tested are taken out of
their counters' counts (a ring must not explain itself); a quiet counter's few bursts
are smoothed with ``weight`` bursts (for ``p2``) and continuations (for ``q``) at the
whole city's rates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


class BurstSizes:
    """Each counter's bursts by size (``sizes``: venue, size, contexts: how many of its
    bursts had that many cards), ready to say how unusual a burst of a given size is."""

    def __init__(self, sizes: pd.DataFrame, weight: float) -> None:
        frame = pd.DataFrame(
            {
                "venue": sizes["venue"].to_numpy(),
                "bursts": sizes["contexts"].to_numpy(dtype=float),
                "multi": (sizes["contexts"] * (sizes["size"] >= 2)).to_numpy(dtype=float),
                "steps": (sizes["contexts"] * (sizes["size"] - 1).clip(lower=0)).to_numpy(
                    dtype=float
                ),
                "more": (sizes["contexts"] * (sizes["size"] - 2).clip(lower=0)).to_numpy(
                    dtype=float
                ),
            }
        )
        self.counts = frame.groupby("venue").sum()
        self.sizes = sizes[["venue", "size", "contexts"]]
        city = self.counts.sum()
        self.p2 = float(city["multi"] / max(city["bursts"], 1.0))
        self.q = float(city["more"] / max(city["steps"], 1.0))
        self.weight = weight

    def log10_tails(self, venue: np.ndarray, size: np.ndarray, units: np.ndarray) -> pd.DataFrame:
        """Per session (its counter, its cards, and the units tested: cards with one
        household counted once): log10 chance of a burst of ``units`` cards or more at
        the counter, and ``expected``, how many such bursts the counter's other bursts
        should hold. All the sessions given are taken out of their counters' counts
        together (a broker's sessions are a quiet counter's only long bursts: none may
        make the others usual)."""
        size = np.asarray(size, dtype=float)
        mine = (
            pd.DataFrame(
                {
                    "venue": venue,
                    "bursts": 1.0,
                    "multi": (size >= 2).astype(float),
                    "steps": (size - 1.0).clip(0.0),
                    "more": (size - 2.0).clip(0.0),
                }
            )
            .groupby("venue")
            .sum()
        )
        own = (self.counts.reindex(venue).fillna(0.0) - mine.reindex(venue).to_numpy()).clip(0.0)
        w = self.weight
        p2 = ((own["multi"] + w * self.p2) / (own["bursts"] + w)).to_numpy().clip(1e-9, 1.0)
        q = ((own["more"] + w * self.q) / (own["steps"] + w)).to_numpy().clip(1e-9, 1.0)
        k = np.asarray(units, dtype=float)
        fitted = np.log10(p2) + (k - 2).clip(0.0) * np.log10(q)
        # where the counter's other bursts reach that size it has long bursts of its own
        # (rush hours: a counter of ones and twos and daily crowds is no geometric)
        seen = np.array(
            [
                self.sizes.loc[
                    (self.sizes["venue"] == v) & (self.sizes["size"] >= x), "contexts"
                ].sum()
                - np.sum((venue == v) & (size >= x))
                for v, x in zip(venue, k, strict=True)
            ],
            dtype=float,
        ).clip(0.0)
        log10_p = np.where((k >= 2) & (seen == 0), np.minimum(fitted, 0.0), 0.0)
        return pd.DataFrame(
            {"log10_p": log10_p, "expected": own["bursts"].to_numpy() * 10.0**log10_p}
        )
