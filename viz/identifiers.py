"""How identifiers appear in anything that leaves the building.

Masked (the default): pseudonyms of persons and cards are shortened to a prefix and doctor
and operator codes keep only their ends, so a reader can tell members apart and match the
graph, the memo and the evidence CSV, but cannot recover who they are; a mask grows until
no two entities of the export print alike, and a detector's shortened mention in a
sentence (``D3307021…``) is replaced by the mask of the id it starts, so the sentences
never reveal more of a code than the table does. Revealed: persons
and cards are mapped back to clear identifiers with the pseudonymisation key and codes are
shown in full. Provider codes are public (designated institutions and pharmacies) and are
always shown in full. A mask typed back in stands for the one identifier it fits, or is
refused with the candidates (``graphscan.masks.resolve``, below the case book that needs it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from graphscan.masks import ELLIPSIS

PSEUDONYM_KINDS = ("person", "card")
CODE_KINDS = ("doctor", "operator")
#: Shortest prefix of a pseudonym that is shown; longer only when two would collide.
PSEUDONYM_PREFIX = 10
#: Characters of a code kept at the start and (at least) at the end.
CODE_HEAD, CODE_TAIL = 3, 2
#: What an identifier looks like inside free text, with the ellipsis of a shortened one.
MENTION = re.compile(r"([A-Za-z0-9_\-]+)(…?)")
#: A shortened mention shorter than this is left as it is: it names nothing for sure.
MIN_MENTION = 3


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


#: The one masking rule: a form per family of kinds; the kinds of one family share one
#: pool, so that no two entities of a case print alike (a card and a person, a doctor
#: and an operator). Providers are public and have no family: shown in full.
FAMILIES: tuple[tuple[tuple[str, ...], Callable[[str, int], str]], ...] = (
    (PSEUDONYM_KINDS, _prefix),
    (CODE_KINDS, _ends),
)


def _blurred(token: str, kind: str) -> str:
    """A shortened mention that fits several ids, cut to what the mask itself shows
    (provider codes are public: left as written)."""
    if kind not in PSEUDONYM_KINDS + CODE_KINDS:
        return token + ELLIPSIS
    keep = PSEUDONYM_PREFIX if kind in PSEUDONYM_KINDS else CODE_HEAD
    return token[: min(keep, len(token))] + ELLIPSIS


@dataclass
class IdentifierView:
    """Display forms for every identifier of one export, fixed before anything is written
    so that the page, the memo and the CSV agree."""

    revealed: bool = False
    #: non-secret id of the key that revealed the identifiers, for the memo
    key_fingerprint: str = ""
    _shown: dict[tuple[str, str], str] = field(default_factory=dict)
    #: every identifier of the export -> its kind, to place shortened mentions in text
    _kinds: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def masked(cls, ids_by_kind: Mapping[str, Iterable[str]]) -> IdentifierView:
        view = cls(revealed=False)
        view._know(ids_by_kind)
        for kinds, form in FAMILIES:
            pool = sorted({str(i) for k in kinds for i in ids_by_kind.get(k, ())})
            shown = _shortest_unique(pool, form)
            view._shown.update(
                {(k, str(i)): shown[str(i)] for k in kinds for i in ids_by_kind.get(k, ())}
            )
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
        view._know(ids_by_kind)
        for kind in PSEUDONYM_KINDS:
            for i in ids_by_kind.get(kind, ()):
                view._shown[(kind, str(i))] = clear.get(str(i), str(i))
        return view

    def _know(self, ids_by_kind: Mapping[str, Iterable[str]]) -> None:
        for kind, ids in sorted(ids_by_kind.items()):
            self._kinds.update({str(i): kind for i in ids if str(i)})

    def scrub(self, text: str) -> str:
        """Free text (explanations, method parameters) with every identifier of this
        export in its display form, so that none slips out through a sentence and a
        sentence names an entity exactly as the graph and the CSV do. Whole tokens only
        (an id never matches inside a longer code). A shortened mention (``D3301020…``,
        how detectors cut ids for a sentence) becomes the display form of the id it
        starts; when several ids start so and the text names each once (a sorted list),
        they are placed in order, else it is cut to what a mask shows."""
        ids = self._kinds
        cut = [m.group(1) for m in MENTION.finditer(text) if m.group(2) and m.group(1) not in ids]
        seen = dict.fromkeys(cut, 0)
        wanted = {t: cut.count(t) for t in seen}

        def one(match: re.Match[str]) -> str:
            token, ellipsis = match.group(1), match.group(2)
            if token in ids:
                return self.show(ids[token], token)
            if not ellipsis or len(token) < MIN_MENTION:
                return match.group(0)
            fits = sorted(i for i in ids if i.startswith(token))
            if len(fits) == 1 or (fits and wanted[token] == len(fits)):
                seen[token] += 1
                chosen = fits[0] if len(fits) == 1 else fits[seen[token] - 1]
                return self.show(ids[chosen], chosen)
            return _blurred(token, ids[fits[0]]) if fits else match.group(0)

        return MENTION.sub(one, text)

    def show(self, kind: str, value: str | None) -> str:
        if value is None or value == "":
            return ""
        return self._shown.get((kind, str(value)), str(value))
