"""The embedded store: canonical tables in the workspace's DuckDB file."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import pyarrow as pa

from graphscan.errors import StoreError
from graphscan.progress import Progress
from graphscan.schema import ENTITY_COLUMNS, LINEAGE, TABLES, Table, item_line_numbers
from graphscan.sql import read_sql
from graphscan.store.base import Rows, Store, as_pandas
from graphscan.workspace import private_dir

if TYPE_CHECKING:
    pass

_LOADS_DDL = """
CREATE TABLE IF NOT EXISTS loads (
    load_id VARCHAR, source_file VARCHAR, file_sha256 VARCHAR, started_at TIMESTAMP,
    finished_at TIMESTAMP, report JSON
)"""


@dataclass(frozen=True)
class _Links:
    """Where the rows of ``table`` are, addressed by the hash of an id: ``links`` holds
    (hash, rowid) pairs sorted by hash (written by the ``sql`` file), so a lookup's min-max
    zone maps skip every row group of it but the one or two holding that hash, and the
    rowids then name the row groups of ``table`` to read. Maintained by ``_link``;
    ``probe`` is hashed with the links and again on every open: another DuckDB whose
    hash() differs, or links of another shape (the string names the shape), are rebuilt."""

    table: str
    links: str
    columns: str
    sql: str
    probe: str

    @property
    def state(self) -> str:
        return f"{self.links}_state"


#: claim_links: each claim by its id and by each entity it names, for claims() and
#: neighbourhood(); item_links: each claim's item lines by the claim's id, for
#: evidence_items (a case's drugs were a scan of every item line)
_LINKS = (
    _Links(
        "claims", "claim_links", "entity UBIGINT, claim_row BIGINT", "link_claims",
        "graphscan claim links: claim, person, card, doctor, provider, operator",
    ),
    _Links(
        "claim_items", "item_links", "claim UBIGINT, item_row BIGINT", "link_items",
        "graphscan item links: claim",
    ),
)  # fmt: skip

#: Claims are written in provider order, then time: the claims of a provider, and of its
#: doctors and operators, then sit in a few row groups instead of all over the table.
_CLAIMS_ORDER = ("provider_id", "start_time")

#: the range's parameters of a read in ranges of providers, set by the store, never by a
#: detector
RANGE_PARAMETERS = ("first_provider", "last_provider")


@dataclass
class Cut:
    """How a read is cut into consecutive ranges of providers: ``counts`` (a statement of
    provider_id and a count, in provider_id order) says how many rows of each provider the
    read works through, ``row_bytes`` what one of them costs the engine at once, so a range
    holds about the engine's budget over ``row_bytes`` rows."""

    counts: str
    row_bytes: int


#: card lending's burst reads, per pharmacy swipe: the first half-year of the 32 M-claim
#: store (about 10 M swipes) held 6.1 GiB and spilled about 28 GB before the disk was
#: full (docs/scale.md)
PER_PHARMACY = Cut("pharmacy_swipes", 3000)
#: identity misuse's card_conflicts, per claim of the range (its stays joined to their
#: holders' claims in the whole window): the 50 M-claim year read whole spilled past 9 GB
#: beside a 3 GB engine (docs/scale.md)
PER_PROVIDER = Cut("provider_claims", 600)

#: Statements whose rows each belong to one provider, in provider order, and whose counts
#: are per provider: read range by range (``ranges``) and put together in their order, so
#: the engine's work and spill at a time are one range's, never the city's whole year.
_RANGED = {
    "card_bursts": PER_PHARMACY,
    "card_burst_sizes": PER_PHARMACY,
    "card_roaming_bursts": PER_PHARMACY,
    "card_conflicts": PER_PROVIDER,
}

