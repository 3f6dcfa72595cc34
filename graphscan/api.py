"""The notebook API: one call from a workspace (or from DataFrames) to a DataFrame of
ranked rings, and each ring's members and evidence claims.

    import graphscan
    rings = graphscan.scan(workspace="city-ws")
    case = graphscan.case(rings.case_id[0], workspace="city-ws")
    claims = graphscan.evidence(case.case_id, workspace="city-ws")
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path

import pandas as pd

from graphscan.cases import CaseBook
from graphscan.detect import ScanReport, Window
from graphscan.detect import scan as detect
from graphscan.rings import PATTERNS, Case
from graphscan.store import Store, open_store
from graphscan.workspace import Workspace

PathLike = str | os.PathLike[str]

#: the workspace of the last DataFrame scan, so ``case(id)`` works right after it
_last_workspace: Path | None = None


def scan_store(
    store: Store,
    workspace: Workspace,
    patterns: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    on_stage: Callable[[str], None] | None = None,
    report: ScanReport | None = None,
) -> list[Case]:
    """Detect, rank and record as cases; the one scan path of the CLI and the API.
    ``report`` collects the signals lost and, with ``profile``, each stage's figures."""
    chosen = list(patterns or PATTERNS)
    rings = detect(store, Window(since, until), chosen, on_stage, report)
    return CaseBook(workspace).record_scan(rings, chosen, since, until)


def _frames_workspace(frames: Mapping[str, pd.DataFrame]) -> Workspace:
    """Load canonical frames (clear ids) through the loaders, so they are pseudonymised
    exactly as files are, into a fresh temporary workspace."""
    from graphscan.loaders.pipeline import Options, load_files
    from graphscan.pseudonym import Pseudonymiser

    ws = Workspace.open(tempfile.mkdtemp(prefix="graphscan-"))
    paths = []
    for table, frame in frames.items():
        path = ws.root / f"{table}.parquet"
        frame.to_parquet(path, index=False)
        paths.append(path)
    load_files(
        paths, open_store(None, ws), ws, Pseudonymiser.from_environment(), Options(progress=False)
    )
    return ws


def scan(
    workspace: PathLike | None = None,
    frames: Mapping[str, pd.DataFrame] | None = None,
    patterns: Iterable[str] | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    store: str | None = None,
) -> pd.DataFrame:
    """Ranked rings as a DataFrame (one row per case). Give a workspace, or ``frames``
    (``{"claims": df, "persons": df, ...}`` in the canonical format) to scan them in a
    temporary workspace (``result.attrs["workspace"]`` says where)."""
    global _last_workspace
    ws = _frames_workspace(frames) if frames is not None else Workspace.open(workspace)
    stamp = [pd.Timestamp(x).to_pydatetime() if x is not None else None for x in (since, until)]
    scan_store(open_store(store, ws), ws, patterns, stamp[0], stamp[1])
    _last_workspace = ws.root
    result = CaseBook(ws).list()
    result.attrs["workspace"] = str(ws.root)
    return result


def _workspace(workspace: PathLike | None) -> Workspace:
    if workspace is None and _last_workspace is not None:
        return Workspace.open(_last_workspace)
    return Workspace.open(workspace)


def case(case_id: str, workspace: PathLike | None = None) -> Case:
    """One case: members with roles, numbers, explanations, claim ids, status history."""
    return CaseBook(_workspace(workspace)).get(case_id)


def members(workspace: PathLike | None = None) -> pd.DataFrame:
    """case_id, rank, score, pattern, role, member_kind, member_id of every current case."""
    return CaseBook(_workspace(workspace)).members()


def evidence(
    case_id: str, workspace: PathLike | None = None, store: str | None = None
) -> pd.DataFrame:
    """The case's evidence claims with lineage (source file and row)."""
    ws = _workspace(workspace)
    return open_store(store, ws).claims(CaseBook(ws).get(case_id).claim_ids)
