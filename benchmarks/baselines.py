"""Two baselines, done the way others usually do it, scored like graphscan in
benchmarks/quality.py:

- Louvain on the person co-visit graph (the usual graph-database demo): persons linked
  when they used the same provider on the same day (weight: such days; provider-days with
  more than ``MAX_CROWD`` people are skipped, or the graph does not fit), Louvain
  communities of 3 or more persons, ranked by internal edge weight per person.
- FRAUDAR (Hooi et al., KDD 2016) on card x (provider, day): greedy peeling of the densest
  block with column weights 1/log(degree + 5), ``BLOCKS`` blocks one after the other
  (each found block's edges removed), ranked by density.

Neither knows patterns, so each case is labelled by the claim kind that dominates it
(pharmacy -> card_lending, inpatient -> group_hospitalisation, outpatient -> kickback) and
lists its persons, their cards and its main provider.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

import igraph as ig
import numpy as np
import pandas as pd
from scipy import sparse

from graphscan.workspace import Workspace

MAX_CROWD = 50
BLOCKS = 20
KIND_PATTERN = {
    "pharmacy": "card_lending",
    "inpatient": "group_hospitalisation",
    "outpatient": "kickback",
}
COLUMNS = ["case_id", "rank", "score", "pattern", "role", "member_kind", "member_id"]


def _visits(ws: Workspace) -> pd.DataFrame:
    return (
        ws.db()
        .execute(
            "SELECT DISTINCT person_id, coalesce(card_id, person_id) AS card_id, provider_id, "
            "kind, CAST(start_time AS DATE) AS day FROM claims"
        )
        .df()
    )


def _case_rows(case_id: str, score: float, visits: pd.DataFrame, persons: set[str]) -> list[tuple]:
    mine = visits[visits["person_id"].isin(persons)]
    kind = mine["kind"].mode().iloc[0]
    provider = mine["provider_id"].mode().iloc[0]
    provider_kind = "pharmacy" if kind == "pharmacy" else "institution"
    pattern = KIND_PATTERN[kind]
    rows = [(case_id, score, pattern, provider_kind, provider_kind, provider)]
    rows += [(case_id, score, pattern, "recruit", "person", p) for p in sorted(persons)]
    rows += [
        (case_id, score, pattern, "card_holder", "card", c) for c in sorted(set(mine["card_id"]))
    ]
    return rows


def _ranked(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "rank"])
    order = (
        frame.drop_duplicates("case_id")
        .sort_values(["score", "case_id"], ascending=[False, True])["case_id"]
        .tolist()
    )
    frame["rank"] = frame["case_id"].map({c: i + 1 for i, c in enumerate(order)})
    return frame.sort_values(["rank", "member_kind", "member_id"])[COLUMNS]


def louvain(ws: Workspace) -> pd.DataFrame:
    edges = (
        ws.db()
        .execute(
            f"""WITH v AS (SELECT DISTINCT person_id, provider_id, CAST(start_time AS DATE) AS day
                      FROM claims),
                 crowd AS (SELECT provider_id, day FROM v GROUP BY ALL
                           HAVING count(*) <= {MAX_CROWD})
            SELECT a.person_id AS s, b.person_id AS t, count(*) AS w
            FROM v a JOIN v b USING (provider_id, day) SEMI JOIN crowd USING (provider_id, day)
            WHERE a.person_id < b.person_id GROUP BY ALL"""
        )
        .df()
    )
    names, codes = np.unique(np.concatenate([edges["s"], edges["t"]]), return_inverse=True)
    graph = ig.Graph(n=len(names), edges=codes.reshape(2, -1).T.tolist())
    graph.es["weight"] = edges["w"].astype(float).tolist()
    parts = graph.community_multilevel(weights="weight")
    visits = _visits(ws)
    rows: list[tuple] = []
    for k, community in enumerate(parts):
        if len(community) < 3:
            continue
        weight = sum(graph.subgraph(community).es["weight"]) / len(community)
        rows += _case_rows(f"LV-{k}", weight, visits, {names[i] for i in community})
    return _ranked(rows)


def _peel(matrix: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray, float]:
    """FRAUDAR's greedy peeling: remove the node whose removal loses the least weight,
    remember the prefix with the best density f(S)/|S|."""
    rows_n, cols_n = matrix.shape
    csr, csc = matrix.tocsr(), matrix.tocsc()
    priority = np.concatenate([np.asarray(csr.sum(1)).ravel(), np.asarray(csc.sum(0)).ravel()])
    alive = np.ones(rows_n + cols_n, dtype=bool)
    total, size = float(matrix.sum()), rows_n + cols_n
    best, best_at = total / size, 0
    heap = [(priority[i], i) for i in range(rows_n + cols_n)]
    heapq.heapify(heap)
    order = []
    while heap:
        value, node = heapq.heappop(heap)
        if not alive[node] or value != priority[node]:
            continue
        alive[node] = False
        order.append(node)
        total -= value
        size -= 1
        if node < rows_n:
            start, end = csr.indptr[node], csr.indptr[node + 1]
            others, weights = csr.indices[start:end] + rows_n, csr.data[start:end]
        else:
            col = node - rows_n
            start, end = csc.indptr[col], csc.indptr[col + 1]
            others, weights = csc.indices[start:end], csc.data[start:end]
        for other, weight in zip(others, weights, strict=True):
            if alive[other]:
                priority[other] -= weight
                heapq.heappush(heap, (priority[other], other))
        if size and total / size > best:
            best, best_at = total / size, len(order)
    kept = np.ones(rows_n + cols_n, dtype=bool)
    kept[order[:best_at]] = False
    return np.flatnonzero(kept[:rows_n]), np.flatnonzero(kept[rows_n:]), best


def fraudar(ws: Workspace) -> pd.DataFrame:
    visits = _visits(ws)
    cards, card_codes = np.unique(visits["card_id"], return_inverse=True)
    cols = visits["provider_id"] + "|" + visits["day"].astype(str)
    col_names, col_codes = np.unique(cols, return_inverse=True)
    degree = np.bincount(col_codes)
    weight = 1.0 / np.log(degree[col_codes] + 5)
    matrix = sparse.csr_matrix(
        (weight, (card_codes, col_codes)), shape=(len(cards), len(col_names))
    )
    holder = visits.drop_duplicates("card_id").set_index("card_id")["person_id"]
    rows: list[tuple] = []
    for k in range(BLOCKS):
        block_rows, block_cols, density = _peel(matrix)
        if len(block_rows) < 2 or not len(block_cols):
            break
        persons = set(holder.loc[cards[block_rows]])
        in_block = visits[cols.isin(col_names[block_cols])]
        rows += _case_rows(f"FD-{k}", density, in_block, persons)
        matrix = matrix.tolil()
        for r in block_rows:
            matrix[r, block_cols] = 0
        matrix = matrix.tocsr()
        matrix.eliminate_zeros()
    return _ranked(rows)


BASELINES: dict[str, Callable[[Workspace], pd.DataFrame]] = {
    "louvain": louvain,
    "fraudar": fraudar,
}
