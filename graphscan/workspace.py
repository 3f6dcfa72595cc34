"""A workspace is the folder an investigator works in: the embedded store, quarantine
files, cases and exports. Keys never live here (see graphscan.pseudonym).

A workspace holds personal data (pseudonymised, but linkable), so everything in it is
private to its user: folders 0700, files 0600. Its ``workspace.json`` says that the
folder is a workspace (so a typo in ``--workspace`` is an error, not a fresh empty store),
whether the demo made it (the demo may only rebuild what it made), and the fingerprint of
the key that pseudonymised its data (so another key cannot quietly make second identities
for the same people). ``graphscan.lock`` names the process that holds the store, so a
second one is told who is busy with it instead of getting DuckDB's lock error."""

from __future__ import annotations

import atexit
import json
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from graphscan.errors import WorkspaceBusy, WorkspaceMissing
from graphscan.i18n import t

DEFAULT_WORKSPACE = "graphscan-workspace"
META_FILE = "workspace.json"
LOCK_FILE = "graphscan.lock"
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
#: Seconds to wait for a DuckDB file another process holds for a moment (the workbench
#: opens it per request), before the lock error is raised.
LOCK_WAIT_S = 10.0
#: lock files whose removal at exit is registered (the workbench reopens its store often)
_RELEASED_AT_EXIT: set[Path] = set()


