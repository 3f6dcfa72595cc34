"""`graphscan demo`: the main job end to end on the embedded store, for a first look.

It chains the real commands (generate → load → scan → evaluate → export) so that what the
demo shows is exactly what an investigator gets from them one by one.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import click

from graphscan.cli.common import create_workspace, friendly_errors, workspace_option
from graphscan.i18n import t
from graphscan.workspace import META_FILE, marked_as_demo

#: where the demo works unless told otherwise
DEMO_WORKSPACE = "graphscan-demo"

#: The canonical tables the generator writes; the ground-truth files are not data.
DATA_FILES = ("persons", "providers", "doctors", "claims", "claim_items")


def _made_by_an_earlier_demo(root: Path) -> bool:
    """Demos before the demo mark wrote exactly this layout (a city with its truth)."""
    names = {p.name for p in root.iterdir()} if root.is_dir() else set()
    return (
        not (root / META_FILE).exists()
        and (root / "city" / "rings.csv").is_file()
        and names <= {"city", "graphscan.duckdb", "graphscan.duckdb.wal", "quarantine", "exports"}
    )


def _clear_own(root: Path) -> None:
    """Remove the demo's previous workspace, and nothing else: a folder the demo did not
    make (not marked as a demo workspace) is refused unless it is empty."""
    if not root.exists():
        return
    if _made_by_an_earlier_demo(root) or marked_as_demo(root):
        shutil.rmtree(root)
    elif not root.is_dir() or any(root.iterdir()):
        raise click.ClickException(
            t(
                "{p} 不是演示程序创建的工作区，演示不会删除或覆盖它：请换一个 --workspace",
                "{p} is not a workspace the demo made, so the demo will not delete or "
                "overwrite it: give another --workspace",
                p=root,
            )
        )


def _step(number: int, zh: str, en: str) -> None:
    click.secho(f"\n[{number}/5] " + t(zh, en), bold=True)


@click.command()
@click.option("--persons", default=20_000, show_default=True, help="City size / 参保人数.")
@click.option("--seed", default=1, show_default=True, help="Random seed / 随机种子.")
@click.option(
    "--difficulty",
    type=click.Choice(["easy", "hard"]),
    default="hard",
    show_default=True,
    help="How well the rings hide / 团伙隐藏难度.",
)
@workspace_option
@click.pass_context
@friendly_errors
def demo(
    ctx: click.Context, persons: int, seed: int, difficulty: str, workspace: str | None
) -> None:
    """Generate a synthetic city, load it, scan it, score the result against the planted
    rings and export the top case as an evidence package; prints where its HTML is.
    演示：生成模拟城市、导入、检测、对照真实团伙评分，并导出排名第一的案件证据包。

    The workspace is rebuilt each time, so the demo always starts from a clean store; only
    a workspace the demo made itself is ever removed.

    \b
    Example / 示例:
      graphscan demo
      graphscan demo --persons 5000 --seed 7 --workspace demo-ws
    """
    from graphscan.casebook import CaseBook
    from graphscan.cli.evidence import export_command
    from graphscan.cli.generate import evaluate, generate
    from graphscan.cli.load import load
    from graphscan.cli.scan import scan

    root = Path(workspace or DEMO_WORKSPACE)
    _clear_own(root)
    ws = create_workspace(str(root), demo=True)
    city = ws.root / "city"

    _step(1, "生成模拟城市（含已知团伙和合法群体）", "Generating a city with planted rings")
    ctx.invoke(generate, persons=persons, seed=seed, out=str(city), difficulty=difficulty)

    _step(2, "导入嵌入式存储", "Loading into the embedded store")
    files = tuple(str(city / f"{name}.csv") for name in DATA_FILES)
    ctx.invoke(load, files=files, workspace=str(root), quiet=True)

    _step(3, "检测团伙", "Scanning for rings")
    ctx.invoke(scan, workspace=str(root), top=10)

    _step(4, "对照真实团伙评分", "Scoring the cases against the planted rings")
    ctx.invoke(evaluate, truth=str(city), workspace=str(root))

    _step(5, "导出排名第一的案件", "Exporting the top case")
    ranked = CaseBook(ws).list()
    if ranked.empty:
        raise click.ClickException(t("没有发现团伙。", "No ring was found."))
    top = str(ranked["case_id"].iloc[0])
    ctx.invoke(export_command, case_id=top, workspace=str(root))
    click.secho(
        t(
            "\n用浏览器打开上面的案件网页（可离线）。工作区：{ws}",
            "\nOpen the case page above in a browser (works offline). Workspace: {ws}",
            ws=root,
        ),
        bold=True,
    )
    click.echo(t("接下来可以运行：", "Next, try:"))
    for line in follow_up(str(root), top):
        click.echo(f"  {line}")


def follow_up(workspace: str, top_case: str) -> list[str]:
    """The commands that continue from the demo's workspace (the README shows them)."""
    ws = shlex.quote(workspace)
    return [
        f"graphscan status --workspace {ws}",
        f"graphscan cases list --workspace {ws}",
        f"graphscan cases show {top_case} --workspace {ws}",
        f'graphscan cases status {top_case} reviewing --note "调取药店监控" --workspace {ws}',
    ]


COMMANDS = [demo]
