"""No clear-text personal id reaches the store, the quarantine, the logs or the CLI
output; the key lives outside the workspace; an investigator with the key can reveal."""

from __future__ import annotations

import hmac
import logging
import os
import stat
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result
from embedded_store import embedded_store
from loader_files import PEOPLE, all_text_values, gbk_extract, store_for, write_csv

from graphscan.cli.main import cli
from graphscan.pseudonym import PSEUDONYM_HEX, Pseudonymiser
from graphscan.workspace import Workspace

PHONE = "13912345678"


def _load_everything(tmp_path: Path, workspace: Path) -> Result:
    persons = write_csv(
        tmp_path / "persons.csv",
        ["个人编号", "性别", "联系电话", "家庭住址", "银行卡号"],
        [[PEOPLE[0], "男", PHONE, "幸福路1号", "6222000011112222"]],
        "gbk",
    )
    extract = gbk_extract(tmp_path / "m.csv")
    args = ["--lang", "en", "load", str(extract), str(persons), "-w", str(workspace)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result


def test_no_clear_id_in_store_quarantine_logs_or_output(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    workspace = tmp_path / "ws"
    with caplog.at_level(logging.DEBUG):
        result = _load_everything(tmp_path, workspace)
    secrets = [*PEOPLE, PHONE, "幸福路1号", "6222000011112222", "张三", "李四"]
    stored = all_text_values(workspace / "graphscan.duckdb")
    assert stored  # the scan really read the tables
    leaks = [s for s in secrets for v in stored if s in v]
    assert leaks == []
    quarantine = "".join(p.read_text("utf-8-sig") for p in (workspace / "quarantine").iterdir())
    assert "missing_key" in quarantine
    for text in (quarantine, result.output, caplog.text):
        assert [s for s in secrets if s in text] == []
    assert "loaded m.csv" in caplog.text
    # the pseudonyms that are stored are the keyed hashes of the clear ids
    expected = Pseudonymiser.from_environment().pseudonymise(pd.Series(list(PEOPLE)))
    assert set(expected) <= stored
    assert all(len(p) == PSEUDONYM_HEX for p in expected)


def test_staging_spills_only_into_a_private_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A staged file holds clear ids until they are pseudonymised. Past its memory cap
    DuckDB spills it to disk. Without a set folder the spill goes beside the database,
    in a folder made with the umask's modes, inside a workspace folder that keeps the
    modes its user gave it. The loader spills into the workspace's private folder."""
    from graphscan.loaders.pipeline import Loader

    workspace = tmp_path / "ws"
    workspace.mkdir(mode=0o755)
    seen: list[str] = []
    staging = Loader._load

    def watched(self: Loader, paths: list[Path], report: object) -> object:
        query = "SELECT current_setting('temp_directory')"
        seen.append(self.db.execute(query).fetchone()[0])
        return staging(self, paths, report)

    monkeypatch.setattr(Loader, "_load", watched)
    _load_everything(tmp_path, workspace)
    spill = Path(seen[0])
    assert spill.parent == workspace.resolve()
    assert stat.S_IMODE(spill.stat().st_mode) == 0o700


def test_key_file_is_private_and_outside_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GRAPHSCAN_KEY", raising=False)
    key = tmp_path / "cfg" / "key"
    monkeypatch.setenv("GRAPHSCAN_KEY_FILE", str(key))
    _load_everything(tmp_path, tmp_path / "ws")
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    vault = Path(os.environ["GRAPHSCAN_VAULT_FILE"])
    assert stat.S_IMODE(os.stat(vault).st_mode) == 0o600
    assert PEOPLE[0].encode() not in vault.read_bytes()  # sealed, not clear text
    monkeypatch.setenv("GRAPHSCAN_KEY_FILE", str(tmp_path / "ws" / "key"))
    source = gbk_extract(tmp_path / "again.csv")
    inside = CliRunner().invoke(
        cli, ["--lang", "en", "load", str(source), "-w", str(tmp_path / "ws")]
    )
    assert inside.exit_code == 1 and "must not live in the workspace" in inside.output


def test_reidentify_needs_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHSCAN_KEY", "investigator secret")
    _load_everything(tmp_path, tmp_path / "ws")
    stored = store_for(tmp_path / "ws").db.execute("SELECT DISTINCT person_id FROM claims")
    pseudonyms = sorted(p for (p,) in stored.fetchall())
    runner = CliRunner()
    result = runner.invoke(cli, ["--lang", "en", "reidentify", *pseudonyms, "0" * 20])
    assert result.exit_code == 0, result.output
    revealed = dict(line.split("\t") for line in result.stdout.splitlines())
    assert sorted(revealed.values()) == sorted(PEOPLE)
    assert "revealed 3, not found 1" in result.output
    # another key cannot open the vault, and no key at all is refused
    monkeypatch.setenv("GRAPHSCAN_KEY", "a different secret")
    other = runner.invoke(cli, ["--lang", "en", "reidentify", *pseudonyms])
    assert other.exit_code == 1 and all(p not in other.stdout for p in PEOPLE)
    monkeypatch.delenv("GRAPHSCAN_KEY")
    monkeypatch.setenv("GRAPHSCAN_KEY_FILE", str(tmp_path / "missing"))
    refused = runner.invoke(cli, ["--lang", "en", "reidentify", pseudonyms[0]])
    assert refused.exit_code == 1 and "needs the pseudonymisation key" in refused.output


def test_pseudonymise_series_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHSCAN_KEY", "k1")
    first = Pseudonymiser.from_environment()
    values = pd.Series([" a1 ", None, "b2", "a1", ""], index=[5, 6, 7, 8, 9])
    out = first.pseudonymise(values)
    assert list(out.index) == [5, 6, 7, 8, 9]
    assert out[5] == out[8] and out[5] != out[7] and out[6] is None and out[9] is None
    assert first.reveal([out[5], out[7], "f" * 20]) == {out[5]: "a1", out[7]: "b2"}
    monkeypatch.setenv("GRAPHSCAN_KEY", "k2")
    assert Pseudonymiser.from_environment().pseudonymise(values)[5] != out[5]


def test_a_pseudonym_is_the_keyed_hash_of_its_id(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pseudonym is HMAC-SHA256 (RFC 2104) of the id under the key's pseudonym subkey,
    however it is computed: stores pseudonymised by any version name a person alike (one
    key, one identity)."""
    monkeypatch.setenv("GRAPHSCAN_KEY", "k1")
    subkey = hmac.digest(b"k1", b"graphscan/pseudonym", "sha256")
    clear = ["110101199001011234", "32010219700303001X", "张三", "a\tb", "x" * 200, "é"]
    out = Pseudonymiser.from_environment().pseudonymise(pd.Series(clear))
    expected = [hmac.new(subkey, c.encode(), "sha256").hexdigest()[:PSEUDONYM_HEX] for c in clear]
    assert list(out) == expected


def _cli(*args: str) -> Result:
    return CliRunner().invoke(cli, ["--lang", "en", *args])


def _people(workspace: Path) -> int:
    ws = Workspace.open(workspace)
    try:
        store = embedded_store(ws)
        return store.db.execute("SELECT count(DISTINCT person_id) FROM claims").fetchall()[0][0]
    finally:
        ws.close()


def test_another_key_is_refused_by_load_scan_and_reveal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Month 2 loaded with another key would give the same people second pseudonyms."""
    ws = tmp_path / "ws"
    monkeypatch.setenv("GRAPHSCAN_KEY", "key of month one")
    _load_everything(tmp_path, ws)
    people = _people(ws)
    recorded = (ws / "workspace.json").read_text()
    assert Pseudonymiser.from_environment().fingerprint() in recorded
    assert "key of month one" not in recorded  # a fingerprint, never the key
    monkeypatch.setenv("GRAPHSCAN_KEY", "key of month two")
    month_two = gbk_extract(tmp_path / "month2.csv")
    for args in (
        ["load", str(month_two), "-w", str(ws)],
        ["scan", "-w", str(ws)],
        ["cases", "list", "--members", "--reveal", "-w", str(ws)],
        ["reidentify", "0" * 20, "-w", str(ws)],
    ):
        refused = _cli(*args)
        assert refused.exit_code == 1, (args, refused.output)
        lines = refused.output.strip().splitlines()
        assert len(lines) == 1 and "fingerprint" in lines[0], (args, refused.output)
        assert "Traceback" not in refused.output
    assert _people(ws) == people


def test_a_forgotten_key_is_not_replaced_by_a_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = tmp_path / "ws"
    monkeypatch.setenv("GRAPHSCAN_KEY", "the bureau's key")
    _load_everything(tmp_path, ws)
    people = _people(ws)
    monkeypatch.delenv("GRAPHSCAN_KEY")
    key_file = Path(os.environ["GRAPHSCAN_KEY_FILE"])
    assert not key_file.exists()
    month_two = gbk_extract(tmp_path / "month2.csv")
    forgot = _cli("load", str(month_two), "-w", str(ws))
    assert forgot.exit_code == 1 and "--new-key" in forgot.output, forgot.output
    assert len(forgot.output.strip().splitlines()) == 1
    assert not key_file.exists() and _people(ws) == people
    # asked for explicitly, a new key is made and recorded as the workspace's key (a month
    # of new claims: the same month again would differ from what is stored in every row)
    month_three = tmp_path / "month3.csv"
    month_three.write_text(month_two.read_text("gbk").replace("S00", "T00"), "gbk")
    switched = _cli("load", str(month_three), "-w", str(ws), "--new-key")
    assert switched.exit_code == 0, switched.output
    assert key_file.exists()
    assert Pseudonymiser.from_environment().fingerprint() in (ws / "workspace.json").read_text()
    assert _cli("scan", "-w", str(ws)).exit_code == 0


def test_a_workspace_without_a_recorded_key_is_checked_against_its_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A workspace of an earlier version recorded no fingerprint; its loads did."""
    ws = tmp_path / "ws"
    monkeypatch.setenv("GRAPHSCAN_KEY", "the old key")
    _load_everything(tmp_path, ws)
    (ws / "workspace.json").unlink()  # as an earlier version left it
    monkeypatch.setenv("GRAPHSCAN_KEY", "another key")
    refused = _cli("load", str(gbk_extract(tmp_path / "m2.csv")), "-w", str(ws))
    assert refused.exit_code == 1 and "fingerprint" in refused.output, refused.output
    monkeypatch.setenv("GRAPHSCAN_KEY", "the old key")
    assert _cli("load", str(gbk_extract(tmp_path / "m3.csv")), "-w", str(ws)).exit_code == 0
