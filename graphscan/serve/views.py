"""The JSON the workbench sends: the case queue, a case, a neighbourhood as nodes and
edges. Each is a case-book call or a store projection the CLI makes too, turned into what
the page draws; identifiers go through an Exposure so each role sees what it may."""

from __future__ import annotations

import gc
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from graphscan.casebook import CaseBook
from graphscan.loaders.identifiers import normalise
from graphscan.masks import typed_mask
from graphscan.rings import PATTERN_NAMES, ROLES, Case
from graphscan.schema import ENTITY_COLUMNS
from graphscan.serve.accounts import User
from graphscan.serve.exposure import Exposure, Handles
from graphscan.serve.timing import Timings
from graphscan.store.base import Store
from graphscan.viz.case_page import case_summary
from graphscan.viz.context import CaseContext
from graphscan.viz.evidence import SHOWN_COLUMNS, evidence_frame
from graphscan.viz.graph import (
    LINKED,
    NODE_KINDS,
    RELATION_NAMES,
    RELATIONS,
    LinkCodes,
    entity_stats,
    link_codes,
    provider_kinds,
)

QUEUE_SORTS = {
    "rank": "rank", "pattern": "pattern", "status": "status", "assignee": "assignee",
    "money": "total_amount", "fund": "fund_amount", "q": "q_value", "first": "first_time",
    "last": "last_time", "members": "members", "claims": "claims", "region": "region",
}  # fmt: skip
MAX_PER_PAGE = 500
#: evidence rows sent with a graph: as many as the page's table shows at once; the rows of
#: a window brushed on the time bar are fetched then (``evidence_rows``), the package's
#: CSV has them all
ROWS_SHOWN = 500
#: a neighbourhood past this many claims is refused: narrow the window or the hops
MAX_CLAIMS = 200_000
EPOCH = pd.Timestamp("1970-01-01")


