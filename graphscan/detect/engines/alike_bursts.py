"""Bursts of look-alike stays: the engine behind the third signature of group
hospitalisation. A ring that brings new recruits in each wave, and few of them twice,
shows no repetition; what it shows is the institution admitting far more people than
its own pace on a few days, and most of them alike: the same length of stay and the
same bill, whatever illness is written on the claim (admission without indication). A
campaign also crowds a few days with stays alike, but for one treatment; so a burst
counts only where stays for other illnesses, billed and kept the same way, crowd it
beyond chance as well.

Three steps, each against the institution's own other days:
1. windows of ``span`` days holding far more admissions than the institution's pace in
   that part of the city's season predicts (a screen, ``burst_p``);
2. in each burst, the stays alike (bill within ``band`` of one stay's, length within
   ``stay_tolerance`` days of it), the largest such set;
3. bursts of one price and length taken together: their look-alike stays against the
   rate of such stays on the institution's other days, and the stays among them for an
   illness other than the commonest one, against theirs (``crowding``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from graphscan.detect.engines.significance import poisson_tail
from graphscan.detect.engines.wave_windows import Season

#: at an institution with one burst, the other windows standing out this much are its
#: companions: a small ring's second wave is only a few stays, and the look-alike test,
#: not this screen, decides
COMPANION_P = 0.05


@dataclass
class BurstGroup:
    venue: str
    entities: list[str]
    claim_ids: list[str]
    #: the bursts' days
    windows: list[tuple[int, int]]
    low: float
    high: float
    observed: int
    expected: float
    #: windows screened at the venue (a Bonferroni factor)
    tests: int
    #: look-alike stays for an illness other than the commonest one
    unrelated: int
    #: admission days of the evidence, for the campaign check
    days: list[int]


@dataclass(frozen=True)
class Crowd:
    """Rows picked by a mask on some days, against the institution's other days."""

    near: np.ndarray
    observed: int
    expected: float
    p: float


def crowding(
    rows: pd.DataFrame, mask: np.ndarray, reach: list[tuple[int, int]], members: list[str]
) -> Crowd:
    """How many of an institution's ``rows`` picked by ``mask`` lie on the days ``reach``
    outside the people ``members``, against the rate of such rows on its other days (one
    such stay is added elsewhere, so a quiet institution still expects some)."""
    near = np.zeros(len(rows), dtype=bool)
    for lo, hi in reach:
        near |= rows["day"].between(lo, hi).to_numpy()
    near_days = len(set().union(*(range(lo, hi + 1) for lo, hi in reach)))
    other_days = int(rows["day"].max() - rows["day"].min() + 1) - near_days
    observed = int((mask & near & ~rows["person_id"].isin(members).to_numpy()).sum())
    expected = (int((mask & ~near).sum()) + 1) / max(other_days, 1) * near_days
    p = float(poisson_tail(observed, expected)) if observed else 1.0
    return Crowd(near, observed, float(expected), p)


def burst_windows(
    daily: pd.DataFrame, season: Season, span: int, burst_p: float
) -> dict[str, tuple[list[tuple[int, int]], int]]:
    """Per institution with a burst and a companion, its disjoint bursts (``daily``:
    admission_wave_sizes): ``span``-day windows opening on an admission day that hold
    more admissions than the institution's other admissions, spread over the season,
    predict there (p <= ``burst_p`` for the strongest, ``COMPANION_P`` for the others),
    the most surprising first; with the number of windows tried."""
    found = {}
    for venue, rows in daily.groupby("provider_id", sort=True):
        days = rows["day"].to_numpy(dtype=int)
        counts = rows["admissions"].to_numpy(dtype=float)
        if len(days) < 2:
            continue
        cumulative = np.concatenate(([0.0], np.cumsum(counts)))
        ends = np.searchsorted(days, days + span - 1, side="right")
        inside = cumulative[ends] - cumulative[: len(days)]
        share = season.share(days, days + span - 1)
        expected = (cumulative[-1] - inside + 1) * share / np.maximum(1 - share, 1e-9)
        p = poisson_tail(inside, expected)
        if p.min() > burst_p:
            continue
        chosen: list[tuple[int, int]] = []
        for i in np.argsort(p, kind="stable"):
            if p[i] > COMPANION_P:
                break
            lo, hi = int(days[i]), int(days[i]) + span - 1
            if all(hi < a or lo > b for a, b in chosen):
                chosen.append((lo, hi))
        if len(chosen) >= 2:
            found[str(venue)] = (sorted(chosen), len(days))
    return found


