"""The case book: rings an investigator works on, kept in the workspace's DuckDB file.

A case id is stable: ``GS-`` + 8 hex of a hash of the pattern and the sorted members, so
a rescan of the same data gives the same ids; a rescan with more data keeps the id of an
existing case of the same pattern whose members overlap the new ring (Jaccard >= 0.5).
Status and notes survive rescans; every change is an event with a timestamp and its
author (who made the entry: ``--by`` or the operating-system user).
"""

from __future__ import annotations

import getpass
import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from graphscan.errors import InputError
from graphscan.i18n import t
from graphscan.masks import resolve, typed_mask
from graphscan.rings import CASE_STATUSES, Case, Member, Ring
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
    """CREATE TABLE IF NOT EXISTS scans (
        scan_id VARCHAR, started_at TIMESTAMP, patterns VARCHAR, since TIMESTAMP,
        until TIMESTAMP, cases INTEGER)""",
)

MEMBER_COLUMNS = ["case_id", "rank", "score", "pattern", "role", "member_kind", "member_id"]


def case_id_for(ring: Ring) -> str:
    digest = hashlib.sha256(
        "\n".join([ring.pattern, *sorted(f"{m.kind}:{m.id}" for m in ring.members)]).encode()
    ).hexdigest()
    return f"GS-{digest[:8]}"


