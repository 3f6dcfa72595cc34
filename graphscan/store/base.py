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

import pandas as pd
import pyarrow as pa

from graphscan.progress import Progress
from graphscan.store.communities import leiden_igraph

#: Rows handed to the writing methods: an Arrow table, a stream of Arrow record batches
#: (what the loaders pass, so a file of millions of rows is never held twice), or pandas.
Rows = pa.Table | pa.RecordBatchReader | pd.DataFrame


def as_pandas(rows: Rows) -> pd.DataFrame:
    """Any Rows as pandas, for stores that send rows elsewhere batch by batch."""
    if isinstance(rows, pd.DataFrame):
        return rows
    return (rows.read_all() if isinstance(rows, pa.RecordBatchReader) else rows).to_pandas()


class Store(ABC):
    #: "embedded" or "neo4j"
    engine: str

    # -- writing: used by graphscan.loaders -------------------------------------------
    @abstractmethod
    def known_rows(self, table: str, keys: pa.Table | pd.DataFrame) -> pa.RecordBatchReader:
        """Stored ``key columns + row_hash`` for the given keys: tells an exact re-load
        (skip) from a conflicting one (quarantine). ``reversals`` are keyed by row_hash.
        A stream, so that a re-load of millions of rows is never held in memory at once:
        read it before using the store again."""

    @abstractmethod
    def upsert(
        self, table: str, frame: Rows, progress: Progress | None = None, fresh: bool = False
    ) -> int:
        """Write canonical rows (plus lineage and ``row_hash``); existing keys are left
        alone, so loading the same file twice changes nothing. Returns rows written.
        ``progress`` hears of a write that goes in many batches (a server's). ``fresh``:
        the caller has just found none of the keys stored (``known_rows``) and none
        repeated among the rows, so the store may skip its own look-up of the stored keys
        (a second pass over every stored key of the table); a store whose batches may be
        retried after a partial write keeps its own check."""

    @abstractmethod
    def apply_reversals(self, frame: Rows) -> int:
        """Record reversal rows (冲销: ``reversal_id``, the reversed ``claim_id``, negative
        amounts, lineage, ``row_hash``) and net them into the stored claim's amounts; a
        reversal already recorded (same ``row_hash``) is skipped. Returns rows applied."""

    @abstractmethod
    def record_id_facts(self, rows: pa.Table) -> None:
        """Record ``person_id`` (pseudonym), ``sex`` and ``birth_date`` read from persons'
        resident ID numbers (graphscan.loaders.resident_id), apart from the persons table:
        they are rows of no file, so the load reconciliation never counts them. A person
        already recorded keeps the first facts (an ID number is one person's)."""

    @abstractmethod
    def record_load(self, record: Mapping[str, Any]) -> None:
        """Append one line to the load history shown by ``graphscan status``."""

    def claim_case_book(self, home: Mapping[str, str]) -> None:
        """Record the workbench (``url``, ``host``, ``workspace``) that keeps the case
        book of a shared store's data. A store inside its workspace needs no record: the
        workspace that holds the data holds the book."""
        return None

    def case_book_home(self) -> dict[str, str] | None:
        """The workbench that claimed this store's case book; None when none did (or the
        store lives inside its workspace)."""
        return None

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
