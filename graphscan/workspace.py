"""A workspace is the folder an investigator works in: the embedded store, quarantine
files, cases and exports. Keys never live here (see graphscan.pseudonym)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

DEFAULT_WORKSPACE = "graphscan-workspace"
#: Seconds to wait for a DuckDB file another process holds for a moment (the workbench
#: opens it per request), before the lock error is raised.
LOCK_WAIT_S = 20.0


@dataclass
class Workspace:
    root: Path
    _db: duckdb.DuckDBPyConnection | None = field(default=None, repr=False)

    @classmethod
    def open(cls, root: str | os.PathLike[str] | None = None) -> Workspace:
        path = Path(root or os.environ.get("GRAPHSCAN_WORKSPACE", DEFAULT_WORKSPACE))
        path.mkdir(parents=True, exist_ok=True)
        return cls(path.resolve())

    @property
    def db_path(self) -> Path:
        return self.root / "graphscan.duckdb"

    @property
    def quarantine_dir(self) -> Path:
        path = self.root / "quarantine"
        path.mkdir(exist_ok=True)
        return path

    @property
    def exports_dir(self) -> Path:
        path = self.root / "exports"
        path.mkdir(exist_ok=True)
        return path

    def db(self) -> duckdb.DuckDBPyConnection:
        """One connection per process: DuckDB allows a single writer per file."""
        if self._db is None:
            deadline = time.monotonic() + LOCK_WAIT_S
            while True:
                try:
                    self._db = duckdb.connect(str(self.db_path))
                    break
                except duckdb.IOException as exc:
                    if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
