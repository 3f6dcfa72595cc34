"""The one detector shape and the step every detector shares.

A detector is a dataclass whose fields are exactly its parameters (``get_params`` reads
them, the case memo records them); ``pattern`` and the projections it reads are class
constants. The algorithm is split in two: ``read`` turns the store into frames (the only
place that talks to a store), ``decide`` turns frames into candidates (pure statistics,
tested on hand-made frames). ``finish`` then turns each candidate (members, evidence
claims, observed vs expected) into a Ring whose money and time span are recomputed from
the evidence claims themselves, so explanations cannot drift from the data."""

from __future__ import annotations

import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from math import log10
from typing import Any, ClassVar

import pandas as pd

from graphscan.detect.engines.cooccurrence import Communities
from graphscan.detect.engines.significance import P_FLOOR, log10_fisher, log10_poisson_tail
from graphscan.rings import Member, Ring
from graphscan.store.base import Store
from graphscan.store.communities import leiden_igraph

#: a follow-up read: projection name and parameters -> frame
Source = Callable[..., pd.DataFrame]
#: a signal a detector could not use and why, e.g. ("operator_id", "not recorded on
#: inpatient claims: grouped by institution")
Lost = tuple[str, str]


@dataclass(frozen=True)
class Window:
    """The time window a scan looks at (both ends optional, inclusive)."""

    since: datetime | None = None
    until: datetime | None = None

    def params(self) -> dict[str, Any]:
        return {"since": self.since, "until": self.until}


class Coverage:
    """What the data holds (the ``data_coverage`` projection): the share of rows of a
    table, or of one kind of claim, that carry an optional column. Without a frame
    (hand-made frames in tests) every column counts as present."""

    def __init__(self, frame: pd.DataFrame | None = None) -> None:
        self.known = frame is not None
        cells = [] if frame is None else frame[["source", "kind", "field", "rows", "filled"]]
        self._cells = {
            (s, k, c): (int(r), int(f))
            for s, k, c, r, f in (cells.itertuples(index=False) if self.known else [])
        }

    @classmethod
    def of(cls, store: Store, window: Window) -> Coverage:
        """The store's coverage in the window: one read of every claim, so a scan reads
        it once for all its detectors."""
        return cls(store.projection("data_coverage", **window.params()))

    def rows(self, source: str, kind: str | None = None) -> int:
        """Rows of a table, or claims (of one kind); 0 when absent."""
        seen = {(s, k): r for (s, k, _), (r, _) in self._cells.items()}
        return sum(r for (s, k), r in seen.items() if s == source and kind in (None, k))

    def share(self, source: str, column: str, kind: str | None = None) -> float:
        """Share of the rows (of one claim kind, or all) carrying ``column``; 0 when there
        are no such rows."""
        if not self.known:
            return 1.0
        cells = [
            v
            for (s, k, c), v in self._cells.items()
            if s == source and c == column and kind in (None, k)
        ]
        rows = sum(r for r, _ in cells)
        return sum(f for _, f in cells) / rows if rows else 0.0


@dataclass
class Frames(Mapping[str, pd.DataFrame]):
    """What a detector read: projection name -> frame, plus what ``decide`` needs beyond
    them: ``more`` for reads that depend on what the first ones showed (evidence of a
    few candidates only), the store's community detection, the data coverage and the
    signals lost for want of data. Built by ``read``, or by hand in tests (then ``more``
    answers from ``tables``, unfiltered: ``decide`` narrows what it gets)."""

    tables: dict[str, pd.DataFrame]
    window: Window = field(default_factory=Window)
    source: Source | None = None
    communities: Communities = leiden_igraph
    coverage: Coverage = field(default_factory=Coverage)
    lost: list[Lost] = field(default_factory=list)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def more(self, name: str, **params: Any) -> pd.DataFrame:
        if self.source is None or name in self.tables:
            return self.tables[name]
        return self.source(name, **self.window.params(), **params)


@dataclass
class Candidate:
    """A ring before its money is summed. The explanation templates are filled with
    ``numbers`` plus what ``finish`` recomputes from the evidence claims: ``{total}``,
    ``{fund}``, ``{account}``, ``{first}``, ``{last}``, ``{claims}`` and ``{days}``
    (distinct calendar days with evidence)."""

    pattern: str
    members: list[Member]
    claim_ids: list[str]
    statistic: float
    expected: float
    explain_zh: str
    explain_en: str
    numbers: dict[str, Any] = field(default_factory=dict)
    #: Bonferroni factor for choices made while looking at the data (e.g. the quorum)
    tests: int = 1
    method: dict[str, Any] = field(default_factory=dict)
    #: p-value of an independent supporting test (e.g. cards far from their holders'
    #: places), combined with the main one by Fisher's method
    support_p: float | None = None
    #: log10 of the main test's tail where it is not the Poisson tail of ``statistic``
    #: against ``expected`` (e.g. a binomial share)
    log10_tail: float | None = None


@dataclass
class Stage:
    """One timed step of a scan (``graphscan scan --profile``)."""

    name: str
    seconds: float
    peak_bytes: int


@dataclass
class ScanReport:
    """What a scan says besides its rings: the signals each detector lost, and with
    ``profile`` the time and peak memory of every stage."""

    profile: bool = False
    lost: dict[str, list[Lost]] = field(default_factory=dict)
    stages: list[Stage] = field(default_factory=list)

    def timed(self, name: str, work: Callable[[], Any]) -> Any:
        """Run ``work`` as a stage (timed and its peak memory measured under ``profile``).
        A stage that fails is measured too, up to its failure, and named so: a scan that
        runs out of memory says where."""
        if not self.profile:
            return work()
        peak = PeakMemory()
        began, failed = time.perf_counter(), True
        try:
            with peak:
                result = work()
            failed = False
        finally:
            label = f"{name} (failed)" if failed else name
            self.stages.append(Stage(label, time.perf_counter() - began, peak.bytes))
        return result


