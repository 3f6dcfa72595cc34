"""The one detector interface and the step every detector shares: turning a candidate
(members, evidence claims, observed vs expected) into a Ring whose money and time span
are recomputed from the evidence claims themselves, so explanations cannot drift from
the data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import pandas as pd

from graphscan.detect.significance import fisher, poisson_tail
from graphscan.rings import Member, Ring
from graphscan.store.base import Store


@dataclass(frozen=True)
class Window:
    """The time window a scan looks at (both ends optional, inclusive)."""

    since: datetime | None = None
    until: datetime | None = None

    def params(self) -> dict[str, Any]:
        return {"since": self.since, "until": self.until}


class Detector(Protocol):
    pattern: str

    def find(self, store: Store, window: Window) -> list[Ring]: ...


@dataclass
class Candidate:
    """A ring before its money is summed. The explanation templates are filled with
    ``numbers`` plus what ``finish`` recomputes from the evidence claims: ``{total}``,
    ``{fund}``, ``{account}``, ``{first}``, ``{last}``, ``{claims}`` and ``{days}``
    (distinct calendar days with evidence)."""

    pattern: str
    members: list[Member]
    claim_ids: list[str]
    statistic: float
    expected: float
    explain_zh: str
    explain_en: str
    numbers: dict[str, Any] = field(default_factory=dict)
    #: Bonferroni factor for choices made while looking at the data (e.g. the quorum)
    tests: int = 1
    method: dict[str, Any] = field(default_factory=dict)
    #: p-value of an independent supporting test (e.g. cards far from their holders'
    #: places), combined with the main one by Fisher's method
    support_p: float | None = None


def short(identifier: str) -> str:
    """A pseudonym cut to something an investigator can read aloud (full ids are in the
    member list)."""
    return identifier[:8] if len(identifier) > 12 else identifier


def finish(store: Store, candidates: list[Candidate]) -> list[Ring]:
    """Sum each candidate's evidence claims (one store read for all) into a Ring."""
    if not candidates:
        return []
    wanted = sorted({c for cand in candidates for c in cand.claim_ids})
    claims = store.claims(wanted).set_index("claim_id")
    rings = []
    for cand in candidates:
        ids = sorted(set(cand.claim_ids))
        rows = claims.loc[ids]
        money = {
            col: float(pd.to_numeric(rows[f"{col}_amount"], errors="coerce").fillna(0).sum())
            for col in ("total", "fund", "account")
        }
        first, last = rows["start_time"].min(), rows["start_time"].max()
        values = {
            **cand.numbers,
            **money,
            "days": int(rows["start_time"].dt.normalize().nunique()),
            "first": f"{first:%Y-%m-%d}",
            "last": f"{last:%Y-%m-%d}",
            "claims": len(ids),
        }
        p_value = min(1.0, float(poisson_tail(cand.statistic, cand.expected)) * cand.tests)
        if cand.support_p is not None:
            p_value = fisher(p_value, cand.support_p)
        rings.append(
            Ring(
                pattern=cand.pattern,
                members=sorted(set(cand.members), key=lambda m: (m.role, m.kind, m.id)),
                claim_ids=ids,
                statistic=float(cand.statistic),
                expected=float(cand.expected),
                p_value=p_value,
                total_amount=round(money["total"], 2),
                fund_amount=round(money["fund"], 2),
                account_amount=round(money["account"], 2),
                first_time=first.to_pydatetime(),
                last_time=last.to_pydatetime(),
                explanation_zh=cand.explain_zh.format(**values),
                explanation_en=cand.explain_en.format(**values),
                method=cand.method,
            )
        )
    return rings
