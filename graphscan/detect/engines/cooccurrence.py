"""Repeated co-occurrence under a volume-aware null model: the engine behind card
collection (cards swiped together by one operator). Group hospitalisation shares its
``Params`` but counts admissions in sliding windows (``wave_windows``), since calendar
buckets split waves.

Input is a membership list: entity ``e`` took part in context ``b`` (an operator's swipe
burst, an institution's admission day) of size ``k_b`` at venue ``v``. Under independence
an entity with ``n_e`` contexts at a venue lands in context ``b`` with probability
``min(1, n_e k_b / S1)`` (``S1 = sum k_b``): busy venues and crowded contexts expect many
chance meetings, and one crowd (a screening day) adds at most one.

Two stages. Pairs that meet at least ``min_together`` times and clearly more than their
volumes predict become edges; connected parts of the edge graph (split with seeded
Leiden when large) are candidate groups. Each group's core (the edges' entities) is then
tested as a whole, with the group taken out of the venue's crowding (a ring must not
explain itself): the observed
number of contexts holding at least ``q`` members against the number expected when
members keep their own volumes but choose contexts independently, scanning ``q`` and
paying for the scan with a Bonferroni factor. Entities whose pair edges were too weak
but who turn up in the core's contexts far more often than their volume predicts are
attached (a recruit who came to four of the six waves belongs to the ring): members, but
not evidence, since they were picked from the core's contexts (counted, a rush hour's
regulars made the whole rush hour their evidence).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import igraph as ig
import numpy as np
import pandas as pd
from scipy import sparse, stats

from graphscan.detect.engines.recurrence import Recurrence, SessionRecurrence
from graphscan.detect.engines.significance import log10_fisher_many, poisson_tail

#: seeded Leiden ``node, community`` on a ``source, target, weight`` edge list
#: (:meth:`graphscan.store.base.Store.communities`)
Communities = Callable[[pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class Params:
    #: a pair must meet in at least this many contexts
    min_together: int = 3
    #: and that often must be this unlikely under independence (a screen: the group
    #: test that follows decides)
    edge_p: float = 1e-3
    #: an entity joins a group when its presence in the group's contexts is this unlikely
    attach_p: float = 1e-2
    #: smallest group reported
    min_group: int = 3
    #: groups larger than this are split with Leiden
    max_group: int = 60
    #: the edge screen and the group test pay a Bonferroni factor for the pairs searched
    #: at the venue (a search among many rare entities, where some pair is bound to meet
    #: twice by chance)
    pay_for_pairs: bool = False
    #: a pair meeting in at least this share of each one's contexts is an edge
    #: whatever chance predicts (a stack that makes up most of a quiet counter's crowding
    #: explains its own pairs: the group test, its members taken out, decides, paying
    #: for every pair of the venue); None: off
    devoted: float | None = None


@dataclass
class Group:
    """Entities found together at one venue far more often than their own volumes
    predict: a card-lending stack (contexts: burst ids) or a group hospitalisation wave
    group (contexts: the ``wave_windows.Wave`` windows)."""

    #: the venue's key as the membership list gives it (a code the caller resolves)
    venue: Any
    entities: list[str]
    #: contexts in which at least ``quorum`` group members took part
    contexts: list[Any]
    quorum: int
    claim_ids: list[str]
    observed: int
    expected: float
    #: Bonferroni factor paid for choosing the quorum
    tests: int
    pair_edges: int
    #: "repeat" (members together again and again) or "strangers" (a context crowded
    #: with entities seen there once or twice: observed counts strangers, not contexts)
    #: or "recurring" (such crowds sharing entities: observed counts the shared ones)
    kind: str = "repeat"
    #: for "strangers": log10 of the binomial tail of the strangers at the venue's share;
    #: for "recurring": log10 of the shared entities' tail, its Bonferroni factor paid
    log10_p: float = 0.0


def venue_pairs(members: pd.DataFrame, min_together: int = 1) -> pd.DataFrame:
    """Co-occurrence counts of entity pairs within each venue (sparse M M^T), one venue
    at a time so that memory holds one venue's pairs, never the city's. Only entities
    with at least ``min_together`` contexts at the venue can meet that often, so only
    they enter the product."""
    members = members[members["n_entity"] >= min_together]
    parts = []
    for venue, at in members.groupby("venue", sort=True).indices.items():
        rows = members.iloc[at]
        ent_codes, ent_index = pd.factorize(rows["entity"], sort=True)
        ctx_codes, _ = pd.factorize(rows["context"], sort=True)
        incidence = sparse.csr_matrix(
            (np.ones(len(rows)), (ent_codes, ctx_codes)),
            shape=(len(ent_index), int(ctx_codes.max()) + 1),
        )
        incidence.data[:] = 1.0
        together = sparse.triu(incidence @ incidence.T, k=1).tocoo()
        keep = together.data >= min_together
        names = np.asarray(ent_index)
        parts.append(
            pd.DataFrame(
                {
                    "venue": venue,
                    "a": names[together.row[keep]],
                    "b": names[together.col[keep]],
                    "together": together.data[keep].astype(int),
                }
            )
        )
    if not parts:
        return pd.DataFrame({"venue": [], "a": [], "b": [], "together": []})
    return pd.concat(parts, ignore_index=True)


def _pair_expectation(n_a: np.ndarray, n_b: np.ndarray, hist: pd.DataFrame) -> np.ndarray:
    """``sum_b min(1, n_a k_b/S1) min(1, n_b k_b/S1)`` over the venue's context sizes."""
    k = hist["size"].to_numpy(dtype=float)
    count = hist["contexts"].to_numpy(dtype=float)
    s1 = float((k * count).sum())
    p_a = np.minimum(1.0, np.outer(n_a, k) / s1)
    p_b = np.minimum(1.0, np.outer(n_b, k) / s1)
    return (p_a * p_b) @ count


