"""`graphscan status` (and `graphscan load`, added by the loaders)."""

from __future__ import annotations

import click

from graphscan.cli.common import friendly_errors, open_workspace, store_option, workspace_option
from graphscan.i18n import t
from graphscan.store import open_store


@click.command()
@workspace_option
@store_option
@friendly_errors
def status(workspace: str | None, store: str | None) -> None:
    """Counts per table and claim kind, date range and last loads.
    显示各表行数、就诊类型分布、时间范围和最近的导入。

    \b
    Example / 示例:
      graphscan status --workspace graphscan-workspace
    """
    ws = open_workspace(workspace)
    info = open_store(store, ws).status()
    click.echo(
        t(
            "存储: {loc} ({engine})",
            "Store: {loc} ({engine})",
            loc=info["location"],
            engine=info["engine"],
        )
    )
    for name, count in info["counts"].items():
        click.echo(f"  {name:<12} {count:>12,}")
    for kind, count in info["claims_by_kind"].items():
        click.echo(f"  claims[{kind}] {count:>12,}")
    click.echo(
        t(
            "时间范围: {a} — {b}",
            "Date range: {a} — {b}",
            a=info["first_claim"],
            b=info["last_claim"],
        )
    )
    for load in info["last_loads"]:
        click.echo(f"  {load['finished_at']}  {load['source_file']}")


COMMANDS = [status]
