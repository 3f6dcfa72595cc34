"""What detectors produce and investigators work on: rings, and cases made from them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from graphscan.errors import InputError


@dataclass(frozen=True)
class Pattern:
    """One fraud pattern: its names and the detector that finds it, named the way
    plugins are (``module:class``) so that this bottom layer imports no detector."""

    name: str
    zh: str
    en: str
    detector: str


#: The registry of patterns: the pattern list, the CLI's ``--pattern`` choices, the
#: detectors a scan runs and the table in docs/detection.md all come from it.
REGISTRY = (
    Pattern(
        "card_lending",
        "出借/回收医保卡、代刷",
        "card lending and collection",
        "graphscan.detect.card_lending:CardLending",
    ),
    Pattern(
        "kickback", "回扣、倒卖药品", "kickback and resale", "graphscan.detect.kickback:Kickback"
    ),
    Pattern(
        "group_hospitalisation",
        "诱导/虚假住院",
        "group hospitalisation",
        "graphscan.detect.group_hospitalisation:GroupHospitalisation",
    ),
    Pattern(
        "identity_misuse",
        "冒名就医、人证不符",
        "identity misuse",
        "graphscan.detect.identity_misuse:IdentityMisuse",
    ),
)

PATTERNS = tuple(p.name for p in REGISTRY)


def chosen_patterns(patterns: Iterable[str] | None = None) -> list[str]:
    """The patterns a scan runs, in registry order: all when none are named. An unknown
    name is the user's mistake, said in one line."""
    chosen = set(patterns or PATTERNS)
    unknown = sorted(chosen - set(PATTERNS))
    if unknown:
        raise InputError(f"unknown pattern {unknown[0]!r}; choose from {', '.join(PATTERNS)}")
    return [p for p in PATTERNS if p in chosen]


#: the pattern of a case an investigator opened by hand from entities they chose: no
#: detector finds it and no scan matches a ring to it
MANUAL_PATTERN = "manual"

PATTERN_NAMES = {
    **{p.name: (p.zh, p.en) for p in REGISTRY},
    MANUAL_PATTERN: ("办案人员立案", "opened by an investigator"),
}

#: Member kinds as they appear in ground truth, cases and exports.
MEMBER_KINDS = ("person", "card", "doctor", "institution", "pharmacy", "operator")

ROLES = {
    "organiser": ("组织者", "organiser"),
    "operator": ("操作员", "operator"),
    "pharmacy": ("药店", "pharmacy"),
    "doctor": ("医师", "doctor"),
    "institution": ("医疗机构", "institution"),
    "recruit": ("被招募人员", "recruit"),
    "card_holder": ("持卡人", "card holder"),
    #: a member an investigator added by hand (no detector gave it a role)
    "added": ("办案人员添加", "added by an investigator"),
}

CASE_STATUSES = ("new", "reviewing", "confirmed", "dismissed", "referred")

STATUS_NAMES = {
    "new": ("新建", "new"),
    "reviewing": ("审查中", "reviewing"),
    "confirmed": ("已确认", "confirmed"),
    "dismissed": ("已排除", "dismissed"),
    "referred": ("已移送公安", "referred"),
}

MEMBER_KIND_NAMES = {
    "person": ("参保人", "person"),
    "card": ("医保卡", "card"),
    "doctor": ("医师", "doctor"),
    "institution": ("医疗机构", "institution"),
    "pharmacy": ("药店", "pharmacy"),
    "operator": ("操作员", "operator"),
}


@dataclass(frozen=True)
class Member:
    kind: str
    id: str
    role: str


@dataclass
class Ring:
    """A candidate ring with the numbers that say why it is abnormal."""

    pattern: str
    members: list[Member]
    claim_ids: list[str]
    statistic: float
    expected: float
    p_value: float
    total_amount: float
    fund_amount: float
    account_amount: float
    first_time: datetime
    last_time: datetime
    explanation_zh: str
    explanation_en: str
    q_value: float = 1.0
    score: float = 0.0
    #: detector name, parameters and per-ring features, kept for the case memo
    method: dict[str, Any] = field(default_factory=dict)
    #: -log10 p without the floor that ``p_value`` has (the ranking's certainty)
    surprise: float = 0.0

    def member_ids(self, kind: str | None = None) -> set[str]:
        return {m.id for m in self.members if kind is None or m.kind == kind}


@dataclass
class Case(Ring):
    case_id: str = ""
    rank: int = 0
    status: str = "new"
    notes: list[dict[str, Any]] = field(default_factory=list)
    #: the case this one was merged into (it is then no longer current)
    merged_into: str | None = None