def apart(pairs: pd.DataFrame, household: pd.Series | None) -> pd.DataFrame:
    """The pairs that do not live together (``household``: entity -> household key):
    a household is expected to come together and never forms an edge."""
    if household is None or pairs.empty:
        return pairs
    ha, hb = pairs["a"].map(household), pairs["b"].map(household)
    return pairs[~(ha.notna() & (ha == hb))]


def expected_pairs(pairs: pd.DataFrame, members: pd.DataFrame, sizes: pd.DataFrame) -> np.ndarray:
    """Each pair's expected co-occurrences at its venue under independence, given both
    entities' own volumes there and the venue's context sizes."""
    volume = members.drop_duplicates(["venue", "entity"]).set_index(["venue", "entity"])["n_entity"]
    n_a = volume.reindex(pd.MultiIndex.from_arrays([pairs["venue"], pairs["a"]])).to_numpy()
    n_b = volume.reindex(pd.MultiIndex.from_arrays([pairs["venue"], pairs["b"]])).to_numpy()
    expected = np.zeros(len(pairs))
    histograms = dict(list(sizes.groupby("venue", sort=True)))
    for venue, at in pairs.groupby("venue", sort=True).indices.items():
        expected[at] = _pair_expectation(n_a[at], n_b[at], histograms[venue])
    return expected


