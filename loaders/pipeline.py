"""The load pipeline: source file → canonical text columns → pseudonyms → typed rows with
problems → duplicates and conflicts against the store → store.upsert, batch by batch.

Only the Store interface touches the store, so the embedded and the Neo4j store get the
same rows. Every row read ends in exactly one of: loaded, reversal netted, exact
duplicate skipped, quarantined (with a reason, in a CSV beside the store).
"""

from __future__ import annotations

import csv
import hashlib
import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import duckdb
import pandas as pd
import pyarrow as pa

from graphscan.i18n import t
from graphscan.loaders.headers import ColumnMap, map_headers
from graphscan.loaders.parse import parse_sql
from graphscan.loaders.report import FileReport, LoadReport, reason_text
from graphscan.loaders.sources import SOURCE_ROW, Batch, Source, open_source
from graphscan.pseudonym import Pseudonymiser
from graphscan.schema import PERSONAL_COLUMNS, TABLES
from graphscan.store.base import Store
from graphscan.workspace import Workspace

log = logging.getLogger("graphscan.loaders")

#: Entity files first, then claims, then their items (which must find their claim).
LOAD_ORDER = ("persons", "providers", "doctors", "claims", "claim_items")
AMOUNTS = ("total_amount", "fund_amount", "account_amount", "cash_amount")
_LINEAGE = "$source_file AS source_file, source_row, $load_id AS load_id"


@dataclass
class Options:
    mapping: dict[str, str | None] = field(default_factory=dict)
    encoding: str | None = None
    table: str | None = None
    progress: bool = True


def _file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _chunked(table: pa.Table, rows: int = 1 << 16) -> pa.Table:
    """The same rows in small chunks: DuckDB scans an Arrow table one chunk per thread."""
    return pa.Table.from_batches(table.to_batches(max_chunksize=rows), table.schema)


def _lineage_params(report: FileReport) -> dict[str, str]:
    return {"source_file": report.file, "load_id": report.load_id}


class Quarantine:
    """The CSV of rows that were not loaded: source row, reason code and text, and the
    mapped source columns (personal ones already pseudonymised; other columns are left
    out, since they may hold names or ids nobody mapped)."""

    def __init__(self, path: Path, columns: ColumnMap) -> None:
        self.path = path
        self.columns = columns
        self._writer: Any = None
        self._handle: Any = None

    def _open(self) -> Any:
        if self._writer is None:
            self._handle = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._handle)
            headers = [self.columns.headers[p] for p in self.columns.sources.values()]
            self._writer.writerow(["source_row", "reason_code", "reason", *headers])
        return self._writer

    def broken(self, rows: list[tuple[int, int]]) -> None:
        for row, fields in rows:
            self._open().writerow([row, "broken_row", reason_text("broken_row", str(fields))])

    def rows(self, table: pa.Table) -> None:
        """``table``: source_row, problem, problem_column and the canonical text columns."""
        if table.num_rows == 0:
            return
        writer = self._open()
        names = list(self.columns.sources)
        headers = self.columns.headers
        for row in table.sort_by(SOURCE_ROW).to_pylist():
            column = row["problem_column"]
            position = self.columns.sources.get(column)
            shown = column if position is None else headers[position]
            reason = reason_text(row["problem"], shown)
            writer.writerow([row[SOURCE_ROW], row["problem"], reason, *(row[n] for n in names)])

    def close(self) -> str | None:
        if self._handle is None:
            return None
        self._handle.close()
        return str(self.path)


