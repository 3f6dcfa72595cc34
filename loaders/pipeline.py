"""The load pipeline: a file at a time, set-based, in a private staging DuckDB.

1. pseudonymise: the distinct personal values of the file are hashed once each;
2. parse: a part of the file (``Options.part_rows`` rows, the whole of most files) is
   read, the pseudonyms joined back and every row parsed (loaders/parse.py) into a
   staging table, numbered by its place in the file;
3. classify: repeated keys within the part and keys the store already holds (among them
   those of earlier parts) are found by set-based joins: exact repeats are skipped,
   other content is a conflict;
4. write: the part's fresh rows go to ``Store.upsert`` in one call; steps 2-4 repeat for
   each part, so staging is bounded by the part, not the file. Reversals (冲销) go to
   ``Store.apply_reversals`` once the whole file's claims are in;
5. quarantine: the rows not loaded, read again from the file with their reasons.

Only the Store interface touches the store: both engines get the staged rows as Arrow
streams of record batches, so nothing is held in memory twice. Every row read ends in
exactly one of: loaded, reversal netted, exact duplicate skipped, quarantined (with a
reason, in a CSV beside the store).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from graphscan.errors import InputError
from graphscan.i18n import t
from graphscan.loaders import identifiers, resident_id
from graphscan.loaders.headers import ColumnMap, map_headers
from graphscan.loaders.parse import INEXACT_ID, Window, parse_sql, problem_sql
from graphscan.loaders.report import FileReport, LoadReport, reason_text
from graphscan.loaders.sources import Scan, Source, open_sources
from graphscan.loaders.sqltext import literal
from graphscan.progress import Progress, report
from graphscan.pseudonym import Pseudonymiser
from graphscan.safe_csv import write_columns
from graphscan.schema import MONEY, PERSONAL_COLUMNS, TABLES
from graphscan.store.base import Store
from graphscan.workspace import Workspace

log = logging.getLogger("graphscan.loaders")

#: Entity files first, then claims, then their items (which must find their claim).
LOAD_ORDER = ("persons", "providers", "doctors", "claims", "claim_items")
AMOUNTS = ("total_amount", "fund_amount", "account_amount", "cash_amount")
#: Progress steps of one file: pseudonyms, the staged parts, reversals, quarantine.
STEPS = 4
#: DuckDB's memory while loading: a staged file beyond it spills to the store's temporary
#: folder, so that a load of tens of millions of rows stays well under 4 GB.
STAGING_MEMORY = "2GB"
#: Rows staged at a time: a part is parsed, classified and written before the next is
#: read, so that memory and spill stay bounded whatever the file's size (a 121 M-row
#: items file staged whole spilled 20 GB).
PART_ROWS = 8_000_000
_STAGED = ("_load_rows", "_load_fresh", "_load_new", "_load_good")
_TABLES = (
    "_load_parsed",
    "_load_verdict",
    "_load_repeats",
    "_load_later",
    "_load_seen",
    "_load_gaps",
    "_load_known",
    "_load_known_claims",
    "_load_originals",
    "_load_incoming_originals",
    "_load_recorded",
    "_load_overdrawn",
    "_load_reversals",
    "_load_first_seen",
    "_load_line_counts",
)


@dataclass
class Options:
    mapping: dict[str, str | None] = field(default_factory=dict)
    encoding: str | None = None
    table: str | None = None
    #: told how far each file has got (the CLI draws a bar); None: silent
    progress: Progress | None = None
    #: plausible days of claim times (default: 1990-01-01 to tomorrow)
    window: Window = field(default_factory=Window.default)
    #: rows staged at a time (the result does not depend on it)
    part_rows: int = PART_ROWS


@dataclass
class FileFacts:
    """What one plain read of the bytes tells: the SHA-256 recorded with the load, and
    the line count the records of a CSV must account for."""

    sha256: str
    lines: int


def _file_facts(path: Path) -> FileFacts:
    digest, lines, last = hashlib.sha256(), 0, b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return FileFacts(digest.hexdigest(), lines + (last != b"\n"))


class Quarantine:
    """The CSV of rows that were not loaded: source row, reason code and text, and the
    mapped source columns (personal ones pseudonymised; other columns are left out,
    since they may hold names or ids nobody mapped)."""

    def __init__(self, path: Path, columns: ColumnMap) -> None:
        self.path = path
        self.columns = columns

    def write(self, rows: pa.Table) -> str | None:
        """``rows``: source_row, problem, problem_column and the canonical text columns."""
        if rows.num_rows == 0:
            return None
        names = list(self.columns.sources)
        headers = self.columns.headers
        types = {c.name: c.sql_type for c in TABLES[self.columns.table].columns}
        numeric = {"source_row"} | {
            headers[p]
            for c, p in self.columns.sources.items()
            if types.get(c, "").startswith(("DECIMAL", "BIGINT", "INTEGER", "DOUBLE"))
        }

        rows = rows.sort_by("source_row")
        # a reason per (code, column) pair, not per row: a bad extract quarantines
        # hundreds of thousands of rows, written a column at a time
        reasons: dict[tuple[str, str | None], str] = {}

        def reason(code: str, column: str | None) -> str:
            if (code, column) not in reasons:
                position = self.columns.sources.get(column) if column else None
                shown = column if position is None else headers[position]
                reasons[code, column] = reason_text(code, shown)
            return reasons[code, column]

        pairs = zip(rows["problem"].to_pylist(), rows["problem_column"].to_pylist(), strict=True)
        text = pa.array([reason(code, column) for code, column in pairs], pa.string())
        header = ["source_row", "reason_code", "reason"]
        header += [headers[p] for p in self.columns.sources.values()]
        columns = [rows["source_row"], rows["problem"], text, *(rows[n] for n in names)]
        with self.path.open("w", encoding="utf-8-sig", newline="") as handle:
            write_columns(handle, header, columns, numeric)
        return str(self.path)


class Loader:
    def __init__(
        self, store: Store, workspace: Workspace, pseudonymiser: Pseudonymiser, options: Options
    ) -> None:
        self.store = store
        self.workspace = workspace
        self.pseudonymiser = pseudonymiser
        self.options = options
        # staged in the workspace's DuckDB (its memory cap and spill folder), on a connection
        # of its own: rows reach the store only as Arrow streams (the Store interface)
        self.db = workspace.db().cursor()

    @contextmanager
    def _settings(self, **wanted: str) -> Iterator[None]:
        """DuckDB settings of the staging connection, restored afterwards."""
        before = {
            name: self.db.execute("SELECT current_setting(?)", [name]).fetchall()[0][0]
            for name in wanted
        }
        for name, value in wanted.items():
            self.db.execute(f"SET {name} = '{value}'")
        try:
            yield
        finally:
            for name, value in before.items():
                self.db.execute(f"SET {name} = '{value}'")

    def load(self, paths: list[Path], report: LoadReport) -> LoadReport:
        # a whole file staged spills to disk rather than grow without bound
        with self._settings(memory_limit=STAGING_MEMORY):
            return self._load(paths, report)

    def _file_probes(self) -> AbstractContextManager[None]:
        """For the queries that join the whole file to the small pseudonym map: the file
        must be the probe side. DuckDB's guess of a CSV's size can make it build a hash
        table of the whole file instead (memory and time)."""
        return self._settings(disabled_optimizers="join_order,build_side_probe_side")

    def _load(self, paths: list[Path], report: LoadReport) -> LoadReport:
        planned: list[tuple[Source, ColumnMap]] = []
        for path in paths:
            try:
                sources = open_sources(path, self.options.encoding)
            except (ValueError, OSError) as exc:
                report.add(FileReport(path.name, error=str(exc)))
                continue
            for source in sources:
                try:
                    columns = map_headers(source.headers, self.options.mapping, self.options.table)
                except ValueError as exc:
                    report.add(FileReport(source.name, error=str(exc)))
                    continue
                planned.append((source, columns))
        planned.sort(key=lambda item: LOAD_ORDER.index(item[1].table))
        for source, columns in planned:
            try:
                report.add(self._load_file(source, columns))
            except (InputError, OSError) as exc:
                report.add(FileReport(source.name, columns.table, error=str(exc)))
        return report

    # -- one file --------------------------------------------------------------------------
    def _load_file(self, source: Source, columns: ColumnMap) -> FileReport:
        started = datetime.now(UTC)
        facts: list[FileFacts] = []
        reader = threading.Thread(
            target=lambda: facts.append(_file_facts(source.path)), daemon=True
        )
        reader.start()

        def file_lines() -> int | None:
            reader.join()
            return facts[0].lines if facts else None

        where = hashlib.sha256(f"{source.path}\0{source.name}".encode()).hexdigest()[:6]
        report = FileReport(
            source.name,
            columns.table,
            f"{started:%Y%m%d%H%M%S}-{where}",
            source.encoding,
            ignored_columns=columns.ignored,
        )
        quarantine = Quarantine(
            self.workspace.quarantine_dir / f"{report.load_id}-{source.path.stem}.csv", columns
        )
        try:
            with self._progress(source) as step, source.scan(self.db) as scan:
                counted = self._pseudonymise(scan, columns)
                step()
                gaps = self._stage(scan, columns, report, file_lines, counted)
                step()
                self._record_id_facts(columns)
                if columns.table == "claims":
                    self._net_reversals(report)
                step()
                rows = self._quarantined(scan, columns, gaps, report)
                report.quarantine_file = quarantine.write(rows)
                step()
        except duckdb.InvalidInputException as exc:
            raise InputError(
                t(
                    "{p}: 读取失败: {x}",
                    "{p}: cannot read it: {x}",
                    p=source.name,
                    x=str(exc).splitlines()[0],
                )
            ) from None
        finally:
            self._drop_staging()
        reader.join()
        self.store.record_load(
            {
                "load_id": report.load_id,
                "source_file": report.file,
                "file_sha256": facts[0].sha256 if facts else None,
                "started_at": started.replace(tzinfo=None),
                "finished_at": datetime.now(UTC).replace(tzinfo=None),
                "report": {**report.as_record(), "key": self.pseudonymiser.fingerprint()},
            }
        )
        log.info(
            "loaded %s as %s: read %d, loaded %d, reversals %d, duplicates %d, quarantined %d",
            report.file,
            report.table,
            report.rows_read,
            report.loaded,
            report.reversals,
            report.duplicates,
            report.quarantined_total,
        )
        return report

    @contextmanager
    def _progress(self, source: Source) -> Iterator[Callable[[], None]]:
        done = 0

        def step() -> None:
            nonlocal done
            done += 1
            report(self.options.progress, source.name, done, STEPS)

        report(self.options.progress, source.name, 0, STEPS)
        yield step

    def _count(self, sql: str) -> int:
        return self.db.execute(f"SELECT count(*) FROM ({sql})").fetchall()[0][0]

    def _keep(self, name: str, frame: pa.RecordBatchReader | pa.Table) -> None:
        """A store's answer as a staging table: read once, used several times."""
        self.db.register("_load_incoming", frame)
        self.db.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _load_incoming")
        self.db.unregister("_load_incoming")

    def _drop_staging(self) -> None:
        for name in _STAGED:
            self.db.execute(f"DROP VIEW IF EXISTS {name}")
        for name in _TABLES:
            self.db.execute(f"DROP TABLE IF EXISTS {name}")
        for name in ("_load_map", "_load_id_facts", "_load_incoming"):
            self.db.unregister(name)

    # -- 1. pseudonymise -------------------------------------------------------------------
    def _pseudonymise(self, scan: Scan, columns: ColumnMap) -> int | None:
        """``_load_map`` (clear, pseudonym) for every distinct personal value of the file:
        each is normalised (loaders/identifiers.py) and hashed once, and the new ones go
        to the vault in one write. Returns the number of rows scanned, which the same read
        counts (None: a file without personal columns, not read here)."""
        personal = [f"c{p}" for c, p in columns.sources.items() if c in PERSONAL_COLUMNS]
        if not personal:
            return None
        # one read of the file, one hash aggregate per column (cheaper than unnesting),
        # and the empty grouping set counts its rows
        sets = ", ".join(f"({c})" for c in personal)
        found = self.db.sql(
            f"SELECT coalesce({', '.join(personal)}) AS clear, grouping({', '.join(personal)}) "
            f"= {(1 << len(personal)) - 1} AS whole, count(*) AS rows FROM {scan.rows()} "
            f"GROUP BY GROUPING SETS ({sets}, ())"
        ).to_arrow_table()
        whole = found["whole"]
        records = pc.sum(pc.filter(found["rows"], whole)).as_py() or 0
        clear = pc.unique(pc.filter(found["clear"], pc.invert(whole)).drop_null())
        texts = identifiers.normalise_array(clear)
        pseudonyms = self.pseudonymiser.pseudonymise_array(texts)
        inexact = identifiers.number_like(texts)
        if pc.any(inexact).as_py():  # quarantined by parse.py, never hashed into the store
            pseudonyms = pc.if_else(inexact, pa.scalar(INEXACT_ID), pseudonyms)
        # registered, not copied: clear ids stay in this process's memory, never in a
        # DuckDB table that could spill to the workspace
        self.db.register("_load_map", pa.table({"clear": clear, "pseudonym": pseudonyms}))
        if "person_id" in columns.sources:
            self._id_facts(texts, pseudonyms)
        return records

    def _id_facts(self, texts: pa.Array, pseudonyms: pa.Array) -> None:
        """``_load_id_facts`` (pseudonym, sex, birth_date) of the values that are resident
        ID numbers (loaders/resident_id.py): read from the clear text here, kept only
        under the pseudonym. Values of the file's other personal columns come along and
        are dropped by the join on person_id in :meth:`_record_id_facts`."""
        facts = resident_id.facts(texts)
        found = pc.is_valid(facts["birth_date"])
        self.db.register(
            "_load_id_facts",
            pa.table(
                {
                    "pseudonym": pc.filter(pseudonyms, found),
                    "sex": pc.filter(facts["sex"], found),
                    "birth_date": pc.filter(facts["birth_date"], found),
                }
            ),
        )

    # -- 2. parse --------------------------------------------------------------------------
    def _raw(self, scan: Scan, columns: ColumnMap, first: int = 1, last: int | None = None) -> str:
        """The text of the file's rows ``first`` to ``last`` as canonical columns, personal
        ones pseudonymised, with each row's ``position`` among the scanned rows (numbered
        before the joins, which do not keep the order)."""
        select, joins = ["s.position"], []
        for canonical, position in columns.sources.items():
            if canonical in PERSONAL_COLUMNS:
                joins.append(
                    f"LEFT JOIN _load_map m{position} ON m{position}.clear = s.c{position}"
                )
                select.append(f"m{position}.pseudonym AS {canonical}")
            else:
                select.append(f"s.c{position} AS {canonical}")
        numbered = scan.numbered(first, last)
        return f"SELECT {', '.join(select)} FROM {numbered} s {' '.join(joins)}"

    def _stage(
        self,
        scan: Scan,
        columns: ColumnMap,
        report: FileReport,
        file_lines: Callable[[], int | None],
        counted: int | None,
    ) -> list[int]:
        """Parse, classify and write the file part by part; returns the gaps (rows the
        scan could not split). Before anything is written, the records must account for
        the file's lines: the first part counts them when it holds them all, else the
        pseudonyms' read did (``counted``), else one plain pass over the file does."""
        db, size = self.db, self.options.part_rows
        parsed = self._parse_part(scan, columns, 1, size)
        records = parsed
        if parsed >= size:
            records = (
                counted if counted is not None else self._count(f"SELECT 1 FROM {scan.rows()}")
            )
        joined = scan.verify(records, file_lines())
        gaps = scan.gaps()
        db.execute("CREATE OR REPLACE TEMP TABLE _load_gaps (shifted BIGINT, shift BIGINT)")
        if gaps:
            # the k-th parsed row is source row k + the number of gaps g_i (i = 1, 2 …)
            # with g_i - i + 1 <= k: for each such value, the largest i
            shifts = {g - i + 1: i for i, g in enumerate(gaps, start=1)}
            db.execute(
                "INSERT INTO _load_gaps SELECT unnest(?), unnest(?)",
                [list(shifts), list(shifts.values())],
            )
        broken = scan.broken()
        report.rows_read = records - len(joined) + len(broken)
        db.execute(
            "CREATE OR REPLACE TEMP TABLE _load_verdict "
            "(source_row BIGINT, problem VARCHAR, problem_column VARCHAR)"
        )
        if broken:
            db.execute(
                "INSERT INTO _load_verdict SELECT unnest(?), unnest(?), NULL",
                [[row for row, _ in broken], [reason for _, reason in broken]],
            )
        for first in range(1, max(records, 1) + 1, size):
            last = first + size - 1
            staged = parsed if first == 1 else self._parse_part(scan, columns, first, last)
            if staged != max(min(size, records - first + 1), 0):  # parts must add up
                raise InputError(
                    t(
                        "{f}：第 {a} 至 {b} 行暂存了 {n} 行，与文件不符；本部分未写入",
                        "{f}: rows {a} to {b} staged {n} rows, not what the file holds; "
                        "this part was not written",
                        f=report.file,
                        a=first,
                        b=min(last, records),
                        n=staged,
                    )
                )
            within = [position for position in joined if first <= position <= last]
            numbered = columns.table == "claim_items" and "line_no" not in columns.sources
            if numbered and records > size:
                self._continue_line_numbers(first == 1)
            self._stage_part(columns, report, within, bool(gaps), first == 1)
            log.info(
                "%s: rows %d to %d of %d staged and written",
                report.file,
                first,
                min(last, records),
                records,
            )
        return gaps

    def _parse_part(self, scan: Scan, columns: ColumnMap, first: int, last: int) -> int:
        """``_load_parsed``: the typed rows ``first`` to ``last`` of the scan; returns how
        many there are."""
        sql = parse_sql(columns.table, set(columns.sources), self.options.window)
        raw = self._raw(scan, columns, first, last)
        with self._file_probes():
            self.db.execute(
                f"CREATE OR REPLACE TEMP TABLE _load_parsed AS WITH raw AS ({raw}) {sql}"
            )
        return self._count("SELECT 1 FROM _load_parsed")

    def _continue_line_numbers(self, first: bool) -> None:
        """Items numbered by their place in the file (no line numbers of their own) go on
        from the lines of the same claim and item code in the earlier parts, as if the
        file were staged whole. The row hash leaves ``line_no`` out: nothing else moves."""
        db = self.db
        if not first:
            db.execute(
                "UPDATE _load_parsed p SET line_no = CAST(CAST(p.line_no AS BIGINT) + c.lines "
                "AS VARCHAR) FROM (SELECT claim_id, item_code, sum(lines) AS lines "
                "FROM _load_line_counts GROUP BY ALL) c "
                "WHERE c.claim_id = p.claim_id AND c.item_code = p.item_code"
            )
        keep = "CREATE OR REPLACE TEMP TABLE {} AS" if first else "INSERT INTO {}"
        db.execute(
            f"{keep.format('_load_line_counts')} SELECT claim_id, item_code, count(*) AS lines "
            "FROM _load_parsed GROUP BY ALL"
        )

    def _stage_part(
        self, columns: ColumnMap, report: FileReport, joined: list[int], gaps: bool, first: bool
    ) -> None:
        """One staged part: its verdicts, its fresh rows written, and what the file's end
        needs of it (reversals, the first day each person is seen) kept aside."""
        db, table = self.db, columns.table
        if joined:  # lines a stray quote ran together: quarantined, never loaded
            db.execute("DELETE FROM _load_parsed WHERE position IN (SELECT unnest(?))", [joined])
        rows = self._numbered("_load_parsed", "p.position", gaps)
        problems = problem_sql(table, "problem_check")
        db.execute(f"CREATE OR REPLACE TEMP VIEW _load_rows AS SELECT *, {problems} FROM ({rows})")
        db.execute(
            "INSERT INTO _load_verdict SELECT source_row, problem, problem_column "
            "FROM _load_rows WHERE problem IS NOT NULL"
        )
        fresh, count = self._classify(table, report)
        self._write(table, fresh, count, report)
        keep = "CREATE OR REPLACE TEMP TABLE {} AS" if first else "INSERT INTO {}"
        if table == "claims":
            amounts = ", ".join(AMOUNTS)
            db.execute(
                f"{keep.format('_load_reversals')} SELECT source_row, claim_id, "
                f"original_claim_id, {amounts}, row_hash FROM _load_rows "
                "WHERE problem_check IS NULL AND reversal"
            )
        if table in ("claims", "persons") and "person_id" in columns.sources:
            seen = "CAST(start_time AS DATE)" if table == "claims" else "CAST(? AS DATE)"
            db.execute(
                f"{keep.format('_load_first_seen')} SELECT person_id, min({seen}) AS seen "
                "FROM _load_rows WHERE problem_check IS NULL GROUP BY person_id",
                [] if table == "claims" else [self.options.window.last],
            )

    @staticmethod
    def _numbered(rows: str, k: str, gaps: bool) -> str:
        """``rows`` (alias p) with its ``source_row``, from its position ``k``."""
        if not gaps:
            return f"SELECT {k} AS source_row, p.* FROM {rows} p"
        return (
            f"SELECT {k} + coalesce(g.shift, 0) AS source_row, p.* FROM {rows} p "
            f"ASOF LEFT JOIN _load_gaps g ON {k} >= g.shifted"
        )

    # -- 3. classify -----------------------------------------------------------------------
    def _classify(self, table: str, report: FileReport) -> tuple[str, int]:
        """Keys already stored, then repeats among the others: counts exact duplicates,
        quarantines conflicts, and returns the query of the fresh rows and their number.
        A row is compared to the stored row of its key when there is one (an earlier part
        of the file wrote it, or an earlier load), else to the first row of its key in the
        file: so the verdicts do not depend on where the parts are cut."""
        db = self.db
        spec = TABLES[table]
        key = ", ".join(spec.key)
        # the number of the failed check, not its name: no list lookup per row
        good = "problem_check IS NULL" + (" AND NOT reversal" if table == "claims" else "")
        db.execute(
            f"CREATE OR REPLACE TEMP VIEW _load_good AS SELECT * FROM _load_rows WHERE {good}"
        )
        if table == "claim_items":
            self._known_claims_only()
        conflict = literal(spec.key[-1])
        # against the store: the same key stored with the same hash is a re-load
        keys = db.sql(f"SELECT {key} FROM _load_good").to_arrow_table()
        self._keep("_load_known", self.store.known_rows(table, keys))
        join = " AND ".join(f"g.{k} = k.{k}" for k in spec.key)
        db.execute(
            "CREATE OR REPLACE TEMP TABLE _load_seen AS SELECT g.source_row, "
            "k.row_hash IS NULL OR k.row_hash = g.row_hash AS same "
            f"FROM _load_good g JOIN _load_known k ON {join}"
        )
        stored = self._settle("_load_seen", report, conflict)
        db.execute(
            "CREATE OR REPLACE TEMP VIEW _load_new AS SELECT g.* FROM _load_good g "
            f"ANTI JOIN _load_known k ON {join}"
        )
        # within the file: the first row of a key stands for the later ones. The keys
        # that repeat are found by a count alone (every key is a group); only their rows,
        # few, are then compared with the first row of their key
        on = " AND ".join(f"p.{k} = d.{k}" for k in spec.key)
        db.execute(
            f"CREATE OR REPLACE TEMP TABLE _load_repeats AS SELECT {key} "
            f"FROM _load_new GROUP BY {key} HAVING count(*) > 1"
        )
        db.execute(
            "CREATE OR REPLACE TEMP TABLE _load_later AS SELECT source_row, same FROM ("
            "SELECT p.source_row, p.row_hash = first_value(p.row_hash) OVER w AS same, "
            f"row_number() OVER w AS n FROM _load_new p SEMI JOIN _load_repeats d ON {on} "
            f"WINDOW w AS (PARTITION BY {', '.join(f'p.{k}' for k in spec.key)} "
            "ORDER BY p.source_row)) WHERE n > 1"
        )
        later = self._settle("_load_later", report, conflict)
        db.execute(
            "CREATE OR REPLACE TEMP VIEW _load_fresh AS SELECT p.* FROM _load_new p "
            "ANTI JOIN _load_later l ON p.source_row = l.source_row"
        )
        return "_load_fresh", self._count("SELECT 1 FROM _load_good") - stored - later

    def _settle(self, seen: str, report: FileReport, conflict: str) -> int:
        """Rows of table ``seen`` (source_row, same) repeat a key: identical ones are
        duplicates, the others conflicts (quarantined). Returns how many rows it settled."""
        same, different = self.db.execute(
            f"SELECT count(*) FILTER (WHERE same), count(*) FILTER (WHERE NOT same) FROM {seen}"
        ).fetchall()[0]
        report.duplicates += same
        self.db.execute(
            f"INSERT INTO _load_verdict SELECT source_row, 'duplicate_conflict', {conflict} "
            f"FROM {seen} WHERE NOT same"
        )
        return same + different

    def _known_claims_only(self) -> None:
        """Items whose claim is not in the store are quarantined, not loaded (nor counted
        as repeats of each other): ``_load_good`` keeps the others."""
        db = self.db
        ids = db.sql("SELECT DISTINCT claim_id FROM _load_good").to_arrow_table()
        self._keep("_load_known_claims", self.store.known_rows("claims", ids))
        db.execute(
            "INSERT INTO _load_verdict SELECT source_row, 'unknown_claim', 'claim_id' "
            "FROM _load_good ANTI JOIN _load_known_claims USING (claim_id)"
        )
        db.execute(
            "CREATE OR REPLACE TEMP VIEW _load_good AS SELECT g.* FROM _load_rows g "
            "SEMI JOIN _load_known_claims USING (claim_id) WHERE problem_check IS NULL"
        )

    # -- 4. write --------------------------------------------------------------------------
    def _lineage(self, report: FileReport) -> str:
        file, load = literal(report.file), literal(report.load_id)
        return f"{file} AS source_file, source_row, {load} AS load_id"

    def _write(self, table: str, fresh: str, count: int, report: FileReport) -> None:
        if not count:
            return
        spec = TABLES[table]
        lineage = table in ("claims", "claim_items")
        select = ", ".join(spec.names) + (", " + self._lineage(report) if lineage else "")
        rows = self.db.sql(f"SELECT {select}, row_hash FROM {fresh}").to_arrow_reader()
        # the fresh rows' keys are neither stored (classify looked them up) nor repeated
        written = self.store.upsert(table, rows, self.options.progress, fresh=True)
        report.loaded += written
        report.duplicates += count - written

    def _record_id_facts(self, columns: ColumnMap) -> None:
        """The ID-derived facts of the persons this file's good rows name, to the store
        (apart from the persons table: they are rows of no file). A birth date after the
        person's first claim here (or, in a persons file, after the plausible window)
        says the number is no ID number after all."""
        table = columns.table
        if table not in ("claims", "persons") or "person_id" not in columns.sources:
            return
        rows = self.db.sql(
            "SELECT f.pseudonym AS person_id, f.sex, f.birth_date FROM _load_id_facts f "
            "JOIN (SELECT person_id, min(seen) AS seen FROM _load_first_seen "
            "GROUP BY person_id) r ON r.person_id = f.pseudonym "
            "WHERE f.birth_date <= r.seen ORDER BY person_id"
        ).to_arrow_table()
        if rows.num_rows:
            self.store.record_id_facts(rows)

    def _net_reversals(self, report: FileReport) -> None:
        """Reversals are applied once the whole file is stored, so that a reversal finds
        its original claim wherever it sits in the file (or in an earlier load). A new
        reversal (not recorded before) that would take more than is left of its claim,
        in total or in one of its parts, is quarantined with the ones after it: a claim
        never nets to a negative amount."""
        db = self.db
        rev = "_load_reversals WHERE TRUE"
        total = self._count(f"SELECT 1 FROM {rev}")
        if not total:
            return
        ids = db.execute(f"SELECT DISTINCT original_claim_id FROM {rev}").fetchall()
        left = self.store.claims([claim for (claim,) in ids])[["claim_id", *AMOUNTS]]
        self._keep("_load_incoming_originals", pa.Table.from_pandas(left, preserve_index=False))
        casts = ", ".join(f"CAST({c} AS {MONEY}) AS {c}" for c in AMOUNTS)
        db.execute(
            "CREATE OR REPLACE TEMP TABLE _load_originals AS SELECT "
            f"CAST(claim_id AS VARCHAR) AS claim_id, {casts} FROM _load_incoming_originals"
        )
        hashes = db.sql(f"SELECT DISTINCT row_hash FROM {rev}").to_arrow_table()
        self._keep("_load_recorded", self.store.known_rows("reversals", hashes))
        stored = "original_claim_id IN (SELECT claim_id FROM _load_originals)"
        db.execute(
            "INSERT INTO _load_verdict SELECT source_row, 'orphan_reversal', 'claim_id' "
            f"FROM {rev} AND NOT {stored}"
        )
        running = ", ".join(
            f"o.{c} + coalesce(sum(r.{c}) OVER w, 0) < 0 AS {c}_over" for c in AMOUNTS
        )
        over = " OR ".join(f"{c}_over" for c in AMOUNTS)
        db.execute(
            "CREATE OR REPLACE TEMP TABLE _load_overdrawn AS SELECT source_row FROM ("
            f"SELECT r.source_row, {running} FROM (SELECT * FROM {rev} AND row_hash NOT IN "
            "(SELECT row_hash FROM _load_recorded) QUALIFY row_number() OVER "
            "(PARTITION BY row_hash ORDER BY source_row) = 1) r "
            "JOIN _load_originals o ON o.claim_id = r.original_claim_id WINDOW w AS "
            "(PARTITION BY r.original_claim_id ORDER BY r.source_row ROWS UNBOUNDED PRECEDING)"
            f") WHERE {over}"
        )
        db.execute(
            "INSERT INTO _load_verdict SELECT source_row, 'reversal_exceeds_claim', "
            "'total_amount' FROM _load_overdrawn"
        )
        usable = (
            f"{rev} AND {stored} AND source_row NOT IN (SELECT source_row FROM _load_overdrawn)"
        )
        applicable = self._count(f"SELECT 1 FROM {usable}")
        if not applicable:
            return
        amounts = ", ".join(AMOUNTS)
        rows = db.sql(
            f"SELECT claim_id AS reversal_id, original_claim_id AS claim_id, {amounts}, "
            f"{self._lineage(report)}, row_hash FROM {usable}"
        )
        applied = self.store.apply_reversals(rows.to_arrow_reader())
        report.reversals += applied
        report.duplicates += applicable - applied

    # -- 5. quarantine ---------------------------------------------------------------------
    def _quarantined(
        self, scan: Scan, columns: ColumnMap, gaps: list[int], report: FileReport
    ) -> pa.Table:
        """The verdicts with the rows' text: the file is read again (numbered in order, so
        only when something was quarantined), personal columns pseudonymised."""
        db = self.db
        for code, count in db.execute(
            "SELECT problem, count(*) FROM _load_verdict GROUP BY problem"
        ).fetchall():
            report.quarantined[code] += count
        if not report.quarantined:
            return pa.table({})
        text = ", ".join(f"r.{c}" for c in columns.sources)
        source = f"({self._raw(scan, columns)})"
        with self._file_probes():
            return db.sql(
                f"SELECT v.source_row, v.problem, v.problem_column, {text} "
                f"FROM ({self._numbered(source, 'p.position', bool(gaps))}) r "
                # lines run together by a stray quote may hold anything: not copied
                "RIGHT JOIN _load_verdict v ON r.source_row = v.source_row "
                "AND v.problem <> 'stray_quote'"
            ).to_arrow_table()


def load_files(
    paths: list[Path],
    store: Store,
    workspace: Workspace,
    pseudonymiser: Pseudonymiser,
    options: Options | None = None,
    report: LoadReport | None = None,
) -> LoadReport:
    """Load source files into ``store``; the one entry point for the CLI and the API.
    A file that cannot be read is reported (``FileReport.error``) and the others load;
    ``report`` collects the files as they finish, so a caller still has them when a
    store error stops the load. Refuses a key file or vault inside the workspace:
    whoever gets the store must not get the means to re-identify it."""
    for secret in (pseudonymiser.key_file, pseudonymiser.vault_file):
        if secret is not None and secret.resolve().is_relative_to(workspace.root):
            raise InputError(
                t(
                    "密钥或假名库 {k} 不能放在工作区内; 请把 GRAPHSCAN_KEY_FILE / "
                    "GRAPHSCAN_VAULT_FILE 指到工作区之外",
                    "the key or vault {k} must not live in the workspace; point "
                    "GRAPHSCAN_KEY_FILE / GRAPHSCAN_VAULT_FILE outside it",
                    k=secret,
                )
            )
    loader = Loader(store, workspace, pseudonymiser, options or Options())
    return loader.load(paths, report if report is not None else LoadReport())
