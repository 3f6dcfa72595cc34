"""Stores: the embedded DuckDB file (default) and Neo4j. ``open_store`` is where a store
is chosen and its connection settings are resolved, so the stores themselves take plain
settings and know nothing of workspaces' servers or the environment."""

from __future__ import annotations

import os

from graphscan.errors import StoreError
from graphscan.store.base import Store
from graphscan.workspace import Workspace

__all__ = ["Store", "open_store"]

NEO4J_SCHEMES = {"neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"}


def open_store(uri: str | None, workspace: Workspace) -> Store:
    """``None`` or ``embedded`` opens the workspace's DuckDB file (through its one
    connection, which holds the workspace's lock); ``neo4j://``,
    ``bolt://`` (and their +s variants) open a Neo4j server, each query capped by
    GRAPHSCAN_NEO4J_TIMEOUT seconds (default 600)."""
    if uri in (None, "", "embedded"):
        from graphscan.store.embedded import EmbeddedStore

        return EmbeddedStore(workspace.db(), workspace.spill_dir)
    if uri.split("://", 1)[0] in NEO4J_SCHEMES:
        from graphscan.store.neo4j import Neo4jStore

        user, password = neo4j_credentials(workspace)
        timeout_s = float(os.environ.get("GRAPHSCAN_NEO4J_TIMEOUT", "600"))
        return Neo4jStore.connect(uri, user, password, timeout_s=timeout_s)
    raise StoreError(f"unknown store {uri!r}: use 'embedded' or a neo4j:// or bolt:// URI")


def neo4j_credentials(workspace: Workspace) -> tuple[str, str]:
    """User and password from NEO4J_USER / NEO4J_PASSWORD, else from the workspace's local
    server (``graphscan neo4j start``)."""
    from graphscan.neo4jserver.server import LocalServer

    user, password = os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD")
    if password is not None:
        return user, password
    local = LocalServer(workspace.root)
    if local.credentials_file.exists():
        saved = local.credentials()
        return saved.user, saved.password
    raise StoreError(
        "no Neo4j password: set NEO4J_USER and NEO4J_PASSWORD, or start a local server "
        'with `graphscan neo4j start` and run eval "$(graphscan neo4j env)"'
    )
