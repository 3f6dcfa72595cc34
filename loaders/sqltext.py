"""The one way the loaders quote text into the SQL they build (values and names that come
from files, mappings and reason tables; everything else is a bound parameter)."""

from __future__ import annotations

from pathlib import Path


def literal(text: str | Path) -> str:
    """A SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def identifier(name: str) -> str:
    """A SQL identifier (a Parquet column name as the file spells it)."""
    return '"' + name.replace('"', '""') + '"'