#: Projections read in steps: each step's rows are registered under its name for the
#: steps after it (a ranged step needs what only the whole window tells, read once
#: before it), the last step's rows are the projection's.
_PLANS: dict[str, tuple[tuple[str, str], ...]] = {
    # the screened cards of the whole window, their far bursts range by range of
    # pharmacies, then the travellers among them
    "card_roaming": (
        ("card_roaming_screened", "_screened"),
        ("card_roaming_bursts", "_roaming_far"),
        ("card_roaming", ""),
    ),
    # the whole window's figures, then the conflicts range by range of providers
    "card_conflicts": (
        ("card_conflicts_totals", "_conflict_totals"),
        ("card_conflicts", ""),
    ),
}


def _statement(name: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The SQL of ``name`` and those of ``params`` it takes."""
    sql = read_sql(name)
    return sql, {k: v for k, v in params.items() if f"${k}" in sql}


#: Sex and birth date read from resident ID numbers at load (graphscan.loaders.resident_id)
_ID_FACTS_DDL = (
    "CREATE TABLE IF NOT EXISTS person_id_facts "
    "(person_id VARCHAR PRIMARY KEY, sex VARCHAR, birth_date DATE)"
)

_REVERSALS_DDL = """
CREATE TABLE IF NOT EXISTS reversals (
    reversal_id VARCHAR, claim_id VARCHAR, total_amount DECIMAL(18,2),
    fund_amount DECIMAL(18,2), account_amount DECIMAL(18,2), cash_amount DECIMAL(18,2),
    source_file VARCHAR, source_row BIGINT, load_id VARCHAR, row_hash VARCHAR
)"""


#: Entity tables: a row derived from claims has no row_hash; a listed row (from a persons,
#: providers or doctors file) has one and replaces the derived row.
ENTITY_TABLES = ("persons", "providers", "doctors")


def _columns(table: Table) -> list[tuple[str, str]]:
    cols = [(c.name, c.sql_type) for c in table.columns]
    if table.name in ("claims", "claim_items"):
        cols += [(c.name, c.sql_type) for c in LINEAGE]
    return [*cols, ("row_hash", "VARCHAR")]


def _column_names(rows: Rows) -> list[str]:
    if isinstance(rows, pd.DataFrame):
        return list(rows.columns)
    return rows.schema.names


#: Entities every new claim implies (the Neo4j store MERGEs the same nodes), from one
#: pass over the claims just written (``_new``): ``g`` (grouping()) tells the person,
#: provider and doctor rows.
_NAMED = (
    "SELECT grouping(person_id, provider_id, doctor_id) AS g, person_id, provider_id, "
    "doctor_id, CASE WHEN bool_or(kind = 'pharmacy') THEN 'pharmacy' END AS kind FROM _new "
    "GROUP BY GROUPING SETS ((person_id), (provider_id), (doctor_id))"
)
_DERIVE = {
    "persons": "SELECT person_id FROM _named WHERE g = 3 AND person_id IS NOT NULL",
    "providers": "SELECT provider_id, kind FROM _named WHERE g = 5 AND provider_id IS NOT NULL",
    "doctors": "SELECT doctor_id FROM _named WHERE g = 6 AND doctor_id IS NOT NULL",
}
_DERIVED_COLUMNS = {
    "persons": "person_id",
    "providers": "provider_id, kind",
    "doctors": "doctor_id",
}


class EmbeddedStore(Store):
    engine = "embedded"

    def __init__(self, db: duckdb.DuckDBPyConnection, spill_dir: Path) -> None:
        """``db``: the connection to the store's DuckDB file (``open_store`` gives the
        workspace's one connection: DuckDB allows a single writer per file);
        ``spill_dir``: where DuckDB spills past ``limit_memory``."""
        self.db = db
        self.spill_dir = spill_dir
        #: the engine's budget (limit_memory), None while DuckDB's own default holds
        self.memory: int | None = None
        self._cursor: duckdb.DuckDBPyConnection | None = None
        #: ranged reads' ranges per (cut, budget, since, until), cleared by every write
        self._ranges: dict[tuple[Any, ...], list[tuple[str | None, str | None]]] = {}
        for table in TABLES.values():
            ddl = ", ".join(f"{name} {sql_type}" for name, sql_type in _columns(table))
            self.db.execute(f"CREATE TABLE IF NOT EXISTS {table.name} ({ddl})")
        # stores from before items had line numbers: each (claim, item code) was one line
        self.db.execute(
            "ALTER TABLE claim_items ADD COLUMN IF NOT EXISTS line_no VARCHAR DEFAULT '1'"
        )
        self.db.execute(_LOADS_DDL)
        self.db.execute(_REVERSALS_DDL)
        self.db.execute(_ID_FACTS_DDL)
        self.db.execute(read_sql("macros"))
        for links in _LINKS:
            self._link(links)

    # -- writing ------------------------------------------------------------------
    def _table(self, name: str) -> Table:
        if name not in TABLES:
            raise StoreError(f"unknown table {name!r}")
        return TABLES[name]

    def known_rows(self, table: str, keys: pa.Table | pd.DataFrame) -> pa.RecordBatchReader:
        """A stream: a re-load of millions of rows is never held in memory at once."""
        key = ["row_hash"] if table == "reversals" else list(self._table(table).key)
        reader = self._reader()
        stored = reader.table(table).set_alias("t")
        if table in ENTITY_TABLES:
            stored = stored.filter("t.row_hash IS NOT NULL")
        wanted = self._relation(reader, keys).select(", ".join(key)).set_alias("k")
        join = " AND ".join(f"t.{k} = k.{k}" for k in key)
        columns = dict.fromkeys([*key, "row_hash"])
        known = stored.join(wanted, join, how="semi").select(", ".join(columns))
        return known.to_arrow_reader()

    def _reader(self) -> duckdb.DuckDBPyConnection:
        """The cursor stored rows are streamed from, kept while its streams are read."""
        if self._cursor is None:
            self._cursor = self.db.cursor()
        return self._cursor

    @staticmethod
    def _relation(
        db: duckdb.DuckDBPyConnection, rows: pa.Table | pd.DataFrame
    ) -> duckdb.DuckDBPyRelation:
        return db.from_df(rows) if isinstance(rows, pd.DataFrame) else db.from_arrow(rows)

    def upsert(
        self, table: str, frame: Rows, progress: Progress | None = None, fresh: bool = False
    ) -> int:
        spec = self._table(table)
        self._ranges.clear()
        cols = _columns(spec)
        present = set(_column_names(frame))
        if table == "claim_items" and "line_no" not in present:
            frame = as_pandas(frame)
            frame = frame.assign(line_no=item_line_numbers(frame))
            present.add("line_no")
        select = ", ".join(
            f"CAST(f.{name} AS {sql_type})" if name in present else f"CAST(NULL AS {sql_type})"
            for name, sql_type in cols
        )
        join = " AND ".join(f"f.{k} = t.{k}" for k in spec.key)
        replaces = table in ENTITY_TABLES and "row_hash" in present
        self.db.register("_incoming", frame)
        try:
            self.db.execute("BEGIN")
            rows = "_incoming"
            if replaces:
                # a stream reads once, and listed entities are read twice (the derived rows
                # they replace, then the insert): entity files are small enough to copy
                self.db.execute("CREATE OR REPLACE TEMP TABLE _frame AS SELECT * FROM _incoming")
                rows = "_frame"
                self.db.execute(
                    f"DELETE FROM {table} t WHERE t.row_hash IS NULL AND EXISTS "
                    f"(SELECT 1 FROM {rows} f WHERE {join} AND f.row_hash IS NOT NULL)"
                )
            stored = self._count(table)
            names = ", ".join(name for name, _ in cols)
            order = ""
            if table == "claims":
                order = " ORDER BY " + ", ".join(f"f.{c}" for c in _CLAIMS_ORDER)
            new = "" if fresh else f" ANTI JOIN {table} t ON {join}"
            written = self.db.execute(
                f"INSERT INTO {table} ({names}) SELECT {select} FROM {rows} f{new}{order}"
            ).fetchall()[0][0]
            if table == "claims" and written:
                self._derive_entities(stored)
            self.db.execute("DROP TABLE IF EXISTS _frame")
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        finally:
            self.db.unregister("_incoming")
        for links in _LINKS:
            if links.table == table and written:
                self._link(links)
        return written

    def _derive_entities(self, stored: int) -> None:
        """Persons, providers and doctors named by the claims just written that no table
        row lists yet, as derived rows (no row_hash). The claims just written are those
        numbered from ``stored`` on: DuckDB numbers appended rows after every stored one
        (claims are never deleted), so the file is read once, and a claim counted twice
        would only find its entities already there. One pass over them collects the few
        distinct names."""
        self.db.execute(
            f"CREATE OR REPLACE TEMP VIEW _new AS SELECT * FROM claims WHERE rowid >= {stored:d}"
        )
        self.db.execute(f"CREATE OR REPLACE TEMP TABLE _named AS {_NAMED}")
        for table, query in _DERIVE.items():
            key = TABLES[table].key[0]
            self.db.execute(
                f"INSERT INTO {table} ({_DERIVED_COLUMNS[table]}) SELECT * FROM ({query}) d "
                f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.{key} = d.{key})"
            )
        self.db.execute("DROP TABLE _named")
        self.db.execute("DROP VIEW _new")

    def _link(self, links: _Links) -> None:
        """Bring the links up to their table: the rows stored since the last call are
        linked (a load links what it wrote, a store from before is linked once on open).
        Links address rows by rowid, which holds because claims and item lines are only
        appended (reversals update amounts in place), and a row has its rowid only once
        committed: this runs after the rows' own transaction, and one cut short in
        between is finished by the next call. Fewer rows than linked, or another hash
        function, rebuilds them all, so a lookup never misses a row."""
        self.db.execute(f"CREATE TABLE IF NOT EXISTS {links.links} ({links.columns})")
        self.db.execute(f"CREATE TABLE IF NOT EXISTS {links.state} (linked BIGINT, probe UBIGINT)")
        self.db.execute("BEGIN")
        try:
            probe = self.db.execute("SELECT hash(?)", [links.probe]).fetchall()[0][0]
            state = self.db.execute(f"SELECT linked, probe FROM {links.state}").fetchall()
            rows = self._count(links.table)
            linked = state[0][0] if state and state[0][1] == probe else -1
            if linked != rows:
                if not 0 <= linked <= rows:
                    self.db.execute(f"DELETE FROM {links.links}")
                    linked = 0
                self.db.execute(read_sql(links.sql), {"start": linked})
                self.db.execute(f"DELETE FROM {links.state}")
                self.db.execute(f"INSERT INTO {links.state} VALUES (?, ?)", [rows, probe])
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def apply_reversals(self, frame: Rows) -> int:
        self.db.register("_rev", frame)
        try:
            self.db.execute("BEGIN")
            self.db.execute(
                "CREATE OR REPLACE TEMP TABLE _new_rev AS SELECT * FROM _rev r "
                "WHERE NOT EXISTS (SELECT 1 FROM reversals v WHERE v.row_hash = r.row_hash) "
                "QUALIFY row_number() OVER (PARTITION BY row_hash ORDER BY source_row) = 1"
            )
            applied = self.db.execute(
                "INSERT INTO reversals SELECT reversal_id, claim_id, total_amount, fund_amount, "
                "account_amount, cash_amount, source_file, source_row, load_id, row_hash "
                "FROM _new_rev"
            ).fetchall()[0][0]
            self.db.execute(
                "UPDATE claims c SET total_amount = c.total_amount + r.total, "
                "fund_amount = c.fund_amount + r.fund, account_amount = c.account_amount + "
                "r.account, cash_amount = c.cash_amount + r.cash FROM (SELECT claim_id, "
                "sum(total_amount) AS total, coalesce(sum(fund_amount), 0) AS fund, "
                "coalesce(sum(account_amount), 0) AS account, coalesce(sum(cash_amount), 0) "
                "AS cash FROM _new_rev GROUP BY claim_id) r WHERE c.claim_id = r.claim_id"
            )
            self.db.execute("DROP TABLE _new_rev")
            self.db.execute("COMMIT")
            return applied
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        finally:
            self.db.unregister("_rev")

    def _count(self, table: str) -> int:
        return self.db.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]

    def record_id_facts(self, rows: pa.Table) -> None:
        self.db.register("_id_facts", rows)
        try:
            self.db.execute(
                "INSERT INTO person_id_facts SELECT person_id, sex, birth_date FROM _id_facts "
                "ON CONFLICT DO NOTHING"
            )
        finally:
            self.db.unregister("_id_facts")

    def record_load(self, record: Mapping[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?)",
            [
                record["load_id"],
                record["source_file"],
                record.get("file_sha256"),
                record.get("started_at"),
                record.get("finished_at"),
                json.dumps(record.get("report", {}), ensure_ascii=False, default=str),
            ],
        )

    def limit_memory(self, budget: int, spill_cap: int | None = None) -> None:
        """DuckDB spills joins, aggregates and sorts past ``budget`` into the store's own
        spill folder (private, beside the data it comes from) instead of growing, at most
        ``spill_cap`` bytes there (None: DuckDB's own cap, 90 % of the free disk, which a
        shared disk cannot spare). A workspace's connection opens with it set (DuckDB
        cannot move it once used)."""
        spill = str(private_dir(self.spill_dir))
        self.memory = int(budget)
        self.db.execute(f"SET memory_limit = '{int(budget)}B'")
        if spill_cap is not None:
            self.db.execute(f"SET max_temp_directory_size = '{int(spill_cap)}B'")
        current = self.db.execute("SELECT current_setting('temp_directory')").fetchone()
        if current is None or current[0] != spill:
            self.db.execute("SET temp_directory = ?", [spill])

    # -- reading ------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        counts = {name: self._count(name) for name in TABLES}
        counts["reversals"] = self._count("reversals")
        kinds = dict(
            self.db.execute(
                "SELECT kind, count(*) FROM claims GROUP BY kind ORDER BY kind"
            ).fetchall()
        )
        first, last = self.db.execute(
            "SELECT min(start_time), max(start_time) FROM claims"
        ).fetchall()[0]
        loads = self.db.execute(
            "SELECT load_id, source_file, finished_at, report FROM loads "
            "ORDER BY finished_at DESC LIMIT 5"
        ).df()
        return {
            "engine": self.engine,
            "location": self.db.execute(
                "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
            ).fetchall()[0][0],
            "counts": counts,
            "claims_by_kind": kinds,
            "first_claim": first,
            "last_claim": last,
            "last_loads": loads.to_dict("records"),
        }

    def projection(self, name: str, **params: Any) -> pd.DataFrame:
        """A scan's read, in the steps of its plan (``_PLANS``). Running out of memory and
        spill disk at a large city is not a bug but a budget the operator sets: one line
        that says what to change."""
        *steps, (last, _) = _PLANS.get(name, ((name, ""),))
        registered: list[str] = []
        try:
            for statement, table in steps:
                self.db.register(table, self._arrow(statement, params))
                registered.append(table)
            if last in _RANGED:
                return self.db.from_arrow(self._in_ranges(last, params)).df()
            return self.db.execute(*_statement(last, params)).df()
        except (duckdb.OutOfMemoryException, duckdb.IOException) as exc:
            if isinstance(exc, duckdb.IOException) and "No space left" not in str(exc):
                raise
            spill = self.db.execute("SELECT current_setting('temp_directory')").fetchone()[0]
            raise StoreError(
                f"{name}: out of memory and spill space ({str(exc).splitlines()[0]}); spill "
                f"files go to {spill}: free disk there, scan by period (--since/--until) or "
                "raise --memory"
            ) from None
        finally:
            for table in registered:
                self.db.unregister(table)

    def ranges(
        self, name: str, since: datetime | None, until: datetime | None
    ) -> list[tuple[str | None, str | None]]:
        """The ranges of providers (first and last provider_id) the ranged statement
        ``name`` is read in: consecutive, of about the engine's budget each (``Cut``); one
        provider busier than that is a range of its own. One range, (None, None), when
        everything fits at once. Counted once per (cut, budget, window) until the next
        write: the ranged reads of one scan share them."""
        cut = _RANGED[name]
        if self.memory is None:
            return [(None, None)]
        key = (cut.counts, cut.row_bytes, self.memory, since, until)
        if key not in self._ranges:
            self._ranges[key] = self._cut(cut, since, until)
        return self._ranges[key]

    def _cut(
        self, cut: Cut, since: datetime | None, until: datetime | None
    ) -> list[tuple[str | None, str | None]]:
        assert self.memory is not None
        target = max(self.memory // cut.row_bytes, 1)
        counts = self.db.execute(*_statement(cut.counts, {"since": since, "until": until}))
        rows = counts.fetchall()
        if sum(n for _, n in rows) <= target:
            return [(None, None)]
        ranges: list[tuple[str | None, str | None]] = []
        first, last, held = None, None, 0
        for provider, n in rows:
            if first is not None and held + n > target:
                ranges.append((first, last))
                first, held = None, 0
            first = provider if first is None else first
            last, held = provider, held + n
        ranges.append((first, last))
        return ranges

    def _in_ranges(self, name: str, params: dict[str, Any]) -> pa.Table:
        """A ranged statement range by range (``ranges``), the ranges' rows put together
        in their order, which is the statement's own (provider first). Each range is kept
        in Arrow (compact text); the engine converts the whole once, so the frame has the
        dtypes of a read in one piece."""
        ranges = self.ranges(name, params.get("since"), params.get("until"))
        parts = [
            self._rows(name, {**params, **dict(zip(RANGE_PARAMETERS, r, strict=True))})
            for r in ranges
        ]
        return pa.concat_tables(parts)

    def _arrow(self, name: str, params: dict[str, Any]) -> pa.Table:
        """A step's rows in Arrow (compact), range by range where it is a ranged one."""
        if name in _RANGED:
            return self._in_ranges(name, params)
        return self._rows(name, params)

    def _rows(self, name: str, params: dict[str, Any]) -> pa.Table:
        sql, used = _statement(name, params)
        return self.db.sql(sql, params=used).to_arrow_table()

    def claims(self, claim_ids: Iterable[str]) -> pd.DataFrame:
        ids = pd.DataFrame({"claim_id": pd.Series(list(claim_ids), dtype="string")})
        self.db.register("_ids", ids)
        try:
            return self.db.execute(read_sql("claims_by_id")).df()
        finally:
            self.db.unregister("_ids")

    def neighbourhood(
        self,
        entity_id: str,
        hops: int = 2,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> pd.DataFrame:
        """Walks claim_links (see neighbourhood_step.sql): each step reads only the row
        groups holding the frontier's claims, not the whole claims table."""
        step = read_sql("neighbourhood_step")
        params = {"since": since, "until": until}
        frontier = {entity_id}
        seen_entities: set[str] = set()
        claim_rows: set[int] = set()
        for hop in range(max(hops, 1)):
            new = sorted(frontier - seen_entities)
            if not new:
                break
            seen_entities |= set(new)
            self.db.register("_ent", pd.DataFrame({"e": pd.Series(new, dtype="string")}))
            try:
                rows = self.db.execute(step, params).df()
            finally:
                self.db.unregister("_ent")
            claim_rows |= set(rows["claim_row"].tolist())
            if hop + 1 < hops:  # the entities of the last step's claims lead nowhere
                frontier = {
                    v for c in ENTITY_COLUMNS for v in rows[c].dropna().astype(object).tolist()
                }
        self.db.register("_rows", pd.DataFrame({"claim_row": sorted(claim_rows)}, dtype="int64"))
        try:
            return self.db.execute(read_sql("claims_by_row")).df()
        finally:
            self.db.unregister("_rows")
