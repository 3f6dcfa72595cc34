"""The notebook API: one call from a workspace (or from DataFrames) to a DataFrame of
ranked rings, and each ring's members and evidence claims.

    import graphscan
    rings = graphscan.scan(workspace="city-ws")      # rescans; graphscan.cases() only reads
    case = graphscan.case(rings.case_id[0], workspace="city-ws")
    claims = graphscan.evidence(case.case_id, workspace="city-ws")

Only loading creates a workspace: the other calls raise WorkspaceMissing for a folder
that is not one. A DataFrame scan works in a temporary workspace, removed when the next
DataFrame scan replaces it or when Python exits.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from graphscan.casebook import CaseBook
from graphscan.detect import ScanReport, Window, detectors
from graphscan.detect import scan as detect
from graphscan.detect.base import Coverage
from graphscan.errors import InputError
from graphscan.i18n import t
from graphscan.loaders.identifiers import normalise
from graphscan.pseudonym import Pseudonymiser, workspace_key
from graphscan.rings import Case, chosen_patterns
from graphscan.store import Store, open_store
from graphscan.workspace import Workspace

if TYPE_CHECKING:
    from graphscan.viz.context import CaseContext

PathLike = str | os.PathLike[str]

#: the workspace of the last scan, so ``case(id)`` works right after it
_last_workspace: Path | None = None
#: the temporary workspace of the last DataFrame scan
_frames_root: Path | None = None


def input_gaps(store: Store, patterns: Iterable[str] | None = None) -> list[str]:
    """One warning per signal a chosen pattern's detector cannot use on this data (each
    detector's ``lost_signals`` on the ``data_coverage`` projection), so partial data
    (claims only, say) does not look like a city without rings."""
    coverage = Coverage.of(store, Window())
    return [
        t(
            "警告：{p} 缺少 {s}（{r}）",
            "warning: {p} lost {s} ({r})",
            p=detector.pattern,
            s=signal,
            r=reason,
        )
        for detector in detectors(patterns)
        for signal, reason in detector.lost_signals(coverage)
    ]


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
    chosen = chosen_patterns(patterns)
    rings = detect(store, Window(since, until), chosen, on_stage, report)
    return CaseBook(workspace).record_scan(rings, chosen, since, until)


def _forget_frames_workspace() -> None:
    """Remove the temporary workspace of the last DataFrame scan (it holds pseudonymised
    personal data and tens of megabytes)."""
    global _frames_root
    if _frames_root is not None:
        shutil.rmtree(_frames_root, ignore_errors=True)
        _frames_root = None


atexit.register(_forget_frames_workspace)


def _frames_workspace(frames: Mapping[str, pd.DataFrame]) -> Workspace:
    """Load canonical frames (clear ids) through the loaders, so they are pseudonymised
    exactly as files are, into a fresh temporary workspace (the previous one is removed)."""
    global _frames_root
    from graphscan.loaders.pipeline import LOAD_ORDER, Options, load_files

    _forget_frames_workspace()
    _frames_root = Path(tempfile.mkdtemp(prefix="graphscan-"))
    ws = Workspace.open(_frames_root)
    unknown = sorted(set(frames) - set(LOAD_ORDER))
    if unknown:
        raise InputError(f"unknown table {unknown[0]!r}; frames are {', '.join(LOAD_ORDER)}")
    store = open_store(None, ws)
    keys = workspace_key(ws, store, loading=True)
    assert keys is not None
    for table in (name for name in LOAD_ORDER if name in frames):
        path = ws.root / f"{table}.parquet"
        frames[table].to_parquet(path, index=False)
        try:  # the frame's name says which table it is
            report = load_files([path], store, ws, keys, Options(table=table))
        finally:
            path.unlink()  # the frame in clear text: gone once pseudonymised
        failed = [f.error for f in report.files if f.error]
        if failed:
            raise InputError(failed[0])
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
    temporary workspace (``result.attrs["workspace"]`` says where). Inputs a pattern needs
    but the data lacks are warned about (``result.attrs["input_gaps"]``)."""
    global _last_workspace
    if frames is not None:
        ws = _frames_workspace(frames)
    else:
        ws = Workspace.open(workspace, create=False)
    stamp = [pd.Timestamp(x).to_pydatetime() if x is not None else None for x in (since, until)]
    db = open_store(store, ws)
    workspace_key(ws, db)  # another key than the workspace's is refused
    gaps = input_gaps(db, patterns)
    for gap in gaps:
        warnings.warn(gap, stacklevel=2)
    scan_store(db, ws, patterns, stamp[0], stamp[1])
    _last_workspace = ws.root
    result = CaseBook(ws).list()
    result.attrs["workspace"] = str(ws.root)
    result.attrs["input_gaps"] = gaps
    return result


def _workspace(workspace: PathLike | None) -> Workspace:
    if workspace is None and _last_workspace is not None:
        return Workspace.open(_last_workspace, create=False)
    return Workspace.open(workspace, create=False)


def cases(
    workspace: PathLike | None = None, pattern: str | None = None, status: str | None = None
) -> pd.DataFrame:
    """The ranked cases as they are (one row per case, with status): reads, never
    rescans, so the cases' history stays as it is."""
    return CaseBook(_workspace(workspace)).list(pattern=pattern, status=status)


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


def find_entity(
    store: Store,
    workspace: Workspace,
    entity: str,
    hops: int = 1,
    since: datetime | None = None,
    until: datetime | None = None,
    key: Callable[[], Pseudonymiser | None] | None = None,
) -> tuple[str, pd.DataFrame]:
    """The stored id an investigator means by ``entity`` and its neighbourhood within
    ``hops`` claim-steps: a masked id as an export shows it stands for the one stored id
    that fits it, and a clear person or card id is pseudonymised first when the
    workspace's key is at hand (``key``, asked only then), since the store holds only
    pseudonyms. `graphscan explore`, the case-editing commands and the workbench all
    find a tip this way; what was typed or pasted (a CRLF CSV's "\\r", a BOM, a lower
    case check letter) is first normalised as a load normalises a personal id."""
    from graphscan.masks import ELLIPSIS, resolve, typed_mask

    entity = normalise(entity)
    mask = typed_mask(entity)
    if mask is not None:  # told back as the exports show it (normalising made … "...")
        fits = store.projection("entity_ids_like", id_head=mask[0], id_tail=mask[1])
        entity = resolve(ELLIPSIS.join(mask), fits["entity_id"])
    claims = store.neighbourhood(entity, hops, since, until)
    if claims.empty:
        keys = key() if key is not None else workspace_key(workspace, store)
        if keys is None:
            return entity, claims
        pseudonym = str(keys.pseudonymise(pd.Series([entity])).iloc[0])
        return pseudonym, store.neighbourhood(pseudonym, hops, since, until)
    return entity, claims


def case_context(store: Store, case: Case, claims: pd.DataFrame) -> CaseContext:
    """What the store knows about a case beyond its claims (its claim items, its doctors'
    institutions, its persons' phones), read here for the page and the memo of
    ``graphscan cases export`` and the workbench: evidence imports no store."""
    from graphscan.viz.context import CaseContext  # evidence rendering: not on scan's path

    doctors = sorted({m.id for m in case.members if m.kind == "doctor"})
    doctors = sorted(set(doctors) | set(claims["doctor_id"].dropna().astype(str)))
    persons = sorted({m.id for m in case.members if m.kind == "person"})
    return CaseContext(
        items=store.projection("evidence_items", claim_ids=sorted(case.claim_ids)),
        institutions=store.projection("doctor_institutions", doctors=doctors),
        phones=store.projection("person_phones", person_ids=persons),
    )