def _edges(
    members: pd.DataFrame, sizes: pd.DataFrame, params: Params, household: pd.Series | None
) -> pd.DataFrame:
    pairs = apart(venue_pairs(members, params.min_together), household)
    if pairs.empty:
        return pairs.assign(p=[], w=[])
    expected = expected_pairs(pairs, members, sizes)
    pairs = pairs.assign(p=poisson_tail(pairs["together"].to_numpy(), expected))
    if params.pay_for_pairs:
        pairs = pairs.assign(p=pairs["p"] * pairs["venue"].map(searched_pairs(members, params)))
    keep = pairs["p"] <= params.edge_p
    if params.devoted is not None:
        volume = members.drop_duplicates(["venue", "entity"]).set_index(["venue", "entity"])
        n_a = volume["n_entity"].reindex(pd.MultiIndex.from_arrays([pairs["venue"], pairs["a"]]))
        n_b = volume["n_entity"].reindex(pd.MultiIndex.from_arrays([pairs["venue"], pairs["b"]]))
        either = np.maximum(n_a.to_numpy(dtype=float), n_b.to_numpy(dtype=float))
        keep |= pairs["together"].to_numpy() >= params.devoted * either
    # a devoted pair may be likely by the pair's own test: a small weight, never zero
    return pairs[keep].assign(w=lambda f: (-np.log10(f["p"])).clip(lower=0.1))


def searched_pairs(members: pd.DataFrame, params: Params) -> pd.Series:
    """Per venue, the pairs of entities that could meet ``min_together`` times there
    (those with that many contexts): the pairs the search looked at."""
    able = members[members["n_entity"] >= params.min_together]
    m = able.groupby("venue")["entity"].nunique().astype(float)
    return (m * (m - 1) / 2).clip(lower=1.0)


def split_groups(edges: pd.DataFrame, params: Params, communities: Communities) -> list[list[str]]:
    """Connected parts of the edge graph (a, b, w), those above ``params.max_group`` split
    by ``communities`` (the store's seeded Leiden)."""
    names = sorted(set(edges["a"]).union(edges["b"]))
    index = {n: i for i, n in enumerate(names)}
    graph = ig.Graph(
        n=len(names), edges=list(zip(edges["a"].map(index), edges["b"].map(index), strict=True))
    )
    groups: list[list[str]] = []
    for component in graph.connected_components():
        nodes = sorted(names[i] for i in component)
        if len(nodes) <= params.max_group:
            groups.append(nodes)
            continue
        inside = edges[edges["a"].isin(nodes) & edges["b"].isin(nodes)]
        parts = communities(
            inside.rename(columns={"a": "source", "b": "target", "w": "weight"})[
                ["source", "target", "weight"]
            ]
        )
        for _, part in parts.groupby("community", sort=True):
            groups.append(sorted(part["node"]))
    return [g for g in groups if len(g) >= params.min_group]


def find_groups(
    members: pd.DataFrame,
    sizes: pd.DataFrame,
    params: Params,
    communities: Communities,
    household: pd.Series | None = None,
) -> list[Group]:
    """``members``: venue, context, size (the context's size ``k_b``), entity, n_entity
    (the entity's contexts at the venue over all its activity), claim_id. ``sizes``: venue,
    size, contexts (how many contexts of each size the venue had). ``household`` maps
    entity -> household key: pairs living together are expected to co-occur and never
    form an edge. ``communities`` splits groups above ``params.max_group``: the store's
    own, so that Neo4j runs Leiden in GDS."""
    if members.empty:
        return []
    members = members.astype({"context": str, "entity": str})
    edges = _edges(members, sizes, params, household)
    by_venue = members.groupby("venue", sort=True).indices
    histograms = dict(list(sizes.groupby("venue", sort=True)))
    pays = params.pay_for_pairs or params.devoted is not None
    searched = searched_pairs(members, params) if pays else None
    groups: list[Group] = []
    for venue, venue_edges in edges.groupby("venue", sort=True):
        venue_members = members.iloc[by_venue[venue]]
        venue_sizes = histograms[venue]
        for core in split_groups(venue_edges, params, communities):
            entities = _attach(core, venue_members, venue_sizes, params)
            inside = venue_edges["a"].isin(entities) & venue_edges["b"].isin(entities)
            group = _group(venue, core, venue_members, venue_sizes, int(inside.sum()), params)
            group = _with_attached(group, entities, venue_members)
            # a group held together by devoted pairs that chance alone would give was
            # picked from every pair of the venue: it pays for them all
            unscreened = bool((venue_edges.loc[inside, "p"] > params.edge_p).any())
            if searched is not None and (params.pay_for_pairs or unscreened):
                group.tests = int(np.ceil(group.tests * searched[venue]))
            groups.append(group)
    return [g for g in groups if g.observed > 0]


