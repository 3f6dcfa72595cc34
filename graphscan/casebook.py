"""The case book: rings an investigator works on, kept in the workspace's DuckDB file.

A case id is stable: ``GS-`` + 8 hex of a hash of the pattern and the sorted members, so
a rescan of the same data gives the same ids; a rescan with more data keeps the id of an
existing case of the same pattern whose members overlap the new ring (Jaccard >= 0.5).
Status and notes survive rescans; every change is an event with a timestamp and its
author (who made the entry: ``--by`` or the operating-system user).

An investigator may also change what a case holds: add entities, open a case from
entities they chose, merge two cases, split members off into a new case. Such a case is
*curated*: from then on its members and claims are the investigator's, and a rescan
leaves them alone. Rescans match rings to cases by ``case_rings`` (the members the
detector last found for each case), not by the curated members, so the ring behind a
curated case still finds it (and updates its figures), the ring behind a case merged
into another finds the merged case and stays absorbed in it, and members split off do
not come back.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from graphscan.errors import InputError
from graphscan.i18n import t
from graphscan.masks import resolve, typed_mask
from graphscan.rings import CASE_STATUSES, MANUAL_PATTERN, Case, Member, Ring
from graphscan.schema import ENTITY_COLUMNS, provider_member_kinds
from graphscan.store.base import Store
from graphscan.workspace import Workspace

#: member overlap that makes a new ring the continuation of an existing case
SAME_CASE_JACCARD = 0.5

#: status -> statuses it may move to (new -> reviewing -> confirmed/dismissed -> referred)
TRANSITIONS = {
    "new": ("reviewing", "dismissed"),
    "reviewing": ("confirmed", "dismissed"),
    "confirmed": ("referred", "reviewing"),
    "dismissed": ("reviewing",),
    "referred": (),
}

_DDL = (
    """CREATE TABLE IF NOT EXISTS cases (
        case_id VARCHAR, pattern VARCHAR, rank INTEGER, score DOUBLE,
        p_value DOUBLE, q_value DOUBLE, statistic DOUBLE, expected DOUBLE,
        total_amount DECIMAL(18,2), fund_amount DECIMAL(18,2), account_amount DECIMAL(18,2),
        first_time TIMESTAMP, last_time TIMESTAMP, explanation_zh VARCHAR,
        explanation_en VARCHAR, method JSON, status VARCHAR, current BOOLEAN,
        created_scan VARCHAR, updated_scan VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS case_members (
        case_id VARCHAR, member_kind VARCHAR, member_id VARCHAR, role VARCHAR)""",
    "CREATE TABLE IF NOT EXISTS case_claims (case_id VARCHAR, claim_id VARCHAR)",
    """CREATE TABLE IF NOT EXISTS case_events (
        case_id VARCHAR, event_time TIMESTAMP, scan_id VARCHAR, kind VARCHAR,
        from_status VARCHAR, to_status VARCHAR, note VARCHAR)""",
    # who made the entry; added after the first case books were written
    "ALTER TABLE case_events ADD COLUMN IF NOT EXISTS author VARCHAR",
    """CREATE TABLE IF NOT EXISTS case_assignments (
        case_id VARCHAR, assignee VARCHAR, assigned_by VARCHAR, assigned_at TIMESTAMP)""",
    # curated: an investigator changed the members; merged_into: the case that absorbed it
    "ALTER TABLE cases ADD COLUMN IF NOT EXISTS curated BOOLEAN DEFAULT false",
    "ALTER TABLE cases ADD COLUMN IF NOT EXISTS merged_into VARCHAR",
    # the members the detector last found for each case: what rescans match rings against
    """CREATE TABLE IF NOT EXISTS case_rings (
        case_id VARCHAR, member_kind VARCHAR, member_id VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS scans (
        scan_id VARCHAR, started_at TIMESTAMP, patterns VARCHAR, since TIMESTAMP,
        until TIMESTAMP, cases INTEGER)""",
)

MEMBER_COLUMNS = ["case_id", "rank", "score", "pattern", "role", "member_kind", "member_id"]
_CASE_COLUMNS = (
    "case_id, pattern, rank, score, p_value, q_value, statistic, expected, total_amount, "
    "fund_amount, account_amount, first_time, last_time, explanation_zh, explanation_en, "
    "method, status, current, created_scan, updated_scan, curated"
)
#: member kind -> the claim column that names it
_KIND_COLUMN = {
    "person": "person_id", "card": "card_id", "doctor": "doctor_id", "operator": "operator_id",
    "pharmacy": "provider_id", "institution": "provider_id",
}  # fmt: skip


def case_id_for(ring: Ring) -> str:
    digest = hashlib.sha256(
        "\n".join([ring.pattern, *sorted(f"{m.kind}:{m.id}" for m in ring.members)]).encode()
    ).hexdigest()
    return f"GS-{digest[:8]}"


def _jaccard(a: set[tuple[str, str]], b: set[tuple[str, str]]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _cases_by_member(existing: dict[str, tuple[str, set]]) -> dict[tuple[str, str], list[str]]:
    """member -> the cases whose ring had it: a rescan compares a changed ring only with
    the cases it shares a member with, not with every case of its pattern."""
    index: dict[tuple[str, str], list[str]] = {}
    for case_id, (_, members) in existing.items():
        for member in members:
            index.setdefault(member, []).append(case_id)
    return index


def _author(by: str | None) -> str:
    return (by or "").strip() or current_user()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def current_user() -> str:
    """Who is making an entry when nobody says: the operating-system user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return "unknown"


class CaseBook:
    def __init__(self, workspace: Workspace) -> None:
        self.db = workspace.db()
        for ddl in _DDL:
            self.db.execute(ddl)
        if not self.db.execute("SELECT 1 FROM case_rings LIMIT 1").fetchall():
            # a book from before case_rings: every case's members are what its ring found
            self.db.execute(
                "INSERT INTO case_rings SELECT m.case_id, m.member_kind, m.member_id "
                "FROM case_members m JOIN cases c USING (case_id) WHERE NOT c.curated"
            )

    # -- writing ------------------------------------------------------------------
    def record_scan(
        self,
        rings: list[Ring],
        patterns: Iterable[str],
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Case]:
        """Store ranked rings as cases (matching existing ones) and re-rank every current
        case. Cases of the scanned patterns that the scan no longer finds stay in the book
        with their status and notes but are no longer current."""
        patterns = sorted(set(patterns))
        started = _now()
        scan_id = f"scan-{started:%Y%m%dT%H%M%S%f}"
        existing = self._rings_by_case(patterns)
        by_member = _cases_by_member(existing)
        curated = {
            r[0] for r in self.db.execute("SELECT case_id FROM cases WHERE curated").fetchall()
        }
        taken: set[str] = set()
        self.db.execute("BEGIN")
        try:
            marks = ", ".join("?" for _ in patterns)
            self.db.execute(
                f"UPDATE cases SET current = false WHERE pattern IN ({marks}) AND NOT curated",
                patterns,
            )
            found: dict[str, Ring] = {}
            for ring in rings:
                case_id = self._match(ring, existing, by_member, taken)
                taken.add(case_id)
                found[case_id] = ring
            self._write(found, scan_id, started, set(existing), curated)
            self._rerank()
            self.db.execute(
                "INSERT INTO scans VALUES (?, ?, ?, ?, ?, ?)",
                [scan_id, started, ",".join(patterns), since, until, len(rings)],
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return self._cases(self._ids(current_only=True, patterns=patterns))

    def _curated(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT case_id FROM cases WHERE curated").fetchall()}

    def _rerank(self) -> None:
        self.db.execute(
            "UPDATE cases SET rank = r.rank FROM (SELECT case_id, row_number() OVER "
            "(ORDER BY score DESC, case_id) AS rank FROM cases WHERE current) r "
            "WHERE cases.case_id = r.case_id"
        )
        self.db.execute("UPDATE cases SET rank = NULL WHERE NOT current")

    def _rings_by_case(self, patterns: list[str]) -> dict[str, tuple[str, set]]:
        """case id -> (pattern, the members its ring had when last found)."""
        marks = ", ".join("?" for _ in patterns)
        rows = self.db.execute(
            f"SELECT c.case_id, c.pattern, m.member_kind, m.member_id FROM cases c "
            f"JOIN case_rings m USING (case_id) WHERE c.pattern IN ({marks}) "
            f"ORDER BY c.case_id",
            patterns,
        ).fetchall()
        found: dict[str, tuple[str, set]] = {}
        for case_id, pattern, kind, member in rows:
            found.setdefault(case_id, (pattern, set()))[1].add((kind, member))
        return found

    def _match(
        self,
        ring: Ring,
        existing: dict[str, tuple[str, set]],
        by_member: dict[tuple[str, str], list[str]],
        taken: set[str],
    ) -> str:
        """Same id when the members are the same; else the best-overlapping free case of
        the pattern (ties: the last by case id); else a fresh id. Only cases sharing a
        member can overlap, so only those are compared (``by_member``)."""
        fresh = case_id_for(ring)
        if fresh in existing and fresh not in taken:
            return fresh
        members = {(m.kind, m.id) for m in ring.members}
        sharing = sorted({c for member in members for c in by_member.get(member, ())})
        best, best_overlap = None, SAME_CASE_JACCARD
        for case_id in sharing:
            pattern, known = existing[case_id]
            if pattern != ring.pattern or case_id in taken:
                continue
            overlap = _jaccard(members, known)
            if overlap >= best_overlap:
                best, best_overlap = case_id, overlap
        return best or fresh

    def _write(
        self, found: dict[str, Ring], scan_id: str, at: datetime, existing: set[str],
        curated: set[str],
    ) -> None:  # fmt: skip
        """Store what the scan found for each case, in a few statements whatever the number
        of cases (one statement per case took minutes at 10,000 cases). A curated case
        takes only the detector's figures about its ring; its members, claims, money and
        wording stay the investigator's."""
        if not found:
            return
        rings = list(found.values())
        frame = pd.DataFrame({
            "case_id": list(found), "pattern": [r.pattern for r in rings],
            "score": [r.score for r in rings], "p_value": [r.p_value for r in rings],
            "q_value": [r.q_value for r in rings], "statistic": [r.statistic for r in rings],
            "expected": [r.expected for r in rings],
            "total_amount": [r.total_amount for r in rings],
            "fund_amount": [r.fund_amount for r in rings],
            "account_amount": [r.account_amount for r in rings],
            "first_time": [r.first_time for r in rings], "last_time": [r.last_time for r in rings],
            "explanation_zh": [r.explanation_zh for r in rings],
            "explanation_en": [r.explanation_en for r in rings],
            "method": [json.dumps(r.method, ensure_ascii=False, sort_keys=True, default=str)
                       for r in rings],
            "is_new": [c not in existing for c in found],
            "curated": [c in curated for c in found],
        })  # fmt: skip
        figures = "score, p_value, q_value, statistic, expected"
        facts = ("total_amount, fund_amount, account_amount, first_time, last_time, "
                 "explanation_zh, explanation_en")  # fmt: skip
        taken = ", ".join(f"{c} = f.{c}" for c in f"{figures}, method".split(", "))
        kept = ", ".join(f"{c} = f.{c}" for c in facts.split(", "))
        self.db.register("_found", frame)
        try:
            self.db.execute(
                f"INSERT INTO cases ({_CASE_COLUMNS}) SELECT case_id, pattern, NULL, {figures}, "
                f"{facts}, method, 'new', true, ?, ?, false FROM _found WHERE is_new",
                [scan_id, scan_id],
            )
            self.db.execute(
                f"UPDATE cases SET {taken}, updated_scan = ? FROM _found f "
                "WHERE cases.case_id = f.case_id AND NOT f.is_new AND f.curated",
                [scan_id],
            )
            self.db.execute(
                f"UPDATE cases SET {taken}, {kept}, current = true, updated_scan = ? "
                "FROM _found f WHERE cases.case_id = f.case_id AND NOT f.is_new AND NOT f.curated",
                [scan_id],
            )
            self.db.execute(
                "INSERT INTO case_events (case_id, event_time, scan_id, kind, note, author) "
                "SELECT case_id, ?, ?, CASE WHEN is_new THEN 'created' ELSE 'rescanned' END, "
                "NULL, ? FROM _found",
                [at, scan_id, _author(None)],
            )
        finally:
            self.db.unregister("_found")
        self._put("case_rings", {c: [(m.kind, m.id) for m in r.members] for c, r in found.items()})
        scanned = {c: r for c, r in found.items() if c not in curated}
        self._put(
            "case_members",
            {c: [(m.kind, m.id, m.role) for m in r.members] for c, r in scanned.items()},
        )
        self._put("case_claims", {c: [(x,) for x in r.claim_ids] for c, r in scanned.items()})

    def _put(self, table: str, rows: dict[str, list[tuple]]) -> None:
        """Replace each named case's rows of ``table`` (members, claims or ring) with its
        rows (case id -> rows), in two statements however many cases."""
        columns = {
            "case_members": ["member_kind", "member_id", "role"],
            "case_claims": ["claim_id"],
            "case_rings": ["member_kind", "member_id"],
        }[table]
        frame = pd.DataFrame(
            [(case_id, *row) for case_id, some in rows.items() for row in some],
            columns=["case_id", *columns], dtype="string",
        )  # fmt: skip
        ids = pd.DataFrame({"case_id": list(rows)}, dtype="string")
        self.db.register("_ids", ids)
        self.db.register("_rows", frame)
        try:
            self.db.execute(f"DELETE FROM {table} WHERE case_id IN (SELECT case_id FROM _ids)")
            self.db.execute(f"INSERT INTO {table} ({', '.join(frame.columns)}) SELECT * FROM _rows")
        finally:
            self.db.unregister("_rows")
            self.db.unregister("_ids")

    def _event(
        self,
        case_id: str,
        kind: str,
        note: str | None,
        at: datetime | None = None,
        scan_id: str | None = None,
        by: str | None = None,
    ) -> None:
        self.db.execute(
            "INSERT INTO case_events (case_id, event_time, scan_id, kind, note, author) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [case_id, at or _now(), scan_id, kind, note, _author(by)],
        )

    # -- what an investigator changes in a case ------------------------------------
    def open_case(self, entities: Iterable[str], store: Store, by: str | None = None) -> Case:
        """A new case of the entities an investigator chose (pattern ``manual``), with the
        claims that join two of them (all claims of the one, when one is chosen)."""
        wanted = list(dict.fromkeys(entities))
        found = self._entity_claims(wanted, store)
        members = [Member(kind, ident, "added") for ident, (kind, _) in found.items()]
        claims = self._joining(found, set(found))
        who = _author(by)
        case_id = self._fresh_id(MANUAL_PATTERN, members)
        with self._transaction():
            self._insert_curated(
                case_id, MANUAL_PATTERN, None,
                f"办案人员 {who} 从 {len(members)} 个实体立案，未经检测器发现，因此没有统计量。",
                f"Opened by {who} from {len(members)} entities chosen in the workbench; no "
                f"detector found it, so it has no statistics.",
            )  # fmt: skip
            self._set_contents(case_id, members, claims, store)
            self._event(case_id, "opened", None, by=who)
            self._rerank()
        return self.get(case_id)

    def add_members(
        self, case_id: str, entities: Iterable[str], store: Store, by: str | None = None
    ) -> Case:
        """Add entities to a case (role ``added``) with the claims that join each of them
        to the case's members."""
        case = self._editable(case_id)
        known = {m.id for m in case.members}
        wanted = [e for e in dict.fromkeys(entities) if e not in known]
        if not wanted:
            raise InputError(
                t("这些实体已是 {id} 的成员", "these entities are members of {id} already",
                  id=case_id)
            )  # fmt: skip
        found = self._entity_claims(wanted, store)
        members = [*case.members, *(Member(k, i, "added") for i, (k, _) in found.items())]
        claims = [*case.claim_ids, *self._joining(found, known | set(found))]
        with self._transaction():
            self._set_contents(case_id, members, claims, store)
            self._event(case_id, "added", t("添加成员 {n} 个", "added {n} member(s)",
                                            n=len(found)), by=by)  # fmt: skip
        return self.get(case_id)

    def merge(self, case_id: str, other_id: str, store: Store, by: str | None = None) -> Case:
        """Merge ``other_id`` into ``case_id``: the case keeps its id, status and figures
        and gains the other's members and claims; the other is kept (not current),
        pointing at it, and a rescan that finds its ring again leaves it there."""
        case, other = self._editable(case_id), self._editable(other_id)
        if case.case_id == other.case_id:
            raise InputError(t("不能把案件与自身合并", "a case cannot be merged with itself"))
        known = {m.id for m in case.members}
        members = [*case.members, *(m for m in other.members if m.id not in known)]
        with self._transaction():
            self._set_contents(case_id, members, [*case.claim_ids, *other.claim_ids], store)
            self.db.execute(
                "UPDATE cases SET merged_into = ?, current = false, curated = true "
                "WHERE case_id = ? OR merged_into = ?",
                [case_id, other_id, other_id],
            )
            self._event(case_id, "merged", t("并入 {o}", "{o} merged into this case",
                                             o=other_id), by=by)  # fmt: skip
            self._event(other_id, "merged", t("已并入 {c}", "merged into {c}", c=case_id), by=by)
            self._rerank()
        return self.get(case_id)

    def split(
        self, case_id: str, entities: Iterable[str], store: Store, by: str | None = None
    ) -> Case:
        """Move some members of a case into a new case (same pattern and figures, status
        new) with the claims that name any of them; the case keeps the other claims.
        Returns the new case."""
        case = self._editable(case_id)
        moving = set(entities)
        unknown = moving - {m.id for m in case.members}
        if unknown:
            raise InputError(
                t("{x} 不是 {id} 的成员", "{x} is not a member of {id}",
                  x=sorted(unknown)[0], id=case_id)
            )  # fmt: skip
        gone = [m for m in case.members if m.id in moving]
        kept = [m for m in case.members if m.id not in moving]
        if not gone or not kept:
            raise InputError(
                t("拆分需要留下至少一个成员并移出至少一个成员",
                  "a split moves some members, not none and not all")
            )  # fmt: skip
        claims = store.claims(case.claim_ids)
        moves = _naming(claims).isin(moving).any(axis=1)
        moved_claims = claims.loc[moves, "claim_id"].tolist()
        kept_claims = claims.loc[~moves, "claim_id"].tolist()
        if not moved_claims or not kept_claims:
            raise InputError(
                t("拆分后的某个案件将没有单据", "one side of the split would have no claims")
            )
        who = _author(by)
        new_id = self._fresh_id(case.pattern, gone)
        with self._transaction():
            self._insert_curated(
                new_id, case.pattern, case_id,
                f"由 {who} 从 {case_id} 拆分出的 {len(gone)} 个成员；统计量为 {case_id} 的。",
                f"{len(gone)} members split off {case_id} by {who}; the figures are those of "
                f"{case_id}.",
            )  # fmt: skip
            self._set_contents(new_id, gone, moved_claims, store)
            self._set_contents(case_id, kept, kept_claims, store)
            self._event(new_id, "opened", t("拆分自 {c}", "split off {c}", c=case_id), by=who)
            self._event(case_id, "split", t("{n} 个成员移入 {c}", "{n} members moved to {c}",
                                            n=len(gone), c=new_id), by=who)  # fmt: skip
            self._rerank()
        return self.get(new_id)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN")
        try:
            yield
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def _editable(self, case_id: str) -> Case:
        case = self.get(case_id)
        if case.merged_into:
            raise InputError(
                t("{id} 已并入 {m}，请在 {m} 中操作", "{id} was merged into {m}: work on {m}",
                  id=case_id, m=case.merged_into)
            )  # fmt: skip
        if case.status == "referred":
            raise InputError(
                t("{id} 已移送，成员不可再改", "{id} was referred: its members are fixed",
                  id=case_id)
            )  # fmt: skip
        return case

    def _fresh_id(self, pattern: str, members: list[Member]) -> str:
        ring = Ring(pattern, members, [], 0, 0, 1, 0, 0, 0, _now(), _now(), "", "")
        digest = hashlib.sha256(f"{case_id_for(ring)}\n{_now().isoformat()}".encode())
        case_id = f"GS-{digest.hexdigest()[:8]}"
        if self.db.execute("SELECT 1 FROM cases WHERE case_id = ?", [case_id]).fetchall():
            raise InputError(t("案件编号冲突，请重试", "case id clash; try again"))
        return case_id

    def _insert_curated(
        self, case_id: str, pattern: str, figures_of: str | None, why_zh: str, why_en: str
    ) -> None:
        """A new curated case row: the figures of ``figures_of`` (a split) or none (opened
        by hand); money and period are set from its claims by _set_contents."""
        self.db.execute(
            f"INSERT INTO cases ({_CASE_COLUMNS}) SELECT ?, ?, NULL, "
            "coalesce(max(score), 0), coalesce(max(p_value), 1), coalesce(max(q_value), 1), "
            "coalesce(max(statistic), 0), coalesce(max(expected), 0), 0, 0, 0, NULL, NULL, "
            "?, ?, coalesce(max(method), ?), 'new', true, NULL, NULL, true "
            "FROM cases WHERE case_id = ?",
            [case_id, pattern, why_zh, why_en, json.dumps({"detector": MANUAL_PATTERN}),
             figures_of],
        )  # fmt: skip

    def _set_contents(
        self, case_id: str, members: list[Member], claim_ids: Iterable[str], store: Store
    ) -> None:
        """Members and claims of a curated case, and its money and period from them."""
        ids = sorted(set(claim_ids))
        claims = store.claims(ids)
        self._put("case_members", {case_id: [(m.kind, m.id, m.role) for m in members]})
        self._put("case_claims", {case_id: [(c,) for c in ids]})
        paid = [float(claims[c].fillna(0).sum()) for c in
                ("total_amount", "fund_amount", "account_amount")]  # fmt: skip
        self.db.execute(
            "UPDATE cases SET curated = true, total_amount = ?, fund_amount = ?, "
            "account_amount = ?, first_time = ?, last_time = ? WHERE case_id = ?",
            [*paid, claims["start_time"].min(), claims["start_time"].max(), case_id],
        )

    def _entity_claims(
        self, entities: list[str], store: Store
    ) -> dict[str, tuple[str, pd.DataFrame]]:
        """id -> (member kind, its claims), the kind read from the claims as exploration
        reads it (the first column that names it; a provider's kind from the store)."""
        if not entities:
            raise InputError(t("请至少选择一个实体", "choose at least one entity"))
        found = {}
        for ident in entities:
            claims = store.neighbourhood(ident, 1)
            column = next((c for c in ENTITY_COLUMNS if (claims[c] == ident).any()), None)
            if column is None:
                raise InputError(
                    t("没有单据提到 {e}", "no claim names {e}", e=ident)
                )  # fmt: skip
            kind = ENTITY_COLUMNS[column]
            if kind == "provider":
                kind = provider_member_kinds(claims)[ident]
            found[ident] = (kind, claims)
        return found

    @staticmethod
    def _joining(found: dict[str, tuple[str, pd.DataFrame]], members: set[str]) -> list[str]:
        """The claims of each entity found that also name another of ``members``; all of
        them when it is the only member."""
        joined: list[str] = []
        for ident, (_, claims) in found.items():
            others = members - {ident}
            if not others:
                joined += claims["claim_id"].tolist()
                continue
            hit = _naming(claims).isin(others).any(axis=1)
            joined += claims.loc[hit, "claim_id"].tolist()
        return joined

    def set_status(
        self, case_id: str, status: str, note: str | None = None, by: str | None = None
    ) -> Case:
        """Move a case along new -> reviewing -> confirmed/dismissed -> referred; the same
        status with a note just adds the note. ``by`` is who made the entry (default: the
        operating-system user), kept with it for the memo."""
        case = self.get(case_id)
        if status not in CASE_STATUSES:
            raise InputError(
                t(
                    "未知状态 {s!r}；可选：{all}",
                    "unknown status {s!r}; choose from {all}",
                    s=status,
                    all=", ".join(CASE_STATUSES),
                )
            )
        if status != case.status and status not in TRANSITIONS[case.status]:
            raise InputError(
                t(
                    "{id} 当前为 {now}：只能变为 {allowed}，不能变为 {s}",
                    "{id} is {now}: it can move to {allowed}, not {s}",
                    id=case_id,
                    now=case.status,
                    allowed=", ".join(TRANSITIONS[case.status]) or "-",
                    s=status,
                )
            )
        if status == case.status and not note:
            raise InputError(
                t(
                    "{id} 已是 {s}；如需记录备注请加 --note",
                    "{id} is already {s}; add --note to record a note",
                    id=case_id,
                    s=status,
                )
            )
        kind = "status" if status != case.status else "note"
        self.db.execute("UPDATE cases SET status = ? WHERE case_id = ?", [status, case_id])
        author = _author(by)
        self.db.execute(
            "INSERT INTO case_events (case_id, event_time, kind, from_status, to_status, note, "
            "author) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [case_id, _now(), kind, case.status, status, note, author],
        )
        return self.get(case_id)

    def assign(self, case_id: str, assignee: str | None, by: str) -> None:
        """Hand a case to an investigator (None: to nobody); the latest assignment holds
        and every one is kept with who made it and when."""
        self.get(case_id)
        self.db.execute(
            "INSERT INTO case_assignments VALUES (?, ?, ?, ?)", [case_id, assignee, by, _now()]
        )

    def assignments(self, case_id: str) -> list[dict[str, Any]]:
        """Every assignment of a case, oldest first."""
        rows = self.db.execute(
            "SELECT assignee, assigned_by, assigned_at FROM case_assignments "
            "WHERE case_id = ? ORDER BY assigned_at",
            [case_id],
        ).fetchall()
        return [dict(zip(("assignee", "by", "at"), r, strict=True)) for r in rows]

    def queue(self, include_stale: bool = False) -> pd.DataFrame:
        """``list()`` plus each case's current assignee, its regions (from the region part
        of its providers' national codes) and its member ids as one searchable text."""
        cases = self.list(include_stale=include_stale)
        extra = self.db.execute(
            "SELECT m.case_id, "
            "string_agg(DISTINCT CASE WHEN m.member_kind IN ('institution', 'pharmacy') "
            "AND length(m.member_id) = 12 THEN substr(m.member_id, 2, 6) END, ',') AS region, "
            "string_agg(m.member_id, ' ') AS member_ids, "
            "(SELECT arg_max(a.assignee, a.assigned_at) FROM case_assignments a "
            "WHERE a.case_id = m.case_id) AS assignee "
            "FROM case_members m GROUP BY m.case_id"
        ).df()
        return cases.merge(extra, on="case_id", how="left")

    def cases_of(self, ids: Iterable[str]) -> dict[tuple[str, str], list[str]]:
        """(member kind, id) -> ids of the current cases it belongs to, for the members
        whose id is one of ``ids`` (what a neighbourhood marks)."""
        wanted = pa.table({"i": pa.array(list(ids), pa.string())})
        self.db.register("_wanted", wanted)
        try:
            rows = self.db.execute(
                "SELECT m.member_kind, m.member_id, list(DISTINCT m.case_id ORDER BY m.case_id) "
                "FROM case_members m JOIN cases c USING (case_id) "
                "WHERE c.current AND m.member_id IN (SELECT i FROM _wanted) GROUP BY ALL"
            ).fetchall()
        finally:
            self.db.unregister("_wanted")
        return {(kind, ident): ids for kind, ident, ids in rows}

    # -- reading ------------------------------------------------------------------
    def _ids(self, current_only: bool, patterns: list[str] | None = None) -> list[str]:
        """Case ids in rank order; ``patterns`` keeps those of the patterns a scan ran."""
        where = ["current"] if current_only else []
        if patterns is not None:
            where.append(f"pattern IN ({', '.join('?' for _ in patterns) or 'NULL'})")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self.db.execute(
            f"SELECT case_id FROM cases {clause} ORDER BY rank NULLS LAST, score DESC, case_id",
            patterns or [],
        ).fetchall()
        return [r[0] for r in rows]

    def get(self, case_id: str) -> Case:
        found = self._cases([case_id])
        if not found:
            raise InputError(
                t(
                    "此工作区中没有案件 {id!r}（见 `graphscan cases list`）",
                    "no case {id!r} in this workspace (see `graphscan cases list`)",
                    id=case_id,
                )
            )
        return found[0]

    def _cases(self, case_ids: list[str]) -> list[Case]:
        """The cases of ``case_ids`` that exist, in that order, read in four statements
        however many (one case at a time took minutes for a scan's 10,000 cases)."""
        self.db.register("_wanted", pd.DataFrame({"case_id": case_ids}, dtype="string"))
        try:
            among = "WHERE case_id IN (SELECT case_id FROM _wanted)"
            rows = self.db.execute(f"SELECT * FROM cases {among}").df()
            members: dict[str, list[Member]] = {}
            for case_id, kind, member, role in self.db.execute(
                f"SELECT case_id, member_kind, member_id, role FROM case_members {among} "
                "ORDER BY case_id, role, member_kind, member_id"
            ).fetchall():
                members.setdefault(case_id, []).append(Member(kind, member, role))
            claims: dict[str, list[str]] = {}
            for case_id, claim in self.db.execute(
                f"SELECT case_id, claim_id FROM case_claims {among} ORDER BY case_id, claim_id"
            ).fetchall():
                claims.setdefault(case_id, []).append(claim)
            events = self.db.execute(
                "SELECT case_id, event_time, scan_id, kind, from_status, to_status, note, "
                f"author FROM case_events {among} ORDER BY case_id, event_time, kind"
            ).df()
        finally:
            self.db.unregister("_wanted")
        notes: dict[str, list[dict[str, Any]]] = {}
        for event in events.to_dict("records"):
            notes.setdefault(event.pop("case_id"), []).append(
                {k: (None if pd.isna(v) else v) for k, v in event.items()}
            )
        by_id = {r["case_id"]: r for r in rows.to_dict("records")}
        return [
            Case(
                pattern=r["pattern"],
                members=members.get(case_id, []),
                claim_ids=claims.get(case_id, []),
                statistic=float(r["statistic"]),
                expected=float(r["expected"]),
                p_value=float(r["p_value"]),
                total_amount=float(r["total_amount"]),
                fund_amount=float(r["fund_amount"]),
                account_amount=float(r["account_amount"]),
                first_time=r["first_time"].to_pydatetime(),
                last_time=r["last_time"].to_pydatetime(),
                explanation_zh=r["explanation_zh"],
                explanation_en=r["explanation_en"],
                q_value=float(r["q_value"]),
                score=float(r["score"]),
                method=json.loads(r["method"]),
                case_id=case_id,
                rank=int(r["rank"]) if pd.notna(r["rank"]) else 0,
                status=r["status"],
                merged_into=r["merged_into"] if pd.notna(r["merged_into"]) else None,
                notes=notes.get(case_id, []),
            )
            for case_id in case_ids
            if (r := by_id.get(case_id)) is not None
        ]

    def find(self, text: str) -> list[str]:
        """The case ids meant by what an investigator typed: a case id, or a member id,
        whole or masked as an export shows it, for the cases that member belongs to."""
        if self.db.execute("SELECT 1 FROM cases WHERE case_id = ?", [text]).fetchall():
            return [text]
        known = [
            r[0] for r in self.db.execute("SELECT DISTINCT member_id FROM case_members").fetchall()
        ]
        if typed_mask(text) is None and text not in known:
            raise InputError(
                t(
                    "此工作区中没有案件或案件成员 {x!r}（见 `graphscan cases list`）",
                    "no case or case member {x!r} in this workspace (see `graphscan cases list`)",
                    x=text,
                )
            )
        member = resolve(text, known)
        rows = self.db.execute(
            "SELECT DISTINCT m.case_id, c.rank FROM case_members m JOIN cases c USING (case_id) "
            "WHERE m.member_id = ? ORDER BY c.rank NULLS LAST, m.case_id",
            [member],
        ).fetchall()
        return [r[0] for r in rows]

    def list(
        self,
        pattern: str | None = None,
        status: str | None = None,
        include_stale: bool = False,
    ) -> pd.DataFrame:
        """Ranked cases, one row each, with member and evidence counts."""
        where = ["(? IS NULL OR c.pattern = ?)", "(? IS NULL OR c.status = ?)"]
        if not include_stale:
            where.append("c.current")
        return self.db.execute(
            "SELECT c.rank, c.case_id, c.pattern, c.status, c.score, c.p_value, c.q_value, "
            "c.statistic, c.expected, c.total_amount, c.fund_amount, c.account_amount, "
            "c.first_time, c.last_time, "
            "(SELECT count(*) FROM case_members m WHERE m.case_id = c.case_id) AS members, "
            "(SELECT count(*) FROM case_claims k WHERE k.case_id = c.case_id) AS claims, "
            "c.explanation_zh, c.explanation_en "
            f"FROM cases c WHERE {' AND '.join(where)} "
            "ORDER BY c.rank NULLS LAST, c.score DESC, c.case_id",
            [pattern, pattern, status, status],
        ).df()

    def members(self, pattern: str | None = None, status: str | None = None) -> pd.DataFrame:
        """One row per member of every current case, in rank order."""
        return self.db.execute(
            "SELECT c.case_id, c.rank, c.score, c.pattern, m.role, m.member_kind, m.member_id "
            "FROM cases c JOIN case_members m USING (case_id) "
            "WHERE c.current AND (? IS NULL OR c.pattern = ?) AND (? IS NULL OR c.status = ?) "
            "ORDER BY c.rank, m.role, m.member_kind, m.member_id",
            [pattern, pattern, status, status],
        ).df()[MEMBER_COLUMNS]


def _naming(claims: pd.DataFrame) -> pd.DataFrame:
    """The entity columns of claims (what names a member)."""
    return claims[list(ENTITY_COLUMNS)]


def ranked_members(workspace: Workspace | str | Any) -> pd.DataFrame:
    """case_id, rank, score, pattern, role, member_kind, member_id of every current case:
    the shape ``graphscan.evaluate.score`` and ``graphscan cases list --members`` use."""
    ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
    return CaseBook(ws).members()
