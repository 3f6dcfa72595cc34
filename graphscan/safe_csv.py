"""The one CSV writer for files a person opens in a spreadsheet (evidence claims, the cases
list, quarantine files).

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab
or carriage return) as a formula, so a name such as ``=HYPERLINK(...)`` in a source file
could act on the machine of the police officer who opens the evidence. Following OWASP's
CSV-injection guidance, such a text cell is written with a leading single quote, which the
spreadsheet shows as text. Real numbers in numeric columns (``-12.50``, a reversal) are
left alone: they cannot be formulas, and quoting them would turn amounts into text.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterable, Sequence
from typing import TextIO

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: What counts as a plain number in a numeric column.
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
#: The same two tests for Arrow's regular expressions (RE2: ``\p{Nd}`` is Python's ``\d``).
_FORMULA_RE2 = "^[" + "".join("\\" + c if c in "-]\\^" else c for c in FORMULA_START) + "]"
_NUMBER_RE2 = "^" + NUMBER.pattern.replace("\\d", "\\p{Nd}") + "$"


def safe_cell(value: object, numeric: bool = False) -> object:
    """``value`` as a spreadsheet will read it harmlessly: numbers in numeric columns as
    they are, text that a spreadsheet would run as a formula behind a single quote."""
    if value is None or isinstance(value, bool):
        return value
    if numeric and isinstance(value, int | float):
        return value
    text = str(value)
    if numeric and NUMBER.fullmatch(text):
        return value
    return "'" + text if text.startswith(FORMULA_START) else value


def write_csv(
    handle: TextIO,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    numeric: Collection[str] = (),
) -> None:
    """Header and rows through ``csv.writer``; ``numeric`` names the numeric columns.
    Lines end in CRLF (RFC 4180), so a carriage return inside a cell is quoted too."""
    flags = [name in numeric for name in header]
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        writer.writerow([safe_cell(v, n) for v, n in zip(row, flags, strict=True)])


def write_frame(
    handle: TextIO,
    frame: pd.DataFrame,
    numeric: Collection[str] | None = None,
) -> None:
    """A frame's rows (missing values empty); numeric columns default to those of a
    numeric dtype."""
    if numeric is None:
        numeric = [
            c
            for c in frame.columns
            if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        ]
    cells = frame.astype(object).where(frame.notna(), None)
    write_csv(
        handle,
        [str(c) for c in frame.columns],
        cells.itertuples(index=False, name=None),
        numeric,
    )


def safe_column(values: pa.Array | pa.ChunkedArray, numeric: bool = False) -> list[object]:
    """A column of text or integers as :func:`safe_cell` makes each of its cells, worked
    out a column at a time (Arrow's compute functions): the quarantine of a bad extract
    holds hundreds of thousands of rows, and a Python call per cell took 30 µs a row."""
    if pa.types.is_integer(values.type):
        if numeric:
            return values.to_pylist()
        values = pc.cast(values, pa.string())
    formula = pc.match_substring_regex(values, _FORMULA_RE2)
    if numeric:
        formula = pc.and_(formula, pc.invert(pc.match_substring_regex(values, _NUMBER_RE2)))
    quoted = pc.binary_join_element_wise(pa.scalar("'"), values, pa.scalar(""))
    return pc.if_else(formula, quoted, values).to_pylist()


def write_columns(
    handle: TextIO,
    header: Sequence[str],
    columns: Sequence[pa.Array | pa.ChunkedArray],
    numeric: Collection[str] = (),
) -> None:
    """:func:`write_csv` for rows held as columns of text or integers (one per header)."""
    cells = [safe_column(c, name in numeric) for name, c in zip(header, columns, strict=True)]
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in header])
    writer.writerows(zip(*cells, strict=True))
