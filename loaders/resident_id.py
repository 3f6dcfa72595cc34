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

from datetime import date, datetime, time

import pyarrow as pa
import pyarrow.compute as pc

_SHAPE = "^[0-9]{6}[0-9]{8}[0-9]{2}[0-9][0-9X]$"
#: the earliest birth date taken from an ID number (the loader's plausible dates too)
EARLIEST = date(1900, 1, 1)


def facts(texts: pa.Array) -> pa.Table:
    """``sex`` ('M'/'F') and ``birth_date`` of each normalised id, vectorised; both null
    for any other id (also for a date that is no calendar day, or before 1900). Whether
    the date is after the claim is for the caller, who knows the claim."""
    shaped = pc.fill_null(pc.match_substring_regex(texts, _SHAPE), False)
    day = pc.if_else(shaped, pc.utf8_slice_codeunits(texts, 6, 14), pa.scalar(None, pa.string()))
    born = pc.strptime(day, format="%Y%m%d", unit="s", error_is_null=True)
    # strptime rolls 0230 over into March: a calendar day writes back as it was read
    real = pc.fill_null(pc.equal(pc.strftime(born, format="%Y%m%d"), day), False)
    real = pc.and_(
        real,
        pc.greater_equal(born, pa.scalar(datetime.combine(EARLIEST, time()), pa.timestamp("s"))),
    )
    real = pc.fill_null(real, False)
    digit = pc.cast(pc.if_else(shaped, pc.utf8_slice_codeunits(texts, 16, 17), "0"), pa.int8())
    sex = pc.if_else(pc.equal(pc.bit_wise_and(digit, 1), 1), "M", "F")
    null = pa.scalar(None, pa.string())
    return pa.table(
        {
            "sex": pc.if_else(real, sex, null),
            "birth_date": pc.if_else(
                real, pc.cast(born, pa.date32()), pa.scalar(None, pa.date32())
            ),
        }
    )
