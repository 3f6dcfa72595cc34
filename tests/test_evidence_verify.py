"""What `graphscan verify` must not pass: an empty or shortened manifest, a member stored
twice, an edited digest (the manifest is the altered file, not the one it names), a
manifest rewritten with its README (caught by the announced fingerprint); and a package
that was unzipped into a folder verifies like the zip."""

from __future__ import annotations

import hashlib
import warnings
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from evidence_data import ring_case, ring_claims

from graphscan.cli.main import cli
from graphscan.pseudonym import Pseudonymiser
from graphscan.viz.package import Package, export_case, manifest_text, readme_text, write_zip
from graphscan.viz.verify import verify_package

CASE = "C-2024-0001"
MANIFEST = "MANIFEST.sha256"


@pytest.fixture
def package(tmp_path: Path) -> Package:
    claims = ring_claims(Pseudonymiser(b"verify-test", tmp_path / "vault"))
    case = ring_case(claims)
    return export_case(case, claims[claims["claim_id"].isin(case.claim_ids)], tmp_path / "out")


def unzip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {n.split("/", 1)[1]: archive.read(n) for n in archive.namelist()}


def forge(tmp_path: Path, content: dict[str, bytes], manifest: bytes | None = None) -> Path:
    """A package whose manifest and README agree with each other, as a forger would make
    them: only the announced fingerprint can tell."""
    manifest = manifest_text(content) if manifest is None else manifest
    files = {**content, MANIFEST: manifest}
    files["README.txt"] = readme_text(CASE, hashlib.sha256(manifest).hexdigest())
    path = tmp_path / "forged.zip"
    write_zip(path, CASE, files)
    return path


def content_of(package: Package) -> dict[str, bytes]:
    files = unzip(package.zip_path)
    return {n: d for n, d in files.items() if n not in (MANIFEST, "README.txt")}


def test_an_empty_manifest_fails(package: Package, tmp_path: Path) -> None:
    verdict = verify_package(forge(tmp_path, content_of(package), manifest=b""))
    assert not verdict.ok and "lists no files" in verdict.problem


def test_a_manifest_of_one_file_fails(package: Package, tmp_path: Path) -> None:
    only = {"case.html": content_of(package)["case.html"]}
    verdict = verify_package(forge(tmp_path, only))
    assert not verdict.ok and "does not list evidence_claims.csv" in verdict.problem


def test_a_member_stored_twice_fails(package: Package, tmp_path: Path) -> None:
    forged = tmp_path / "twice.zip"
    with zipfile.ZipFile(package.zip_path) as source, zipfile.ZipFile(forged, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
            target.writestr(f"{CASE}/memo.md", b"# a second memo")
    verdict = verify_package(forged)
    assert not verdict.ok and f"{CASE}/memo.md" in verdict.problem


def test_an_edited_digest_blames_the_manifest(package: Package, tmp_path: Path) -> None:
    files = unzip(package.zip_path)
    lines = files[MANIFEST].decode().splitlines(keepends=True)
    victim = next(i for i, line in enumerate(lines) if line.endswith("evidence_claims.csv\n"))
    lines[victim] = "0" * 64 + lines[victim][64:]
    files[MANIFEST] = "".join(lines).encode()
    forged = tmp_path / "edited.zip"
    write_zip(forged, CASE, files)
    verdict = verify_package(forged)
    assert verdict.altered == [MANIFEST] and "evidence_claims.csv" not in verdict.altered


def test_a_readme_without_the_fingerprint_fails(package: Package, tmp_path: Path) -> None:
    files = unzip(package.zip_path)
    files["README.txt"] = b"nothing to see here\n"
    forged = tmp_path / "readme.zip"
    write_zip(forged, CASE, files)
    verdict = verify_package(forged)
    assert not verdict.ok and verdict.altered == ["README.txt"]


def test_the_announced_fingerprint_catches_a_rewritten_manifest(
    package: Package, tmp_path: Path
) -> None:
    content = content_of(package)
    content["evidence_claims.csv"] = content["evidence_claims.csv"].replace(b"OP", b"XP")
    forged = forge(tmp_path, content)
    assert verify_package(forged).ok  # self-consistent: only the sender's value can tell
    verdict = verify_package(forged, announced=package.fingerprint)
    assert not verdict.ok and verdict.altered == [MANIFEST]
    assert verify_package(package.zip_path, announced=package.fingerprint.upper()).ok


def test_an_unzipped_package_folder_verifies(package: Package, tmp_path: Path) -> None:
    assert verify_package(package.folder).skipped == [package.zip_path.name]
    assert verify_package(package.folder).ok
    unzipped = tmp_path / "received"
    with zipfile.ZipFile(package.zip_path) as archive:
        archive.extractall(unzipped)
    assert verify_package(unzipped, announced=package.fingerprint).ok
    (unzipped / CASE / "memo.md").write_bytes(b"# rewritten")
    (unzipped / CASE / "note.txt").write_bytes(b"slipped in")
    verdict = verify_package(unzipped / CASE)
    assert verdict.altered == ["memo.md"] and verdict.extra == ["note.txt"]


def test_verify_cli_takes_the_fingerprint_and_a_folder(package: Package, tmp_path: Path) -> None:
    run = CliRunner().invoke
    good = run(cli, ["--lang", "en", "verify", str(package.folder), "--fingerprint",
                     package.fingerprint])  # fmt: skip
    assert good.exit_code == 0, good.output
    assert "Verified: 4 files" in good.output
    bad = run(cli, ["--lang", "en", "verify", str(package.zip_path), "--fingerprint", "ab" * 32])
    assert bad.exit_code == 1 and "ALTERED: MANIFEST.sha256" in bad.output
    assert "Traceback" not in bad.output