def private_dir(path: Path) -> Path:
    """``path`` as a folder only its owner may enter (made if missing)."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_DIR)
    return path


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` through a 0600 temporary file renamed into place (never torn)."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


def workspace_path(root: str | os.PathLike[str] | None) -> Path:
    """Where a workspace is: ``root``, else GRAPHSCAN_WORKSPACE, else the default."""
    return Path(root or os.environ.get("GRAPHSCAN_WORKSPACE", DEFAULT_WORKSPACE)).expanduser()


def marked_as_demo(root: Path) -> bool:
    """``root`` is a workspace the demo made (read without adopting the folder)."""
    try:
        return bool(json.loads((root / META_FILE).read_text(encoding="utf-8")).get("demo"))
    except (OSError, ValueError):
        return False


@dataclass
class Workspace:
    root: Path
    #: what the lock file says holds the store (a command name, never its arguments)
    holder: str = field(default="", repr=False)
    _db: duckdb.DuckDBPyConnection | None = field(default=None, repr=False)

    @classmethod
    def open(
        cls,
        root: str | os.PathLike[str] | None = None,
        create: bool = True,
        demo: bool = False,
        holder: str = "",
    ) -> Workspace:
        """The workspace at ``root`` (default GRAPHSCAN_WORKSPACE, else
        ./graphscan-workspace). ``create=False`` (every command but load and demo) refuses
        a folder that is not a workspace; ``create`` makes it, private, and ``demo`` marks
        it as the demo's own."""
        path = workspace_path(root)
        meta = path / META_FILE
        known = meta.exists() or (path / "graphscan.duckdb").exists()
        if not known:
            if not create:
                raise WorkspaceMissing(
                    t(
                        "{p} 不是 graphscan 工作区",
                        "{p} is not a graphscan workspace",
                        p=path,
                    )
                    if path.is_dir()
                    else t(
                        "工作区 {p} 不存在：请先用 graphscan load 导入数据（或检查 --workspace）",
                        "workspace {p} does not exist: load data into it first with "
                        "`graphscan load` (or check --workspace)",
                        p=path,
                    )
                )
            if not path.exists():  # a folder the user made keeps the modes they gave it
                private_dir(path)
            _write_private(meta, json.dumps({"graphscan_workspace": 1, "demo": demo}) + "\n")
        ws = cls(path.resolve(), holder or Path(sys.argv[0]).name)
        if not meta.exists():  # made by an earlier version: adopt it, data and all
            ws._save({"graphscan_workspace": 1, "demo": False, "earlier_data": True})
        return ws

    # -- what the workspace records ----------------------------------------------------
    def _meta(self) -> dict[str, Any]:
        return json.loads((self.root / META_FILE).read_text(encoding="utf-8"))

    def _save(self, meta: dict[str, Any]) -> None:
        _write_private(self.root / META_FILE, json.dumps(meta, sort_keys=True) + "\n")

    @property
    def key_fingerprint(self) -> str | None:
        """Fingerprint of the key that pseudonymised this workspace's data, if any."""
        return self._meta().get("key_fingerprint")

    @property
    def holds_data(self) -> bool:
        """Pseudonymised data was loaded (by this version, or an earlier one)."""
        meta = self._meta()
        return meta.get("key_fingerprint") is not None or bool(meta.get("earlier_data"))

    def record_key(self, fingerprint: str) -> None:
        """Record the key the data about to be loaded is pseudonymised with (the earlier
        ones are kept in ``previous_keys``); graphscan.pseudonym.workspace_key decides
        whether that key may be used here."""
        meta = self._meta()
        if meta.get("key_fingerprint") != fingerprint:
            earlier = [*meta.get("previous_keys", [])]
            if meta.get("key_fingerprint"):
                earlier.append(meta["key_fingerprint"])
            self._save({**meta, "key_fingerprint": fingerprint, "previous_keys": earlier})

    # -- places --------------------------------------------------------------------------
    @property
    def db_path(self) -> Path:
        return self.root / "graphscan.duckdb"

    @property
    def quarantine_dir(self) -> Path:
        return private_dir(self.root / "quarantine")

    @property
    def spill_dir(self) -> Path:
        """Where DuckDB spills past its memory limit: a load's staged rows (clear ids
        still) as much as a scan's joins, so private, and set when the connection opens
        (DuckDB cannot move it once used)."""
        return self.root / "spill"

    @property
    def exports_dir(self) -> Path:
        return private_dir(self.root / "exports")

    def db(self) -> duckdb.DuckDBPyConnection:
        """One connection per process: DuckDB allows a single writer per file."""
        if self._db is None:
            deadline = time.monotonic() + LOCK_WAIT_S
            while self._db is None:
                try:
                    spill = str(private_dir(self.spill_dir))
                    self._db = duckdb.connect(str(self.db_path), config={"temp_directory": spill})
                except duckdb.IOException as exc:
                    if "lock" not in str(exc).lower():
                        raise
                    if time.monotonic() > deadline:
                        raise WorkspaceBusy(self._busy()) from None
                    time.sleep(0.05)
            for path in self.root.glob("graphscan.duckdb*"):
                os.chmod(path, PRIVATE_FILE)
            if self.root / LOCK_FILE not in _RELEASED_AT_EXIT:
                atexit.register(_release, self.root / LOCK_FILE)
                _RELEASED_AT_EXIT.add(self.root / LOCK_FILE)
            _write_private(
                self.root / LOCK_FILE,
                json.dumps(
                    {
                        "pid": os.getpid(),
                        "command": self.holder,
                        "since": f"{datetime.now():%Y-%m-%d %H:%M:%S}",
                    }
                )
                + "\n",
            )
        return self._db

    def _busy(self) -> str:
        try:
            held = json.loads((self.root / LOCK_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            held = {"pid": "?", "command": "?", "since": "?"}
        return t(
            "工作区 {p} 正被另一进程使用：{c}（pid {pid}，自 {s} 起）；请等它结束后再试",
            "workspace {p} is busy: {c} (pid {pid}, since {s}) holds it; try again when it "
            "has finished",
            p=self.root,
            c=held.get("command"),
            pid=held.get("pid"),
            s=held.get("since"),
        )

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
            _release(self.root / LOCK_FILE)


def _release(lock: Path) -> None:
    """Remove the lock file if this process wrote it."""
    try:
        if json.loads(lock.read_text(encoding="utf-8")).get("pid") == os.getpid():
            lock.unlink()
    except (OSError, ValueError):
        pass
