"""Vectorised sampling helpers: the generator never loops over claims in Python."""

from __future__ import annotations

import numpy as np

#: 2025-01-01 00:00:00 as seconds since the epoch (timestamps are naive local time).
YEAR_START = 1_735_689_600
DAYS = 365
DAY = 86_400


class GroupSampler:
    """Weighted choice of an item within a group, for many queries at once.

    Items are sorted by group and their cumulative weights normalised to (g, g + 1], so
    one ``searchsorted`` answers every query ``g + u``. Empty groups answer -1. With
    ``index``, items are a subset and answers are ``index[item]``.
    """

    def __init__(
        self,
        groups: np.ndarray,
        weights: np.ndarray,
        n_groups: int,
        index: np.ndarray | None = None,
    ) -> None:
        self._index = np.arange(len(groups)) if index is None else index
        order = np.argsort(groups, kind="stable")
        g = groups[order]
        w = weights[order].astype(float)
        counts = np.bincount(g, minlength=n_groups)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        cum = np.cumsum(w)
        base = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
        totals = np.add.reduceat(w, starts[counts > 0]) if len(w) else np.array([])
        group_total = np.zeros(n_groups)
        group_total[counts > 0] = totals
        within = (cum - np.repeat(base[counts > 0], counts[counts > 0])) / np.repeat(
            group_total[counts > 0], counts[counts > 0]
        )
        last = np.cumsum(counts)[counts > 0] - 1
        within[last] = 1.0
        self._keys = g + within
        self._order = order
        self._counts = counts

    def sample(self, query_groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        u = rng.random(len(query_groups))
        if len(self._keys) == 0:
            return np.full(len(query_groups), -1, dtype=np.int64)
        pos = np.searchsorted(self._keys, query_groups + u, side="left")
        pos = np.minimum(pos, len(self._keys) - 1)
        found = self._index[self._order[pos]]
        return np.where(self._counts[query_groups] > 0, found, -1)


def day_weights(kind: str) -> np.ndarray:
    """Relative activity per day of 2025: winter peak, weekends, the Spring Festival dip."""
    day = np.arange(DAYS)
    season = 1.0 + 0.25 * np.cos(2 * np.pi * (day - 15) / DAYS)
    weekday = (day + 2) % 7  # 2025-01-01 was a Wednesday; 0 = Monday
    if kind == "outpatient":
        week = np.select([weekday == 5, weekday == 6], [0.75, 0.6], 1.0)
    elif kind == "pharmacy":
        week = np.select([weekday == 5, weekday == 6], [1.1, 1.05], 1.0)
    else:
        week = np.select([weekday == 5, weekday == 6], [0.5, 0.4], 1.0)
    festival = np.where((day >= 27) & (day <= 34), 0.4, 1.0)  # 2025-01-28 .. 02-04
    return season * week * festival


def sample_days(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    cum = np.cumsum(day_weights(kind))
    return np.searchsorted(cum, rng.random(n) * cum[-1], side="right")


def sample_seconds_of_day(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Opening-hours profile: morning-heavy clinics, pharmacies open into the evening."""
    if kind == "pharmacy":
        hour = np.where(rng.random(n) < 0.55, rng.normal(10.5, 1.6, n), rng.normal(17.0, 1.8, n))
        outside = (hour < 8.0) | (hour > 21.5)
        hour = np.where(outside, rng.uniform(8.0, 21.5, n), hour)
    elif kind == "outpatient":
        morning = rng.random(n) < 0.7
        hour = np.where(morning, rng.uniform(8.0, 11.5, n), rng.uniform(14.0, 17.0, n))
    else:
        hour = rng.uniform(8.0, 17.0, n)
    return (hour * 3600).astype(np.int64)


def scramble(counter: np.ndarray, modulus: int, seed: int) -> np.ndarray:
    """A bijection on [0, modulus <= 10**11): sequential counters become random-looking
    unique ids (the multiplier is coprime with 10 and the product fits in int64)."""
    multiplier = 48_271_009
    offset = (seed * 2_654_435_761) % modulus
    return (np.asarray(counter, dtype=np.int64) * multiplier + offset) % modulus


def digits_to_str(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal strings of non-negative integers, vectorised."""
    v = np.asarray(values, dtype=np.int64)
    out = np.empty((len(v), width), dtype=np.uint8)
    for i in range(width - 1, -1, -1):
        out[:, i] = 48 + v % 10
        v = v // 10
    return out.view(f"S{width}").ravel().astype(f"U{width}")
