"""Detectors: projection -> communities or motifs -> rings with roles -> score.

The four detectors live here (card_lending, kickback, group_hospitalisation,
identity_misuse), the statistics they share in ``engines/``. ``scan`` runs the
detectors of the registry (:data:`graphscan.rings.REGISTRY`), controls the
false-discovery rate across all their candidates together and ranks what survives."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import fields

import numpy as np

from graphscan.detect.base import Coverage, Detector, ScanReport, Window
from graphscan.detect.engines.significance import P_FLOOR, log10_benjamini_hochberg
from graphscan.rings import REGISTRY, Ring, chosen_patterns
from graphscan.store.base import Store

__all__ = [
    "ALPHA",
    "Detector",
    "ScanReport",
    "Window",
    "detector_class",
    "detectors",
    "pattern_table",
    "rank",
    "scan",
]

#: q-value a candidate needs to become a case
ALPHA = 0.01


def detector_class(pattern: str) -> type[Detector]:
    """The detector class the registry names for ``pattern``."""
    spec = next(p for p in REGISTRY if p.name == pattern)
    module, name = spec.detector.split(":")
    cls: type[Detector] = getattr(importlib.import_module(module), name)
    return cls


def detectors(patterns: Iterable[str] | None = None) -> list[Detector]:
    """One detector with default parameters per chosen pattern, in registry order."""
    return [detector_class(p)() for p in chosen_patterns(patterns)]


def pattern_table() -> str:
    """The Markdown table of patterns, detectors, projections and parameters with their
    defaults, as docs/detection.md shows it."""
    lines = [
        "| pattern | 模式 | detector | projections | parameters (default) |",
        "|---|---|---|---|---|",
    ]
    for spec in REGISTRY:
        cls = detector_class(spec.name)
        params = ", ".join(
            f"`{f.name}` ({f.default})"
            for f in fields(cls)  # type: ignore[arg-type]
        )
        projections = ", ".join(f"`{p}`" for p in cls.projections)
        lines.append(
            f"| `{spec.name}` {spec.en} | {spec.zh} | `{spec.detector}` | {projections} | "
            f"{params} |"
        )
    return "\n".join(lines)


def rank(candidates: list[Ring], alpha: float = ALPHA) -> list[Ring]:
    """One ranking across patterns: Benjamini-Hochberg within each pattern (each
    detector's candidates are its own family: a pattern with many weak candidates does
    not dilute another's), keep q <= alpha, then order by certainty alone, -log10 q
    (from log-space tails, so the most certain rings do not tie at a floor), money only
    breaking the ties of equal certainty (to 0.01 in log10 q)."""
    kept = []
    for pattern in sorted({r.pattern for r in candidates}):
        family = [r for r in candidates if r.pattern == pattern]
        log10_q = log10_benjamini_hochberg(np.array([-r.surprise for r in family]))
        for ring, lq in zip(family, log10_q, strict=True):
            ring.q_value = max(float(10**lq), P_FLOOR)
            ring.score = score(-float(lq), ring.total_amount)
            if lq <= np.log10(alpha):
                kept.append(ring)
    return sorted(kept, key=lambda r: (-r.score, r.pattern, sorted(m.id for m in r.members)))


def score(certainty: float, amount: float) -> float:
    """-log10 q cut to 0.01, plus the money (log10 yuan, below 10) in the thousandths:
    the case book's single sort key."""
    return round(np.floor(certainty * 100) / 100 + min(np.log10(1 + amount), 9.99) / 1000, 6)


def scan(
    store: Store,
    window: Window | None = None,
    patterns: Iterable[str] | None = None,
    on_stage: Callable[[str], None] | None = None,
    report: ScanReport | None = None,
) -> list[Ring]:
    """All candidates of the chosen patterns, false-discovery controlled and ranked.
    ``report`` collects the signals each detector lost (and, with ``profile``, the time
    and peak memory of every stage)."""
    report = report if report is not None else ScanReport()
    window = window or Window()
    candidates: list[Ring] = []
    chosen = detectors(patterns)
    coverage = report.timed("data coverage", lambda: Coverage.of(store, window))
    for detector in chosen:
        if on_stage:
            on_stage(detector.pattern)
        candidates.extend(detector.find(store, window, report, coverage))
    return report.timed("rank", lambda: rank(candidates))
