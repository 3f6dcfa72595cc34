"""Co-admission in sliding windows: the engine behind group hospitalisation.

Fixed calendar buckets split a wave that straddles their boundary, so two people meet
when they are admitted to the same institution at most ``span`` days apart, and a
group's waves are windows of ``span`` days opening at one of its admissions (the fullest
first). A few spans are tried (a wave admitted on one morning, one spread over a week),
each test paying for them with a Bonferroni factor. The null model keeps each person's
own number of admission episodes at the institution and spreads them over the days the
way the whole city's admissions fall on months and weekdays: a busy hospital or a ring's
own burst never makes a meeting look expected, while repetition across waves stays rare
by chance. A person's follow-up stay (the second eye: the same treatment soon after, see
``GroupHospitalisation._follow_ups``) is placed by their own earlier stay, not
independently: two people who met at their first stays and meet again at their
follow-ups met once, so that meeting is not counted (a campaign's second eyes are no
repetition).

Two stages, as for card bursts: pairs that meet at least ``min_together`` times and more
than their episodes predict become edges; connected parts of the edge graph (split with
seeded Leiden when large) are candidate groups, extended with people found in the
group's waves far more often than their episodes explain, then tested as a whole: the
number of waves holding at least ``q`` members against the expected number of
``span``-day windows that open with a member's admission and hold ``q``, scanning ``q``
and the span with a Bonferroni factor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from scipy import stats

from graphscan.detect.engines.cooccurrence import Communities, Group, Params, split_groups
from graphscan.detect.engines.significance import log10_poisson_tail, poisson_tail


class Season:
    """Each day's share of admissions under the city's months and weekdays (a month
    factor times a weekday factor, so that no single burst, a ring's own included, shapes
    the null), summed over windows in O(1)."""

    def __init__(self, daily: pd.Series) -> None:
        first, last = int(daily.index.min()), int(daily.index.max())
        counts = np.zeros(last - first + 1)
        counts[daily.index.to_numpy(dtype=int) - first] = daily.to_numpy(dtype=float)
        days = np.arange(first, last + 1)
        month = (np.datetime64("1970-01-01") + days).astype("datetime64[M]").astype(int)
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
        rate = _factor(counts, month) * _factor(counts, weekday)
        self.first = first
        self.shares = rate / rate.sum()
        self.cumulative = np.concatenate(([0.0], np.cumsum(self.shares)))

    def share(self, lo: np.ndarray | int, hi: np.ndarray | int) -> np.ndarray:
        """Share of admissions on days ``lo..hi`` (inclusive)."""
        top = len(self.cumulative) - 1
        lo_i = np.clip(np.asarray(lo) - self.first, 0, top)
        hi_i = np.clip(np.asarray(hi) - self.first + 1, 0, top)
        return np.maximum(self.cumulative[hi_i] - self.cumulative[lo_i], 0.0)


def _factor(counts: np.ndarray, label: np.ndarray) -> np.ndarray:
    """Mean admissions per day of each day's label (month or weekday), per day."""
    per_label = np.bincount(label - label.min(), weights=counts)
    days = np.bincount(label - label.min())
    return (per_label / np.maximum(days, 1))[label - label.min()]


@dataclass
class Wave:
    first: int
    last: int
    entities: list[str]

    def reach(self, span: int) -> tuple[int, int]:
        """Days on which an admission could belong to the wave."""
        return self.last - span, self.first + span


def meetings(stays: pd.DataFrame, spans: tuple[int, ...]) -> dict[int, pd.DataFrame]:
    """Pairs of one venue admitted at most ``span`` days apart, for each span: ``together``
    is the number of distinct admission days of the less matched side that have the other
    within reach. ``stays``: venue, entity, day, follows. Two follow-ups whose index stays
    met (at most the widest span apart) meet as their first meeting says: their meeting
    is explained and not counted."""
    days = stays[["venue", "entity", "day", "follows"]].drop_duplicates(["venue", "entity", "day"])
    near = _near_days(days, max(spans))
    near = near[~((near["follows_a"] - near["follows_b"]).abs() <= max(spans))]
    found = {}
    for span in spans:
        pairs = (
            near[near["apart"] <= span]
            .groupby(["venue", "a", "b"], sort=True)
            .agg(days_a=("day_a", "nunique"), days_b=("day_b", "nunique"))
        )
        found[span] = pd.DataFrame(
            {
                "venue": pairs.index.get_level_values(0),
                "a": pairs.index.get_level_values(1),
                "b": pairs.index.get_level_values(2),
                "together": np.minimum(pairs["days_a"], pairs["days_b"]).to_numpy(),
            }
        )
    return found


