"""The one store interface. Loaders write canonical frames through it; detectors read
named projections from it; evidence and exploration read claims from it.

A projection has one name and one output shape in both engines: the embedded store runs
``graphscan/sql/<name>.sql`` in DuckDB, Neo4j runs ``cypher/<name>.cypher``. Everything
downstream of a projection (communities, motifs, scoring, cases) is shared Python, which
is why both engines find the same rings.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from graphscan.store.communities import leiden_igraph

#: Rows handed to or returned by the writing methods: pandas, Arrow, or a relation of the
#: store's ``staging()`` connection (what the loaders pass).
Frame = pd.DataFrame | pa.Table | duckdb.DuckDBPyRelation


def as_pandas(frame: Frame) -> pd.DataFrame:
    """Any Frame as pandas, for stores that send rows elsewhere row by row."""
    if isinstance(frame, pd.DataFrame):
        return frame
    return (frame if isinstance(frame, pa.Table) else frame.to_arrow_table()).to_pandas()


class StoreError(RuntimeError):
    """A store problem worth one clear line to the user (no stack trace)."""


class Store(ABC):
    #: "embedded" or "neo4j"
    engine: str

    # -- writing: used by graphscan.loaders -------------------------------------------
    def staging(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection loaders stage a file in; the Frames they pass are its
        relations. A private in-memory database unless the store lives in DuckDB itself."""
        return duckdb.connect()

    @abstractmethod
    def known_rows(self, table: str, keys: Frame) -> Frame:
        """Stored ``key columns + row_hash`` for the given keys: tells an exact re-load
        (skip) from a conflicting one (quarantine). ``reversals`` are keyed by row_hash."""

    @abstractmethod
    def upsert(self, table: str, frame: Frame) -> int:
        """Write canonical rows (plus lineage and ``row_hash``); existing keys are left
        alone, so loading the same file twice changes nothing. Returns rows written."""

    def apply_reversals(self, frame: Frame) -> int:
        """Record reversal rows (冲销: ``reversal_id``, the reversed ``claim_id``, negative
        amounts, lineage, ``row_hash``) and net them into the stored claim's amounts; a
        reversal already recorded (same ``row_hash``) is skipped. Returns rows applied."""
        raise StoreError(f"the {self.engine} store cannot net reversals (冲销) yet")

    @abstractmethod
    def record_load(self, record: Mapping[str, Any]) -> None:
        """Append one line to the load history shown by ``graphscan status``."""

    # -- reading ---------------------------------------------------------------------
    @abstractmethod
    def status(self) -> dict[str, Any]:
        """Counts per table and claim kind, date range, last loads."""

    @abstractmethod
    def projection(self, name: str, **params: Any) -> pd.DataFrame:
        """Run the named projection with parameters; same columns in every engine."""

    @abstractmethod
    def claims(self, claim_ids: Iterable[str]) -> pd.DataFrame:
        """Canonical claim rows with lineage (source file and row, load, and the file's
        SHA-256 recorded at load) and the provider's name, for evidence that can be traced
        to the extract and read by someone who does not know the provider codes."""

    @abstractmethod
    def neighbourhood(
        self,
        entity_id: str,
        hops: int = 2,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> pd.DataFrame:
        """Claims reachable from an entity (person, card, doctor, provider, operator)
        within ``hops`` claim-steps."""

    def communities(
        self, edges: pd.DataFrame, seed: int = 1, resolution: float = 1.0
    ) -> pd.DataFrame:
        """Seeded Leiden ``node, community`` on a ``source, target, weight`` edge list.
        Engines with a graph library beside the data (Neo4j with GDS) run it there."""
        return leiden_igraph(edges, seed, resolution)

    def limit_memory(self, budget: int) -> None:  # noqa: B027 - the server sizes itself
        """Keep the engine's own working memory within ``budget`` bytes, spilling to disk
        past it. A Neo4j server's heap and page cache are set in its own configuration."""

    def close(self) -> None:  # noqa: B027 - optional for stores without resources
        """Release connections."""
