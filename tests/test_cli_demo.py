"""The demo only rebuilds a workspace it made, and the commands it ends with (the same as
the README's) work on what it made."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from graphscan.casebook import CaseBook
from graphscan.cli.demo import follow_up
from graphscan.cli.main import cli
from graphscan.workspace import Workspace, marked_as_demo

README = Path(__file__).resolve().parents[1] / "README.md"
DOCS = README.with_name("docs")


def _demo(workspace: Path) -> Result:
    return CliRunner().invoke(
        cli, ["--lang", "en", "demo", "--persons", "1000", "--workspace", str(workspace)]
    )


@pytest.mark.parametrize("content", ["file", "workspace"])
def test_demo_refuses_a_folder_it_did_not_make(tmp_path: Path, content: str) -> None:
    target = tmp_path / "mine"
    if content == "file":
        target.mkdir()
        (target / "notes.txt").write_text("a month of work")
    else:
        Workspace.open(target, create=True)  # an investigator's workspace
        (target / "graphscan.duckdb").write_bytes(b"")
    result = _demo(target)
    assert result.exit_code == 1, result.output
    assert "is not a workspace the demo made" in result.output
    assert sorted(p.name for p in target.iterdir()) == (
        ["notes.txt"] if content == "file" else ["graphscan.duckdb", "workspace.json"]
    )


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """The demo over a workspace the demo made before (with a leftover in it)."""
    root = tmp_path_factory.mktemp("demo") / "graphscan-demo"
    Workspace.open(root, create=True, demo=True)
    (root / "leftover.txt").write_text("from the last demo")
    return root, _demo(root)


def test_demo_rebuilds_its_own_workspace(demo_run: tuple[Path, Result]) -> None:
    root, result = demo_run
    assert result.exit_code == 0, result.output
    assert not (root / "leftover.txt").exists()
    assert marked_as_demo(root)


def test_the_commands_the_demo_prints_work_and_are_the_readmes(
    demo_run: tuple[Path, Result],
) -> None:
    root, result = demo_run
    top = re.search(r"Case page: .*exports/(GS-[0-9a-f]{8})/", result.output).group(1)  # type: ignore[union-attr]
    printed = follow_up(str(root), top)
    for line in printed:
        assert f"  {line}\n" in result.output
    listed = CliRunner().invoke(cli, ["--lang", "en", *shlex.split(printed[1])[1:]])
    assert listed.exit_code == 0 and top in listed.output and "No cases" not in listed.output
    shown = CliRunner().invoke(cli, ["--lang", "en", *shlex.split(printed[2])[1:]])
    assert shown.exit_code == 0 and shown.output.startswith(top)
    readme = README.read_text(encoding="utf-8")
    for line in follow_up("graphscan-demo", "CASE_ID"):
        assert line in readme


def test_readme_and_help_show_no_invented_ids(demo_run: tuple[Path, Result]) -> None:
    """Example case ids and pseudonyms in the README, docs/ and the help are placeholders
    (the demo prints the real ones), and a case id has the form docs/evidence.md gives;
    the example pharmacy is one the demo city has."""
    root, _ = demo_run
    ids = CaseBook(Workspace.open(root, create=False)).list()["case_id"]
    assert len(ids) and ids.str.fullmatch(r"GS-[0-9a-f]{8}").all()
    assert "`GS-` and the first 8 hex digits" in (DOCS / "evidence.md").read_text(encoding="utf-8")
    texts = [README.read_text(encoding="utf-8")]
    texts += [page.read_text(encoding="utf-8") for page in sorted(DOCS.glob("*.md"))]
    for args in (["cases"], ["cases", "show"], ["cases", "status"], ["cases", "export"],
                 ["verify"], ["explore"], ["reidentify"]):  # fmt: skip
        texts.append(CliRunner().invoke(cli, [*args, "--help"]).output)
    for text in texts:
        assert not re.search(r"\b(GS-[0-9a-f]{8}|C-\d{4}-\d{4}|[0-9a-f]{20})\b", text), text
    pharmacies = set(re.findall(r"graphscan explore (P\d{11})", "\n".join(texts)))
    assert pharmacies
    for pharmacy in pharmacies:
        explored = CliRunner().invoke(
            cli, ["--lang", "en", "explore", pharmacy, "--hops", "1", "-w", str(root)]
        )
        assert explored.exit_code == 0, explored.output


def test_demo_recognises_the_workspace_of_an_earlier_demo(tmp_path: Path) -> None:
    from graphscan.cli.demo import _made_by_an_earlier_demo

    earlier = tmp_path / "graphscan-demo"
    (earlier / "city").mkdir(parents=True)
    (earlier / "city" / "rings.csv").write_text("ring_id,pattern,member_kind,member_id\n")
    (earlier / "graphscan.duckdb").write_bytes(b"")
    assert _made_by_an_earlier_demo(earlier)
    (earlier / "march-notes.txt").write_text("not the demo's")
    assert not _made_by_an_earlier_demo(earlier)
