"""Source files as DuckDB sees them: all-text columns ``c0``, ``c1`` … in file order.

Every cell arrives as text so that parsing (times, kinds, exact decimals) happens in one
place, loaders/parse.py, whatever the file format. CSV is read by DuckDB's parallel
reader; a GBK/GB18030 file is transcoded to UTF-8 on the fly through a pipe, so no
clear-text copy of it ever lands on disk. Rows that cannot be split into the header's
fields are rejected with their row number, never silently dropped; a stray quote that
runs several lines together costs each of those lines (``stray_quote``), and the records
are checked against a plain count of the file's lines. Parquet is read by DuckDB too
(numbers as exact text); every sheet of a workbook goes through openpyxl.

Source rows are numbered 1, 2 … after the header. A scan holds the rows that could be
split, in file order; the row numbers it lacks (broken rows, blank Excel rows) are its
*gaps*, so the k-th scanned row is source row k plus the gaps before it.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import threading
import zipfile
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
from graphscan.loaders.sqltext import identifier, literal

_SAMPLE = 4 << 20
_COPY_CHUNK = 1 << 20
#: DuckDB's own tables of the rows its CSV reader rejected.
_REJECTS = ("_scan_rejects", "_scan_files")
#: Encodings in which a newline byte is always a newline (a plain byte count of lines).
_ASCII_LINES = ("utf-8", "utf-8-sig", "gbk", "gb18030", "gb2312", "ascii")
_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass
class Scan:
    """``rows()``: a FROM-clause item yielding the text columns of the rows that could be
    split into fields, in file order, for one query (a CSV that is transcoded is streamed
    anew each time). ``broken``: ``(source row, reason)`` of the rows that could not (known
    once a query has read the file). ``skipped``: other source rows not in the scan (blank
    rows)."""

    rows: Callable[[], str]
    broken_rows: Callable[[], list[tuple[int, str]]]
    skipped: list[int] = field(default_factory=list)

    def broken(self) -> list[tuple[int, str]]:
        """Source rows that are not loaded from the scan, with their reason."""
        return self.broken_rows()

    def gaps(self) -> list[int]:
        """Source rows that have no place among the scanned rows."""
        return sorted({*(row for row, _ in self.broken()), *self.skipped})

    def verify(self, records: int, lines: int | None) -> list[int]:
        """Check the ``records`` scanned against the file's ``lines`` (a plain count);
        returns the positions of scanned rows that are not records after all."""
        return []

    def numbered(self, first: int = 1, last: int | None = None) -> str:
        """A FROM-clause item: the scanned rows ``first`` to ``last`` (inclusive, 1-based;
        None: to the end) with their ``position``, so that a large file is staged in parts.
        Numbered before anything joins them, which would not keep the order. The read
        stops at ``last``: a part reads the file up to its own end, not beyond."""
        upto = "" if last is None else f" LIMIT {last:d}"
        numbered = f"(SELECT row_number() OVER () AS position, * FROM {self.rows()}{upto})"
        if first == 1:
            return numbered
        return f"(SELECT * FROM {numbered} WHERE position >= {first:d})"


@dataclass
class Source:
    """One table of a file: the file itself, or one sheet of a workbook (``name`` then
    says which: ``book.xlsx[Sheet2]``)."""

    path: Path
    format: str
    encoding: str | None
    headers: list[str]
    _scan: Callable[[duckdb.DuckDBPyConnection], AbstractContextManager[Scan]]
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or self.path.name

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


def open_sources(path: Path, encoding: str | None = None) -> list[Source]:
    """The tables of a file: one for CSV and Parquet, one per non-empty sheet of a
    workbook. A file that is not what its name says is an InputError (one line)."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _excel(path)
    if suffix in (".parquet", ".pq"):
        return [_parquet(path)]
    return [_csv(path, encoding or detect_encoding(path))]


def _names(count: int) -> list[str]:
    return [f"c{i}" for i in range(count)]


