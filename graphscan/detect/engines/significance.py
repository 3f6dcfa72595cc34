"""Null-model tails and false-discovery control shared by every detector.

Every ring is judged the same way: an observed count against the count that independent
behaviour would produce given each actor's own volume, a one-sided Poisson tail, then
Benjamini-Hochberg across all candidates of a scan so that a long list of candidates does
not turn chance into cases.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

#: Smallest p-value kept; below it floating point stops meaning anything.
P_FLOOR = 1e-300


def poisson_tail(observed: np.ndarray | float, expected: np.ndarray | float) -> np.ndarray:
    """P(X >= observed) for X ~ Poisson(expected), floored at ``P_FLOOR``."""
    obs = np.asarray(observed, dtype=float)
    lam = np.maximum(np.asarray(expected, dtype=float), 1e-12)
    return np.maximum(stats.poisson.sf(obs - 1, lam), P_FLOOR)


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


def surprise(p_value: float) -> float:
    """-log10 p, the significance part of a ring's score."""
    return float(-np.log10(max(p_value, P_FLOOR)))


def fisher(p_main: float, p_support: float) -> float:
    """Fisher's combination of two independent tests of one ring (the main statistic and a
    supporting one): P(chi2_4 >= -2 ln(p1 p2)) = x (1 - ln x) with x = p1 p2, in logs so
    that tiny p-values do not underflow."""
    log_x = np.log(max(p_main, P_FLOOR)) + np.log(max(p_support, P_FLOOR))
    return float(min(1.0, max(np.exp(log_x + np.log1p(-log_x)), P_FLOOR)))