def _with_attached(group: Group, entities: list[str], venue_members: pd.DataFrame) -> Group:
    """``group`` (its core's test) with the attached entities as members and their claims
    in its contexts."""
    rows = venue_members[
        venue_members["entity"].isin(entities) & venue_members["context"].isin(group.contexts)
    ]
    return replace(group, entities=entities, claim_ids=sorted(set(rows["claim_id"])))


def _attach(
    core: list[str], venue_members: pd.DataFrame, venue_sizes: pd.DataFrame, params: Params
) -> list[str]:
    """``core`` plus entities seen in at least two of the core's contexts (those holding
    three or more core members) more often than their volume explains once the core is
    taken out of the venue's crowding (a shuffled stack's cards each come to half its
    sessions: two visits inside them are rare for a card seen three times), and entities
    whose every context at the venue was one of the core's (a card the broker swiped once
    or twice and that never came to this counter otherwise: seen too rarely for any pair
    test)."""
    rows = venue_members[venue_members["entity"].isin(core)]
    per_context = rows.groupby("context")["entity"].nunique()
    contexts = per_context[per_context >= min(3, len(core))]
    around = venue_members[
        venue_members["context"].isin(contexts.index) & ~venue_members["entity"].isin(core)
    ]
    if around.empty:
        return core
    k, count = _background(rows, venue_sizes)
    s1 = max(float((k * count).sum()), 1.0)
    seen = around.groupby("entity").agg(times=("context", "nunique"), n=("n_entity", "first"))
    sizes = venue_members.drop_duplicates("context").set_index("context")["size"]
    others = (sizes.reindex(contexts.index) - contexts).to_numpy(dtype=float)
    chance = np.minimum(1.0, np.outer(seen["n"].to_numpy(dtype=float), others) / s1).sum(axis=1)
    p = poisson_tail(seen["times"].to_numpy(), chance)
    repeated = (seen["times"] >= 2) & (p <= params.attach_p)
    devoted = seen["times"] >= seen["n"]
    keep = seen.index[repeated | devoted]
    return sorted(set(core) | set(keep))


