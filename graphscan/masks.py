"""A masked identifier typed back in: how an investigator names an entity by the mask an
export printed (``D33…23``, ``29c8db8732...``). Below the case book and the CLI, which
both take such input; how masks are made for an export is ``graphscan.viz.identifiers``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from graphscan.errors import InputError

#: What stands for the hidden part of a masked identifier.
ELLIPSIS = "…"
#: How a masked identifier is typed back in: the ellipsis, or three dots.
MASK_INPUT = re.compile(r"^([^.…]*)(?:…|\.\.\.)([^.…]*)$")
#: Candidates named in the error for an ambiguous masked identifier.
MAX_CANDIDATES = 10


def typed_mask(text: str) -> tuple[str, str] | None:
    """(head, tail) of a masked identifier as typed (``D33…23``, ``29c8db8732...``);
    None for a whole identifier."""
    found = MASK_INPUT.match(text.strip())
    return (found.group(1), found.group(2)) if found else None


def resolve(text: str, candidates: Iterable[str]) -> str:
    """The identifier a masked one, as shown in an export, stands for among
    ``candidates``; a whole identifier comes back as it is. No match or several is a
    one-line InputError (the candidates listed), never a guess."""
    mask = typed_mask(text)
    if mask is None:
        return text.strip()
    head, tail = mask
    if not head and not tail:
        raise InputError(f"{text!r} is only an ellipsis: give the identifier as exported")
    fits = sorted(
        {
            c
            for c in candidates
            if c.startswith(head) and c.endswith(tail) and len(c) > len(head) + len(tail)
        }
    )
    if not fits:
        raise InputError(f"no identifier matches {text}")
    if len(fits) > 1:
        more = f" and {len(fits) - MAX_CANDIDATES} more" if len(fits) > MAX_CANDIDATES else ""
        listed = ", ".join(fits[:MAX_CANDIDATES])
        raise InputError(f"{text} is ambiguous: it matches {listed}{more}")
    return fits[0]