def _jaccard(a: set[tuple[str, str]], b: set[tuple[str, str]]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


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
        existing = self._members_by_case(patterns)
        taken: set[str] = set()
        self.db.execute("BEGIN")
        try:
            marks = ", ".join("?" for _ in patterns)
            self.db.execute(
                f"UPDATE cases SET current = false WHERE pattern IN ({marks})", patterns
            )
            for ring in rings:
                case_id = self._match(ring, existing, taken)
                taken.add(case_id)
                self._write(case_id, ring, scan_id, started, is_new=case_id not in existing)
            self.db.execute(
                "UPDATE cases SET rank = r.rank FROM (SELECT case_id, row_number() OVER "
                "(ORDER BY score DESC, case_id) AS rank FROM cases WHERE current) r "
                "WHERE cases.case_id = r.case_id"
            )
            self.db.execute("UPDATE cases SET rank = NULL WHERE NOT current")
            self.db.execute(
                "INSERT INTO scans VALUES (?, ?, ?, ?, ?, ?)",
                [scan_id, started, ",".join(patterns), since, until, len(rings)],
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return [self.get(case_id) for case_id in self._ids(current_only=True, patterns=patterns)]

    def _members_by_case(self, patterns: list[str]) -> dict[str, tuple[str, set]]:
        marks = ", ".join("?" for _ in patterns)
        rows = self.db.execute(
            f"SELECT c.case_id, c.pattern, m.member_kind, m.member_id FROM cases c "
            f"JOIN case_members m USING (case_id) WHERE c.pattern IN ({marks}) "
            f"ORDER BY c.case_id",
            patterns,
        ).fetchall()
        found: dict[str, tuple[str, set]] = {}
        for case_id, pattern, kind, member in rows:
            found.setdefault(case_id, (pattern, set()))[1].add((kind, member))
        return found

    def _match(self, ring: Ring, existing: dict[str, tuple[str, set]], taken: set[str]) -> str:
        """Same id when the members are the same; else the best-overlapping free case of
        the pattern; else a fresh id."""
        fresh = case_id_for(ring)
        if fresh in existing and fresh not in taken:
            return fresh
        members = {(m.kind, m.id) for m in ring.members}
        best, best_overlap = None, SAME_CASE_JACCARD
        for case_id, (pattern, known) in existing.items():
            if pattern != ring.pattern or case_id in taken:
                continue
            overlap = _jaccard(members, known)
            if overlap >= best_overlap:
                best, best_overlap = case_id, overlap
        return best or fresh

    def _write(self, case_id: str, ring: Ring, scan_id: str, at: datetime, is_new: bool) -> None:
        values = [
            ring.pattern, None, ring.score, ring.p_value, ring.q_value, ring.statistic,
            ring.expected, ring.total_amount, ring.fund_amount, ring.account_amount,
            ring.first_time, ring.last_time, ring.explanation_zh, ring.explanation_en,
            json.dumps(ring.method, ensure_ascii=False, sort_keys=True, default=str),
        ]  # fmt: skip
        if is_new:
            self.db.execute(
                "INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "'new', true, ?, ?)",
                [case_id, *values, scan_id, scan_id],
            )
        else:
            self.db.execute(
                "UPDATE cases SET pattern = ?, rank = ?, score = ?, p_value = ?, q_value = ?, "
                "statistic = ?, expected = ?, total_amount = ?, fund_amount = ?, "
                "account_amount = ?, first_time = ?, last_time = ?, explanation_zh = ?, "
                "explanation_en = ?, method = ?, current = true, updated_scan = ? "
                "WHERE case_id = ?",
                [*values, scan_id, case_id],
            )
        self.db.execute("DELETE FROM case_members WHERE case_id = ?", [case_id])
        self.db.execute("DELETE FROM case_claims WHERE case_id = ?", [case_id])
        members = pd.DataFrame(
            [(case_id, m.kind, m.id, m.role) for m in ring.members],
            columns=["case_id", "member_kind", "member_id", "role"],
        )
        claims = pd.DataFrame({"case_id": case_id, "claim_id": list(ring.claim_ids)})
        for table, frame in (("case_members", members), ("case_claims", claims)):
            self.db.register("_rows", frame)
            try:
                self.db.execute(f"INSERT INTO {table} SELECT * FROM _rows")
            finally:
                self.db.unregister("_rows")
        self.db.execute(
            "INSERT INTO case_events (case_id, event_time, scan_id, kind, author) "
            "VALUES (?, ?, ?, ?, ?)",
            [case_id, at, scan_id, "created" if is_new else "rescanned", current_user()],
        )

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
        author = (by or "").strip() or current_user()
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

    def cases_of(self, entities: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
        """(member kind, id) -> ids of the current cases it belongs to, for the entities
        given (what a neighbourhood marks)."""
        wanted = pd.DataFrame(list(entities), columns=["k", "i"], dtype="string")
        self.db.register("_wanted", wanted)
        try:
            rows = self.db.execute(
                "SELECT m.member_kind, m.member_id, list(DISTINCT m.case_id ORDER BY m.case_id) "
                "FROM case_members m JOIN cases c USING (case_id) JOIN _wanted w "
                "ON m.member_id = w.i WHERE c.current GROUP BY ALL"
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
        row = self.db.execute("SELECT * FROM cases WHERE case_id = ?", [case_id]).df()
        if row.empty:
            raise InputError(
                t(
                    "此工作区中没有案件 {id!r}（见 `graphscan cases list`）",
                    "no case {id!r} in this workspace (see `graphscan cases list`)",
                    id=case_id,
                )
            )
        r = row.iloc[0]
        members = self.db.execute(
            "SELECT member_kind, member_id, role FROM case_members WHERE case_id = ? "
            "ORDER BY role, member_kind, member_id",
            [case_id],
        ).fetchall()
        claims = self.db.execute(
            "SELECT claim_id FROM case_claims WHERE case_id = ? ORDER BY claim_id", [case_id]
        ).fetchall()
        events = self.db.execute(
            "SELECT event_time, scan_id, kind, from_status, to_status, note, author "
            "FROM case_events "
            "WHERE case_id = ? ORDER BY event_time, kind",
            [case_id],
        ).df()
        return Case(
            pattern=r["pattern"],
            members=[Member(kind, member, role) for kind, member, role in members],
            claim_ids=[c[0] for c in claims],
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
            notes=[
                {k: (None if pd.isna(v) else v) for k, v in e.items()}
                for e in events.to_dict("records")
            ],
        )

    def find(self, text: str) -> list[str]:
        """The case ids meant by what an investigator typed: a case id, or a member id,
        whole or masked as an export shows it, for the cases that member belongs to."""
        if self.db.execute("SELECT 1 FROM cases WHERE case_id = ?", [text]).fetchone():
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


def ranked_members(workspace: Workspace | str | Any) -> pd.DataFrame:
    """case_id, rank, score, pattern, role, member_kind, member_id of every current case:
    the shape ``graphscan.evaluate.score`` and ``graphscan cases list --members`` use."""
    ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
    return CaseBook(ws).members()