def _background(rows: pd.DataFrame, venue_sizes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The venue's context sizes with the group's own members taken out."""
    hist = venue_sizes.groupby("size")["contexts"].sum()
    touched = rows.groupby("context").agg(size=("size", "first"), mine=("entity", "nunique"))
    removed = touched["size"].value_counts()
    added = (touched["size"] - touched["mine"]).value_counts()
    hist = hist.sub(removed, fill_value=0).add(added, fill_value=0)
    hist = hist[(hist.index > 0) & (hist > 0)]
    return hist.index.to_numpy(dtype=float), hist.to_numpy(dtype=float)


@dataclass(frozen=True)
class Crowding:
    """A venue's context sizes ``k`` (``count`` contexts each) with the group's own members
    taken out, each of the visits taken out a context of its own (it is still a visit to
    the venue: a group that makes up most of a quiet counter's crowding must not leave
    its visits nowhere to go but into each other's bursts), and the rate at which the
    group's members, keeping their own volumes, join a context per seat."""

    k: np.ndarray
    count: np.ndarray
    rate: float

    @classmethod
    def of(cls, rows: pd.DataFrame, venue_sizes: pd.DataFrame) -> Crowding:
        """``rows``: the group's membership rows at the venue."""
        k, count = _background(rows, venue_sizes)
        own = float(len(rows.drop_duplicates(["context", "entity"])))
        k, count = np.append(k, 1.0), np.append(count, own)
        visits = float(rows.drop_duplicates("entity")["n_entity"].sum())
        return cls(k, count, visits / max(float((k * count).sum()), 1.0))

    def expected(self, quorum: int) -> float:
        """Contexts expected to hold at least ``quorum`` of the group by chance."""
        return float((self.count * stats.poisson.sf(quorum - 1, self.k * self.rate)).sum())


def _group(
    venue: Any,
    entities: list[str],
    venue_members: pd.DataFrame,
    venue_sizes: pd.DataFrame,
    pair_edges: int,
    params: Params,
) -> Group:
    rows = venue_members[venue_members["entity"].isin(entities)]
    per_context = rows.groupby("context")["entity"].nunique()
    crowding = Crowding.of(rows, venue_sizes)
    quorums = list(range(min(3, len(entities)), len(entities) + 1))
    best: tuple[float, int, int, float] | None = None
    for q in quorums:
        observed = int((per_context >= q).sum())
        if observed < params.min_together:  # together once is not a pattern
            break
        expected = crowding.expected(q)
        p = float(poisson_tail(observed, expected)) * len(quorums)
        if best is None or p < best[0]:
            best = (p, q, observed, expected)
    if best is None:
        return Group(venue, entities, [], 0, [], 0, 0.0, len(quorums), pair_edges)
    _, quorum, observed, expected = best
    contexts = sorted(per_context[per_context >= quorum].index)
    claims = rows[rows["context"].isin(contexts)]["claim_id"]
    return Group(
        venue=venue,
        entities=entities,
        contexts=contexts,
        quorum=quorum,
        claim_ids=sorted(set(claims)),
        observed=observed,
        expected=expected,
        tests=len(quorums),
        pair_edges=pair_edges,
    )


def stranger_crowds(
    members: pd.DataFrame,
    counts: pd.DataFrame,
    max_visits: int,
    min_strangers: int,
    max_p: float,
    weight: float,
    min_shared: int = 2,
    household: pd.Series | None = None,
    recurrence_weight: float | None = None,
) -> list[list[Group]]:
    """Contexts crowded with strangers: entities seen in at most ``max_visits`` contexts
    of the venue (a broker's session of collected cards, each swiped once or twice, so
    that no pair meets often enough for a pair test). ``members`` as for
    :func:`find_groups`; ``counts`` (index venue): ``strangers`` and ``slots`` (entities
    summed over all its contexts), ``crowded_strangers`` and ``crowded_slots`` (the same
    over its contexts of at least ``min_strangers`` entities). Contexts with at least
    ``min_strangers`` strangers are candidates; those sharing ``min_shared`` strangers
    are one crowd (the same collected cards swiped again in another session, at any
    counter: a stranger's one or two visits both falling in crowds is the broker's
    signature). Each context's strangers are tested against the larger of the venue's
    overall share of strangers and their share in its other crowded contexts (a rush
    hour may bring more one-off customers than a quiet morning), the latter smoothed
    with ``weight`` slots of the overall share, the crowd's own contexts taken out of
    both (a ring must not explain itself): binomial tail; a crowd of several contexts
    combines its tails with Fisher's method (the sessions are independent draws under
    the null, and a sum of binomials at shares near one is far from Poisson),
    Bonferroni over every context that could have held ``min_strangers`` strangers (those
    of at least that many entities): a context is looked at for its strangers, and paying
    only for those that turned out crowded would let a busy counter's one odd rush hour
    among hundreds pass for a broker's session. ``household`` (entity -> household key): a
    household's entities count once among a context's strangers and entities. With
    ``recurrence_weight``, a crowd that fails this is kept when its sessions at one
    pharmacy (``members["site"]``) share more cards than chance gives
    (:mod:`graphscan.detect.engines.recurrence`, a family counting once), Bonferroni x2
    for the second test. A crowd kept is a list of Groups, one per venue."""
    strangers = members[members["n_entity"] <= max_visits]
    per = _session_strangers(members, strangers, household, min_strangers)
    if per.empty:
        return []
    chosen = strangers.set_index(["venue", "context"]).loc[per.index].reset_index()
    tests = _could_crowd(members, min_strangers)
    bar = np.log10(max_p) - np.log10(tests)
    recurrence = (
        SessionRecurrence(members, per.index, counts["slots"], household, recurrence_weight)
        if recurrence_weight is not None
        else None
    )
    # each context alone, its own strangers taken out of its venue's counts
    alone = stranger_tails(per, counts, weight, per[["k", "n"]])
    tails = alone["log10_p"].to_numpy()
    position = {key: i for i, key in enumerate(per.index)}
    crowds = []
    for crowd in linked_contexts(chosen, min_shared):
        if len(crowd) > 1:
            part = per.loc[crowd]
            mine = part.groupby(level="venue")[["k", "n"]].sum()
            part = stranger_tails(
                part, counts, weight, mine.reindex(part.index.get_level_values(0))
            )
            together = log10_fisher_many(part["log10_p"].to_numpy())
            if together <= bar:
                crowds.append(crowd_groups(chosen, part, together, tests))
                continue
            if recurrence is not None:
                shared = recurrence.test(crowd)
                if shared.log10_p + shared.log10_tests + np.log10(2) <= np.log10(max_p):
                    crowds.append(_recurring(chosen, part, shared))
                    continue
        # a chain through a crowded venue proves nothing: each context alone
        for i in (position[key] for key in crowd):
            if tails[i] <= bar:
                crowds.append(crowd_groups(chosen, alone.iloc[[i]], float(tails[i]), tests))
    return crowds


def _could_crowd(members: pd.DataFrame, least: int) -> int:
    """How many contexts hold at least ``least`` entities: those a crowd of strangers
    could have been found in."""
    sized = members.drop_duplicates(["venue", "context"])
    return max(1, int((sized["size"] >= least).sum()))


def _session_strangers(
    members: pd.DataFrame, strangers: pd.DataFrame, household: pd.Series | None, least: int
) -> pd.DataFrame:
    """Per context (venue, context) with at least ``least`` strangers: ``k`` strangers of
    ``n`` entities, the entities of one known household (``household``: entity -> key)
    counted once in both: relatives come together, strangers to each other do not (a
    family of six swiped together at a counter it visits once a season is one customer,
    not six strangers). Households are counted only where the cards alone reach
    ``least``: counting them once can only lower ``k``."""
    keys = ["venue", "context"]
    per = strangers.groupby(keys, sort=True).agg(k=("entity", "nunique"), n=("size", "first"))
    per = per[per["k"] >= least]
    if household is None or per.empty:
        return per
    rows = members[pd.MultiIndex.from_frame(members[keys]).isin(per.index)]
    home = rows["entity"].map(household)
    unit = ("household " + home.astype("string")).fillna(rows["entity"]).astype(str)
    rows = rows.assign(unit=unit, stranger=rows.index.isin(strangers.index))
    units = rows.groupby(keys, sort=True).agg(
        cards=("entity", "nunique"), units=("unit", "nunique")
    )
    k = rows[rows["stranger"]].groupby(keys, sort=True)["unit"].nunique()
    per = per.assign(
        k=k.reindex(per.index).to_numpy(),
        n=(per["n"] - units["cards"] + units["units"]).reindex(per.index).to_numpy(),
    )
    return per[per["k"] >= least]


def stranger_tails(
    part: pd.DataFrame, counts: pd.DataFrame, weight: float, mine: pd.DataFrame
) -> pd.DataFrame:
    """``part`` (contexts: k strangers of n) with each context's expected strangers and
    log10 binomial tail at its venue's share of strangers (the larger of overall and in
    crowded contexts), ``mine`` (k and n row by row: what the crowd tested holds at that
    context's venue) taken out of the venue's counts."""
    venue = part.index.get_level_values("venue")
    own = counts.reindex(venue)
    overall = (own["strangers"].to_numpy() - mine["k"].to_numpy()) / np.maximum(
        own["slots"].to_numpy() - mine["n"].to_numpy(), 1.0
    )
    overall = np.nan_to_num(overall, nan=1.0).clip(0.0, 1.0)
    crowded_k = np.nan_to_num(own["crowded_strangers"].to_numpy() - mine["k"].to_numpy())
    crowded_n = np.nan_to_num(own["crowded_slots"].to_numpy() - mine["n"].to_numpy())
    crowded = (crowded_k.clip(0) + weight * overall) / (crowded_n.clip(0) + weight)
    # the larger of the two: strangers may crowd the rush hours or the quiet ones, and a
    # session is unusual only against both
    rate = np.maximum(crowded, overall).clip(1e-6, 1.0)
    k, n = part["k"].to_numpy(), part["n"].to_numpy()
    return part.assign(expected=n * rate, log10_p=stats.binom.logsf(k - 1, n, rate) / np.log(10))


def crowd_groups(
    chosen: pd.DataFrame,
    part: pd.DataFrame,
    log10_p: float,
    tests: int,
    kind: str = "strangers",
    quorum: str = "k",
    observed: str = "k",
) -> list[Group]:
    """One crowd of sessions as one Group per venue (the Bonferroni factor on the first):
    ``chosen``'s rows of the sessions ``part`` indexes by (venue, context); its columns
    ``quorum`` (the least of it is the Group's quorum), ``observed`` (summed) and
    ``expected`` (summed) say what each session counted and chance predicted."""
    rows = chosen.set_index(["venue", "context"]).loc[part.index].reset_index()
    stack: list[Group] = []
    for venue, at in rows.groupby("venue", sort=True):
        here = part.loc[[venue]]
        stack.append(
            Group(
                venue=venue,
                entities=sorted(set(at["entity"])),
                contexts=sorted(set(at["context"])),
                quorum=int(here[quorum].min()),
                claim_ids=sorted(set(at["claim_id"])),
                observed=int(here[observed].sum()),
                expected=float(here["expected"].sum()),
                tests=0 if stack else tests,
                pair_edges=0,
                kind=kind,
                log10_p=log10_p,
            )
        )
    return stack


def _recurring(chosen: pd.DataFrame, part: pd.DataFrame, shared: Recurrence) -> list[Group]:
    """A crowd kept for the cards its sessions share: those are its counts (on the first
    Group), its tail already paying the recurrence test's Bonferroni factor (x2 for the
    second test; a factor that may exceed any integer)."""
    stack = crowd_groups(chosen, part, shared.log10_p + shared.log10_tests + np.log10(2), 0)
    for i, group in enumerate(stack):
        group.kind = "recurring"
        group.observed = shared.observed if i == 0 else 0
        group.expected = shared.expected if i == 0 else 0.0
    return stack


def linked_contexts(chosen: pd.DataFrame, min_shared: int) -> list[list[tuple[Any, Any]]]:
    """(venue, context) keys of ``chosen`` joined when they share ``min_shared``
    entities, as connected parts in key order."""
    keys = list(dict.fromkeys(zip(chosen["venue"], chosen["context"], strict=True)))
    index = {key: i for i, key in enumerate(keys)}
    entity = chosen["entity"].astype("category")
    m = sparse.csr_matrix(
        (
            np.ones(len(chosen)),
            (
                [index[k] for k in zip(chosen["venue"], chosen["context"], strict=True)],
                entity.cat.codes.to_numpy(),
            ),
        ),
        shape=(len(keys), len(entity.cat.categories)),
    )
    m.data[:] = 1.0
    shared = (m @ m.T).tocoo()
    link = (shared.data >= min_shared) & (shared.row < shared.col)
    graph = ig.Graph(n=len(keys), edges=list(zip(shared.row[link], shared.col[link], strict=True)))
    return [[keys[i] for i in sorted(part)] for part in graph.connected_components()]
