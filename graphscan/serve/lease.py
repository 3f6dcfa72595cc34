"""Who holds a workspace, and which workspace keeps the case book of a shared store.

A running `graphscan serve` writes ``serve.lease`` (its pid and URL) into the workspace
and removes it on exit. Loads and scans check it and defer to the server in one line;
short reads and case updates from the CLI just wait their turn for the DuckDB file, which
the server opens per request (see Workspace.db).

With a shared store (Neo4j) the workbench that serves it records itself in the store as
the keeper of its case book, users and audit log; a scan or case change from any other
workspace is refused in one line that says where the book is, instead of silently
starting a second book on someone's laptop."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from graphscan.errors import StoreError
from graphscan.store.base import Store
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


def _here(workspace: Workspace) -> dict[str, str]:
    return {"host": socket.gethostname(), "workspace": str(workspace.root.resolve())}


def _elsewhere(home: dict[str, str], workspace: Workspace) -> bool:
    here = _here(workspace)
    return (home["host"], home["workspace"]) != (here["host"], here["workspace"])


def _kept_at(home: dict[str, str]) -> str:
    return (
        f"the case book of this Neo4j store is kept by the workbench at {home['url']} "
        f"(workspace {home['workspace']} on {home['host']}) / 该 Neo4j 的案件库由工作台 "
        f"{home['url']} 保管"
    )


def claim_case_book(store: Store, workspace: Workspace, url: str, move: bool = False) -> None:
    """`graphscan serve --store`: this workbench keeps the store's case book. Another
    workspace's claim is refused unless ``move`` (the deployment moved)."""
    home = store.case_book_home()
    if home is not None and _elsewhere(home, workspace) and not move:
        raise StoreError(
            f"{_kept_at(home)}; serve that workspace, or add --move-book to keep the book "
            f"in {workspace.root} from now on"
        )
    store.claim_case_book({**_here(workspace), "url": url})


def require_case_book_here(store: Store, workspace: Workspace) -> None:
    """A scan or a change to cases against a shared store happens in the workspace that
    keeps its case book, never in a second one."""
    home = store.case_book_home()
    if home is not None and _elsewhere(home, workspace):
        raise StoreError(
            f"{_kept_at(home)}: work on cases there (in the browser or through its API), "
            f"or run this on {home['host']} with --workspace {home['workspace']}"
        )
