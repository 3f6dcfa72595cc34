"""A workspace's embedded store, opened the one way the CLI and the API open it
(``open_store``), typed as what the tests read from it (its DuckDB connection)."""

from __future__ import annotations

from graphscan.store import open_store
from graphscan.store.embedded import EmbeddedStore
from graphscan.workspace import Workspace


def embedded_store(workspace: Workspace) -> EmbeddedStore:
    store = open_store(None, workspace)
    assert isinstance(store, EmbeddedStore)
    return store