def _not_readable(path: Path, what: tuple[str, str], exc: BaseException) -> InputError:
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return InputError(
        t(
            "{p}: 不是有效的{w} ({x})",
            "{p}: not a valid {w} ({x})",
            p=path.name,
            w=t(*what),
            x=detail,
        )
    )


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
    utf8 = codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")

    @contextmanager
    def scan(db: duckdb.DuckDBPyConnection) -> Iterator[Scan]:
        with _streams(path, encoding) as stream:

            def rows() -> str:
                text = path if utf8 else stream()
                return (
                    f"read_csv({literal(text)}, header = true, columns = {columns}, "
                    "auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
                    # empty fields stay '' (no value is NULL): otherwise the strict reader
                    # forgives a surplus empty last field, and that row would load misaligned
                    "nullstr = '\x01', allow_quoted_nulls = false, "
                    "strict_mode = true, store_rejects = true, "
                    f"rejects_table = '{_REJECTS[0]}', rejects_scan = '{_REJECTS[1]}')"
                )

            for table in _REJECTS:
                db.execute(f"DROP TABLE IF EXISTS {table}")
            try:
                yield CsvScan(rows, db, path, encoding, len(headers))
            finally:
                for table in _REJECTS:
                    db.execute(f"DROP TABLE IF EXISTS {table}")

    return Source(path, "csv", encoding, headers, scan)


def _lines(text: str, blank: bool = True) -> int:
    """Lines of a record's text, the blank ones too unless ``blank`` is false."""
    parts = _BREAK.split(text.rstrip("\r\n"))
    return len(parts) if blank else sum(1 for part in parts if part)


class CsvScan(Scan):
    """A CSV as DuckDB's reader splits it, held to the file's own line count. A quote
    that opens a field and is not closed where it should be makes the reader run lines
    together: into a rejected record, or into one field of a record that happens to
    have the right number of fields. Such a record stands for each of its lines, all
    quarantined as ``stray_quote``, and the rows after it count from the lines, as a
    reader of the file would. A line break in a field is taken for a stray quote when
    that field also holds a whole line's worth of commas; other quoted line breaks are
    data (an address, a note)."""

    def __init__(
        self,
        rows: Callable[[], str],
        db: duckdb.DuckDBPyConnection,
        path: Path,
        encoding: str,
        width: int,
    ) -> None:
        super().__init__(rows, list)
        self.db, self.path, self.encoding, self.width = db, path, encoding, width
        #: scanned rows (position, lines) that are lines run together, not records
        self.joined: list[tuple[int, int]] = []

    def _rejects(self) -> list[tuple[int, str]]:
        """(record ordinal after the header, record text) of each record the reader
        rejected (reported once per surplus field, and again by every scan)."""
        if not self.db.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [_REJECTS[0]]
        ).fetchall()[0][0]:
            return []
        return self.db.execute(
            f"SELECT line - 1, any_value(csv_line) FROM {_REJECTS[0]} GROUP BY line ORDER BY 1"
        ).fetchall()

    def _records(self) -> list[tuple[int, int, str, bool]]:
        """(first source row, lines, reason, scanned) of every record not loaded: the
        rejected ones and the joined lines, each standing for all of its lines."""
        rejected = self._rejects()
        ordinals = [ordinal for ordinal, _ in rejected]
        merged: list[tuple[int, int, str, bool]] = []
        for ordinal, text in rejected:
            span = _lines(text or "")
            merged.append((ordinal, span, "broken_row" if span == 1 else "stray_quote", False))
        before = 0
        for position, span in self.joined:  # ordinal: position + rejected records before
            while before < len(ordinals) and ordinals[before] <= position + before:
                before += 1
            merged.append((position + before, span, "stray_quote", True))
        out, shift = [], 0
        for ordinal, span, reason, scanned in sorted(merged):
            out.append((ordinal + shift, span, reason, scanned))
            shift += span - 1
        return out

    def broken(self) -> list[tuple[int, str]]:
        return [
            (first + i, reason) for first, span, reason, _ in self._records() for i in range(span)
        ]

    def gaps(self) -> list[int]:
        return [
            first + i
            for first, span, _, scanned in self._records()
            for i in range(1 if scanned else 0, span)
        ]

    def verify(self, records: int, lines: int | None) -> list[int]:
        """``lines``: the file's line count from a plain byte scan, exact for the
        encodings where a newline byte is always a newline. When it does not match at
        once (blank lines, line breaks inside fields), the non-blank lines are counted
        against the records and the line breaks inside their fields; anything else they
        do not account for stops the file before a row of it is written."""
        rejected = self._rejects()
        plain = lines is not None and codecs.lookup(self.encoding).name in _ASCII_LINES
        if plain and lines == 1 + records + sum(_lines(text or "") for _, text in rejected):
            return []
        with self.path.open(encoding=self.encoding, errors="replace", newline=None) as handle:
            physical = sum(1 for line in handle if line.strip("\r\n"))
        fields = [f"coalesce(c{i}, '')" for i in range(self.width)]
        broken = " OR ".join(f"contains({f}, chr(10)) OR contains({f}, chr(13))" for f in fields)
        # a run of line breaks inside a field is one more non-blank line of the file (the
        # line after it holds at least the closing quote)
        runs = " + ".join(f"len(regexp_extract_all({f}, '[\\r\\n]+'))" for f in fields)
        breaks = " + ".join(f"len(regexp_extract_all({f}, '\\r\\n|\\r|\\n'))" for f in fields)
        joined = " OR ".join(
            f"((contains({f}, chr(10)) OR contains({f}, chr(13))) AND "
            f"length({f}) - length(replace({f}, ',', '')) >= {self.width - 1})"
            for f in fields
        )
        found = self.db.execute(
            f"SELECT position, {runs}, 1 + {breaks}, {joined} FROM "
            f"(SELECT row_number() OVER () AS position, * FROM {self.rows()}) "
            f"WHERE {broken} ORDER BY position"
        ).fetchall()
        inside = sum(runs for _, runs, _, _ in found)
        unsplit = sum(_lines(text or "", blank=False) for _, text in rejected)
        if 1 + records + inside + unsplit != physical:
            raise InputError(
                t(
                    "{p}: 文件有 {n:,} 个非空行, 但 CSV 读取只对应 {m:,} 行 (引号不成对?); "
                    "未导入任何行",
                    "{p}: the file has {n:,} non-blank lines but the CSV reader accounts "
                    "for {m:,} (unbalanced quotes?); nothing was loaded",
                    p=self.path.name,
                    n=physical,
                    m=1 + records + inside + unsplit,
                )
            )
        self.joined = [(position, span) for position, _, span, joined in found if joined]
        return [position for position, _ in self.joined]