def _near_days(days: pd.DataFrame, span: int) -> pd.DataFrame:
    """Every two admission days (venue, entity, day, follows) of different entities at one
    venue at most ``span`` days apart, as venue, a, b (a < b), day_a, day_b, apart,
    follows_a, follows_b. A sweep over the days in order: the rows within reach of each
    row, never all pairs of a venue's year."""
    days = days.sort_values(["venue", "day"], kind="stable")
    venue = pd.factorize(days["venue"])[0].astype(np.int64)
    entity_code, entities = pd.factorize(days["entity"], sort=True)
    day = days["day"].to_numpy(dtype=np.int64)
    follows = days["follows"].to_numpy(dtype=float)
    # one sorted key per row: venues far apart, days in order within a venue
    key = venue * (int(day.max() - day.min()) + span + 1) + (day - day.min())
    ends = np.searchsorted(key, key + span, side="right")
    count = ends - np.arange(len(key)) - 1
    first = np.repeat(np.arange(len(key)), count)
    second = np.arange(len(first)) - np.repeat(np.cumsum(count) - count, count) + first + 1
    keep = entity_code[first] != entity_code[second]
    first, second = first[keep], second[keep]
    swap = entity_code[first] > entity_code[second]
    a = np.where(swap, second, first)
    b = np.where(swap, first, second)
    return pd.DataFrame(
        {
            "venue": days["venue"].array.take(a),
            "a": entities.array.take(entity_code[a]),
            "b": entities.array.take(entity_code[b]),
            "day_a": day[a],
            "day_b": day[b],
            "apart": np.abs(day[a] - day[b]),
            "follows_a": follows[a],
            "follows_b": follows[b],
        }
    )


def _expected_meetings(
    pairs: pd.DataFrame, stays: pd.DataFrame, season: Season, span: int, side: str
) -> np.ndarray:
    """``sum over side's admission days t of min(1, n_other * share(t - span, t + span))``."""
    other = "b" if side == "a" else "a"
    days = stays[["venue", "entity", "day", "n_entity"]].drop_duplicates(["venue", "entity", "day"])
    volume = days.drop_duplicates(["venue", "entity"]).set_index(["venue", "entity"])["n_entity"]
    at = pairs.reset_index(drop=True).reset_index(names="pair")
    rows = at.merge(days, left_on=["venue", side], right_on=["venue", "entity"])
    n_other = volume.reindex(pd.MultiIndex.from_arrays([rows["venue"], rows[other]])).to_numpy()
    chance = np.minimum(1.0, n_other * season.share(rows["day"] - span, rows["day"] + span))
    return np.bincount(rows["pair"], weights=chance, minlength=len(pairs))


def _edges(
    stays: pd.DataFrame,
    season: Season,
    spans: tuple[int, ...],
    params: Params,
    household: pd.Series,
) -> pd.DataFrame:
    """Pairs meeting more often than their episodes predict at some span (the best span,
    paid for with a Bonferroni factor of the number of spans)."""
    found = []
    for span, pairs in meetings(stays, spans).items():
        pairs = pairs[pairs["together"] >= params.min_together]
        ha, hb = pairs["a"].map(household), pairs["b"].map(household)
        pairs = pairs[~(ha.notna() & (ha == hb))].reset_index(drop=True)
        if pairs.empty:
            continue
        expected = np.maximum(
            _expected_meetings(pairs, stays, season, span, "a"),
            _expected_meetings(pairs, stays, season, span, "b"),
        )
        tail = poisson_tail(pairs["together"].to_numpy(), expected) * len(spans)
        found.append(pairs.assign(p=np.minimum(tail, 1.0)))
    if not found:
        return pd.DataFrame(columns=["venue", "a", "b", "together", "p", "w"])
    edges = pd.concat(found).sort_values(["venue", "a", "b", "p"], kind="stable")
    edges = edges.drop_duplicates(["venue", "a", "b"])
    return edges[edges["p"] <= params.edge_p].assign(w=lambda f: -np.log10(f["p"]))


