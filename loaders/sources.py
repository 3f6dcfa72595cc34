"""Source files as a stream of all-text Arrow batches with 1-based source row numbers.

Every cell arrives as text so that parsing (times, kinds, exact decimals) happens in one
place, loaders/parse.py, whatever the file format. CSV is read by Arrow's streaming
reader on a background thread, so reading and parsing overlap on two cores; rows with the
wrong number of fields are reported with their row number, never silently dropped.
"""

from __future__ import annotations

import codecs
import csv
import io
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from graphscan.i18n import t

SOURCE_ROW = "source_row"
_SAMPLE = 4 << 20
_CSV_BLOCK = 32 << 20
_BATCH_ROWS = 200_000


@dataclass
class Batch:
    """Text columns named by position (``c0``, ``c1`` …) plus ``source_row``; ``broken``
    lists rows that could not be split into fields: (source row, fields found)."""

    table: pa.Table
    broken: list[tuple[int, int]] = field(default_factory=list)
    progress: int = 0


@dataclass
class Source:
    path: Path
    format: str
    encoding: str | None
    headers: list[str]
    size: int  # progress units: bytes for CSV, rows otherwise
    _batches: Callable[[], Iterator[Batch]]

    def batches(self, prepare: Callable[[Batch], Batch]) -> Iterator[Batch]:
        """The batches, each passed through ``prepare`` on the reading thread, so that
        reading and preparing the next batch overlap with the caller's work on this one."""
        return _prefetched(map(prepare, self._batches()))


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
            raise ValueError(
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


# -- CSV ---------------------------------------------------------------------------------
def _csv(path: Path, encoding: str) -> Source:
    codec = "utf8" if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig") else encoding
    with path.open("rb") as handle:
        head = handle.read(1 << 16).decode(encoding, errors="replace")
    try:
        headers = next(csv.reader(io.StringIO(head.lstrip("\ufeff"))))
    except StopIteration:
        raise ValueError(t("{p}: 空文件", "{p}: empty file", p=path.name)) from None
    headers = [h.strip() for h in headers]
    names = _names(len(headers))

    def batches() -> Iterator[Batch]:
        broken: list[tuple[int, int]] = []

        def on_broken(row: pacsv.InvalidRow) -> str:
            broken.append((row.number - 1, row.actual_columns))
            return "skip"

        stream = pa.OSFile(str(path))
        reader = pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(
                use_threads=False,
                block_size=_CSV_BLOCK,
                skip_rows=1,
                column_names=names,
                encoding=codec,
            ),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_broken),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        good, reported = 0, 0
        try:
            for record_batch in reader:
                table = pa.Table.from_batches([record_batch])
                rows = _row_numbers(good, table.num_rows, sorted(r for r, _ in broken))
                good += table.num_rows
                new_broken, reported = broken[reported:], len(broken)
                yield Batch(table.append_column(SOURCE_ROW, rows), new_broken, stream.tell())
            if len(broken) > reported:
                yield Batch(_empty(names), broken[reported:], stream.tell())
        except pa.ArrowInvalid as exc:
            raise ValueError(
                t(
                    "{p}: 读取失败 (编码 {e}? 可用 --encoding 指定): {x}",
                    "{p}: cannot read it (encoding {e}? give it with --encoding): {x}",
                    p=path.name,
                    e=encoding,
                    x=str(exc).splitlines()[0],
                )
            ) from None
        finally:
            stream.close()

    return Source(path, "csv", encoding, headers, path.stat().st_size, batches)


def _row_numbers(before: int, count: int, broken_rows: list[int]) -> pa.Array:
    """Source rows of good rows ``before+1 … before+count``: the k-th good row is row
    k plus the number of broken rows ahead of it."""
    good = np.arange(before + 1, before + count + 1, dtype=np.int64)
    if broken_rows:
        shifted = np.asarray(broken_rows, dtype=np.int64) - np.arange(len(broken_rows))
        good += np.searchsorted(shifted, good, side="right")
    return pa.array(good)


def _empty(names: list[str]) -> pa.Table:
    columns = {n: pa.array([], pa.string()) for n in names}
    return pa.table({**columns, SOURCE_ROW: pa.array([], pa.int64())})


# -- Parquet -----------------------------------------------------------------------------
def _parquet(path: Path) -> Source:
    handle = pq.ParquetFile(path)
    headers = list(handle.schema_arrow.names)
    names = _names(len(headers))

    def batches() -> Iterator[Batch]:
        done = 0
        for record_batch in pq.ParquetFile(path).iter_batches(batch_size=_BATCH_ROWS):
            columns = [pc.cast(col, pa.string()) for col in record_batch.columns]
            rows = pa.array(np.arange(done + 1, done + record_batch.num_rows + 1))
            done += record_batch.num_rows
            yield Batch(pa.table([*columns, rows], names=[*names, SOURCE_ROW]), [], done)

    return Source(path, "parquet", None, headers, handle.metadata.num_rows, batches)


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
    sheet = workbook.active
    rows = sheet.iter_rows(values_only=True)
    header_row = 0
    headers: list[str] = []
    for header_row, values in enumerate(rows, start=1):  # noqa: B007 - used below
        if any(v is not None for v in values):
            headers = [str(v).strip() if v is not None else "" for v in values]
            break
    total = max((sheet.max_row or header_row) - header_row, 0)
    workbook.close()
    names = _names(len(headers))

    def batches() -> Iterator[Batch]:
        book = load_workbook(path, read_only=True, data_only=True)
        cells: list[list[str | None]] = [[] for _ in names]
        numbers: list[int] = []
        broken: list[tuple[int, int]] = []
        for number, values in enumerate(book.active.iter_rows(values_only=True), start=1):
            if number <= header_row or all(v is None for v in values):
                continue
            row = number - header_row
            if len(values) > len(names) and any(v is not None for v in values[len(names) :]):
                broken.append((row, len(values)))
                continue
            for column, value in zip(cells, (*values, *[None] * len(names)), strict=False):
                column.append(_cell_text(value))
            numbers.append(row)
            if len(numbers) >= _BATCH_ROWS:
                yield _excel_batch(names, cells, numbers, broken)
                cells, numbers, broken = [[] for _ in names], [], []
        book.close()
        yield _excel_batch(names, cells, numbers, broken)

    return Source(path, "xlsx", None, headers, total, batches)


def _excel_batch(
    names: list[str], cells: list[list[str | None]], numbers: list[int], broken: list
) -> Batch:
    arrays = [pa.array(column, pa.string()) for column in cells]
    table = pa.table([*arrays, pa.array(numbers, pa.int64())], names=[*names, SOURCE_ROW])
    return Batch(table, broken, numbers[-1] if numbers else 0)


# -- background reading ------------------------------------------------------------------
_DONE = object()


def _prefetched(batches: Iterator[Batch], depth: int = 2) -> Iterator[Batch]:
    """Read the next batches on a thread while the caller works on the current one."""
    box: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for batch in batches:
                if stop.is_set():
                    return
                box.put(batch)
            box.put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            box.put(exc)

    worker = threading.Thread(target=produce, name="graphscan-reader", daemon=True)
    worker.start()
    try:
        while (item := box.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            try:
                box.get_nowait()
            except queue.Empty:
                worker.join(0.05)
