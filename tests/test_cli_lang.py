"""The CLI speaks the user's language: --lang anywhere, Chinese names in every table,
Chinese columns that line up, every option's help in both languages."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from loader_files import gbk_extract

from graphscan.cli.main import cli
from graphscan.rings import PATTERN_NAMES

CJK = re.compile(r"[\u4e00-\u9fff]")


def display_width(text: str) -> int:
    """Terminal columns: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*path, name))
        if isinstance(command, click.Group):
            found += _commands(command, (*path, name))
    return found


COMMANDS = _commands(cli)


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_lang_after_the_command_name(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--lang", "zh", "--help"])
    assert result.exit_code == 0, result.output


def test_every_option_has_help_in_both_languages() -> None:
    missing = []
    for path in [(), *COMMANDS]:
        command: click.Command = cli
        for name in path:
            command = command.commands[name]  # type: ignore[attr-defined]
        for param in command.params:
            if isinstance(param, click.Option) and not CJK.search(param.help or ""):
                missing.append(f"{' '.join(path)} {param.opts[0]}")
    assert missing == []


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace scanned from the hand-made city (every pattern has a ring in it)."""
    from handmade_city import build

    root = tmp_path_factory.mktemp("lang")
    files = []
    for table, frame in build().items():
        files.append(root / f"{table}.parquet")
        frame.to_parquet(files[-1], index=False)
    ws = root / "ws"
    runner = CliRunner()
    assert runner.invoke(cli, ["load", *map(str, files), "-w", str(ws), "-q"]).exit_code == 0
    scanned = runner.invoke(cli, ["scan", "-w", str(ws)])
    assert scanned.exit_code == 0, scanned.output
    return ws


def test_chinese_case_table_names_patterns_and_statuses_and_lines_up(scanned: Path) -> None:
    result = CliRunner().invoke(cli, ["cases", "list", "--lang", "zh", "-w", str(scanned)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("排名") and "状态" in lines[0]
    rows = [line for line in lines[1:] if "GS-" in line]
    assert rows
    for row in rows:
        assert any(zh in row for zh, _ in PATTERN_NAMES.values())
        assert "新建" in row
        assert not re.search(r"card_lending|kickback|group_hospitalisation|identity_misuse", row)

    # the left-aligned columns start at the same display column in the header and rows
    def at(line: str, pattern: str) -> int:
        return display_width(line[: re.search(pattern, line).start()])  # type: ignore[union-attr]

    names = "|".join(re.escape(zh) for zh, _ in PATTERN_NAMES.values())
    for head, cell in (
        ("案件编号", "GS-"),
        ("模式", names),
        ("状态", "新建"),
        ("p / q", r"\d\.\de"),
    ):
        assert {at(row, cell) for row in rows} == {at(lines[0], re.escape(head))}, head


def test_chinese_status_table_and_errors(scanned: Path, tmp_path: Path) -> None:
    status = CliRunner().invoke(cli, ["status", "--lang", "zh", "-w", str(scanned)])
    assert status.exit_code == 0
    assert "结算" in status.output and "claim_items" not in status.output
    assert "claims[" not in status.output
    missing = CliRunner().invoke(
        cli, ["cases", "show", "GS-00000000", "--lang", "zh", "-w", str(scanned)]
    )
    assert missing.exit_code == 1 and CJK.search(missing.output), missing.output
    load = CliRunner().invoke(
        cli,
        ["load", str(gbk_extract(tmp_path / "m.csv")), "-w", str(tmp_path / "w"), "--lang", "zh"],
    )
    assert "读取" in load.output or "导入" in load.output, load.output


def test_cases_list_has_a_status_column_and_its_csv_a_bom(scanned: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(cli, ["cases", "list", "--lang", "en", "-w", str(scanned)])
    assert listed.output.splitlines()[0].split()[:4] == ["rank", "case", "id", "pattern"]
    assert "status" in listed.output.splitlines()[0]
    case_id = re.search(r"GS-[0-9a-f]{8}", listed.output).group(0)  # type: ignore[union-attr]
    moved = runner.invoke(cli, ["cases", "status", case_id, "reviewing", "-w", str(scanned)])
    assert moved.exit_code == 0
    again = runner.invoke(cli, ["cases", "list", "--lang", "en", "-w", str(scanned)])
    row = next(line for line in again.output.splitlines() if case_id in line)
    assert "reviewing" in row
    out = tmp_path / "cases.csv"
    written = runner.invoke(
        cli, ["cases", "list", "--format", "csv", "--out", str(out), "-w", str(scanned)]
    )
    assert written.exit_code == 0
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "团伙".encode() not in data[:3]
    assert data.decode("utf-8-sig").splitlines()[0].startswith("rank,case_id,pattern,status")