def waves(rows: pd.DataFrame, span: int) -> list[Wave]:
    """The group's admissions cut into windows of ``span`` days, fullest window first (so
    a chance admission just before a wave cannot split it); ``rows``: entity, day."""
    stays = sorted(set(zip(rows["day"].astype(int), rows["entity"], strict=True)))
    left = list(range(len(stays)))  # indices of the stays not yet in a wave, by day
    found = []
    while left:
        days = np.array([stays[i][0] for i in left])
        ends = np.searchsorted(days, days + span, side="right")
        sizes = [len({stays[i][1] for i in left[k:end]}) for k, end in enumerate(ends)]
        best = int(np.argmax(sizes))
        chosen = left[best : ends[best]]
        members = sorted({stays[i][1] for i in chosen})
        found.append(Wave(stays[chosen[0]][0], stays[chosen[-1]][0], members))
        left = left[:best] + left[ends[best] :]
    return sorted(found, key=lambda w: w.first)


def _attach(
    core: list[str], venue_stays: pd.DataFrame, season: Season, span: int, params: Params
) -> list[str]:
    """``core`` plus people admitted in at least ``min_together`` of the core's waves
    (those holding three or more core members), more often than their episodes explain."""
    core_waves = [
        w
        for w in waves(venue_stays[venue_stays["entity"].isin(core)], span)
        if len(w.entities) >= min(3, len(core))
    ]
    others = venue_stays[~venue_stays["entity"].isin(core)]
    if not core_waves or others.empty:
        return core
    reach = [w.reach(span) for w in core_waves]
    # in how many of the waves each other person was admitted: (person, wave) marks
    day = others["day"].to_numpy()
    lo, hi = np.array(reach).T
    row, wave = np.nonzero((day[:, None] >= lo) & (day[:, None] <= hi))
    code, people = pd.factorize(others["entity"], sort=True)
    seen = np.zeros((len(people), len(reach)), dtype=bool)
    seen[code[row], wave] = True
    times = pd.Series(seen.sum(axis=1), index=people)
    volume = others.drop_duplicates("entity").set_index("entity")["n_entity"].reindex(times.index)
    shares = season.share(*np.array(reach).T)
    chance = np.minimum(1.0, np.outer(volume.to_numpy(dtype=float), shares)).sum(axis=1)
    p = poisson_tail(times.to_numpy(), chance)
    keep = times.index[(times.to_numpy() >= params.min_together) & (p <= params.attach_p)]
    return sorted(set(core) | set(keep))


def expected_waves(visits: float, quorum: int, season: Season, span: int) -> float:
    """Expected number of ``span``-day windows that open with one of the group's
    ``visits`` admissions and hold ``quorum`` of them, admissions falling on days as the
    city's do (an upper bound on the expected count of disjoint such waves)."""
    days = np.arange(season.first, season.first + len(season.shares))
    opening = visits * season.shares
    following = visits * season.share(days + 1, days + span)
    return float((opening * stats.poisson.sf(quorum - 2, following)).sum())


def _group(
    venue: str,
    entities: list[str],
    venue_stays: pd.DataFrame,
    season: Season,
    spans: tuple[int, ...],
    pair_edges: int,
    params: Params,
) -> Group:
    """The group's best (span, quorum) test, paid for with a Bonferroni factor of all the
    spans and quorums tried."""
    rows = venue_stays[venue_stays["entity"].isin(entities)]
    visits = float(rows.drop_duplicates("entity")["n_entity"].sum())
    quorums = list(range(min(3, len(entities)), len(entities) + 1))
    tests = len(quorums) * len(spans)
    best: tuple[float, int, int, float, list[Wave]] | None = None
    for span in spans:
        found = waves(rows, span)
        for q in quorums:
            observed = sum(len(w.entities) >= q for w in found)
            if observed < params.min_together:  # together once is not a pattern
                break
            expected = expected_waves(visits, q, season, span)
            p = float(poisson_tail(observed, expected)) * tests
            if best is None or p < best[0]:
                best = (p, q, observed, expected, [w for w in found if len(w.entities) >= q])
    if best is None:
        return Group(venue, entities, [], 0, [], 0, 0.0, tests, pair_edges)
    _, quorum, observed, expected, kept = best
    in_wave = np.zeros(len(rows), dtype=bool)
    for wave in kept:
        in_wave |= (
            rows["day"].between(wave.first, wave.last) & rows["entity"].isin(wave.entities)
        ).to_numpy()
    return Group(
        venue=venue,
        entities=entities,
        contexts=kept,  # the waves holding at least quorum members
        quorum=quorum,
        claim_ids=sorted(set(rows.loc[in_wave, "claim_id"])),
        observed=observed,
        expected=expected,
        tests=tests,
        pair_edges=pair_edges,
    )