class PeakMemory:
    """The process's largest resident set while the block runs, sampled every 20 ms from
    /proc (DuckDB's native memory included, which Python's tracemalloc would miss)."""

    def __init__(self, every_s: float = 0.02) -> None:
        self.every_s = every_s
        self.bytes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def resident() -> int:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _sample(self) -> None:
        while not self._stop.wait(self.every_s):
            self.bytes = max(self.bytes, self.resident())

    def __enter__(self) -> PeakMemory:
        self.bytes = self.resident()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        self.bytes = max(self.bytes, self.resident())


class Detector(ABC):
    """A detector: a dataclass of parameters (each with a Parameters line in its
    docstring) whose ``read`` and ``decide`` are the only code a pattern writes."""

    #: the pattern name, as in :data:`graphscan.rings.PATTERNS`
    pattern: ClassVar[str]
    #: projections ``read`` and ``decide`` use, for the method record and the docs
    projections: ClassVar[tuple[str, ...]]
    #: the coverage ``find`` was handed by its scan while ``read`` runs (None: read it)
    _scan_coverage: Coverage | None = None

    def get_params(self) -> dict[str, Any]:
        """The detector's parameters: exactly its fields."""
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]

    @abstractmethod
    def read(self, store: Store, window: Window) -> Frames:
        """The store -> the frames ``decide`` works on (and the signals lost)."""

    @abstractmethod
    def decide(self, frames: Frames) -> list[Candidate]:
        """Frames -> candidate rings: the statistics, no store."""

    def lost_signals(self, coverage: Coverage) -> list[Lost]:
        """Signals this detector cannot use on data of this coverage, and what it does
        instead (none by default)."""
        return []

    def frames(self, store: Store, window: Window, tables: dict[str, pd.DataFrame]) -> Frames:
        """``tables`` as the Frames of this store and window, with the lost signals."""
        coverage = self._scan_coverage
        if coverage is None:
            coverage = Coverage.of(store, window)
        return Frames(
            tables,
            window,
            store.projection,
            store.communities,
            coverage,
            self.lost_signals(coverage),
        )

    def method(self, frames: Frames, **features: Any) -> dict[str, Any]:
        """The record of how a ring was found: detector, projections, every parameter,
        the signals lost, and the ring's own ``features``."""
        return {
            "detector": self.pattern,
            "projection": list(self.projections),
            **self.get_params(),
            "lost_signals": [list(lost) for lost in frames.lost],
            **features,
        }

    def find(
        self,
        store: Store,
        window: Window,
        report: ScanReport | None = None,
        coverage: Coverage | None = None,
    ) -> list[Ring]:
        """Read, decide, finish; ``coverage``: the window's, when the caller has it."""
        report = report or ScanReport()
        self._scan_coverage = coverage
        try:
            frames = report.timed(f"{self.pattern}: read", lambda: self.read(store, window))
        finally:
            self._scan_coverage = None
        report.lost[self.pattern] = list(frames.lost)
        candidates = report.timed(f"{self.pattern}: decide", lambda: self.decide(frames))
        return report.timed(f"{self.pattern}: finish", lambda: finish(store, candidates))


def short(identifier: str) -> str:
    """A pseudonym cut to something an investigator can read aloud (full ids are in the
    member list)."""
    return identifier[:8] if len(identifier) > 12 else identifier


def finish(store: Store, candidates: list[Candidate]) -> list[Ring]:
    """Sum each candidate's evidence claims (one store read for all) into a Ring."""
    if not candidates:
        return []
    wanted = sorted({c for cand in candidates for c in cand.claim_ids})
    claims = store.claims(wanted).set_index("claim_id")
    rings = []
    for cand in candidates:
        ids = sorted(set(cand.claim_ids))
        rows = claims.loc[ids]
        money = {
            col: float(pd.to_numeric(rows[f"{col}_amount"], errors="coerce").fillna(0).sum())
            for col in ("total", "fund", "account")
        }
        first, last = rows["start_time"].min(), rows["start_time"].max()
        values = {
            **cand.numbers,
            **money,
            "days": int(rows["start_time"].dt.normalize().nunique()),
            "first": f"{first:%Y-%m-%d}",
            "last": f"{last:%Y-%m-%d}",
            "claims": len(ids),
        }
        tail = (
            cand.log10_tail
            if cand.log10_tail is not None
            else log10_poisson_tail(cand.statistic, cand.expected)
        )
        log10_p = min(0.0, tail + log10(max(cand.tests, 1)))
        if cand.support_p is not None:
            log10_p = log10_fisher(log10_p, log10(max(cand.support_p, P_FLOOR)))
        rings.append(
            Ring(
                pattern=cand.pattern,
                members=sorted(set(cand.members), key=lambda m: (m.role, m.kind, m.id)),
                claim_ids=ids,
                statistic=float(cand.statistic),
                expected=float(cand.expected),
                p_value=max(10**log10_p, P_FLOOR),
                surprise=-log10_p,
                total_amount=round(money["total"], 2),
                fund_amount=round(money["fund"], 2),
                account_amount=round(money["account"], 2),
                first_time=first.to_pydatetime(),
                last_time=last.to_pydatetime(),
                explanation_zh=cand.explain_zh.format(**values),
                explanation_en=cand.explain_en.format(**values),
                method=cand.method,
            )
        )
    return rings