def _core(rows: pd.DataFrame, band: float, tolerance: int) -> pd.Series | None:
    """The stay of a burst that most of its stays look like (its bill and length)."""
    if rows.empty:
        return None
    amount = rows["total_amount"].astype(float).to_numpy()
    stay = rows["stay_days"].astype(float).to_numpy()
    bill = np.abs(amount[:, None] - amount[None, :]) <= band * np.abs(amount)[:, None]
    apart = np.abs(stay[:, None] - stay[None, :])
    length = np.isnan(apart) | (apart <= tolerance)
    return rows.iloc[int(np.argmax((bill & length).sum(axis=1)))]


def burst_groups(
    daily: pd.DataFrame,
    season: Season,
    admissions: Callable[[str], pd.DataFrame],
    span: int,
    alike_within: tuple[float, int],
    min_group: int,
    burst_p: float,
    max_p: tuple[float, float],
) -> list[BurstGroup]:
    """Institutions whose bursts (``burst_windows``) are crowded with stays of one price
    and length (``alike_within``: bill band, stay tolerance in days) beyond chance
    (``max_p[0]``, with a Bonferroni factor of the windows tried), and with those among
    them for other illnesses than the commonest (``max_p[1]``); ``admissions(venue)``:
    all admissions there (wave_admissions)."""
    band, stay_tolerance = alike_within
    found = []
    for venue, (windows, tried) in burst_windows(daily, season, span, burst_p).items():
        rows = admissions(venue)
        cores = []
        for lo, hi in windows:
            inside = rows[rows["day"].between(lo, hi).to_numpy()]
            core = _core(inside, band, stay_tolerance)
            if core is not None:
                cores.append(((lo, hi), core))
        for part in _of_one_price(cores, band, stay_tolerance):
            group = _test(venue, rows, part, alike_within, tried, max_p)
            if group is not None and len(group.entities) >= min_group:
                found.append(group)
    return found


def _of_one_price(
    cores: list[tuple[tuple[int, int], pd.Series]], band: float, tolerance: int
) -> list[list[tuple[tuple[int, int], pd.Series]]]:
    """Bursts whose look-alike stays share one price and length, in runs of two or more
    (bursts sorted by bill, cut where two neighbours are more than ``band`` apart or
    differ in length by more than ``tolerance``)."""
    ordered = sorted(cores, key=lambda c: float(c[1]["total_amount"]))
    runs: list[list[tuple[tuple[int, int], pd.Series]]] = []
    for item in ordered:
        if runs and _near(runs[-1][-1][1], item[1], band, tolerance):
            runs[-1].append(item)
        else:
            runs.append([item])
    return [run for run in runs if len(run) >= 2]


def _near(a: pd.Series, b: pd.Series, band: float, tolerance: int) -> bool:
    x, y = float(a["total_amount"]), float(b["total_amount"])
    stays = [float(s) for s in (a["stay_days"], b["stay_days"]) if pd.notna(s)]
    close_stay = len(stays) < 2 or abs(stays[0] - stays[1]) <= tolerance
    return abs(x - y) <= band * max(abs(x), abs(y)) and close_stay


def _test(
    venue: str,
    rows: pd.DataFrame,
    part: list[tuple[tuple[int, int], pd.Series]],
    alike_within: tuple[float, int],
    tried: int,
    max_p: tuple[float, float],
) -> BurstGroup | None:
    """The look-alike stays (``alike_within``: band, stay tolerance) of bursts of one
    price, tested against the institution's other days; None unless both they and those
    among them for other illnesses crowd the bursts beyond chance (``max_p``)."""
    band, tolerance = alike_within
    windows = [w for w, _ in part]
    bills = [float(c["total_amount"]) for _, c in part]
    lengths = [float(c["stay_days"]) for _, c in part if pd.notna(c["stay_days"])]
    low, high = min(bills) * (1 - band), max(bills) * (1 + band)
    amount = rows["total_amount"].astype(float)
    stay = rows["stay_days"].astype(float)
    fits = stay.isna() | (
        stay.between(min(lengths) - tolerance, max(lengths) + tolerance) if lengths else True
    )
    alike = (amount.between(low, high) & fits).to_numpy()
    crowd = crowding(rows, alike, windows, [])
    evidence = rows[alike & crowd.near]
    dx = rows["diagnosis_code"]
    known = evidence["diagnosis_code"].dropna()
    if known.empty or min(1.0, crowd.p * tried) > max_p[0]:
        return None
    unrelated = alike & dx.notna().to_numpy() & (dx != known.mode().iloc[0]).to_numpy()
    other = crowding(rows, unrelated, windows, [])
    if other.p > max_p[1]:
        return None
    return BurstGroup(
        venue=venue,
        entities=sorted(set(evidence["person_id"])),
        claim_ids=sorted(evidence["claim_id"]),
        windows=windows,
        low=low,
        high=high,
        observed=crowd.observed,
        expected=crowd.expected,
        tests=tried,
        unrelated=other.observed,
        days=sorted(set(evidence["day"].astype(int))),
    )