@contextmanager
def _streams(path: Path, encoding: str) -> Iterator[Callable[[], str]]:
    """``stream()`` gives a path DuckDB can read once: the file transcoded to UTF-8
    through an anonymous pipe (``/dev/fd/N``), written by a thread while DuckDB reads.
    Nothing is written to disk, so a load that is killed leaves no clear-text copy."""
    pipes: list[tuple[int, threading.Thread]] = []
    failure: list[UnicodeDecodeError] = []

    def pump(fd: int) -> None:
        try:
            with (
                path.open(encoding=encoding, newline="") as source,
                os.fdopen(fd, "w", encoding="utf-8", newline="") as out,
            ):
                while chunk := source.read(_COPY_CHUNK):
                    out.write(chunk)
        except UnicodeDecodeError as exc:
            failure.append(exc)
        except BrokenPipeError:  # the reader stopped early (an error, or a LIMIT)
            pass

    def raise_failure() -> None:
        if failure:
            raise InputError(
                t(
                    "{p}: 读取失败 (编码 {e}? 可用 --encoding 指定): {x}",
                    "{p}: cannot read it (encoding {e}? give it with --encoding): {x}",
                    p=path.name,
                    e=encoding,
                    x=failure[0].reason,
                )
            )

    def stream() -> str:
        raise_failure()  # before a later query can take a cut-off stream for the file
        read, write = os.pipe()
        pump_thread = threading.Thread(target=pump, args=(write,), daemon=True)
        pump_thread.start()
        pipes.append((read, pump_thread))
        return f"/dev/fd/{read}"

    try:
        yield stream
    finally:
        for read, pump_thread in pipes:
            os.close(read)
            pump_thread.join()
    raise_failure()


# -- Parquet -----------------------------------------------------------------------------
#: Doubles hold every integer up to 2**53 exactly; beyond it an id has lost digits.
_EXACT = 2**53


def _parquet_text(name: str, kind: pa.DataType) -> str:
    """A Parquet column as the text a CSV export would hold: whole numbers (an id typed
    as a float or a decimal) without a trailing ``.0``; other doubles to the 15 digits a
    double holds (``0.1 + 0.2`` is 0.3, not a third decimal), so that an id that cannot
    be exact is seen as one (``1.1e+17``, ``123.5``)."""
    x = identifier(name)
    if pa.types.is_floating(kind):
        return (
            f"CASE WHEN isnan({x}) THEN NULL WHEN {x} = trunc({x}) AND abs({x}) <= {_EXACT} "
            f"THEN CAST(CAST({x} AS BIGINT) AS VARCHAR) ELSE printf('%.15g', {x}) END"
        )
    if pa.types.is_decimal(kind) and kind.scale > 0:
        return (
            f"CASE WHEN {x} = trunc({x}) THEN CAST(CAST({x} AS HUGEINT) AS VARCHAR) "
            f"ELSE CAST({x} AS VARCHAR) END"
        )
    return f"CAST({x} AS VARCHAR)"


