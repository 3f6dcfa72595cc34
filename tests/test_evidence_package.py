"""The evidence package: byte-identical re-export, what the files hold, masking and
reveal, and verification that names the altered file."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from embedded_store import embedded_store
from evidence_data import clear_id, ring_case, ring_claims

from graphscan.pseudonym import Pseudonymiser
from graphscan.rings import Case
from graphscan.viz.package import export_case, write_zip
from graphscan.viz.verify import verify_package
from graphscan.workspace import Workspace

SOURCE_SHA = "5e" * 32
RING_PHARMACY = ("康宁大药房", "P33010200017")
FILES = {
    "case.html",
    "evidence_claims.csv",
    "memo.md",
    "memo.html",
    "MANIFEST.sha256",
    "README.txt",
}


@pytest.fixture
def pseudonymiser(tmp_path: Path) -> Pseudonymiser:
    return Pseudonymiser(b"evidence-test-key", tmp_path / "vault")


@pytest.fixture
def stored(tmp_path: Path, pseudonymiser: Pseudonymiser) -> tuple[Case, pd.DataFrame]:
    """A ring written through the embedded store and read back as evidence."""
    frame = ring_claims(pseudonymiser)
    store = embedded_store(Workspace.open(tmp_path / "ws"))
    store.upsert(
        "providers",
        pd.DataFrame(
            {"provider_id": [RING_PHARMACY[1]], "name": [RING_PHARMACY[0]], "row_hash": ["h"]}
        ),
    )
    store.upsert("claims", frame)
    store.record_load(
        {"load_id": "load-0001", "source_file": "settlement_2024Q1.csv", "file_sha256": SOURCE_SHA}
    )
    case = ring_case(frame)
    return case, store.claims(case.claim_ids)


def unzip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {n.split("/", 1)[1]: archive.read(n) for n in archive.namelist()}


def test_re_export_is_byte_identical(stored: tuple[Case, pd.DataFrame], tmp_path: Path) -> None:
    case, claims = stored
    first = export_case(case, claims, tmp_path / "a")
    second = export_case(case, claims.sample(frac=1, random_state=1), tmp_path / "b")
    assert first.zip_path.read_bytes() == second.zip_path.read_bytes()
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert first.fingerprint == second.fingerprint


def test_package_holds_evidence_memo_and_manifest(
    stored: tuple[Case, pd.DataFrame], tmp_path: Path
) -> None:
    case, claims = stored
    files = unzip(export_case(case, claims, tmp_path / "out").zip_path)
    assert set(files) == FILES
    rows = list(csv.DictReader(io.StringIO(files["evidence_claims.csv"].decode("utf-8-sig"))))
    assert sorted(r["claim_id"] for r in rows) == case.claim_ids
    assert all(r["source_file"] == "settlement_2024Q1.csv" and r["source_row"] for r in rows)
    assert {r["provider_name"] for r in rows if r["provider_id"] == RING_PHARMACY[1]} == {
        RING_PHARMACY[0]
    }
    memo = files["memo.md"].decode()
    for text in (
        "出借/回收医保卡",
        "card lending",
        "p-value: 1.4e-12",
        "q-value",
        "window_minutes",
        "graphscan 0.1.0",
        "settlement_2024Q1.csv",
        "load-0001",
        SOURCE_SHA,
        f"{RING_PHARMACY[0]} ({RING_PHARMACY[1]})",
        "¥58,563.52",
    ):
        assert text in memo, text
    assert memo.index("模式") < memo.index("Pattern")
    manifest = files["MANIFEST.sha256"].decode().splitlines()
    listed = sorted(line.split("  ")[1] for line in manifest)
    assert listed == sorted(FILES - {"MANIFEST.sha256", "README.txt"})
    # the page and the CSV show the same identifiers, so they can be cross-checked
    page = files["case.html"].decode()
    assert all(r["person_id"] in page for r in rows[:20])
    assert RING_PHARMACY[0] in page


def test_masked_export_holds_no_identifier(
    stored: tuple[Case, pd.DataFrame], tmp_path: Path
) -> None:
    case, claims = stored
    leader = str(claims["person_id"].iloc[0])
    case.explanation_en += f" The first card swiped was {leader}."
    case.method["seed_card"] = leader
    files = unzip(export_case(case, claims, tmp_path / "out").zip_path)
    pseudonyms = set(claims["person_id"])
    for name, data in files.items():
        text = data.decode("utf-8-sig")
        assert not re.search(r"3301021960\d{6}", text), name
        assert not any(p in text for p in pseudonyms), name
        assert "D330102000123" not in text, name


def test_reveal_shows_clear_ids_and_is_recorded(
    stored: tuple[Case, pd.DataFrame], tmp_path: Path, pseudonymiser: Pseudonymiser
) -> None:
    case, claims = stored
    files = unzip(export_case(case, claims, tmp_path / "out", pseudonymiser).zip_path)
    evidence = files["evidence_claims.csv"].decode("utf-8-sig")
    assert clear_id(0) in evidence and "D330102000123" in evidence
    memo = files["memo.md"].decode()
    assert "--reveal" in memo and pseudonymiser.fingerprint() in memo


def test_verify_passes_an_untouched_package(
    stored: tuple[Case, pd.DataFrame], tmp_path: Path
) -> None:
    case, claims = stored
    verdict = verify_package(export_case(case, claims, tmp_path / "out").zip_path)
    assert verdict.ok
    assert sorted(verdict.checked) == sorted(FILES - {"MANIFEST.sha256", "README.txt"})


@pytest.mark.parametrize("victim", ["evidence_claims.csv", "case.html", "memo.md"])
def test_verify_names_a_file_with_one_changed_byte(
    stored: tuple[Case, pd.DataFrame], tmp_path: Path, victim: str
) -> None:
    case, claims = stored
    package = export_case(case, claims, tmp_path / "out")
    files = unzip(package.zip_path)
    data = bytearray(files[victim])
    data[len(data) // 2] ^= 0x01
    files[victim] = bytes(data)
    forged = tmp_path / "forged.zip"
    write_zip(forged, "C-2024-0001", files)
    verdict = verify_package(forged)
    assert not verdict.ok and verdict.altered == [victim]


def test_verify_catches_a_flipped_byte_in_the_zip(
    stored: tuple[Case, pd.DataFrame], tmp_path: Path
) -> None:
    case, claims = stored
    package = export_case(case, claims, tmp_path / "out")
    raw = bytearray(package.zip_path.read_bytes())
    with zipfile.ZipFile(package.zip_path) as archive:
        info = archive.getinfo("C-2024-0001/evidence_claims.csv")
    raw[info.header_offset + 30 + len(info.filename) + 40] ^= 0x01  # inside its data
    package.zip_path.write_bytes(bytes(raw))
    verdict = verify_package(package.zip_path)
    assert verdict.altered == ["evidence_claims.csv"]


def test_verify_names_missing_and_extra_files(
    stored: tuple[Case, pd.DataFrame], tmp_path: Path
) -> None:
    case, claims = stored
    files = unzip(export_case(case, claims, tmp_path / "out").zip_path)
    del files["memo.html"]
    files["note.txt"] = b"added later"
    forged = tmp_path / "forged.zip"
    write_zip(forged, "C-2024-0001", files)
    verdict = verify_package(forged)
    assert verdict.missing == ["memo.html"] and verdict.extra == ["note.txt"]


def test_export_refuses_when_evidence_is_missing(
    stored: tuple[Case, pd.DataFrame], tmp_path: Path
) -> None:
    case, claims = stored
    with pytest.raises(ValueError, match="lacks 1 of the 233 evidence claims"):
        export_case(case, claims.iloc[1:], tmp_path / "out")
    assert not (tmp_path / "out").exists()
