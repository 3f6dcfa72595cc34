"""Personal identifiers as one text, whatever the file made of them, before they are
hashed: a pseudonym is only one identity per person if the same person always gives the
same text.

- NFKC folds full-width digits and letters (``１１０１…``, common in hand-typed sheets)
  into ASCII; surrounding spaces, line ends and a byte-order mark go.
- The check letter of an 18-character resident ID number is upper case (``…x`` = ``…X``).
- An id that arrives as a number with a fraction or an exponent (``1.10101E+17`` from a
  spreadsheet, ``123.5`` from a float column) may have lost digits: it is no identity
  at all and is quarantined (``inexact_id``). Whole numbers from Excel and Parquet come
  as plain digits already (loaders/sources.py).

The same normalisation applies to an id an investigator types or pastes (often with the
``\\r`` of a CRLF CSV output, graphscan.api.find_entity): it is then the text that was
hashed on load.
"""

from __future__ import annotations

import unicodedata

import pyarrow as pa
import pyarrow.compute as pc

#: A number with a fraction or an exponent, as a regular expression (RE2 and DuckDB).
NUMBER_LIKE = r"[+-]?[0-9]*\.?[0-9]+([eE][+-]?[0-9]+)?"
#: What str.strip() takes off an ASCII text.
_ASCII_SPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


def normalise(value: str) -> str:
    """The one text of a personal identifier."""
    if not value.isascii():  # a BOM (U+FEFF) is no white space to str.strip
        value = unicodedata.normalize("NFKC", value).replace("\ufeff", "")
    text = value.strip()
    if len(text) == 18 and text[17] == "x" and text[:17].isdigit():
        text = text[:17] + "X"
    return text


def normalise_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """:func:`normalise` of every value, vectorised: a file's millions of distinct ids
    are ASCII but for a few, which alone go through :func:`normalise` one by one."""
    values = pc.cast(values, pa.string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    ascii_ = pc.fill_null(pc.string_is_ascii(values), True)
    text = pc.utf8_trim(values, _ASCII_SPACE)
    check_x = pc.match_substring_regex(text, "^[0-9]{17}x$")
    text = pc.if_else(
        check_x,
        pc.binary_join_element_wise(pc.utf8_slice_codeunits(text, 0, 17), "X", ""),
        text,
    )
    if pc.all(ascii_).as_py() is not False:
        return text
    others = pc.indices_nonzero(pc.invert(ascii_))
    folded = pa.array([normalise(v) for v in pc.take(values, others).to_pylist()], pa.string())
    return pc.replace_with_mask(text, pc.invert(ascii_), folded)


def number_like(texts: pa.Array) -> pa.Array:
    """Which ids are numbers with a fraction or an exponent (cheap tests first)."""
    maybe = pc.or_(
        pc.match_substring(texts, "."),
        pc.or_(pc.match_substring(texts, "e+"), pc.match_substring(texts, "E+")),
    )
    full = pc.match_substring_regex(texts, f"^(?:{NUMBER_LIKE})$")
    return pc.fill_null(pc.and_(maybe, full), False)
