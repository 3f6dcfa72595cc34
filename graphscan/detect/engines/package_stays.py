"""Admissions without indication on one package price: the engine behind the second
signature of group hospitalisation. Recruits fetched a few at a time all year round meet
too rarely for co-admission to show, but the institution bills them the same flat price
each time (screening practice: high admission frequency with near-identical amounts).

At each institution, the people admitted there in two or more episodes whose bills cluster
on one price are counted: a group is the people with at least two admissions within
``band`` of the price and of about the same length (short identical stays). The null
model keeps each repeater's own number of admissions and draws their bills from the
institution's other admissions (the share ``p`` of them on the price and stay): a
repeater lands twice on it with probability P(Binomial(n, p) >= 2), or p where their
admissions there are one course (an index stay and its follow-up, billed alike).
Where the institution bills most stays at that price anyway (a flat-rate ward), ``p`` is
large and nothing stands out. Where it has few other admissions (a private hospital living
off its recruits has none), ``p`` leans on the city's ordinary inpatients: how often a
one-time inpatient's bill lies within ``band`` of the usual bill for their diagnosis at
their institution (``reference_share``), the most any one price can draw."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from graphscan.detect.engines.significance import poisson_tail

#: weight, in admissions, of the city's reference share in an institution's share on the
#: price: as much as two of its own admissions (the add-one prior's weight)
PRIOR_WEIGHT = 2
#: cells (institution, diagnosis) with fewer one-time inpatients say nothing of a spread
MIN_CELL = 3


@dataclass
class PackageGroup:
    venue: str
    entities: list[str]
    claim_ids: list[str]
    #: the price band
    low: float
    high: float
    observed: int
    expected: float
    #: prices tried at the venue (a Bonferroni factor)
    tests: int
    #: admission days of the evidence, for the campaign check
    days: list[int]


def package_groups(
    stays: pd.DataFrame,
    admissions: Callable[[str], pd.DataFrame],
    band: float,
    stay_tolerance: int,
    min_group: int,
    max_p: float,
    prior: float,
) -> list[PackageGroup]:
    """``stays``: admission_waves rows (people with two or more episodes at an
    institution) with ``follows`` (the group detector's follow-ups);
    ``admissions(venue)``: all admissions there (wave_admissions); ``prior``: the city's
    ``reference_share``."""
    found = []
    for venue, rows in stays.groupby("provider_id", sort=True):
        prices = _prices(rows, band, min_group)
        if not prices:
            continue
        every = admissions(str(venue))
        for low, high in prices:
            group = _test(str(venue), rows, every, low, high, len(prices), stay_tolerance, prior)
            if len(group.entities) >= min_group and _p(group) <= max_p:
                found.append(group)
    return found


def _prices(rows: pd.DataFrame, band: float, min_group: int) -> list[tuple[float, float]]:
    """Candidate price bands: repeaters' median bills, sorted and cut where two neighbours
    are more than ``band`` apart; each run of at least ``min_group`` people gives the band
    ``band`` around its median."""
    amount = rows["total_amount"].astype(float)
    medians = amount.groupby(rows["person_id"]).median().sort_values()
    medians = medians[medians > 0]
    if len(medians) < min_group:
        return []
    cut = np.flatnonzero(medians.to_numpy()[1:] > medians.to_numpy()[:-1] * (1 + band)) + 1
    bands = []
    for part in np.split(medians.to_numpy(), cut):
        if len(part) >= min_group:
            centre = float(np.median(part))
            bands.append((centre * (1 - band), centre * (1 + band)))
    return bands


def _test(
    venue: str,
    rows: pd.DataFrame,
    every: pd.DataFrame,
    low: float,
    high: float,
    tests: int,
    stay_tolerance: int,
    prior: float,
) -> PackageGroup:
    """People with two or more admissions on the price whose stays also match (within
    ``stay_tolerance`` days of the group's median stay, where stays are known), against
    the institution's other admissions that match the same way."""
    inside = rows[rows["total_amount"].astype(float).between(low, high)]
    repeat = inside.groupby("person_id")["claim_id"].transform("size") >= 2
    centre = inside.loc[repeat, "stay_days"].astype(float).median()
    inside = inside[_stay_fits(inside, centre, stay_tolerance)]
    counts = inside.groupby("person_id").size()
    members = sorted(counts[counts >= 2].index)
    others = every[~every["person_id"].isin(members)]
    fits = others["total_amount"].astype(float).between(low, high) & _stay_fits(
        others, centre, stay_tolerance
    )
    share = (int(fits.sum()) + PRIOR_WEIGHT * prior) / (len(others) + PRIOR_WEIGHT)
    # one course, an index stay and its follow-up (the same treatment once more, ``follows``
    # set) and nothing else there, is billed as its index: one draw of the price
    course = rows["follows"].notna() & (rows["person_waves"] == 2)
    per = pd.DataFrame({"visits": 1, "course": course}).groupby(rows["person_id"]).sum()
    one = per["course"].to_numpy() > 0
    draws = np.where(one, 1, per["visits"].to_numpy())
    needed = np.where(one, 0, 1)
    expected = float(stats.binom.sf(needed, draws, share).sum())
    evidence = inside[inside["person_id"].isin(members)]
    return PackageGroup(
        venue=venue,
        entities=members,
        claim_ids=sorted(evidence["claim_id"]),
        low=low,
        high=high,
        observed=len(members),
        expected=expected,
        tests=tests,
        days=sorted(set(evidence["day"].astype(int))),
    )


def reference_share(spread: pd.DataFrame) -> float:
    """The share of ordinary inpatients billed within the band of the usual bill for
    their diagnosis at their institution (``spread``: inpatient_price_spread), the median
    stay of an odd cell left out (it is its own median); 1/2 (no knowledge) where no cell
    has ``MIN_CELL`` stays. Ring recruits come back and are not in it; a campaign's
    look-alike patients are, which only makes it larger (cautious)."""
    cells = spread[spread["stays"] >= MIN_CELL]
    odd = cells["stays"].to_numpy() % 2
    total = int((cells["stays"].to_numpy() - odd).sum())
    if not total:
        return 0.5
    return float((cells["near"].to_numpy() - odd).sum() / total)


def _stay_fits(rows: pd.DataFrame, centre: float, tolerance: int) -> pd.Series:
    """Stays within ``tolerance`` days of ``centre``; every stay fits where lengths are
    unknown (open stays, or no discharge dates in the extract)."""
    if np.isnan(centre):
        return pd.Series(True, index=rows.index)
    stay = rows["stay_days"].astype(float)
    return stay.isna() | (stay - centre).abs().le(tolerance)


def _p(group: PackageGroup) -> float:
    return min(1.0, float(poisson_tail(group.observed, group.expected)) * group.tests)
