"""The evidence commands as an investigator runs them: one clear line on failure, a
non-zero exit when a package does not verify."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from embedded_store import embedded_store
from evidence_data import clear_id, ring_case, ring_claims

from graphscan.casebook import CaseBook
from graphscan.cli.main import cli
from graphscan.pseudonym import Pseudonymiser
from graphscan.viz.package import Package, export_case
from graphscan.workspace import Workspace


@pytest.fixture
def package(tmp_path: Path) -> Package:
    claims = ring_claims(Pseudonymiser(b"cli-test", tmp_path / "vault"))
    case = ring_case(claims)
    return export_case(case, claims[claims["claim_id"].isin(case.claim_ids)], tmp_path / "out")


def test_verify_accepts_an_untouched_package(package: Package) -> None:
    result = CliRunner().invoke(cli, ["--lang", "en", "verify", str(package.zip_path)])
    assert result.exit_code == 0, result.output
    assert package.fingerprint in result.output


def test_verify_names_the_altered_file_and_fails(package: Package, tmp_path: Path) -> None:
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(package.zip_path) as source, zipfile.ZipFile(forged, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("memo.md"):
                data = data.replace(b"1.4e-12", b"1.4e-02")
            target.writestr(info, data)
    result = CliRunner().invoke(cli, ["--lang", "en", "verify", str(forged)])
    assert result.exit_code == 1
    assert "ALTERED: memo.md" in result.output and "Traceback" not in result.output


def test_verify_refuses_what_is_not_a_zip(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    result = CliRunner().invoke(cli, ["--lang", "en", "verify", str(junk)])
    assert result.exit_code == 1 and "Cannot verify" in result.output


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A workspace with the ring's claims stored and recorded as a case, pseudonymised
    with the key the commands find in the environment."""
    monkeypatch.setenv("GRAPHSCAN_KEY", "cli-test-key")
    monkeypatch.setenv("GRAPHSCAN_VAULT_FILE", str(tmp_path / "vault"))
    claims = ring_claims(Pseudonymiser.from_environment())
    ws = Workspace.open(tmp_path / "ws")
    embedded_store(ws).upsert("claims", claims)
    (case,) = CaseBook(ws).record_scan([ring_case(claims)], ["card_lending"])
    ws.close()
    return tmp_path / "ws", case.case_id


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["--lang", "en", *args])


def test_export_writes_a_package_that_verifies(workspace: tuple[Path, str], tmp_path: Path) -> None:
    ws, case_id = workspace
    result = run("cases", "export", case_id, "--workspace", str(ws), "--out", str(tmp_path / "pkg"))
    assert result.exit_code == 0, result.output
    assert str(tmp_path / "pkg" / "case.html") in result.output
    (package,) = (tmp_path / "pkg").glob("*-evidence.zip")
    assert str(package) in result.output
    assert run("verify", str(package)).exit_code == 0


def test_reveal_without_a_key_is_refused(
    workspace: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws, case_id = workspace
    monkeypatch.delenv("GRAPHSCAN_KEY")
    monkeypatch.setenv("GRAPHSCAN_KEY_FILE", str(tmp_path / "no-key"))
    result = run("cases", "export", case_id, "--workspace", str(ws), "--reveal")
    assert result.exit_code == 1
    assert "needs the pseudonymisation key" in result.output
    assert "Traceback" not in result.output and not (ws / "exports").exists()


def test_explore_marks_cases_and_takes_a_clear_id_with_the_key(
    workspace: tuple[Path, str], tmp_path: Path
) -> None:
    ws, case_id = workspace
    out = tmp_path / "tip.html"
    result = run("explore", clear_id(0), "--hops", "1", "--workspace", str(ws), "--out", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert case_id in html and clear_id(0) not in html


def test_a_pasted_id_with_a_bom_spaces_and_a_carriage_return_is_found(
    workspace: tuple[Path, str], tmp_path: Path
) -> None:
    """An id copied out of a CRLF CSV output (or a spreadsheet) keeps its carriage
    return, a BOM or spaces: normalised as a load normalises it, it still names the
    person, and so does its check letter typed in lower case."""
    ws, case_id = workspace
    for typed in (f"\ufeff {clear_id(0)}\r", f"{clear_id(0)[:-1]}x\r\n"):
        out = tmp_path / "tip.html"
        result = run("explore", typed, "--hops", "1", "--workspace", str(ws), "--out", str(out))
        assert result.exit_code == 0, (typed, result.output)
        assert case_id in out.read_text(encoding="utf-8")


def test_explore_an_unknown_entity_says_so(workspace: tuple[Path, str]) -> None:
    ws, _ = workspace
    result = run("explore", "NOBODY", "--workspace", str(ws))
    assert result.exit_code == 1 and "No claims found for" in result.output


def test_an_unknown_clear_id_is_not_echoed_in_the_terminal(workspace: tuple[Path, str]) -> None:
    """A terminal's output ends up in logs and screenshots: a personal id typed at
    explore that names nobody is told back masked, as an export would print it."""
    ws, _ = workspace
    unknown = "33010219900101123X"
    result = run("explore", unknown, "--workspace", str(ws))
    assert result.exit_code == 1 and "No claims found for 330…3X" in result.output
    assert unknown not in result.output
