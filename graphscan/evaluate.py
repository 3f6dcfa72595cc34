"""Score ranked cases against the synthetic city's ground truth.

Definitions (members are ``(member_kind, member_id)`` pairs; a case matches a true ring
when both have the same pattern and the member Jaccard is >= 0.5; a pattern's cases are
those labelled with it, in rank order):

- ring recall: true rings matched by at least one case / true rings.
- member precision: members of the pattern's cases that belong to a true ring of that
  pattern / members of the pattern's cases. Members of unmatched cases count here, so a
  false case costs precision. member recall: true members of the pattern's rings that
  appear in one of its cases / true members. F1: their harmonic mean. The "all" row
  pools every case and every ring, whatever their patterns.
- precision@K: matching cases among the top min(K, n) cases / min(K, n) (per pattern in
  that pattern's ranking; for "all" in the global ranking by rank).
- R-precision: matching cases among the top R cases / R, where R is the number of
  planted rings (per pattern: that pattern's rings, in its ranking; for "all": every
  ring, in the global ranking). A perfect ranking puts exactly the R rings first.
- hard negatives in the top 50 (HN@50) and in the top R (HN@R): a hard-negative group
  is *reached* when one of those cases shares at least two members with it and at least
  half of the smaller of the two (``overlap >= 0.5 * min(|case|, |group|)``): a case
  that covers half the group, or a case made mostly of the group's members (e.g. a busy
  pharmacy, its operator and a few of its customers), both count.

The truth is in clear text while cases come from a pseudonymised store, so person and card
ids of the truth are pseudonymised with the store's key first (``pseudonymiser``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from graphscan.errors import InputError
from graphscan.i18n import t
from graphscan.rings import PATTERNS

MATCH_JACCARD = 0.5
TOP_KS = (10, 50)
HARD_NEGATIVE_TOP = 50
CASE_COLUMNS = ["case_id", "rank", "score", "pattern", "role", "member_kind", "member_id"]
#: member kinds whose ids are personal identifiers (pseudonymised in the store)
PERSONAL_KINDS = ("person", "card")

Members = frozenset[tuple[str, str]]


class Hasher(Protocol):
    def pseudonymise(self, values: pd.Series) -> pd.Series: ...


@dataclass
class PatternScore:
    pattern: str
    rings: int
    found: int
    cases: int
    member_precision: float
    member_recall: float
    member_f1: float
    precision_at_10: float
    precision_at_50: float
    hard_negatives_top50: int
    r_precision: float
    hard_negatives_top_r: int

    @property
    def ring_recall(self) -> float:
        return self.found / self.rings if self.rings else 0.0


@dataclass
class Report:
    patterns: list[PatternScore]
    #: hard-negative kind -> (groups, groups reached by a top-50 case)
    hard_negatives: dict[str, tuple[int, int]]
    #: best matching case per true ring: ring_id, pattern, case_id, jaccard
    matches: pd.DataFrame = field(repr=False)

    def row(self, pattern: str) -> PatternScore:
        return next(p for p in self.patterns if p.pattern == pattern)

    def to_dict(self) -> dict[str, Any]:
        return {
            "patterns": [asdict(p) | {"ring_recall": p.ring_recall} for p in self.patterns],
            "hard_negatives": {
                k: {"groups": g, "reached": r} for k, (g, r) in self.hard_negatives.items()
            },
        }

    def table(self) -> str:
        head = (
            f"{'pattern':<22}{'rings':>6}{'found':>6}{'recall':>8}{'cases':>7}"
            f"{'mem_P':>7}{'mem_R':>7}{'mem_F1':>7}{'P@10':>7}{'P@50':>7}{'R-prec':>8}"
            f"{'HN@R':>6}{'HN@50':>7}"
        )
        lines = [head, "-" * len(head)]
        for p in self.patterns:
            lines.append(
                f"{p.pattern:<22}{p.rings:>6}{p.found:>6}{p.ring_recall:>8.2f}{p.cases:>7}"
                f"{p.member_precision:>7.2f}{p.member_recall:>7.2f}{p.member_f1:>7.2f}"
                f"{p.precision_at_10:>7.2f}{p.precision_at_50:>7.2f}{p.r_precision:>8.2f}"
                f"{p.hard_negatives_top_r:>6}{p.hard_negatives_top50:>7}"
            )
        lines.append("")
        lines.append(f"{'hard negatives':<22}{'groups':>8}{'in top 50':>11}")
        for kind, (groups, reached) in sorted(self.hard_negatives.items()):
            lines.append(f"{kind:<22}{groups:>8}{reached:>11}")
        lines.append("")
        lines.append(
            t(
                "found: 成员 Jaccard >= 0.5 的同模式案件所找到的团伙; mem_P/R/F1: 成员精确率/"
                "召回率/F1; P@K: 前 K 个案件中命中团伙的比例; R-prec: 前 R 个案件中命中的比例 "
                "(R = 团伙数); HN@R / HN@50: 进入前 R / 前 50 的合法群体数",
                "found: rings matched by a case of the same pattern with member Jaccard >= 0.5; "
                "mem_P/R/F1: member precision/recall/F1; P@K: share of the top K cases that "
                "match a ring; R-prec: share of the top R cases that match (R = planted "
                "rings); HN@R / HN@50: hard-negative groups reached by the top R / 50 cases",
            )
        )
        return "\n".join(lines)


def _jaccard(a: Members, b: Members) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _groups(frame: pd.DataFrame, key: str) -> dict[str, Members]:
    return {
        gid: frozenset(zip(g["member_kind"], g["member_id"], strict=True))
        for gid, g in frame.groupby(key, sort=True)
    }


def read_truth(
    truth_dir: str | Path, pseudonymiser: Hasher | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """rings.csv and hard_negatives.csv, with personal ids pseudonymised when asked."""
    root = Path(truth_dir)
    for name in ("rings.csv", "hard_negatives.csv"):
        if not (root / name).exists():
            raise InputError(f"{root / name} not found: is this a generated city?")
    rings = pd.read_csv(root / "rings.csv", dtype=str)
    negatives = pd.read_csv(root / "hard_negatives.csv", dtype=str)
    if pseudonymiser is not None:
        for frame in (rings, negatives):
            personal = frame["member_kind"].isin(PERSONAL_KINDS)
            frame.loc[personal, "member_id"] = pseudonymiser.pseudonymise(
                frame.loc[personal, "member_id"]
            )
    return rings, negatives


def _reaches(case: Members, group: Members) -> bool:
    overlap = len(case & group)
    return overlap >= 2 and overlap >= 0.5 * min(len(case), len(group))


def _precision_at(matched: list[bool], k: int) -> float:
    top = matched[:k]
    return sum(top) / len(top) if top else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score(
    case_members: pd.DataFrame, truth_dir: str | Path, pseudonymiser: Hasher | None = None
) -> Report:
    """Per-pattern quality of ranked cases (``graphscan cases list --members`` shape)."""
    missing = set(CASE_COLUMNS) - set(case_members.columns)
    if missing:
        raise InputError(f"case members lack columns: {', '.join(sorted(missing))}")
    rings, negatives = read_truth(truth_dir, pseudonymiser)
    cases_df = case_members.astype({"case_id": str, "member_kind": str, "member_id": str})
    # an investigator's hand-made cases (pattern "manual") are not the detectors' output
    cases_df = cases_df[cases_df["pattern"].isin(PATTERNS)]
    ring_sets = _groups(rings, "ring_id")
    ring_pattern = rings.groupby("ring_id")["pattern"].first().to_dict()
    negative_sets = _groups(negatives, "group_id")
    negative_kind = negatives.groupby("group_id")["kind"].first().to_dict()
    case_sets = _groups(cases_df, "case_id") if len(cases_df) else {}
    order = (
        cases_df.groupby("case_id")
        .agg(rank=("rank", "min"), score=("score", "max"), pattern=("pattern", "first"))
        .reset_index()
        .sort_values(["rank", "score", "case_id"], ascending=[True, False, True])
    )
    case_pattern = dict(zip(order["case_id"], order["pattern"], strict=True))

    # best case per ring and whether each case matches a ring (same pattern, J >= 0.5)
    holders: dict[tuple[str, str], set[str]] = {}
    for case_id, case in case_sets.items():
        for member in case:
            holders.setdefault(member, set()).add(case_id)
    match_rows = []
    case_matched = dict.fromkeys(case_sets, False)
    for ring_id, members in ring_sets.items():
        best_case, best = None, 0.0
        candidates = set().union(*(holders.get(m, set()) for m in members))
        for case_id in sorted(candidates):
            if case_pattern[case_id] != ring_pattern[ring_id]:
                continue
            case = case_sets[case_id]
            j = _jaccard(case, members)
            if j >= MATCH_JACCARD:
                case_matched[case_id] = True
            if j > best:
                best_case, best = case_id, j
        match_rows.append((ring_id, ring_pattern[ring_id], best_case, best))
    matches = pd.DataFrame(match_rows, columns=["ring_id", "pattern", "case_id", "jaccard"])

    ranked = list(order["case_id"])
    top50 = ranked[:HARD_NEGATIVE_TOP]
    # the cases any count below looks at: the global top 50 and top R, each pattern's top R
    looked_at = set(top50) | set(ranked[: len(ring_sets)])
    for pattern in PATTERNS:
        r = sum(p == pattern for p in ring_pattern.values())
        looked_at.update([c for c in ranked if case_pattern[c] == pattern][:r])
    reached_by = {
        gid: {cid for cid in looked_at if _reaches(case_sets[cid], group)}
        for gid, group in negative_sets.items()
    }

    def reached(top: list[str]) -> int:
        """Hard-negative groups reached by one of the ``top`` cases."""
        chosen = set(top)
        return sum(bool(by & chosen) for by in reached_by.values())

    rows = []
    for pattern in (*PATTERNS, "all"):
        in_pattern = [c for c in ranked if pattern == "all" or case_pattern[c] == pattern]
        pattern_rings = [r for r in ring_sets if pattern == "all" or ring_pattern[r] == pattern]
        true_members = frozenset().union(*(ring_sets[r] for r in pattern_rings))
        reported = frozenset().union(*(case_sets[c] for c in in_pattern))
        hit = len(reported & true_members)
        precision = hit / len(reported) if reported else 0.0
        recall = hit / len(true_members) if true_members else 0.0
        found = matches[
            matches["ring_id"].isin(pattern_rings) & (matches["jaccard"] >= MATCH_JACCARD)
        ]
        flags = [case_matched[c] for c in in_pattern]
        top_cases = [c for c in in_pattern if c in set(top50)]
        r = len(pattern_rings)
        rows.append(
            PatternScore(
                pattern=pattern,
                rings=len(pattern_rings),
                found=len(found),
                cases=len(in_pattern),
                member_precision=precision,
                member_recall=recall,
                member_f1=_f1(precision, recall),
                precision_at_10=_precision_at(flags, 10),
                precision_at_50=_precision_at(flags, 50),
                hard_negatives_top50=reached(top_cases),
                r_precision=sum(flags[:r]) / r if r else 0.0,
                hard_negatives_top_r=reached(in_pattern[:r]),
            )
        )
    hard = {}
    for gid, kind in negative_kind.items():
        groups, touched = hard.get(kind, (0, 0))
        hard[kind] = (groups + 1, touched + bool(reached_by[gid] & set(top50)))
    return Report(patterns=rows, hard_negatives=hard, matches=matches)
