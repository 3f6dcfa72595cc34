"""Checks an evidence package against its manifest: a receiving officer runs this (or
``sha256sum -c``) to know that no file was altered, removed or slipped in.

The manifest lists the SHA-256 of every file; the manifest's own SHA-256 (the package
fingerprint) is printed at export, written into the transfer paperwork and into the
package's README, which is the one file the manifest cannot list. So an edited digest
in the manifest is caught as an altered manifest, not blamed on the file it names, and
``--fingerprint`` (the value the sender announced) catches a manifest and README that
were rewritten together. A package is the zip or the folder it unzips to.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from graphscan.viz.memo import MANIFEST
from graphscan.viz.package import CASE_HTML, EVIDENCE_CSV, MEMO_HTML, MEMO_MD, README

#: The files every graphscan evidence package holds besides the manifest and README.
PACKAGE_FILES = (CASE_HTML, EVIDENCE_CSV, MEMO_HTML, MEMO_MD)
FINGERPRINT = re.compile(r"^\s*([0-9a-fA-F]{64})\s*$", re.MULTILINE)
ZIP_LINE = re.compile(r"^zip: (\S+)$", re.MULTILINE)


@dataclass
class Verdict:
    fingerprint: str = ""
    checked: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    #: files of a package folder that are not part of it (the package's own zip)
    skipped: list[str] = field(default_factory=list)
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not (self.altered or self.missing or self.extra or self.problem)


@dataclass
class _Contents:
    """A package's files by name inside the package folder; None when the zip's own
    checksum says the bytes were changed. ``outside`` are members beside the folder."""

    files: dict[str, bytes | None]
    outside: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


def _parse_manifest(text: str) -> list[tuple[str, str]]:
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        digest, sep, name = line.partition("  ")
        if not sep or not re.fullmatch(r"[0-9a-fA-F]{64}", digest) or not name:
            raise ValueError(f"{MANIFEST} line {number} is not '<sha256>  <file>'")
        entries.append((name, digest.lower()))
    return entries


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, zlib.error, EOFError):
        return None


def _zip_contents(path: Path) -> _Contents:
    with zipfile.ZipFile(path) as archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        counts = Counter(i.filename for i in infos)
        manifests = sorted({n for n in counts if n.rsplit("/", 1)[-1] == MANIFEST})
        if len(manifests) != 1:
            raise ValueError(f"expected one {MANIFEST}, found {len(manifests)}")
        prefix = manifests[0][: -len(MANIFEST)]
        contents = _Contents({}, duplicates=sorted(n for n, k in counts.items() if k > 1))
        for info in infos:
            if info.filename.startswith(prefix):
                contents.files[info.filename[len(prefix) :]] = _read(archive, info)
            else:
                contents.outside.append(info.filename)
    return contents


def _folder_contents(path: Path) -> _Contents:
    """The folder itself, or the one folder inside it that holds the manifest (what
    unzipping the package gives)."""
    root = path
    if not (path / MANIFEST).is_file():
        inner = [d for d in path.iterdir() if d.is_dir() and (d / MANIFEST).is_file()]
        if len(inner) != 1:
            raise ValueError(f"no {MANIFEST} in {path}")
        root = inner[0]
    found = sorted(p for p in root.rglob("*") if p.is_file())
    return _Contents({p.relative_to(root).as_posix(): p.read_bytes() for p in found})


def _readme_fingerprint(readme: bytes | None) -> str | None:
    found = FINGERPRINT.search((readme or b"").decode("utf-8", errors="replace"))
    return found.group(1).lower() if found else None


def verify_package(path: Path, announced: str | None = None) -> Verdict:
    """Check the zip or folder at ``path``; ``announced`` is the fingerprint the sender
    gave out of band (the transfer letter), the strongest check."""
    verdict = Verdict()
    try:
        contents = _folder_contents(path) if path.is_dir() else _zip_contents(path)
    except (zipfile.BadZipFile, OSError) as exc:
        verdict.problem = f"not a readable zip or package folder: {exc}"
        return verdict
    except ValueError as exc:
        verdict.problem = str(exc)
        return verdict
    files = contents.files
    raw = files.pop(MANIFEST)
    readme = files.pop(README, None)
    if raw is None:
        verdict.altered.append(MANIFEST)
        return verdict
    verdict.fingerprint = hashlib.sha256(raw).hexdigest()
    if path.is_dir():
        own = ZIP_LINE.search((readme or b"").decode("utf-8", errors="replace"))
        own_zip = own.group(1) if own else None
        if own_zip in files:
            files.pop(own_zip)
            verdict.skipped.append(own_zip)
    problems = []
    if contents.duplicates:
        problems.append("members stored more than once: " + ", ".join(contents.duplicates))
    try:
        entries = _parse_manifest(raw.decode("utf-8", errors="replace"))
    except ValueError as exc:
        verdict.problem = str(exc)
        return verdict
    listed = Counter(name for name, _ in entries)
    if not entries:
        problems.append(f"{MANIFEST} lists no files")
    if twice := sorted(n for n, k in listed.items() if k > 1):
        problems.append(f"{MANIFEST} lists more than once: " + ", ".join(twice))
    if unlisted := [n for n in PACKAGE_FILES if n not in listed]:
        problems.append(
            f"{MANIFEST} does not list {', '.join(unlisted)} (every evidence package holds them)"
        )
    written = _readme_fingerprint(readme)
    if readme is None:
        verdict.missing.append(README)
    elif written is None:
        verdict.altered.append(README)
        problems.append(f"{README} does not hold the package fingerprint")
    trusted = _manifest_trusted(verdict, announced, written, problems)
    verdict.extra = sorted(set(files) - set(listed)) + sorted(contents.outside)
    if trusted:
        for name, digest in sorted(set(entries)):
            if name not in files:
                verdict.missing.append(name)
                continue
            data = files[name]
            verdict.checked.append(name)
            if data is None or hashlib.sha256(data).hexdigest() != digest:
                verdict.altered.append(name)
    verdict.problem = "; ".join(problems)
    return verdict


def _manifest_trusted(
    verdict: Verdict, announced: str | None, readme: str | None, problems: list[str]
) -> bool:
    """Whether the manifest is the one the sender made: its fingerprint against the
    announced value, else against the README's. An altered manifest is named, and its
    entries are not used to blame the files they list."""
    if announced is not None:
        announced = announced.strip().lower()
        if verdict.fingerprint != announced:
            verdict.altered.append(MANIFEST)
            problems.append(
                f"the manifest's fingerprint {verdict.fingerprint} is not the announced "
                f"{announced}: the manifest was altered, so its entries prove nothing"
            )
            return False
        if readme is not None and readme != announced:
            verdict.altered.append(README)
        return True
    if readme is not None and readme != verdict.fingerprint:
        verdict.altered.append(MANIFEST)
        problems.append(
            f"the manifest's fingerprint {verdict.fingerprint} is not the {readme} written in "
            f"{README}: the manifest (or {README}) was altered, so its entries prove nothing"
        )
        return False
    return True
