"""Who holds a workspace: a running `graphscan serve` writes ``serve.lease`` (its pid and
URL) into the workspace and removes it on exit. Loads and scans check it and defer to the
server in one line; short reads and case updates from the CLI just wait their turn for the
DuckDB file, which the server opens per request (see Workspace.db)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from graphscan.errors import StoreError
from graphscan.workspace import Workspace

LEASE_FILE = "serve.lease"


@dataclass(frozen=True)
class Lease:
    pid: int
    url: str


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def holder(workspace: Workspace) -> Lease | None:
    """The live server holding the workspace; a lease left by a dead process is ignored."""
    path = workspace.root / LEASE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        lease = Lease(int(data["pid"]), str(data["url"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return lease if _alive(lease.pid) else None


def take(workspace: Workspace, url: str) -> Path:
    current = holder(workspace)
    if current is not None and current.pid != os.getpid():
        raise StoreError(
            f"the workbench at {current.url} (pid {current.pid}) already serves {workspace.root}"
        )
    path = workspace.root / LEASE_FILE
    path.write_text(json.dumps({"pid": os.getpid(), "url": url}), encoding="utf-8")
    return path


def release(path: Path) -> None:
    path.unlink(missing_ok=True)


def refuse_if_served(workspace: Workspace) -> None:
    """One line instead of a fight over the DuckDB file during a load or a scan."""
    lease = holder(workspace)
    if lease is not None:
        raise StoreError(
            f"the workbench at {lease.url} (pid {lease.pid}) holds {workspace.root}: stop it "
            f"(Ctrl-C in its terminal) before loading or scanning; `graphscan cases` works "
            f"meanwhile / 工作台正在使用该工作区，请先停止后再载入或扫描"
        )
