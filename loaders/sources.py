"""Source files as DuckDB sees them: all-text columns ``c0``, ``c1`` … in file order.

Every cell arrives as text so that parsing (times, kinds, exact decimals) happens in one
place, loaders/parse.py, whatever the file format. CSV is read by DuckDB's parallel
reader (a GBK/GB18030 file is first transcoded to UTF-8 in a streaming pass); rows that
cannot be split into the header's fields are rejected with their row number, never
silently dropped. Parquet is read by DuckDB too; Excel sheets go through openpyxl.

Source rows are numbered 1, 2 … after the header. A scan holds the rows that could be
split, in file order; the row numbers it lacks (broken rows, blank Excel rows) are its
*gaps*, so the k-th scanned row is source row k plus the gaps before it.
"""

from __future__ import annotations

import codecs
import csv
import io
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from graphscan.errors import InputError
from graphscan.i18n import t

_SAMPLE = 4 << 20
_COPY_CHUNK = 4 << 20
#: DuckDB's own tables of the rows its CSV reader rejected.
_REJECTS = ("_scan_rejects", "_scan_files")


@dataclass
class Scan:
    """``sql``: a FROM-clause item yielding the text columns of the rows that could be
    split into fields, in file order. ``broken()``: the source rows that could not (known
    once ``sql`` has run). ``skipped``: other source rows not in ``sql`` (blank rows)."""

    sql: str
    broken: Callable[[], list[int]]
    skipped: list[int] = field(default_factory=list)

    def gaps(self) -> list[int]:
        return sorted({*self.broken(), *self.skipped})


@dataclass
class Source:
    path: Path
    format: str
    encoding: str | None
    headers: list[str]
    _scan: Callable[[duckdb.DuckDBPyConnection], AbstractContextManager[Scan]]

    def scan(self, db: duckdb.DuckDBPyConnection) -> AbstractContextManager[Scan]:
        """The file as a scan in ``db``, valid inside the ``with`` block."""
        return self._scan(db)


def detect_encoding(path: Path) -> str:
    """BOM, else UTF-8 if the first megabytes decode, else GB18030 (a superset of GBK)."""
    with path.open("rb") as handle:
        sample = handle.read(_SAMPLE)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=False)
        return "gb18030"
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(sample).best()
        if best is None:
            raise InputError(
                t(
                    "{p}: 无法识别文件编码, 请用 --encoding 指定",
                    "{p}: cannot tell the encoding; give it with --encoding",
                    p=path.name,
                )
            ) from None
        return best.encoding


def open_source(path: Path, encoding: str | None = None) -> Source:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _excel(path)
    if suffix in (".parquet", ".pq"):
        return _parquet(path)
    return _csv(path, encoding or detect_encoding(path))


def _names(count: int) -> list[str]:
    return [f"c{i}" for i in range(count)]


def _literal(text: str | Path) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- CSV ---------------------------------------------------------------------------------
def _csv(path: Path, encoding: str) -> Source:
    with path.open("rb") as handle:
        head = handle.read(1 << 16).decode(encoding, errors="replace")
    try:
        headers = next(csv.reader(io.StringIO(head.lstrip("\ufeff"))))
    except StopIteration:
        raise InputError(t("{p}: 空文件", "{p}: empty file", p=path.name)) from None
    headers = [h.strip() for h in headers]
    columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in _names(len(headers))) + "}"

    @contextmanager
    def scan(db: duckdb.DuckDBPyConnection) -> Iterator[Scan]:
        with _utf8(path, encoding) as text:
            for table in _REJECTS:
                db.execute(f"DROP TABLE IF EXISTS {table}")
            sql = (
                f"read_csv({_literal(text)}, header = true, columns = {columns}, "
                "auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
                # empty fields stay '' (no value is NULL): otherwise the strict reader
                # forgives a surplus empty last field, and that row would load misaligned
                "nullstr = '\x01', allow_quoted_nulls = false, "
                "strict_mode = true, store_rejects = true, "
                f"rejects_table = '{_REJECTS[0]}', rejects_scan = '{_REJECTS[1]}')"
            )
            try:
                yield Scan(sql, lambda: _rejected_rows(db))
            finally:
                for table in _REJECTS:
                    db.execute(f"DROP TABLE IF EXISTS {table}")

    return Source(path, "csv", encoding, headers, scan)