def _merge_shared(groups: list[list[str]], limit: int) -> list[list[str]]:
    """Groups of one venue that share a person (one found in the waves of another's core)
    as one group: a person admitted with two cores again and again ties them, as when a
    ring's pairs are too weak to connect it (follow-ups halve their meetings). A merge
    that would pass ``limit`` is not made (Leiden split that part on purpose)."""
    merged: list[set[str]] = []
    for group in groups:
        members = set(group)
        for other in [m for m in merged if m & members]:
            if len(other | members) <= limit:
                merged.remove(other)
                members |= other
        merged.append(members)
    return [sorted(m) for m in merged]


def find_wave_groups(
    stays: pd.DataFrame,
    season: Season,
    spans: tuple[int, ...],
    params: Params,
    communities: Communities,
    household: pd.Series,
) -> list[Group]:
    """``stays``: venue, entity, day, n_entity (the entity's admission episodes at the
    venue), claim_id, follows (the day of the entity's index stay this admission follows
    up, the second eye; NaN for an index stay). ``spans``: the window widths in days to
    try (a wave of the same morning and one spread over a week); the widest also bounds
    who is attached.
    ``communities`` splits groups above ``params.max_group`` (the store's own Leiden).
    ``household`` maps entity -> household key: people living together are expected to
    come together and never form an edge."""
    if stays.empty:
        return []
    edges = _edges(stays, season, spans, params, household)
    by_venue = stays.groupby("venue", sort=True).indices
    groups = []
    for venue, venue_edges in edges.groupby("venue", sort=True):
        venue_stays = stays.iloc[by_venue[venue]]
        cores = split_groups(venue_edges, params, communities)
        attached = [_attach(core, venue_stays, season, max(spans), params) for core in cores]
        test = partial(_tested, str(venue), venue_stays, venue_edges, season, spans, params)
        found = [test(entities) for entities in _merge_shared(attached, params.max_group)]
        groups += _merge_coinciding([g for g in found if g.observed > 0], test, params.max_group)
    return groups


def _tested(
    venue: str,
    venue_stays: pd.DataFrame,
    venue_edges: pd.DataFrame,
    season: Season,
    spans: tuple[int, ...],
    params: Params,
    entities: list[str],
) -> Group:
    inside = venue_edges["a"].isin(entities) & venue_edges["b"].isin(entities)
    return _group(venue, entities, venue_stays, season, spans, int(inside.sum()), params)


def _log10_p(group: Group) -> float:
    return log10_poisson_tail(group.observed, group.expected) + float(np.log10(group.tests))


def _coincide(a: Group, b: Group) -> bool:
    """Whether two groups of one venue were admitted in one wave (windows that overlap)."""
    return any(v.first <= w.last and w.first <= v.last for v in a.contexts for w in b.contexts)


def _merge_coinciding(
    groups: list[Group], test: Callable[[list[str]], Group], limit: int
) -> list[Group]:
    """Groups of one venue admitted in the same wave, kept as one where the union is more
    certain than either part: a ring whose waves each bring a few of its recruits has
    pairs that meet too seldom to join it, and splits into parts that share wave days,
    doctors' rounds and bills. Unrelated groups of a busy hospital that meet in one wave
    by chance make a union weaker than the stronger part, and stay apart. A union past
    ``limit`` people is not made (Leiden split that part on purpose)."""
    merged = True
    while merged:
        merged = False
        for i, a in enumerate(groups):
            for j in range(i + 1, len(groups)):
                b = groups[j]
                if len({*a.entities, *b.entities}) > limit or not _coincide(a, b):
                    continue
                union = test(sorted({*a.entities, *b.entities}))
                if union.observed and _log10_p(union) < min(_log10_p(a), _log10_p(b)):
                    groups = [g for k, g in enumerate(groups) if k not in (i, j)] + [union]
                    merged = True
                    break
            if merged:
                break
    return groups
