"""Leiden communities on a projection's weighted edge list (``source, target, weight``):
inside Neo4j with Graph Data Science when the server has it, else in python-igraph.

Both run seeded, so a rerun on the same edges gives the same partition. The two
libraries are different implementations: on the same edges they find partitions of
similar quality but not always identical labels, which is why detection compares rings
by members, not by community numbers.
"""

from __future__ import annotations

import random
import uuid
from typing import TYPE_CHECKING

import igraph as ig
import pandas as pd

if TYPE_CHECKING:
    from graphscan.store.neo4j import Neo4jStore

COLUMNS = ["node", "community"]


def _indexed(edges: pd.DataFrame) -> tuple[list[str], pd.DataFrame]:
    names = sorted(set(edges["source"]).union(edges["target"]))
    index = {name: i for i, name in enumerate(names)}
    coded = pd.DataFrame(
        {
            "s": edges["source"].map(index),
            "t": edges["target"].map(index),
            "w": edges["weight"].astype(float),
        }
    )
    return names, coded


def leiden_igraph(edges: pd.DataFrame, seed: int = 1, resolution: float = 1.0) -> pd.DataFrame:
    names, coded = _indexed(edges)
    graph = ig.Graph(n=len(names), edges=list(zip(coded["s"], coded["t"], strict=True)))
    random.seed(seed)
    ig.set_random_number_generator(random)
    parts = graph.community_leiden(
        objective_function="modularity",
        weights=coded["w"].tolist(),
        resolution=resolution,
        n_iterations=-1,
    )
    return pd.DataFrame({"node": names, "community": parts.membership}, columns=COLUMNS)


def leiden_gds(
    store: Neo4jStore, edges: pd.DataFrame, seed: int = 1, resolution: float = 1.0
) -> pd.DataFrame:
    names, coded = _indexed(edges)
    graph = f"graphscan-{uuid.uuid4().hex[:12]}"
    try:
        store.run_write("gds_project_edges", {"graph": graph, "edges": coded.to_dict("records")})
        rows = store.run_read(
            "gds_leiden_stream", {"graph": graph, "seed": seed, "resolution": resolution}
        )
    finally:
        store.run_write("gds_drop_graph", {"graph": graph})
    return pd.DataFrame(
        {"node": [names[r["node"]] for r in rows], "community": [r["community"] for r in rows]},
        columns=COLUMNS,
    )
