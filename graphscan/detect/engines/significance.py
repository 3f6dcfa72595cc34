"""Null-model tails and false-discovery control shared by every detector.

Every ring is judged the same way: an observed count against the count that independent
behaviour would produce given each actor's own volume, a one-sided Poisson tail, then
Benjamini-Hochberg across the candidates of each pattern so that a long list of
candidates does not turn chance into cases. Rings are ranked on these tails, so they are
also kept in logarithms (``log10_poisson_tail``): below ``P_FLOOR`` floating point has
no p-value left, and rings there would all tie.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

#: Smallest p-value kept; below it floating point stops meaning anything.
P_FLOOR = 1e-300


def poisson_tail(observed: np.ndarray | float, expected: np.ndarray | float) -> np.ndarray:
    """P(X >= observed) for X ~ Poisson(expected), floored at ``P_FLOOR``."""
    obs = np.asarray(observed, dtype=float)
    lam = np.maximum(np.asarray(expected, dtype=float), 1e-12)
    return np.maximum(stats.poisson.sf(obs - 1, lam), P_FLOOR)


def poisson_binomial_tail(observed: int, chances: np.ndarray) -> float:
    """P(X >= observed) for X the number of successes of independent trials with their
    own ``chances`` (exact: a Poisson tail of their sum overstates how rare it is that
    trials each likely to succeed all do), floored at ``P_FLOOR``."""
    if observed <= 0:
        return 1.0
    return max(float(stats.poisson_binom.sf(observed - 1, chances)), P_FLOOR)


def log10_poisson_tail(observed: float, expected: float) -> float:
    """log10 P(X >= observed), X ~ Poisson(expected), without a floor: where the tail
    underflows, the bound P(X >= k) <= P(X = k) (k + 1) / (k + 1 - expected) (the
    geometric bound on the terms after k, valid for k + 1 > expected), which errs on
    the side of a larger p-value."""
    k, lam = float(observed), max(float(expected), 1e-12)
    if k <= 0:
        return 0.0
    log_sf = float(stats.poisson.logsf(k - 1, lam))
    if np.isfinite(log_sf):
        return log_sf / np.log(10)
    bound = float(stats.poisson.logpmf(k, lam)) + np.log((k + 1) / (k + 1 - lam))
    return min(bound, 0.0) / np.log(10)


def log10_fisher(log10_main: float, log10_support: float) -> float:
    """:func:`fisher` in log10 p: x (1 - ln x) with ln x = ln p1 + ln p2."""
    log_x = (log10_main + log10_support) * np.log(10)
    return float(min(0.0, (log_x + np.log1p(-log_x)) / np.log(10)))


def log10_fisher_many(log10_p: np.ndarray) -> float:
    """Fisher's combination of independent tests given as log10 p-values:
    P(chi2_2m >= -2 sum ln p_i), in log10. With y = -sum ln p_i the tail is exactly
    e^-y sum_{i<m} y^i / i!, summed in logarithms so that it never underflows."""
    lp = np.asarray(log10_p, dtype=float)
    if lp.size == 0:
        return 0.0
    y = max(-np.log(10) * float(lp.sum()), 0.0)
    if y == 0.0:
        return 0.0
    i = np.arange(lp.size, dtype=float)
    log_tail = -y + float(special.logsumexp(i * np.log(y) - special.gammaln(i + 1)))
    return float(min(0.0, log_tail / np.log(10)))


def log10_benjamini_hochberg(log10_p: np.ndarray) -> np.ndarray:
    """:func:`benjamini_hochberg` on log10 p-values, returning log10 q-values."""
    lp = np.asarray(log10_p, dtype=float)
    n = len(lp)
    if n == 0:
        return lp
    order = np.argsort(lp, kind="stable")
    ranked = lp[order] + np.log10(n / np.arange(1, n + 1))
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(n)
    q[order] = np.minimum(q_sorted, 0.0)
    return q


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """q-values (step-up BH adjusted p-values), in the input order."""
    p = np.asarray(p_values, dtype=float)
    n = len(p)
    if n == 0:
        return p
    order = np.argsort(p, kind="stable")
    ranked = p[order] * n / np.arange(1, n + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(n)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


def fisher(p_main: float, p_support: float) -> float:
    """Fisher's combination of two independent tests of one ring (the main statistic and a
    supporting one): P(chi2_4 >= -2 ln(p1 p2)) = x (1 - ln x) with x = p1 p2, in logs so
    that tiny p-values do not underflow."""
    log_x = np.log(max(p_main, P_FLOOR)) + np.log(max(p_support, P_FLOOR))
    return float(min(1.0, max(np.exp(log_x + np.log1p(-log_x)), P_FLOOR)))
