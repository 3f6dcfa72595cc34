"""Detectors: projection -> communities or motifs -> rings with roles -> score.

``scan`` runs the detectors, controls the false-discovery rate across all their
candidates together and ranks what survives."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from graphscan.detect.base import Detector, Window
from graphscan.detect.card_lending import CardLending
from graphscan.detect.group_hospitalisation import GroupHospitalisation
from graphscan.detect.identity_misuse import IdentityMisuse
from graphscan.detect.kickback import Kickback
from graphscan.detect.significance import benjamini_hochberg, surprise
from graphscan.errors import InputError
from graphscan.rings import PATTERNS, Ring
from graphscan.store.base import Store

__all__ = ["ALPHA", "Detector", "Window", "detectors", "rank", "scan"]

#: q-value a candidate needs to become a case
ALPHA = 0.01
#: beyond this -log10 q every candidate is equally certain and money decides
SURPRISE_CAP = 30.0


def detectors(patterns: Iterable[str] | None = None) -> list[Detector]:
    chosen = list(patterns or PATTERNS)
    unknown = sorted(set(chosen) - set(PATTERNS))
    if unknown:
        raise InputError(f"unknown pattern {unknown[0]!r}; choose from {', '.join(PATTERNS)}")
    every: list[Detector] = [CardLending(), Kickback(), GroupHospitalisation(), IdentityMisuse()]
    return [d for d in every if d.pattern in chosen]


def rank(candidates: list[Ring], alpha: float = ALPHA) -> list[Ring]:
    """Benjamini-Hochberg over every candidate of the scan, keep q <= alpha, then order by
    score = min(-log10 q, cap) + log10(1 + total amount): significance first, money breaks
    the ties among the certain."""
    q_values = benjamini_hochberg(np.array([r.p_value for r in candidates]))
    kept = []
    for ring, q in zip(candidates, q_values, strict=True):
        ring.q_value = float(q)
        ring.score = round(
            min(surprise(ring.q_value), SURPRISE_CAP) + float(np.log10(1 + ring.total_amount)), 6
        )
        if ring.q_value <= alpha:
            kept.append(ring)
    return sorted(kept, key=lambda r: (-r.score, r.pattern, sorted(m.id for m in r.members)))


def scan(
    store: Store,
    window: Window | None = None,
    patterns: Iterable[str] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> list[Ring]:
    """All candidates of the chosen patterns, false-discovery controlled and ranked."""
    candidates: list[Ring] = []
    for detector in detectors(patterns):
        if on_stage:
            on_stage(detector.pattern)
        candidates.extend(detector.find(store, window or Window()))
    return rank(candidates)
