"""Sex and birth date read from an 18-character resident ID number (居民身份证号,
GB 11643-1999): six digits of region, the birth date YYYYMMDD, three digits of sequence
(odd for men, even for women) and a check character (0-9 or X).

Medical-insurance extracts often use that number as person_id and ship no persons table;
then it is the only place the holder's sex and age are written, and the identity-misuse
checks (a prostate diagnosis on a woman's card, a pregnancy at 70) would go blind. The
loader derives the facts here, before the id is pseudonymised, and stores only them,
under the pseudonym.

The check character is NOT verified: its only use is catching a mistyped digit, and a
mistyped sequence or region digit does not make the birth date or the sex wrong, while
extracts carry numbers with a wrong check character (re-issued 15-to-18 digit
conversions, temporary numbers, typing errors in the last character) whose birth date and
sex are still the person's own. The shape (a real calendar date after 1900, not after the
claim) already rules out ids that merely have 18 digits.
"""

from __future__ import annotations

import re
from datetime import date

_SHAPE = re.compile(r"[0-9]{6}([0-9]{8})[0-9]{2}([0-9])[0-9X]")
#: the earliest birth date taken from an ID number (the loader's plausible dates too)
EARLIEST = date(1900, 1, 1)


def facts(text: str) -> tuple[str, date] | None:
    """(sex 'M'/'F', birth date) of a normalised ID number; None for any other id (also
    for a date that is no calendar day, or before 1900). Whether the date is after the
    claim is for the caller, who knows the claim."""
    shape = _SHAPE.fullmatch(text)
    if shape is None:
        return None
    day = shape.group(1)
    try:
        born = date(int(day[:4]), int(day[4:6]), int(day[6:]))
    except ValueError:
        return None
    if born < EARLIEST:
        return None
    return ("M" if int(shape.group(2)) % 2 else "F", born)
