"""Stores: the embedded DuckDB file (default) and Neo4j."""

from __future__ import annotations

from graphscan.store.base import Store, StoreError
from graphscan.workspace import Workspace

__all__ = ["Store", "StoreError", "open_store"]


def open_store(uri: str | None, workspace: Workspace) -> Store:
    """``None`` or ``embedded`` opens the workspace's DuckDB file; ``neo4j://``,
    ``bolt://`` (and their +s variants) open a Neo4j server."""
    if uri in (None, "", "embedded"):
        from graphscan.store.embedded import EmbeddedStore

        return EmbeddedStore(workspace)
    if uri.split("://", 1)[0] in {"neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"}:
        from graphscan.store.neo4j import Neo4jStore

        return Neo4jStore.connect(uri, workspace)
    raise StoreError(f"unknown store {uri!r}: use 'embedded' or a neo4j:// or bolt:// URI")