def _num(value: Any) -> Any:
    """JSON has no NaN, NaT or numpy scalars."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, datetime | date):
        return None if pd.isna(value) else value.isoformat()
    if pd.isna(value) if not isinstance(value, (list, tuple, str)) else False:
        return None
    return value.item() if hasattr(value, "item") else value


def _search_mask(queue: pd.DataFrame, q: str, names: pd.DataFrame) -> pd.Series:
    """A case matches a query that is its id, a member id or a pseudonym prefix, the
    masked form of a member id as printed in exports (``1effaa4e87…``, ``D33…95``), or a
    part of one of its providers' names. An id is normalised as a load normalises one
    (a pasted carriage return or BOM goes); a name is matched as typed."""
    ident = normalise(q)
    ids = queue["member_ids"].fillna("")
    mask = queue["case_id"].str.lower() == ident.lower()
    masked = typed_mask(ident)
    if masked is not None:
        head, tail = (re.escape(part) for part in masked)
        pattern = rf"(?:^| ){head}\S*{tail}(?: |$)"
    else:
        pattern = rf"(?:^| ){re.escape(ident)}"
    mask |= ids.str.contains(pattern, regex=True)
    q = q.strip()
    named = names.loc[names["name"].str.contains(q, regex=False, na=False), "provider_id"]
    for provider in named.head(200):
        mask |= ids.str.contains(rf"(?:^| ){re.escape(provider)}(?: |$)", regex=True)
    return mask


def case_queue(
    book: CaseBook, store: Store, params: Mapping[str, str], timings: Timings | None = None
) -> dict[str, Any]:
    """One page of the queue, each step a phase of ``timings`` (the book's read, the
    filters and search, the sort, the page's rows), so a slow queue says which is slow."""
    phase = (timings or Timings()).phase
    with phase("book"):
        queue = book.queue(include_stale=params.get("stale") == "1")
    with phase("filter"):
        for column in ("pattern", "status", "assignee"):
            if params.get(column):
                queue = queue[queue[column].fillna("") == params[column]]
        if params.get("region"):
            queue = queue[queue["region"].fillna("").str.contains(params["region"], regex=False)]
    if params.get("q"):
        with phase("search"):
            queue = queue[_search_mask(queue, params["q"], store.projection("provider_names"))]
    with phase("sort"):
        sort = QUEUE_SORTS.get(params.get("sort", "rank"), "rank")
        queue = queue.sort_values(
            [sort, "case_id"], ascending=params.get("order", "asc") != "desc", na_position="last"
        )
    with phase("page"):
        per_page = max(1, min(int(params.get("per_page", 50)), MAX_PER_PAGE))
        page = max(1, int(params.get("page", 1)))
        rows = queue.iloc[(page - 1) * per_page : page * per_page]
        keep = ["rank", "case_id", "pattern", "status", "assignee", "total_amount", "fund_amount",
                "account_amount", "q_value", "p_value", "first_time", "last_time", "region",
                "members", "claims"]  # fmt: skip
        cases = [{k: _num(v) for k, v in row.items()} for row in rows[keep].to_dict("records")]
        for case in cases:
            case["pattern_name"] = PATTERN_NAMES.get(case["pattern"], (case["pattern"],) * 2)
    return {"total": len(queue), "page": page, "per_page": per_page, "cases": cases}


def item_totals(lines: pd.DataFrame, top: int = 100) -> pd.DataFrame:
    """The evidence item lines summed per drug, service or material, most money first."""
    keys = ["item_kind", "item_code", "item_name"]
    totals = (
        lines.fillna({"item_name": ""})
        .groupby(keys, as_index=False)
        .agg(claims=("claim_id", "nunique"), quantity=("quantity", "sum"), amount=("amount", "sum"))
    )
    return totals.sort_values(["amount", "item_code"], ascending=[False, True]).head(top)


def exposure_for(
    user: User, handles: Handles, claims: pd.DataFrame, extra: Iterable[tuple[str, str]] = ()
) -> Exposure:
    """The user's exposure among every entity the claims name (and ``extra``)."""
    ids = [
        (kind, v)
        for col, kind in ENTITY_COLUMNS.items()
        for v in claims[col].dropna().unique().tolist()
    ]
    return Exposure(user, handles, [*ids, *extra])


def case_detail(
    book: CaseBook,
    case: Case,
    claims: pd.DataFrame,
    exposure: Exposure,
    items: pd.DataFrame,
) -> dict[str, Any]:
    """The case with its members, the static page's summary lines, its history and its
    graph."""
    roles = {(m.kind, m.id): m.role for m in case.members}
    assignments = [{k: _num(v) for k, v in a.items()} for a in book.assignments(case.case_id)]
    return {
        "case_id": case.case_id,
        "pattern": case.pattern,
        "pattern_name": PATTERN_NAMES.get(case.pattern, (case.pattern, case.pattern)),
        "status": case.status,
        "rank": case.rank,
        "merged_into": case.merged_into,
        "summary": [
            [label.zh, label.en, value]
            for label, value in case_summary(case, claims, CaseContext())
        ],
        "explanation_zh": exposure.scrub(case.explanation_zh),
        "explanation_en": exposure.scrub(case.explanation_en),
        "members": [
            {
                "id": exposure.node_id(m.kind, m.id),
                "label": exposure.label(m.kind, m.id),
                "kind": m.kind,
                "role": m.role,
                "role_name": ROLES.get(m.role, (m.role, m.role)),
            }
            for m in case.members
        ],
        "history": [
            {k: (exposure.scrub(v) if k == "note" and v else _num(v)) for k, v in e.items()}
            for e in case.notes
        ],
        "assignments": assignments,
        "assignee": assignments[-1]["assignee"] if assignments else None,
        "graph": graph_json(claims, exposure, roles=roles, items=items),
    }


def _day(times: pd.Series) -> pd.Series:
    return ((pd.to_datetime(times) - EPOCH) // pd.Timedelta(days=1)).astype("int64")


def _in_time_order(claims: pd.DataFrame) -> bool:
    """Whether the claims are sorted by start time, then claim id (a check of the times,
    and of the ids only where times tie, is cheaper than sorting again)."""
    times = claims["start_time"].to_numpy()
    ties = np.flatnonzero(times[1:] == times[:-1])
    if (times[1:] < times[:-1]).any() or pd.isna(times).any():
        return False
    ids = claims["claim_id"].to_numpy(object)
    return bool(all(ids[i] <= ids[i + 1] for i in ties.tolist()))


def _strings(values: pd.Series) -> list[Any]:
    """Column values as Python objects at once (iterating Arrow strings one by one is
    what made large neighbourhoods slow)."""
    return values.astype(object).tolist()


def _cents(values: np.ndarray) -> list[float]:
    """``round(v, 2)`` of each value, as Python floats, without a call per value (Python's
    ``round`` formats each float as decimal digits: 6 ms for a large graph's 11,000 edges).
    Equal to ``round`` everywhere: ``rint(v * 100) / 100`` picks the same whole number of
    cents except where ``v * 100`` lies within rounding error of a half cent, and those few
    values (and any too large for cents to be exact) are rounded by ``round`` itself."""
    values = np.asarray(values, dtype=float)
    scaled = values * 100
    with np.errstate(invalid="ignore"):
        doubtful = (np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) < 1e-6) | (
            np.abs(scaled) >= 2.0**50
        )
    rounded = (np.rint(scaled) / 100).tolist()
    for i in np.flatnonzero(doubtful).tolist():
        rounded[i] = round(float(values[i]), 2)
    return rounded


def _edges(
    codes: LinkCodes, days: np.ndarray, amounts: np.ndarray, node_ids: np.ndarray
) -> list[dict[str, Any]]:
    """One edge per (entity, entity, relation) with its claims, money and sorted days;
    ``days`` and ``amounts`` are per claim, ``node_ids`` per entity number. Every field is
    a column made by numpy first, so the loop only puts them together."""
    keep = (codes.a >= 0) & (codes.b >= 0)
    if not keep.any():  # no link has both ends: nothing to group
        return []
    a, b, relation, row = codes.a[keep], codes.b[keep], codes.relation[keep], codes.row[keep]
    key = (a * len(node_ids) + b) * len(LINKED) + relation
    group = np.unique(key, return_inverse=True)[1].reshape(-1)
    order = np.lexsort((days[row], group))
    firsts = np.concatenate([[0], np.flatnonzero(np.diff(group[order])) + 1]).astype(np.int64)
    bounds = np.concatenate([firsts, [len(order)]])
    heads = order[firsts]
    day_list = days[row[order]].tolist()
    return [
        {
            "source": source,
            "target": target,
            "relation": rel,
            "claims": count,
            "amount": money,
            "days": day_list[lo:hi],
        }
        for source, target, rel, count, money, lo, hi in zip(
            node_ids[a[heads]].tolist(),
            node_ids[b[heads]].tolist(),
            RELATION_NAMES[relation[heads]].tolist(),
            np.diff(bounds).tolist(),
            _cents(np.add.reduceat(amounts[row[order]], firsts)),
            bounds[:-1].tolist(),
            bounds[1:].tolist(),
            strict=True,
        )
    ]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector held off while a graph's tens of thousands of dicts and
    lists are made: each few hundred new containers start a collection, and as they pile
    up into the oldest generation they start full ones over the server's whole heap (a
    fifth to a third of building a 5,000-claim graph). A graph's objects hold no cycles;
    what pandas may leave is collected once the collector runs again. Requests take turns
    (``Deployment.books``), so no other request's pause overlaps this one."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def graph_json(
    claims: pd.DataFrame,
    exposure: Exposure,
    roles: Mapping[tuple[str, str], str] | None = None,
    memberships: Mapping[tuple[str, str], list[str]] | None = None,
    items: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Claims -> nodes (kind, label, claims, money, period, role, cases), edges (relation,
    claims, money, and the day of each claim so the time bar can brush them), the day of
    every claim, and the first evidence rows in the exports' display form. Aggregated on
    integer codes (``link_codes``), one Python object per node and per edge: a 5,000-claim
    neighbourhood is thousands of each."""
    with _collector_paused():
        return _graph_json(claims, exposure, roles or {}, memberships or {}, items)


def _graph_json(
    claims: pd.DataFrame,
    exposure: Exposure,
    roles: Mapping[tuple[str, str], str],
    memberships: Mapping[tuple[str, str], list[str]],
    items: pd.DataFrame | None,
) -> dict[str, Any]:
    if claims.empty:
        return {"nodes": [], "edges": [], "rows": [], "columns": [], "claims": 0, "items": []}
    if not _in_time_order(claims):  # the store's reads come in this order already
        claims = claims.sort_values(["start_time", "claim_id"], kind="mergesort")
    claims = claims.assign(total_amount=claims["total_amount"].astype(float))
    codes = link_codes(claims, provider_kinds(claims, roles))
    days = _day(claims["start_time"]).to_numpy()
    stats = entity_stats(codes, claims)
    named = claims[["provider_id", "provider_name"]] if "provider_name" in claims else claims[:0]
    named = named.dropna(subset=["provider_name"]).drop_duplicates("provider_id", keep="last")
    names = dict(zip(_strings(named["provider_id"]), _strings(named["provider_name"]), strict=True))
    kinds, idents = _strings(codes.entities["kind"]), _strings(codes.entities["id"])
    pairs = zip(kinds, idents, strict=True)
    node_of = dict(zip(pairs, exposure.node_ids(kinds, idents), strict=True))
    nodes = []
    for (kind, ident), count, money, first, last in zip(
        stats.index.tolist(), stats["claims"].tolist(), _cents(stats["amount"].to_numpy()),
        _day(stats["first"]).tolist(), _day(stats["last"]).tolist(), strict=True,
    ):  # fmt: skip
        node = {
            "id": node_of[(kind, ident)],
            "kind": kind,
            "label": exposure.label(kind, ident),
            "claims": count,
            "amount": money,
            "first": first,
            "last": last,
            "role": roles.get((kind, ident)),
            "cases": memberships.get((kind, ident), []),
        }
        if kind in ("institution", "pharmacy") and ident in names:
            node["name"] = names[ident]
        nodes.append(node)
    node_ids = np.asarray(list(node_of.values()), dtype=object)
    return {
        "nodes": nodes,
        "edges": _edges(codes, days, claims["total_amount"].to_numpy(), node_ids),
        "columns": [[c, zh, en] for c, zh, en, _ in SHOWN_COLUMNS],
        "rows": evidence_rows(claims.head(ROWS_SHOWN), exposure),
        "claim_days": dict(zip(_strings(claims["claim_id"]), days.tolist(), strict=True)),
        "claims": len(claims),
        "items": [] if items is None else [
            {k: _num(v) for k, v in r.items()} for r in items.to_dict("records")],
        "kinds": {k: list(v) for k, v in NODE_KINDS.items()},
        "relations": {k: list(v[:2]) for k, v in RELATIONS.items()},
    }  # fmt: skip


def evidence_rows(claims: pd.DataFrame, exposure: Exposure) -> list[list[str]]:
    """Claims as the evidence table's rows (``SHOWN_COLUMNS``), in time order, in the
    exports' display form for this user."""
    frame = evidence_frame(claims, exposure.view)
    return frame[[c for c, *_ in SHOWN_COLUMNS]].to_numpy().tolist()
