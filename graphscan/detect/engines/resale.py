"""Resale (倒卖药品): patients buying a high-value drug far beyond clinical need, spread over
several pharmacies so that no counter sees the whole amount. Need is learned from the data:
each drug's usual purchase size and the pace at which its buyers come back (the median
over buyers, so a minority of resellers cannot move it). A chronic patient refilling
monthly at one pharmacy buys at that pace; a reseller buys months of supply in weeks."""

from __future__ import annotations

import igraph as ig
import numpy as np
import pandas as pd

from graphscan.detect.engines.significance import poisson_tail

#: one typical purchase bought ahead of need is normal (a refill before the box runs out)
AHEAD = 1.0


def over_need(purchases: pd.DataFrame) -> pd.DataFrame:
    """One row per person and drug: ``supply``, the drug bought before the person's last
    purchase in units of the drug's median purchase size; ``expected``, what the drug's
    median pace (typical purchases per day among buyers who came back) predicts over the
    same span, plus one purchase ahead; ``p``, the Poisson tail; ``outlets`` and
    ``purchases``. ``purchases`` is the drug_purchases projection (time ordered)."""
    lines = purchases.assign(
        unit=purchases["quantity"] / purchases.groupby("item_code")["quantity"].transform("median")
    )
    by = lines.groupby(["person_id", "item_code"], sort=True)
    per = by.agg(
        purchases=("claim_id", "nunique"),
        outlets=("pharmacy_id", "nunique"),
        bought=("unit", "sum"),
        last=("unit", "last"),
        first_time=("start_time", "min"),
        last_time=("start_time", "max"),
    ).reset_index()
    span = (per["last_time"] - per["first_time"]).dt.total_seconds() / 86_400
    per = per.assign(supply=per["bought"] - per["last"], span=span)
    returning = per[(per["purchases"] >= 2) & (per["span"] > 0)]
    pace = (returning["supply"] / returning["span"]).groupby(returning["item_code"]).median()
    per = per.assign(pace=per["item_code"].map(pace).fillna(0.0))
    per = per.assign(expected=per["pace"] * per["span"] + AHEAD)
    observed = np.floor(per["supply"].to_numpy() + 1e-9)
    return per.assign(observed=observed, p=poisson_tail(observed, per["expected"]))


def resale_rings(flagged: pd.DataFrame, purchases: pd.DataFrame) -> list[pd.DataFrame]:
    """Over-need buyers tied together by the pharmacies and prescribing doctors of their
    over-need purchases: the purchase lines of each connected group."""
    keys = pd.MultiIndex.from_frame(flagged[["person_id", "item_code"]])
    lines = purchases[
        pd.MultiIndex.from_frame(purchases[["person_id", "item_code"]]).isin(keys)
    ].reset_index(drop=True)
    if lines.empty:
        return []
    # nodes are (kind, id) tuples: a person, a pharmacy or a doctor (lines naming none
    # tie only through their pharmacy)
    people = [("person", p) for p in lines["person_id"]]
    places = [("pharmacy", p) for p in lines["pharmacy_id"]]
    doctors = [("doctor", d) if isinstance(d, str) and d else None for d in lines["doctor_id"]]
    names = [
        *sorted(set(people)),
        *sorted({d for d in doctors if d is not None}),
        *sorted(set(places)),
    ]
    index = {n: i for i, n in enumerate(names)}
    edges = [(index[b], index[p]) for b, p in zip(people, places, strict=True)]
    edges += [(index[b], index[d]) for b, d in zip(people, doctors, strict=True) if d is not None]
    label = np.array(ig.Graph(n=len(names), edges=edges).connected_components().membership)
    part = label[[index[b] for b in people]]
    return [lines[part == k] for k in sorted(set(part))]