@dataclass
class ParquetScan(Scan):
    """A Parquet file numbered by its own row numbers: a part reads only the row groups
    that hold it, not the whole file."""

    columns: str = ""
    path: Path = Path()

    def numbered(self, first: int = 1, last: int | None = None) -> str:
        upto = "" if last is None else f" AND file_row_number < {last:d}"
        return (
            f"(SELECT file_row_number + 1 AS position, {self.columns} FROM read_parquet("
            f"{literal(self.path)}, file_row_number = true) "
            f"WHERE file_row_number >= {first - 1:d}{upto})"
        )


def _parquet(path: Path) -> Source:
    try:
        schema = pq.ParquetFile(path).schema_arrow
    except (pa.ArrowException, OSError) as exc:
        raise _not_readable(path, ("Parquet 文件", "Parquet file"), exc) from None
    columns = ", ".join(f"{_parquet_text(f.name, f.type)} AS c{i}" for i, f in enumerate(schema))
    sql = f"(SELECT {columns} FROM read_parquet({literal(path)}))"

    @contextmanager
    def scan(db: duckdb.DuckDBPyConnection) -> Iterator[Scan]:
        yield ParquetScan(lambda: sql, list, columns=columns, path=path)

    return Source(path, "parquet", None, list(schema.names), scan)


# -- Excel -------------------------------------------------------------------------------
def _cell_text(value: Any) -> str | None:
    """An Excel cell as the text a CSV export would hold (times as ISO, whole numbers
    without a trailing .0 while a double holds them exactly, other numbers to the 15
    digits a double holds, so that an id that lost digits is seen as one: ``1.1e+17``)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        exact = value.is_integer() and abs(value) <= _EXACT
        return str(int(value)) if exact else f"{value:.15g}"
    return str(value)


def _open_book(path: Path) -> Any:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise _not_readable(path, ("Excel 工作簿", "Excel workbook"), exc) from None


def _excel(path: Path) -> list[Source]:
    """One source per sheet that holds anything: each is mapped, loaded and reported on
    its own (a workbook may carry claims on one sheet and items on another)."""
    book = _open_book(path)
    found: list[tuple[str, int, list[str]]] = []
    for sheet in book.worksheets:
        for header_row, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if any(v is not None for v in values):
                headers = [str(v).strip() if v is not None else "" for v in values]
                found.append((sheet.title, header_row, headers))
                break
    book.close()
    if not found:
        raise InputError(t("{p}: 空文件", "{p}: empty file", p=path.name))
    several = len(found) > 1
    return [
        Source(
            path,
            "xlsx",
            None,
            headers,
            _sheet_scan(path, title, header_row, len(headers)),
            f"{path.name}[{title}]" if several else path.name,
        )
        for title, header_row, headers in found
    ]


def _sheet_scan(
    path: Path, title: str, header_row: int, width: int
) -> Callable[[duckdb.DuckDBPyConnection], AbstractContextManager[Scan]]:
    names = _names(width)

    @contextmanager
    def scan(db: duckdb.DuckDBPyConnection) -> Iterator[Scan]:
        book = _open_book(path)
        cells: list[list[str | None]] = [[] for _ in names]
        broken: list[tuple[int, str]] = []
        blank: list[int] = []
        for number, values in enumerate(book[title].iter_rows(values_only=True), start=1):
            row = number - header_row
            if row <= 0:
                continue
            if all(v is None for v in values):
                blank.append(row)
            elif len(values) > width and any(v is not None for v in values[width:]):
                broken.append((row, "broken_row"))
            else:
                for column, value in zip(cells, (*values, *[None] * width), strict=False):
                    column.append(_cell_text(value))
        book.close()
        db.register("_scan_excel", pa.table([pa.array(c, pa.string()) for c in cells], names))
        try:
            yield Scan(lambda: "_scan_excel", lambda: broken, blank)
        finally:
            db.unregister("_scan_excel")

    return scan
