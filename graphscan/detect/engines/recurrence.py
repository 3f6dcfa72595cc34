"""The same cards coming back in a crowd's sessions: a broker swipes one bag of collected
cards session after session, so the sessions of a pharmacy that a crowd of strangers
links share far more cards than its customers' own paces predict, even where most
customers come once a year and no session is unusual for its share of strangers.

Null model: each card (a household's cards count as one) keeps its pace at the
pharmacy, ``n / S1`` (its bursts at a counter over the counter's slots, the largest over
the pharmacy's counters, since operators take turns), and lands in a session of ``k``
cards with probability ``pace * k`` whatever else it did: two sessions ``a`` and ``b`` are
expected to share ``(k_b R_a + k_a R_b) / 2`` cards, ``R`` the sum of a session's paces.
The crowd's shared cards (summed over its pairs of sessions at one pharmacy) are a
Poisson count against that, times the pharmacy's own excess among its other crowded
sessions (a rush hour draws on a smaller clientele than the day: its sessions share
cards more often than paces predict), smoothed toward 1 with ``weight`` expected cards.
The search pays a Bonferroni factor: the pharmacies with two or more crowded sessions,
times the ways of choosing the crowd's sessions among each pharmacy's crowded ones (a
broker's few sessions at a quiet pharmacy cost little, a chain picked out of a busy
pharmacy's seventy rush hours costs a great deal).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from graphscan.detect.engines.significance import log10_poisson_tail


@dataclass(frozen=True)
class Recurrence:
    """A crowd's shared cards against chance."""

    observed: int
    expected: float
    #: log10 Poisson tail of ``observed`` against ``expected``
    log10_p: float
    #: log10 of the Bonferroni factor the crowd pays
    log10_tests: float


class SessionRecurrence:
    """The crowded sessions of every pharmacy, ready to test crowds among them.

    ``members``: venue, site (the pharmacy), context, size (the burst's cards), entity,
    n_entity (the card's bursts at the venue) for every swipe read; ``sessions``: the
    (venue, context) keys of the crowded sessions; ``slots``: venue -> its cards summed
    over all its bursts; ``household``: entity -> household key (or None)."""

    def __init__(
        self,
        members: pd.DataFrame,
        sessions: pd.MultiIndex,
        slots: pd.Series,
        household: pd.Series | None,
        weight: float,
    ) -> None:
        self.weight = weight
        unit = members["entity"].astype(str)
        if household is not None:
            home = members["entity"].map(household)
            unit = ("household " + home.astype("string")).fillna(unit).astype(str)
        pace = members["n_entity"].to_numpy(dtype=float) / np.maximum(
            members["venue"].map(slots).to_numpy(dtype=float), 1.0
        )
        rows = pd.DataFrame(
            {"site": members["site"].to_numpy(), "entity": members["entity"].to_numpy()}
        ).assign(unit=unit.to_numpy(), pace=pace)
        # a card's pace at the pharmacy: the largest over its counters; a household's: the
        # sum over its cards
        card = rows.groupby(["site", "unit", "entity"], sort=False)["pace"].max()
        self._pace = card.groupby(level=["site", "unit"]).sum()
        keys = pd.MultiIndex.from_frame(members[["venue", "context"]])
        inside = keys.isin(sessions)
        self._rows = pd.DataFrame(
            {
                "venue": members["venue"].to_numpy()[inside],
                "context": members["context"].to_numpy()[inside],
                "site": rows["site"].to_numpy()[inside],
                "unit": rows["unit"].to_numpy()[inside],
                "size": members["size"].to_numpy(dtype=float)[inside],
            }
        ).drop_duplicates(["venue", "context", "unit"])
        # each session's rows, so that a crowd reads its own rows only
        self._at = self._rows.groupby(["venue", "context"], sort=False).indices
        self._session = self._sessions(self._rows)
        self._site = self._session.groupby("site").agg(
            m=("size", "size"), K=("size", "sum"), R=("R", "sum"), kR=("kR", "sum")
        )
        counted = self._rows.groupby(["site", "unit"]).size()
        self._site["shared"] = (counted * (counted - 1) / 2).groupby(level="site").sum()
        self.sites = int((self._site["m"] >= 2).sum())

    def _sessions(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Per session: its pharmacy, size k and R (the sum of its cards' paces)."""
        paced = rows.assign(
            pace=self._pace.reindex(pd.MultiIndex.from_frame(rows[["site", "unit"]])).to_numpy()
        )
        per = paced.groupby(["venue", "context"], sort=False).agg(
            site=("site", "first"), size=("size", "first"), R=("pace", "sum")
        )
        return per.assign(kR=per["size"] * per["R"])

    def test(self, crowd: Sequence[tuple[Any, Any]]) -> Recurrence:
        """The crowd's shared cards (pairs of its sessions at one pharmacy) against the
        paces, times each pharmacy's excess among its other crowded sessions."""
        keys = [key for key in dict.fromkeys(crowd) if key in self._at]
        mine = self._session.loc[keys]
        rows = (
            self._rows.iloc[np.concatenate([self._at[key] for key in keys])]
            if keys
            else self._rows.iloc[:0]
        )
        counted = rows.groupby(["site", "unit"]).size()
        shared = (counted * (counted - 1) / 2).groupby(level="site").sum()
        observed, expected, log10_tests = 0, 0.0, float(np.log10(max(self.sites, 1)))
        for site, part in mine.groupby("site", sort=True):
            if len(part) < 2:
                continue
            whole = self._site.loc[site]
            chance = _expected(part["size"].sum(), part["R"].sum(), part["kR"].sum())
            rest_observed = float(whole["shared"]) - float(shared.get(site, 0.0))
            rest_chance = _expected(whole["K"], whole["R"], whole["kR"]) - chance
            excess = (rest_observed + self.weight) / (max(rest_chance, 0.0) + self.weight)
            observed += int(shared.get(site, 0))
            expected += chance * max(excess, 1.0)
            log10_tests += _log10_choose(int(whole["m"]), len(part))
        return Recurrence(
            observed, expected, log10_poisson_tail(observed, expected) if observed else 0.0,
            log10_tests,
        )  # fmt: skip


def _expected(size: float, paces: float, product: float) -> float:
    """Shared cards expected over all pairs of sessions with these sums of k, R and k R:
    half of the sum over ordered pairs a != b of k_b R_a."""
    return 0.5 * (float(size) * float(paces) - float(product))


def _log10_choose(n: int, k: int) -> float:
    return float(
        (special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)) / np.log(10)
    )
