"""Leiden communities on a projection's weighted edge list (``source, target, weight``)
in python-igraph: what every store runs unless it has a graph library beside its data
(Neo4j with Graph Data Science: ``graphscan.store.neo4j.leiden_gds``).

Both run seeded, so a rerun on the same edges gives the same partition. The two
libraries are different implementations: on the same edges they find partitions of
similar quality but not always identical labels, which is why detection compares rings
by members, not by community numbers.
"""

from __future__ import annotations

import random

import igraph as ig
import pandas as pd

COLUMNS = ["node", "community"]


def indexed_edges(edges: pd.DataFrame) -> tuple[list[str], pd.DataFrame]:
    """Sorted node names and the edges as positions among them (``s, t, w``): what igraph
    and GDS both take, in an order that does not depend on the edge list's."""
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
    names, coded = indexed_edges(edges)
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