def _rejected_rows(db: duckdb.DuckDBPyConnection) -> list[int]:
    """Source rows DuckDB's reader rejected (the header is line 1, a rejected row may be
    reported once per surplus field, and every scan of the file adds its reports)."""
    if not db.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [_REJECTS[0]]
    ).fetchall()[0][0]:
        return []
    rows = db.execute(f"SELECT DISTINCT line - 1 FROM {_REJECTS[0]} ORDER BY 1").fetchall()
    return [row for (row,) in rows]


@contextmanager
def _utf8(path: Path, encoding: str) -> Iterator[Path]:
    """The file itself when it is UTF-8 (with or without BOM), else a UTF-8 copy in a
    private temporary folder, removed afterwards."""
    if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="graphscan-") as folder:
        target = Path(folder) / "source.csv"
        try:
            with (
                path.open(encoding=encoding, newline="") as source,
                target.open("w", encoding="utf-8", newline="") as out,
            ):
                shutil.copyfileobj(source, out, _COPY_CHUNK)
        except UnicodeDecodeError as exc:
            raise InputError(
                t(
                    "{p}: 读取失败 (编码 {e}? 可用 --encoding 指定): {x}",
                    "{p}: cannot read it (encoding {e}? give it with --encoding): {x}",
                    p=path.name,
                    e=encoding,
                    x=exc.reason,
                )
            ) from None
        yield target


# -- Parquet -----------------------------------------------------------------------------
def _parquet(path: Path) -> Source:
    headers = list(pq.ParquetFile(path).schema_arrow.names)
    columns = ", ".join(f"CAST({_identifier(h)} AS VARCHAR) AS c{i}" for i, h in enumerate(headers))

    @contextmanager
    def scan(db: duckdb.DuckDBPyConnection) -> Iterator[Scan]:
        yield Scan(f"(SELECT {columns} FROM read_parquet({_literal(path)}))", list)

    return Source(path, "parquet", None, headers, scan)


# -- Excel -------------------------------------------------------------------------------
def _cell_text(value: Any) -> str | None:
    """An Excel cell as the text a CSV export would hold (times as ISO, whole numbers
    without a trailing .0, other numbers in their shortest exact form)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _excel(path: Path) -> Source:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    rows = workbook.active.iter_rows(values_only=True)
    header_row = 0
    headers: list[str] = []
    for header_row, values in enumerate(rows, start=1):  # noqa: B007 - used below
        if any(v is not None for v in values):
            headers = [str(v).strip() if v is not None else "" for v in values]
            break
    workbook.close()
    names = _names(len(headers))

    @contextmanager
    def scan(db: duckdb.DuckDBPyConnection) -> Iterator[Scan]:
        book = load_workbook(path, read_only=True, data_only=True)
        cells: list[list[str | None]] = [[] for _ in names]
        broken: list[int] = []
        blank: list[int] = []
        for number, values in enumerate(book.active.iter_rows(values_only=True), start=1):
            row = number - header_row
            if row <= 0:
                continue
            if all(v is None for v in values):
                blank.append(row)
            elif len(values) > len(names) and any(v is not None for v in values[len(names) :]):
                broken.append(row)
            else:
                for column, value in zip(cells, (*values, *[None] * len(names)), strict=False):
                    column.append(_cell_text(value))
        book.close()
        db.register("_scan_excel", pa.table([pa.array(c, pa.string()) for c in cells], names))
        try:
            yield Scan("_scan_excel", lambda: broken, blank)
        finally:
            db.unregister("_scan_excel")

    return Source(path, "xlsx", None, headers, scan)