class Loader:
    def __init__(
        self, store: Store, workspace: Workspace, pseudonymiser: Pseudonymiser, options: Options
    ) -> None:
        self.store = store
        self.workspace = workspace
        self.pseudonymiser = pseudonymiser
        self.options = options
        self.db = duckdb.connect(config={"preserve_insertion_order": False})

    def load(self, paths: list[Path]) -> LoadReport:
        report = LoadReport()
        planned: list[tuple[Source, ColumnMap]] = []
        for path in paths:
            try:
                source = open_source(path, self.options.encoding)
                planned.append(
                    (source, map_headers(source.headers, self.options.mapping, self.options.table))
                )
            except (ValueError, OSError) as exc:
                report.files.append(FileReport(path.name, error=str(exc)))
        planned.sort(key=lambda item: LOAD_ORDER.index(item[1].table))
        for source, columns in planned:
            try:
                report.files.append(self._load_file(source, columns))
            except ValueError as exc:
                report.files.append(FileReport(source.path.name, columns.table, error=str(exc)))
        return report

    # -- one file --------------------------------------------------------------------------
    def _load_file(self, source: Source, columns: ColumnMap) -> FileReport:
        started = datetime.now(UTC)
        digest: dict[str, str] = {}
        hasher = threading.Thread(
            target=lambda: digest.update(sha=_file_sha256(source.path)), daemon=True
        )
        hasher.start()
        table = columns.table
        report = FileReport(
            source.path.name,
            table,
            f"{started:%Y%m%d%H%M%S}-{hashlib.sha256(str(source.path).encode()).hexdigest()[:6]}",
            source.encoding,
            ignored_columns=columns.ignored,
        )
        quarantine = Quarantine(
            self.workspace.quarantine_dir / f"{report.load_id}-{source.path.stem}.csv", columns
        )
        sql = parse_sql(table, set(columns.sources))
        reversals: list[tuple[pa.Table, pa.Table]] = []
        try:
            with self._progress(source) as advance:
                for batch in source.batches(lambda raw: self._canonical(raw, columns)):
                    report.rows_read += batch.table.num_rows + len(batch.broken)
                    if batch.broken:
                        report.quarantined["broken_row"] += len(batch.broken)
                        quarantine.broken(batch.broken)
                    self._load_batch(batch, columns, sql, report, quarantine, reversals)
                    advance(batch.progress)
            if reversals:
                typed, text = (pa.concat_tables(part) for part in zip(*reversals, strict=True))
                self._net_reversals(typed, text, report, quarantine)
        finally:
            report.quarantine_file = quarantine.close()
        hasher.join()
        self.store.record_load(
            {
                "load_id": report.load_id,
                "source_file": report.file,
                "file_sha256": digest.get("sha"),
                "started_at": started.replace(tzinfo=None),
                "finished_at": datetime.now(UTC).replace(tzinfo=None),
                "report": {**report.as_record(), "key": self.pseudonymiser.fingerprint()},
            }
        )
        log.info(
            "loaded %s as %s: read %d, loaded %d, reversals %d, duplicates %d, quarantined %d",
            report.file,
            table,
            report.rows_read,
            report.loaded,
            report.reversals,
            report.duplicates,
            report.quarantined_total,
        )
        return report

    @contextmanager
    def _progress(self, source: Source) -> Iterator[Any]:
        with click.progressbar(
            length=max(source.size, 1),
            label=source.path.name,
            file=sys.stderr,
            hidden=not self.options.progress,
        ) as bar:
            done = 0

            def advance(position: int) -> None:
                nonlocal done
                bar.update(max(position - done, 0))
                done = max(done, position)

            yield advance

    def _canonical(self, batch: Batch, columns: ColumnMap) -> Batch:
        """Source columns renamed to canonical names, personal ones pseudonymised (runs on
        the reading thread, the only one that uses the pseudonymiser during a load)."""
        if batch.table.num_rows == 0:
            return batch
        arrays, names = [batch.table.column(SOURCE_ROW)], [SOURCE_ROW]
        for canonical, position in columns.sources.items():
            values = batch.table.column(f"c{position}")
            if canonical in PERSONAL_COLUMNS:
                values = self.pseudonymiser.pseudonymise_array(values)
            arrays.append(values)
            names.append(canonical)
        return Batch(_chunked(pa.table(arrays, names=names)), batch.broken, batch.progress)

    def _load_batch(
        self,
        batch: Batch,
        columns: ColumnMap,
        sql: str,
        report: FileReport,
        quarantine: Quarantine,
        reversals: list[tuple[pa.Table, pa.Table]],
    ) -> None:
        if batch.table.num_rows == 0:
            return
        table = columns.table
        spec = TABLES[table]
        key = ", ".join(spec.key)
        db = self.db
        db.register("raw", batch.table)
        db.execute(f"CREATE OR REPLACE TEMP TABLE parsed AS {sql}")
        db.execute(
            "CREATE OR REPLACE TEMP TABLE verdict AS SELECT source_row, problem, problem_column "
            "FROM parsed WHERE problem IS NOT NULL"
        )
        good = "problem IS NULL"
        if table == "claims":
            good += " AND NOT reversal"
            chosen = (
                "source_row IN (SELECT source_row FROM parsed WHERE problem IS NULL AND reversal)"
            )
            typed = db.sql(
                "SELECT * FROM parsed WHERE problem IS NULL AND reversal"
            ).to_arrow_table()
            if typed.num_rows:
                text = db.sql(f"SELECT * FROM raw WHERE {chosen}").to_arrow_table()
                reversals.append((typed, text))
        # within the batch: the first row of a key stands for the later ones
        on = " AND ".join(f"p.{k} = d.{k}" for k in spec.key)
        db.execute(
            f"CREATE OR REPLACE TEMP TABLE dupes AS SELECT {key}, min(source_row) AS first_row, "
            f"arg_min(row_hash, source_row) AS first_hash FROM parsed WHERE {good} "
            f"GROUP BY {key} HAVING count(*) > 1"
        )
        later = f"FROM parsed p JOIN dupes d ON {on} WHERE p.source_row <> d.first_row"
        conflict_column = spec.key[-1]
        report.duplicates += db.execute(
            f"SELECT count(*) {later} AND p.row_hash = d.first_hash"
        ).fetchall()[0][0]
        db.execute(
            f"INSERT INTO verdict SELECT p.source_row, 'duplicate_conflict', '{conflict_column}' "
            f"{later} AND p.row_hash <> d.first_hash"
        )
        db.execute(
            f"CREATE OR REPLACE TEMP VIEW firsts AS SELECT * FROM parsed p WHERE {good} AND NOT "
            f"EXISTS (SELECT 1 FROM dupes d WHERE {on} AND p.source_row <> d.first_row)"
        )
        # against the store: the same key stored with the same hash is a re-load
        keys = db.sql(f"SELECT {key} FROM parsed WHERE {good}").to_arrow_table()
        known = self.store.known_rows(table, keys.to_pandas(types_mapper=pd.ArrowDtype))
        db.register("known", known)
        join = " AND ".join(f"f.{k} = k.{k}" for k in spec.key)
        report.duplicates += db.execute(
            f"SELECT count(*) FROM firsts f JOIN known k ON {join} "
            "WHERE k.row_hash IS NULL OR k.row_hash = f.row_hash"
        ).fetchall()[0][0]
        db.execute(
            f"INSERT INTO verdict SELECT f.source_row, 'duplicate_conflict', '{conflict_column}' "
            f"FROM firsts f JOIN known k ON {join} WHERE k.row_hash <> f.row_hash"
        )
        db.execute(
            "CREATE OR REPLACE TEMP VIEW fresh AS SELECT * FROM firsts f "
            f"WHERE NOT EXISTS (SELECT 1 FROM known k WHERE {join})"
        )
        keep = self._known_claims_only() if table == "claim_items" else ""
        lineage = table in ("claims", "claim_items")
        select = ", ".join(spec.names) + (", " + _LINEAGE if lineage else "")
        new = db.sql(
            f"SELECT {select}, row_hash FROM fresh {keep}",
            params=_lineage_params(report) if lineage else None,
        ).to_arrow_table()
        db.unregister("known")
        if new.num_rows:
            written = self.store.upsert(table, _chunked(new))
            report.loaded += written
            report.duplicates += new.num_rows - written
        self._quarantine_verdicts(report, quarantine)
        db.unregister("raw")

    def _known_claims_only(self) -> str:
        """Items whose claim is not in the store are quarantined, not loaded: returns the
        filter that keeps the others."""
        db = self.db
        ids = db.sql("SELECT DISTINCT claim_id FROM fresh").to_arrow_table()
        known = self.store.known_rows("claims", ids.to_pandas(types_mapper=pd.ArrowDtype))
        db.register("stored_claims", known[["claim_id"]])
        db.execute("CREATE OR REPLACE TEMP TABLE known_claims AS SELECT * FROM stored_claims")
        db.unregister("stored_claims")
        db.execute(
            "INSERT INTO verdict SELECT source_row, 'unknown_claim', 'claim_id' FROM fresh f "
            "WHERE claim_id NOT IN (SELECT claim_id FROM known_claims)"
        )
        return "WHERE claim_id IN (SELECT claim_id FROM known_claims)"

    def _quarantine_verdicts(self, report: FileReport, quarantine: Quarantine) -> None:
        counts = self.db.execute("SELECT problem, count(*) FROM verdict GROUP BY problem")
        for code, count in counts.fetchall():
            report.quarantined[code] += count
        rows = self.db.sql(
            "SELECT v.problem, v.problem_column, r.* FROM verdict v JOIN raw r USING (source_row)"
        ).to_arrow_table()
        quarantine.rows(rows)

    # -- reversals (冲销) --------------------------------------------------------------------
    def _net_reversals(
        self, rows: pa.Table, text: pa.Table, report: FileReport, quarantine: Quarantine
    ) -> None:
        """Reversals are applied once the whole file is stored, so that a reversal finds
        its original claim wherever it sits in the file (or in an earlier load)."""
        db = self.db
        db.register("rev", rows)
        db.register("rev_text", text)
        originals = db.sql(
            "SELECT DISTINCT original_claim_id AS claim_id FROM rev"
        ).to_arrow_table()
        known = self.store.known_rows("claims", originals.to_pandas(types_mapper=pd.ArrowDtype))
        db.register("known_claims", known[["claim_id"]])
        orphan = "original_claim_id NOT IN (SELECT claim_id FROM known_claims)"
        orphans = db.sql(
            "SELECT 'orphan_reversal' AS problem, 'claim_id' AS problem_column, t.* "
            f"FROM rev_text t WHERE source_row IN (SELECT source_row FROM rev WHERE {orphan})"
        ).to_arrow_table()
        if orphans.num_rows:
            report.quarantined["orphan_reversal"] += orphans.num_rows
            quarantine.rows(orphans)
        amounts = ", ".join(AMOUNTS)
        applicable = db.sql(
            f"SELECT claim_id AS reversal_id, original_claim_id AS claim_id, {amounts}, "
            f"{_LINEAGE}, row_hash FROM rev WHERE NOT ({orphan})",
            params=_lineage_params(report),
        ).to_arrow_table()
        for name in ("known_claims", "rev", "rev_text"):
            db.unregister(name)
        if applicable.num_rows:
            applied = self.store.apply_reversals(applicable)
            report.reversals += applied
            report.duplicates += applicable.num_rows - applied


def load_files(
    paths: list[Path],
    store: Store,
    workspace: Workspace,
    pseudonymiser: Pseudonymiser,
    options: Options | None = None,
) -> LoadReport:
    """Load source files into ``store``; the one entry point for the CLI and the API.
    Refuses a key file or vault inside the workspace: whoever gets the store must not get
    the means to re-identify it."""
    for secret in (pseudonymiser.key_file, pseudonymiser.vault_file):
        if secret is not None and secret.resolve().is_relative_to(workspace.root):
            raise ValueError(
                t(
                    "密钥或假名库 {k} 不能放在工作区内; 请把 GRAPHSCAN_KEY_FILE / "
                    "GRAPHSCAN_VAULT_FILE 指到工作区之外",
                    "the key or vault {k} must not live in the workspace; point "
                    "GRAPHSCAN_KEY_FILE / GRAPHSCAN_VAULT_FILE outside it",
                    k=secret,
                )
            )
    return Loader(store, workspace, pseudonymiser, options or Options()).load(paths)
