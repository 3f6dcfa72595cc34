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

import re
import unicodedata

#: A number with a fraction or an exponent, as a regular expression (Python and DuckDB).
NUMBER_LIKE = r"[+-]?[0-9]*\.?[0-9]+([eE][+-]?[0-9]+)?"
_NUMBER_LIKE = re.compile(NUMBER_LIKE)


def normalise(value: str) -> str:
    """The one text of a personal identifier."""
    if not value.isascii():  # a BOM (U+FEFF) is no white space to str.strip
        value = unicodedata.normalize("NFKC", value).replace("\ufeff", "")
    text = value.strip()
    if len(text) == 18 and text[17] == "x" and text[:17].isdigit():
        text = text[:17] + "X"
    return text


def number_like(text: str) -> bool:
    """The id is a number with a fraction or an exponent (cheap tests first)."""
    maybe = "." in text or "e+" in text or "E+" in text
    return maybe and _NUMBER_LIKE.fullmatch(text) is not None
