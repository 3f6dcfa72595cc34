"""The append-only, hash-chained audit log of a deployment: logins, reveals, status
changes, assignments and exports. Each entry's hash covers its content and the previous
entry's hash, so an edited, removed or reordered entry breaks the chain at that point and
`graphscan audit verify` names it. Nothing in graphscan updates or deletes an entry."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

_DDL = """CREATE TABLE IF NOT EXISTS audit_log (
    seq BIGINT PRIMARY KEY, logged_at TIMESTAMP, actor VARCHAR, action VARCHAR, target VARCHAR,
    detail VARCHAR, prev_hash VARCHAR, hash VARCHAR)"""
GENESIS = "0" * 64


def entry_hash(
    seq: int, at: datetime, actor: str, action: str, target: str, detail: str, prev: str
) -> str:
    body = json.dumps(
        [seq, at.isoformat(timespec="microseconds"), actor, action, target, detail, prev],
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class Verdict:
    entries: int
    broken_at: int | None
    """seq of the first entry whose hash or link does not hold; None when all hold."""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


class AuditLog:
    def __init__(self, db: duckdb.DuckDBPyConnection) -> None:
        self.db = db
        self.db.execute(_DDL)

    def append(self, actor: str, action: str, target: str = "", **detail: Any) -> None:
        """Detail holds ids and counts, never a clear identifier (a reveal records which
        case was revealed, not what it showed)."""
        text = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
        at = datetime.now(UTC).replace(tzinfo=None)
        last = self.db.execute(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"
        ).fetchall()
        seq, prev = (last[0][0] + 1, last[0][1]) if last else (1, GENESIS)
        self.db.execute(
            "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [seq, at, actor, action, target, text, prev,
             entry_hash(seq, at, actor, action, target, text, prev)],
        )  # fmt: skip

    def entries(self, limit: int | None = None) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT seq, logged_at, actor, action, target, detail FROM audit_log ORDER BY seq DESC "
            "LIMIT ?",
            [limit or 2**62],
        ).fetchall()
        keys = ("seq", "at", "actor", "action", "target", "detail")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def verify(self) -> Verdict:
        prev, expected_seq, count = GENESIS, 1, 0
        for row in self.db.execute(
            "SELECT seq, logged_at, actor, action, target, detail, prev_hash, hash FROM audit_log "
            "ORDER BY seq"
        ).fetchall():
            seq, at, actor, action, target, detail, prev_hash, stored = row
            count += 1
            if (
                seq != expected_seq
                or prev_hash != prev
                or stored != entry_hash(seq, at, actor, action, target, detail, prev_hash)
            ):
                return Verdict(count, seq)
            prev, expected_seq = stored, seq + 1
        return Verdict(count, None)
