"""The evidence package: case page, evidence CSV, memo (Markdown and HTML) and a SHA-256
manifest, zipped. Everything written is a pure function of the case and its claims, and
the zip has fixed member order, dates and permissions, so re-exporting the same case from
the same data gives byte-identical files."""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd

from graphscan.errors import InputError
from graphscan.rings import Case
from graphscan.viz.case_page import case_page
from graphscan.viz.context import CaseContext, items_by_claim
from graphscan.viz.evidence import evidence_csv, evidence_frame, ids_by_kind
from graphscan.viz.identifiers import IdentifierView
from graphscan.viz.memo import MANIFEST, memo_html, memo_markdown, memo_sections
from graphscan.viz.page import render_page

CASE_HTML = "case.html"
EVIDENCE_CSV = "evidence_claims.csv"
MEMO_MD = "memo.md"
MEMO_HTML = "memo.html"
README = "README.txt"
#: A fixed date for zip members: 1980-01-01 is the earliest a zip can hold.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class Revealer(Protocol):
    """What --reveal needs from graphscan.pseudonym.Pseudonymiser: the key holder's map
    from pseudonyms back to clear identifiers, and a non-secret id of the key."""

    def reveal(self, pseudonyms: Iterable[str]) -> dict[str, str]: ...

    def fingerprint(self) -> str: ...


@dataclass(frozen=True)
class Package:
    folder: Path
    zip_path: Path
    html: Path
    fingerprint: str
    """SHA-256 of the manifest: one line to copy into the transfer paperwork."""


def safe_name(case_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", case_id).strip("._") or "case"


def identifier_view(
    claims: pd.DataFrame, extra: Iterable[tuple[str, str]], reveal: Revealer | None
) -> IdentifierView:
    found = ids_by_kind(claims, extra)
    if reveal is None:
        return IdentifierView.masked(found)
    pseudonyms = sorted(found.get("person", set()) | found.get("card", set()))
    return IdentifierView.revealing(reveal.reveal(pseudonyms), found, reveal.fingerprint())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_text(files: dict[str, bytes]) -> bytes:
    """``sha256sum`` format, so ``sha256sum -c MANIFEST.sha256`` checks it without graphscan."""
    return "".join(f"{sha256(data)}  {name}\n" for name, data in sorted(files.items())).encode()


def write_zip(path: Path, folder: str, files: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])


def package_files(
    case: Case,
    claims: pd.DataFrame,
    reveal: Revealer | None,
    context: CaseContext | None = None,
    extra: dict[str, bytes] | None = None,
) -> dict[str, bytes]:
    """Every file of the package, manifest included, as bytes. ``context`` is what the
    store knows beyond the claims (graphscan.api.case_context); ``extra`` files
    (such as who exported it from the workbench) are covered by the manifest too."""
    context = context or CaseContext()
    missing = set(case.claim_ids) - set(claims["claim_id"].astype(str))
    if missing:
        raise InputError(
            f"the store lacks {len(missing)} of the {len(case.claim_ids)} evidence claims of "
            f"{case.case_id} (first: {sorted(missing)[0]}); load the data the case was found in"
        )
    members = [
        (m.kind if m.kind in ("person", "card", "doctor", "operator") else "provider", m.id)
        for m in case.members
    ]
    members += [("doctor", d) for d in context.institutions["doctor_id"]]
    view = identifier_view(claims, members, reveal)
    frame = evidence_frame(claims, view, items_by_claim(context.items))
    names = [CASE_HTML, EVIDENCE_CSV, MEMO_MD, MEMO_HTML]
    sections = memo_sections(case, claims, view, names, context)
    files = {
        CASE_HTML: render_page(case_page(case, claims, frame, view, context)).encode(),
        EVIDENCE_CSV: evidence_csv(frame),
        MEMO_MD: memo_markdown(sections).encode(),
        MEMO_HTML: memo_html(f"{case.case_id} 案件备忘录 / case memo", sections).encode(),
    }
    files.update(extra or {})
    files[MANIFEST] = manifest_text(files)
    files[README] = readme_text(case.case_id, sha256(files[MANIFEST]))
    return files


def readme_text(case_id: str, fingerprint: str) -> bytes:
    """The one file the manifest cannot list: it carries the manifest's own SHA-256, so an
    edited digest in the manifest shows as an altered manifest (graphscan.viz.verify)."""
    zip_name = f"{safe_name(case_id)}-evidence.zip"
    return "\n".join(
        [
            f"graphscan 证据包 evidence package — 案件 case {case_id}",
            "",
            "清单指纹（MANIFEST.sha256 的 SHA-256，应与移送函中的一致）",
            "Package fingerprint (SHA-256 of MANIFEST.sha256; must match the transfer letter):",
            fingerprint,
            "",
            "校验 / To check:",
            f"  graphscan verify {zip_name} --fingerprint {fingerprint}",
            "  sha256sum MANIFEST.sha256 && sha256sum -c MANIFEST.sha256",
            "本文件记录清单本身的指纹，因此不在清单内。",
            "This file records the manifest's own fingerprint and so is not listed in it.",
            "",
            f"zip: {zip_name}",
            "",
        ]
    ).encode()


def export_case(
    case: Case,
    claims: pd.DataFrame,
    out_dir: Path,
    reveal: Revealer | None = None,
    context: CaseContext | None = None,
    extra: dict[str, bytes] | None = None,
) -> Package:
    """Write the package files into ``out_dir`` and zip them beside them."""
    files = package_files(case, claims, reveal, context, extra)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out_dir / name).write_bytes(data)
    name = safe_name(case.case_id)
    zip_path = out_dir / f"{name}-evidence.zip"
    write_zip(zip_path, name, files)
    return Package(out_dir, zip_path, out_dir / CASE_HTML, sha256(files[MANIFEST]))
