"""The same set of cards moving together across outlets and days: a broker carrying a bag of
collected cards to several pharmacies, each counter seeing the stack too rarely for the
per-counter search. Pairs of travelling cards are tested over all counters at once (the
co-occurrences and their expectations summed over counters, each counter with its own
null model from graphscan.detect.engines.cooccurrence), and a group over the contexts of every
counter it touched."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graphscan.detect.engines.cooccurrence import (
    Communities,
    Crowding,
    Group,
    Params,
    apart,
    expected_pairs,
    split_groups,
    venue_pairs,
)
from graphscan.detect.engines.significance import poisson_tail


def roaming_groups(
    members: pd.DataFrame,
    sizes: pd.DataFrame,
    params: Params,
    communities: Communities,
    household: pd.Series,
) -> list[list[Group]]:
    """``members`` and ``sizes`` as for :func:`find_groups`, each venue a counter and
    ``members["site"]`` its pharmacy. Each result is one group of cards as one Group per
    counter it was swiped at (observed and expected there, at the group's common
    quorum)."""
    if members.empty:
        return []
    members = members.astype({"context": str, "entity": str})
    edges = _edges(members, sizes, params, household)
    if edges.empty:
        return []
    histograms = dict(list(sizes.groupby("venue", sort=True)))
    found = []
    for cards in split_groups(edges, params, communities):
        stack = _test(cards, members[members["entity"].isin(cards)], histograms, params)
        inside = edges["a"].isin(cards) & edges["b"].isin(cards)
        if stack:
            stack[0].pair_edges = int(inside.sum())
            found.append(stack)
    return found


def _edges(
    members: pd.DataFrame, sizes: pd.DataFrame, params: Params, household: pd.Series
) -> pd.DataFrame:
    """Pairs that met at two or more pharmacies, ``min_together`` times in all, far more
    often than the sum of each counter's expectation."""
    pairs = apart(venue_pairs(members), household)
    if pairs.empty:
        return pairs.assign(p=[], w=[])
    site = members.drop_duplicates("venue").set_index("venue")["site"]
    pairs = pairs.assign(
        expected=expected_pairs(pairs, members, sizes), pharmacy=pairs["venue"].map(site)
    )
    summed = pairs.groupby(["a", "b"], sort=True).agg(
        together=("together", "sum"),
        expected=("expected", "sum"),
        pharmacies=("pharmacy", "nunique"),
    )
    summed = summed[(summed["together"] >= params.min_together) & (summed["pharmacies"] >= 2)]
    summed = summed.assign(p=poisson_tail(summed["together"].to_numpy(), summed["expected"]))
    summed = summed[summed["p"] <= params.edge_p]
    return summed.assign(w=-np.log10(summed["p"])).reset_index()


def _test(
    cards: list[str], rows: pd.DataFrame, histograms: dict[str, pd.DataFrame], params: Params
) -> list[Group]:
    """Contexts holding at least ``q`` of the cards, over every counter, against the sum of
    each counter's expectation when the cards keep their own volumes there (the group
    taken out of the counter's crowding); ``q`` scanned with a Bonferroni factor."""
    per_venue = []
    for venue in sorted(set(rows["venue"])):
        mine = rows[rows["venue"] == venue]
        held = mine.groupby("context")["entity"].nunique()
        per_venue.append((venue, mine, held, Crowding.of(mine, histograms[venue])))
    quorums = list(range(min(3, len(cards)), len(cards) + 1))
    best: tuple[float, int] | None = None
    for q in quorums:
        observed = sum(int((held >= q).sum()) for _, _, held, _ in per_venue)
        if observed < params.min_together:
            break
        expected = sum(crowding.expected(q) for *_, crowding in per_venue)
        p = float(poisson_tail(observed, expected)) * len(quorums)
        if best is None or p < best[0]:
            best = (p, q)
    if best is None:
        return []
    quorum = best[1]
    stack: list[Group] = []
    # counters where the cards never met at the quorum still count in the expectation: it
    # goes to the first counter's share
    missed = 0.0
    for venue, mine, held, crowding in per_venue:
        contexts = sorted(held[held >= quorum].index)
        if not contexts:
            missed += crowding.expected(quorum)
            continue
        swiped = mine[mine["context"].isin(contexts)]
        stack.append(
            Group(
                venue=venue,
                entities=sorted(set(swiped["entity"])),
                contexts=contexts,
                quorum=quorum,
                claim_ids=sorted(set(swiped["claim_id"])),
                observed=len(contexts),
                expected=crowding.expected(quorum),
                tests=len(quorums) if not stack else 0,
                pair_edges=0,
            )
        )
    pharmacies = {rows.loc[rows["venue"] == g.venue, "site"].iloc[0] for g in stack}
    if len(pharmacies) < 2:
        return []
    stack[0].expected += missed
    return stack
