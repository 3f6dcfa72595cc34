"""Users, roles and API tokens of one deployment, kept in its workspace's DuckDB file
beside the case book: one file to back up, and the same file lock that keeps the CLI and
the server from writing at once. Passwords are Argon2id hashes (argon2-cffi); API tokens
are random and only their SHA-256 is stored, so the file never holds a usable secret."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from graphscan.errors import InputError

#: role -> what it may do. A viewer reads masked cases; an investigator also works cases
#: and exports masked packages; a supervisor also reveals identities and assigns cases.
ROLES: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "investigator": frozenset({"read", "full_ids", "work", "export"}),
    "supervisor": frozenset({"read", "full_ids", "work", "export", "reveal", "assign"}),
}
MIN_PASSWORD = 8

_DDL = (
    """CREATE TABLE IF NOT EXISTS workbench_users (
        name VARCHAR PRIMARY KEY, role VARCHAR, password_hash VARCHAR, created_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS workbench_tokens (
        token_sha256 VARCHAR PRIMARY KEY, name VARCHAR, created_at TIMESTAMP)""",
)
_HASHER = PasswordHasher()
#: verified against when the user does not exist, so a wrong name costs as long as a
#: wrong password and timing does not tell which names exist
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


@dataclass(frozen=True)
class User:
    name: str
    role: str

    def may(self, permission: str) -> bool:
        return permission in ROLES[self.role]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(self, db: duckdb.DuckDBPyConnection) -> None:
        self.db = db
        for ddl in _DDL:
            self.db.execute(ddl)

    def add(self, name: str, role: str, password: str) -> User:
        if role not in ROLES:
            raise InputError(f"unknown role {role!r}; choose from {', '.join(ROLES)}")
        if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise InputError(f"user name {name!r}: use letters, digits, '-', '_' or '.'")
        if len(password) < MIN_PASSWORD:
            raise InputError(f"the password needs at least {MIN_PASSWORD} characters")
        if self.get(name) is not None:
            raise InputError(f"user {name!r} exists; remove it first to change it")
        self.db.execute(
            "INSERT INTO workbench_users VALUES (?, ?, ?, ?)",
            [name, role, _HASHER.hash(password), _now()],
        )
        return User(name, role)

    def get(self, name: str) -> User | None:
        rows = self.db.execute(
            "SELECT name, role FROM workbench_users WHERE name = ?", [name]
        ).fetchall()
        return User(*rows[0]) if rows else None

    def list(self) -> list[tuple[str, str, datetime, int]]:
        """name, role, created, number of API tokens."""
        return self.db.execute(
            "SELECT u.name, u.role, u.created_at, count(t.name) FROM workbench_users u "
            "LEFT JOIN workbench_tokens t USING (name) GROUP BY ALL ORDER BY u.name"
        ).fetchall()

    def remove(self, name: str) -> None:
        if self.get(name) is None:
            raise InputError(f"no user {name!r} (see `graphscan users list`)")
        self.db.execute("DELETE FROM workbench_tokens WHERE name = ?", [name])
        self.db.execute("DELETE FROM workbench_users WHERE name = ?", [name])

    def check_password(self, name: str, password: str) -> User | None:
        rows = self.db.execute(
            "SELECT role, password_hash FROM workbench_users WHERE name = ?", [name]
        ).fetchall()
        row = rows[0] if rows else None
        try:
            _HASHER.verify(row[1] if row else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        return User(name, row[0]) if row else None

    def new_token(self, name: str) -> str:
        if self.get(name) is None:
            raise InputError(f"no user {name!r} (see `graphscan users list`)")
        token = "gst_" + secrets.token_urlsafe(32)
        self.db.execute(
            "INSERT INTO workbench_tokens VALUES (?, ?, ?)", [_token_hash(token), name, _now()]
        )
        return token

    def by_token(self, token: str) -> User | None:
        rows = self.db.execute(
            "SELECT u.name, u.role FROM workbench_tokens t JOIN workbench_users u USING (name) "
            "WHERE t.token_sha256 = ?",
            [_token_hash(token)],
        ).fetchall()
        return User(*rows[0]) if rows else None
