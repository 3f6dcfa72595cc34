"""Checks an evidence package against its manifest: a receiving officer runs this (or
``sha256sum -c``) to know that no file was altered, removed or slipped in."""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from graphscan.errors import InputError
from graphscan.viz.memo import MANIFEST


@dataclass
class Verdict:
    fingerprint: str = ""
    checked: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not (self.altered or self.missing or self.extra or self.problem)


def _parse_manifest(text: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name:
            raise InputError(f"{MANIFEST} line {number} is not '<sha256>  <file>'")
        entries[name] = digest.lower()
    return entries


def _read(archive: zipfile.ZipFile, name: str) -> bytes | None:
    """The member's bytes, or None when the zip's own checksum says they were changed."""
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, zlib.error, EOFError):
        return None


def verify_package(path: Path) -> Verdict:
    verdict = Verdict()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        verdict.problem = f"not a readable zip: {exc}"
        return verdict
    with archive:
        names = [n for n in archive.namelist() if not n.endswith("/")]
        manifests = [n for n in names if n.rsplit("/", 1)[-1] == MANIFEST]
        if len(manifests) != 1:
            verdict.problem = f"expected one {MANIFEST}, found {len(manifests)}"
            return verdict
        prefix = manifests[0][: -len(MANIFEST)]
        raw = _read(archive, manifests[0])
        if raw is None:
            verdict.altered.append(MANIFEST)
            return verdict
        verdict.fingerprint = hashlib.sha256(raw).hexdigest()
        expected = _parse_manifest(raw.decode("utf-8", errors="replace"))
        present = {n[len(prefix) :] for n in names if n.startswith(prefix)} - {MANIFEST}
        verdict.extra = sorted(present - set(expected)) + sorted(
            n for n in names if not n.startswith(prefix)
        )
        for name, digest in sorted(expected.items()):
            if name not in present:
                verdict.missing.append(name)
                continue
            data = _read(archive, prefix + name)
            verdict.checked.append(name)
            if data is None or hashlib.sha256(data).hexdigest() != digest:
                verdict.altered.append(name)
    return verdict
