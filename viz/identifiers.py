"""How identifiers appear in anything that leaves the building.

Masked (the default): pseudonyms of persons and cards are shortened to a prefix and doctor
and operator codes keep only their ends, so a reader can tell members apart and match the
graph, the memo and the evidence CSV, but cannot recover who they are. Revealed: persons
and cards are mapped back to clear identifiers with the pseudonymisation key and codes are
shown in full. Provider codes are public (designated institutions and pharmacies) and are
always shown in full.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

PSEUDONYM_KINDS = ("person", "card")
CODE_KINDS = ("doctor", "operator")
#: Shortest prefix of a pseudonym that is shown; longer only when two would collide.
PSEUDONYM_PREFIX = 10
#: Characters of a code kept at the start and (at least) at the end.
CODE_HEAD, CODE_TAIL = 3, 2
ELLIPSIS = "…"
#: What an identifier looks like inside free text.
TOKEN = re.compile(r"[A-Za-z0-9_\-]+")


def view_kind(member_kind: str) -> str:
    """Institutions and pharmacies are both providers to the identifier rules."""
    return "provider" if member_kind in ("institution", "pharmacy") else member_kind


def _shortest_unique(ids: list[str], form: Callable[[str, int], str]) -> dict[str, str]:
    """Grow ``form(id, extra)`` until every id of one kind has its own display form."""
    extra = 0
    longest = max((len(i) for i in ids), default=0)
    while True:
        shown = {i: form(i, extra) for i in ids}
        if len(set(shown.values())) == len(ids) or extra > longest:
            return shown
        extra += 1


def _prefix(value: str, extra: int) -> str:
    keep = PSEUDONYM_PREFIX + extra
    return value if len(value) <= keep else value[:keep] + ELLIPSIS


def _ends(value: str, extra: int) -> str:
    tail = CODE_TAIL + extra
    if len(value) <= CODE_HEAD + tail + 1:
        return value
    return value[:CODE_HEAD] + ELLIPSIS + value[-tail:]


@dataclass
class IdentifierView:
    """Display forms for every identifier of one export, fixed before anything is written
    so that the page, the memo and the CSV agree."""

    revealed: bool = False
    #: non-secret id of the key that revealed the identifiers, for the memo
    key_fingerprint: str = ""
    _shown: dict[tuple[str, str], str] = field(default_factory=dict)
    _by_id: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def masked(cls, ids_by_kind: Mapping[str, Iterable[str]]) -> IdentifierView:
        view = cls(revealed=False)
        for kind, ids in ids_by_kind.items():
            unique = sorted({str(i) for i in ids})
            form = _prefix if kind in PSEUDONYM_KINDS else _ends if kind in CODE_KINDS else None
            if form is not None:
                shown = _shortest_unique(unique, form)
                view._shown.update({(kind, i): s for i, s in shown.items()})
        return view

    @classmethod
    def revealing(
        cls,
        clear: Mapping[str, str],
        ids_by_kind: Mapping[str, Iterable[str]],
        key_fingerprint: str,
    ) -> IdentifierView:
        """``clear`` maps pseudonyms to clear identifiers (from the key holder)."""
        view = cls(revealed=True, key_fingerprint=key_fingerprint)
        for kind in PSEUDONYM_KINDS:
            for i in ids_by_kind.get(kind, ()):
                view._shown[(kind, str(i))] = clear.get(str(i), str(i))
        return view

    def scrub(self, text: str) -> str:
        """Free text (explanations, method parameters) with every identifier of this
        export replaced by its display form, so none slips out through a sentence.
        Whole tokens only: an id never matches inside a longer code."""
        if not self._by_id:
            self._by_id = {i: s for (_, i), s in sorted(self._shown.items()) if i != s}
        return TOKEN.sub(lambda m: self._by_id.get(m.group(0), m.group(0)), text)

    def show(self, kind: str, value: str | None) -> str:
        if value is None or value == "":
            return ""
        return self._shown.get((kind, str(value)), str(value))
