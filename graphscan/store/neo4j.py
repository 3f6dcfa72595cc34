"""The Neo4j store: canonical rows as a property graph, every statement a ``cypher/`` file.

Model: a :Claim node per claim (all canonical columns as properties, amounts as integer
fen ``*_cents`` so sums stay exact) linked to :Person (BY), :Card (WITH_CARD),
:Provider (AT; also labelled :Institution or :Pharmacy), :Doctor (TREATED_BY) and
:Operator (SWIPED_BY); :ClaimItem nodes hang off claims (HAS_ITEM); :Reversal nodes
(冲销) point at the claim whose amounts they netted (REVERSES); :Load nodes keep the load
history; USED and SENT_TO are aggregate relationships for graph algorithms.

Writes go in batches of parameterised ``UNWIND $rows`` statements; a claim and its links
commit together and stored keys are skipped, so an interrupted load is finished by
running it again. Lost connections are retried with back-off before giving up.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from neo4j import Driver, GraphDatabase, ManagedTransaction, Query, unit_of_work
from neo4j.exceptions import (
    AuthError,
    ClientError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)
from neo4j.time import Date, DateTime

from graphscan.cypher import read_cypher
from graphscan.errors import StoreError
from graphscan.progress import Progress, report
from graphscan.schema import CLAIMS, LINEAGE, TABLES, item_line_numbers
from graphscan.store.base import Rows, Store, as_pandas
from graphscan.store.communities import COLUMNS, indexed_edges

log = logging.getLogger(__name__)

#: Columns kept as integer fen in the graph (``total_amount`` -> ``total_cents``).
MONEY_COLUMNS = ("total_amount", "fund_amount", "account_amount", "cash_amount", "amount")
#: Exact decimals that are not money: kept as decimal strings.
DECIMAL_TEXT_COLUMNS = ("quantity", "unit_price")
TIME_COLUMNS = ("start_time", "end_time")
DATE_COLUMNS = ("birth_date", "death_date")
RETRYABLE = (ServiceUnavailable, SessionExpired, TransientError)
#: Error codes of a transaction stopped by its timeout (or by an operator).
TIMEOUT_CODES = ("TransactionTimedOut", "LockClientStopped", "Transaction.Terminated")
CLAIM_OUTPUT = [
    *CLAIMS.names,
    *(c.name for c in LINEAGE),
    "row_hash",
    "file_sha256",
    "provider_name",
    "provider_kind",
]


def open_driver(uri: str, user: str, password: str) -> Driver:
    """The driver's own retry is kept short and its log is silenced: Neo4jStore retries
    with back-off itself and says in one line when it gives up."""
    logging.getLogger("neo4j").addHandler(logging.NullHandler())
    return GraphDatabase.driver(
        uri,
        auth=(user, password),
        connection_timeout=10.0,
        max_transaction_retry_time=2.0,
        notifications_min_severity="OFF",
    )


def _cents_name(column: str) -> str:
    return column.removesuffix("_amount") + "_cents" if column != "amount" else "amount_cents"


class Neo4jStore(Store):
    engine = "neo4j"

    def __init__(
        self,
        driver: Driver,
        uri: str,
        timeout_s: float = 600.0,
        batch_size: int = 5000,
        retries: int = 5,
        backoff_s: float = 0.5,
    ) -> None:
        self.driver = driver
        self.uri = uri
        self.timeout_s = timeout_s
        self.batch_size = batch_size
        self.retries = retries
        self.backoff_s = backoff_s
        self._apply_schema()

    @classmethod
    def connect(cls, uri: str, user: str, password: str, **options: Any) -> Neo4jStore:
        """Open and check a connection; the caller resolves the credentials
        (``graphscan.store.open_store``)."""
        driver = open_driver(uri, user, password)
        try:
            driver.verify_connectivity()
        except AuthError:
            driver.close()
            raise StoreError(
                f"Neo4j at {uri} refused user {user!r}: wrong user or password"
            ) from None
        except (ServiceUnavailable, OSError, ValueError):
            driver.close()
            raise StoreError(
                f"cannot reach Neo4j at {uri}: is it running? (graphscan neo4j start)"
            ) from None
        return cls(driver, uri, **options)

    def close(self) -> None:
        self.driver.close()

    # -- running statements ------------------------------------------------------------
    def _retrying(self, what: str, work: Callable[[], Any]) -> Any:
        """Run ``work``; on a lost connection or a transient error wait and try again."""
        for attempt in range(self.retries + 1):
            try:
                return work()
            except RETRYABLE:
                if attempt == self.retries:
                    raise StoreError(
                        f"lost the connection to Neo4j at {self.uri} during {what} after "
                        f"{self.retries} retries; run the same command again to resume"
                    ) from None
                time.sleep(self.backoff_s * 2**attempt)
            except AuthError:
                raise StoreError(f"Neo4j at {self.uri} refused the credentials") from None
            except ClientError as exc:
                if any(code in (exc.code or "") for code in TIMEOUT_CODES):
                    raise StoreError(
                        f"Neo4j query {what} timed out after {self.timeout_s:g} s or was "
                        "stopped (raise GRAPHSCAN_NEO4J_TIMEOUT)"
                    ) from None
                raise StoreError(
                    f"Neo4j rejected {what}: [{exc.code}] {_first_line(exc.message)}"
                ) from None
            except Neo4jError as exc:
                raise StoreError(f"Neo4j failed in {what}: {_first_line(exc.message)}") from None
        raise AssertionError("unreachable")

    def _tx(self, name: str, params: Mapping[str, Any], write: bool) -> list[dict[str, Any]]:
        text = read_cypher(name)

        @unit_of_work(timeout=self.timeout_s)
        def work(tx: ManagedTransaction) -> list[dict[str, Any]]:
            return [record.data() for record in tx.run(text, params)]

        def attempt() -> list[dict[str, Any]]:
            with self.driver.session() as session:
                run = session.execute_write if write else session.execute_read
                return run(work)

        return self._retrying(name, attempt)

    def run_read(self, name: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Run ``cypher/<name>.cypher`` in a read transaction (with timeout and retries)."""
        return self._tx(name, params, False)

    def run_write(self, name: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        return self._tx(name, params, True)

    def _autocommit(self, name: str, params: Mapping[str, Any] | None = None) -> None:
        """Statements that manage their own transactions (schema, CALL IN TRANSACTIONS)."""
        code = "\n".join(ln for ln in read_cypher(name).splitlines() if not ln.startswith("//"))

        def attempt() -> None:
            with self.driver.session() as session:
                for statement in (s.strip() for s in code.split(";")):
                    if statement:
                        session.run(
                            Query(statement, timeout=self.timeout_s), params or {}
                        ).consume()

        self._retrying(name, attempt)

    def _apply_schema(self) -> None:
        self._autocommit("schema")
        self._autocommit("migrate_item_lines", {"line_no": "1", "migration": "item_lines"})
        self._autocommit("migrate_aggregate_marks", {"migration": "aggregate_marks"})

    # -- writing -----------------------------------------------------------------------
    def known_rows(self, table: str, keys: pa.Table | pd.DataFrame) -> pa.RecordBatchReader:
        keys = as_pandas(keys)
        key: tuple[str, ...] = ("row_hash",) if table == "reversals" else _table(table).key
        key_values = _item_keys(keys) if table == "claim_items" else keys[key[0]]
        ids = [str(v) for v in key_values.dropna().unique()]
        rows: list[dict[str, Any]] = []
        for start in range(0, len(ids), self.batch_size):
            rows += self._tx(
                f"known_{table}", {"keys": ids[start : start + self.batch_size]}, False
            )
        known = pa.Table.from_pandas(
            pd.DataFrame(rows, columns=list(dict.fromkeys([*key, "row_hash"]))),
            preserve_index=False,
        )
        return pa.RecordBatchReader.from_batches(known.schema, known.to_batches())

    def upsert(
        self, table: str, frame: Rows, progress: Progress | None = None, fresh: bool = False
    ) -> int:
        """Rows are turned into Python values one batch at a time (a loader's stream is
        kept as Arrow until then: a whole file as pandas objects took about 1.7 GB per
        million claims), the next batch in a second thread while the server writes this
        one: converting took a tenth of the claims batches' time (4 of 48 s) with the
        server idle through it. A key repeated in a later batch is skipped by the
        statement, as a stored one is, ``fresh`` or not: a batch retried after a lost
        connection may find itself written."""
        _table(table)
        rows = _with_line_numbers(frame) if table == "claim_items" else frame
        if isinstance(rows, pa.RecordBatchReader):
            rows = rows.read_all()
        total = len(rows)
        key = "item_key" if table == "claim_items" else TABLES[table].key[0]
        if table == "claims" and total:
            self._tx("aggregates_stale", {}, True)

        def converted(start: int) -> list[dict[str, Any]]:
            part = as_pandas(rows[start : start + self.batch_size])
            if table == "claim_items":
                part = part.assign(item_key=_item_keys(part))
            return _graph_rows(part.drop_duplicates(subset=[key], keep="first"))

        starts = range(0, total, self.batch_size)
        written, began = 0, time.monotonic()
        label = f"Neo4j {table}"
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="neo4j-rows") as convert:
            ahead = [convert.submit(converted, start) for start in starts[:1]]
            for done in range(1, len(starts) + 1):
                batch = ahead.pop().result()  # the next batch is converted while this is written
                ahead += [convert.submit(converted, start) for start in starts[done : done + 1]]
                written += self._write_new(table, key, batch)
                report(progress, label, done, len(starts))
        rate = total / max(time.monotonic() - began, 1e-9)
        log.info("%s: %d rows, %.0f rows/s", label, total, rate)
        return written

    def _write_new(self, table: str, key: str, rows: list[dict[str, Any]]) -> int:
        """One batch in one transaction. Claims and items: the stored keys among the batch
        are read first and left out, so the write statement only creates. The same guard
        inside the write statement (OPTIONAL MATCH, then CREATE) made the planner put Eager
        barriers around every write and ran at about half the rate."""
        write, known = read_cypher(f"upsert_{table}"), KNOWN_KEYS.get(table)

        @unit_of_work(timeout=self.timeout_s)
        def work(tx: ManagedTransaction) -> int:
            fresh = rows
            if known is not None:
                keys = [row[key] for row in rows]
                stored = known(tx.run(read_cypher(f"known_{table}"), {"keys": keys}).data())
                fresh = [row for row in rows if row[key] not in stored]
            return tx.run(write, {"rows": fresh}).single()["written"]

        def attempt() -> int:
            with self.driver.session() as session:
                return session.execute_write(work)

        return self._retrying(f"upsert_{table}", attempt)

    def apply_reversals(self, frame: Rows) -> int:
        frame = as_pandas(frame)
        frame = frame.sort_values("source_row", kind="stable").drop_duplicates("row_hash")
        if len(frame):
            self._tx("aggregates_stale", {}, True)
        written = 0
        for start in range(0, len(frame), self.batch_size):
            rows = _graph_rows(frame.iloc[start : start + self.batch_size])
            written += self._tx("apply_reversals", {"rows": rows}, True)[0]["written"]
        return written

    def record_id_facts(self, rows: pa.Table) -> None:
        facts = as_pandas(rows)
        for start in range(0, len(facts), self.batch_size):
            self._tx(
                "record_id_facts",
                {"rows": _graph_rows(facts.iloc[start : start + self.batch_size])},
                True,
            )

    def record_load(self, record: Mapping[str, Any]) -> None:
        params = {
            "load_id": record["load_id"],
            "source_file": record["source_file"],
            "file_sha256": record.get("file_sha256"),
            "started_at": _param(record.get("started_at")),
            "finished_at": _param(record.get("finished_at")),
            "report": json.dumps(record.get("report", {}), ensure_ascii=False, default=str),
        }
        self._tx("record_load", params, True)
        if self._tx("aggregates_state", {}, False)[0]["stale"]:
            self._autocommit("refresh_aggregates")

    def claim_case_book(self, home: Mapping[str, str]) -> None:
        self._tx("claim_case_book", {**home, "claimed_at": _param(datetime.now(UTC))}, True)

    def case_book_home(self) -> dict[str, str] | None:
        rows = self._tx("case_book_home", {}, False)
        return {k: str(v) for k, v in rows[0].items()} if rows else None

    # -- reading -----------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        counts = self._tx("status_counts", {}, False)[0]
        kinds = self._tx("status_kinds", {}, False)
        loads = self._tx("status_loads", {}, False)
        return {
            "engine": self.engine,
            "location": self.uri,
            "counts": counts,
            "claims_by_kind": {k["kind"]: k["claims"] for k in kinds},
            "first_claim": min((_native(k["first"]) for k in kinds), default=None),
            "last_claim": max((_native(k["last"]) for k in kinds), default=None),
            "last_loads": [{k: _native(v) for k, v in load.items()} for load in loads],
        }

    def projection(self, name: str, **params: Any) -> pd.DataFrame:
        text = read_cypher(name)
        used = {k: _param(v) for k, v in params.items() if f"${k}" in text}

        @unit_of_work(timeout=self.timeout_s)
        def work(tx: ManagedTransaction) -> tuple[list[str], list[list[Any]]]:
            result = tx.run(text, used)
            rows = [[_native(v) for v in record.values()] for record in result]
            return list(result.keys()), rows

        def attempt() -> tuple[list[str], list[list[Any]]]:
            with self.driver.session() as session:
                return session.execute_read(work)

        columns, rows = self._retrying(name, attempt)
        return _typed_frame(columns, rows)

    def communities(
        self, edges: pd.DataFrame, seed: int = 1, resolution: float = 1.0
    ) -> pd.DataFrame:
        """In GDS when the server has it, else pulled into igraph."""
        if edges.empty:
            return pd.DataFrame(columns=COLUMNS)
        if self.run_read("gds_available", {})[0]["available"]:
            return leiden_gds(self, edges, seed, resolution)
        return super().communities(edges, seed, resolution)

    def claims(self, claim_ids: Iterable[str]) -> pd.DataFrame:
        ids = sorted({str(i) for i in claim_ids})
        rows = [r["claim"] for r in self._tx("claims_by_id", {"claim_ids": ids}, False)]
        frame = pd.DataFrame([_canonical_claim(row) for row in rows], columns=CLAIM_OUTPUT)
        for column in TIME_COLUMNS:
            frame[column] = pd.to_datetime(frame[column])
        return frame

    def neighbourhood(
        self,
        entity_id: str,
        hops: int = 2,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> pd.DataFrame:
        window = {"since": _param(since), "until": _param(until)}
        frontier, seen, claim_ids = {entity_id}, set[str](), set[str]()
        for _ in range(max(hops, 1)):
            new = sorted(frontier - seen)
            if not new:
                break
            seen |= set(new)
            rows = self._tx("neighbourhood_step", {"ids": new, **window}, False)
            claim_ids |= {r["claim_id"] for r in rows}
            frontier = {v for r in rows for k, v in r.items() if k != "claim_id" and v is not None}
        return self.claims(claim_ids)


def leiden_gds(
    store: Neo4jStore, edges: pd.DataFrame, seed: int = 1, resolution: float = 1.0
) -> pd.DataFrame:
    """Seeded Leiden inside the server: the edges go up once as a GDS graph that is
    dropped afterwards, whatever happens."""
    names, coded = indexed_edges(edges)
    graph = f"graphscan-{uuid.uuid4().hex[:12]}"
    try:
        store.run_write("gds_project_edges", {"graph": graph, "edges": coded.to_dict("records")})
        rows = store.run_read(
            "gds_leiden_stream", {"graph": graph, "seed": seed, "resolution": resolution}
        )
    finally:
        store.run_write("gds_drop_graph", {"graph": graph})
    return pd.DataFrame(
        {"node": [names[r["node"]] for r in rows], "community": [r["community"] for r in rows]},
        columns=COLUMNS,
    )


# -- conversions between canonical frames and graph properties -------------------------------
def _table(name: str) -> Any:
    if name not in TABLES:
        raise StoreError(f"unknown table {name!r}")
    return TABLES[name]


def _with_line_numbers(items: Rows) -> Rows:
    """Claim items as given when they carry ``line_no`` (the loaders' always do), else
    with it numbered over the whole of them, in order."""
    names = items.columns if isinstance(items, pd.DataFrame) else items.schema.names
    if "line_no" in names:
        return items
    frame = as_pandas(items)
    return frame.assign(line_no=item_line_numbers(frame))


#: How the stored keys among a batch are read back (``known_<table>`` rows to keys), for
#: the tables whose write statement only creates.
KNOWN_KEYS: dict[str, Callable[[list[dict[str, Any]]], set[str]]] = {
    "claims": lambda records: {r["claim_id"] for r in records},
    "claim_items": lambda records: {r["item_key"] for r in records},
}


def _item_keys(frame: pd.DataFrame) -> pd.Series:
    """A claim item's key property: claim, item code and line within the claim."""
    parts = [frame[c].astype("string") for c in TABLES["claim_items"].key]
    return parts[0].str.cat(parts[1:], sep="|")


def _first_line(message: str | None) -> str:
    return (message or "").strip().splitlines()[0][:300] if message else "(no message)"


def _to_cents(value: Any) -> int:
    return int((Decimal(str(value)) * 100).quantize(Decimal(1)))


#: ISO text the upsert statements turn into local date-times and dates in the server: the
#: driver packs Python datetimes ten times slower than strings.
_ISO_FORMATS = {
    **dict.fromkeys(TIME_COLUMNS, "%Y-%m-%dT%H:%M:%S.%f"),
    **dict.fromkeys(DATE_COLUMNS, "%Y-%m-%d"),
}


def _graph_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Canonical columns to Bolt values: money to integer fen, exact decimals to text,
    times and dates to ISO text, missing values dropped (Neo4j stores no nulls).
    Converts column by column: this runs on every row of a load."""
    names, columns = [], []
    for column in frame.columns:
        if column in _ISO_FORMATS:
            text = pd.to_datetime(frame[column]).dt.strftime(_ISO_FORMATS[column])
            names.append(column)
            columns.append(text.astype(object).where(text.notna(), None).tolist())
            continue
        values = frame[column].astype(object).where(frame[column].notna(), None)
        if column in MONEY_COLUMNS:
            names.append(_cents_name(column))
            columns.append([None if v is None else _to_cents(v) for v in values])
            continue
        if column in DECIMAL_TEXT_COLUMNS:
            quantum = Decimal("0.0001")
            values = [
                None if v is None else format(Decimal(str(v)).quantize(quantum), "f")
                for v in values
            ]
        else:
            values = [_param(v) for v in values]
        names.append(column)
        columns.append(values)
    return [
        {k: v for k, v in zip(names, row, strict=True) if v is not None}
        for row in zip(*columns, strict=True)
    ]


def _param(value: Any) -> Any:
    """Python, numpy and pandas scalars to what the Bolt driver sends."""
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (datetime, date, str, int, float, bool, list, dict)):
        return value
    return str(value)


def _typed_frame(columns: list[str], rows: list[list[Any]]) -> pd.DataFrame:
    """Rows to the dtypes DuckDB gives the same projection: integers as int64 (Int64 when
    some are missing), numbers as float64, text as object."""
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    for column in columns:
        values = frame[column].dropna()
        if values.empty:
            continue
        kinds = {type(v) for v in values}
        if kinds == {int}:
            frame[column] = frame[column].astype("int64" if len(values) == len(frame) else "Int64")
        elif kinds <= {int, float}:
            frame[column] = frame[column].astype("float64")
        elif kinds == {datetime}:
            frame[column] = pd.to_datetime(frame[column])
    return frame


def _native(value: Any) -> Any:
    if isinstance(value, (DateTime, Date)):
        return value.to_native()
    return value


def _canonical_claim(props: Mapping[str, Any]) -> dict[str, Any]:
    row = {column: _native(props.get(column)) for column in CLAIM_OUTPUT}
    for column in MONEY_COLUMNS[:4]:
        cents = props.get(_cents_name(column))
        row[column] = None if cents is None else cents / 100
    return row
