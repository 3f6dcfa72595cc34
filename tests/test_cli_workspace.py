"""What the CLI does with workspaces: only load and demo create one, everything in it is
private, and a second process on a busy one is told who holds it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from loader_files import gbk_extract

import graphscan
from graphscan.cli.main import cli
from graphscan.workspace import Workspace, WorkspaceMissing


def _cli(*args: str) -> Result:
    return CliRunner().invoke(cli, ["--lang", "en", *args])


def _loaded(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    result = _cli("load", str(gbk_extract(tmp_path / "m.csv")), "-w", str(ws))
    assert result.exit_code == 0, result.output
    return ws


@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["scan"],
        ["cases", "list"],
        ["cases", "show", "GS-00000000"],
        ["cases", "status", "GS-00000000", "reviewing"],
        ["cases", "export", "GS-00000000"],
        ["explore", "P33010200017"],
    ],
)
def test_a_missing_workspace_is_not_created(tmp_path: Path, args: list[str]) -> None:
    typo = tmp_path / "graphscan-dmeo"
    result = _cli(*args, "--workspace", str(typo))
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "does not exist" in lines[0], result.output
    assert not typo.exists()


def test_the_python_api_does_not_create_a_workspace(tmp_path: Path) -> None:
    typo = tmp_path / "graphscan-dmeo"
    for call in (graphscan.scan, graphscan.cases, graphscan.members):
        with pytest.raises(WorkspaceMissing):
            call(workspace=typo)
    assert not typo.exists()


def test_scanning_an_empty_workspace_says_load_first(tmp_path: Path) -> None:
    Workspace.open(tmp_path / "empty", create=True)
    result = _cli("scan", "-w", str(tmp_path / "empty"))
    assert result.exit_code == 1 and "load data first" in result.output, result.output


def test_workspace_files_are_private(tmp_path: Path) -> None:
    ws = _loaded(tmp_path)
    assert _cli("scan", "-w", str(ws)).exit_code == 0
    listed = _cli("cases", "list", "-w", str(ws), "--format", "json")
    assert listed.exit_code == 0
    modes = {
        str(path.relative_to(tmp_path)): stat.S_IMODE(path.stat().st_mode)
        for path in [ws, *ws.rglob("*")]
    }
    assert any("quarantine/" in name for name in modes)  # the load did quarantine rows
    loose = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode != (0o700 if (tmp_path / name).is_dir() else 0o600)
    }
    assert loose == {}


def test_a_readable_key_file_is_warned_about(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GRAPHSCAN_KEY", raising=False)
    key = Path(os.environ["GRAPHSCAN_KEY_FILE"])
    key.write_text("ab" * 32 + "\n")
    key.chmod(0o644)
    ws = _loaded(tmp_path)
    result = _cli("load", str(gbk_extract(tmp_path / "again.csv")), "-w", str(ws))
    warned = [line for line in result.output.splitlines() if "readable by other users" in line]
    assert result.exit_code == 0 and len(warned) == 1, result.output
    key.chmod(0o600)
    quiet = _cli("load", str(gbk_extract(tmp_path / "third.csv")), "-w", str(ws))
    assert "readable by other users" not in quiet.output


def test_a_key_file_inside_the_workspace_is_never_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GRAPHSCAN_KEY", raising=False)
    ws = tmp_path / "ws"
    monkeypatch.setenv("GRAPHSCAN_KEY_FILE", str(ws / "key"))
    result = _cli("load", str(gbk_extract(tmp_path / "m.csv")), "-w", str(ws))
    assert result.exit_code == 1 and "must not live in the workspace" in result.output
    assert not (ws / "key").exists()


HOLD = """
import sys, time
from graphscan.workspace import Workspace
held = Workspace.open(sys.argv[1], create=False, holder="graphscan scan")
held.db()
print("holding", flush=True)
time.sleep(60)
"""


def test_a_busy_workspace_names_its_holder(tmp_path: Path) -> None:
    ws = _loaded(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(ws)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        for args in (["cases", "list"], ["load", str(gbk_extract(tmp_path / "n.csv"))]):
            result = _cli(*args, "-w", str(ws))
            assert result.exit_code == 1, result.output
            lines = result.output.strip().splitlines()
            assert len(lines) == 1 and "is busy" in lines[0], result.output
            assert f"pid {holder.pid}" in lines[0] and "graphscan scan" in lines[0]
    finally:
        holder.kill()
        holder.wait()
    assert _cli("cases", "list", "-w", str(ws)).exit_code == 0
