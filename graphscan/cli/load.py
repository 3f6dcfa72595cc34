"""`graphscan load`, `graphscan status` and `graphscan reidentify`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from graphscan.cli.common import (
    friendly_errors,
    key_holder,
    open_workspace,
    store_option,
    workspace_option,
)
from graphscan.i18n import t
from graphscan.schema import TABLES
from graphscan.store import open_store


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False),
    help="JSON file mapping source headers to canonical columns / 列名映射文件 (JSON).",
)
@workspace_option
@store_option
@click.option("--encoding", help="Source encoding, e.g. gbk / 文件编码 (default: detected).")
@click.option(
    "--table",
    type=click.Choice(list(TABLES)),
    help="Which canonical table the files are / 指定目标表 (default: from the headers).",
)
@click.option(
    "--strict", is_flag=True, help="Exit non-zero if any row is quarantined / 有隔离即失败."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar / 不显示进度条.")
@friendly_errors
def load(
    files: tuple[str, ...],
    mapping: str | None,
    workspace: str | None,
    store: str | None,
    encoding: str | None,
    table: str | None,
    strict: bool,
    quiet: bool,
) -> None:
    """Load claims, claim items, persons, providers and doctors from CSV, Excel (.xlsx) or
    Parquet: personal ids are pseudonymised, bad rows quarantined with a reason, and the
    report reconciles every row read.
    导入结算、明细、人员、机构、医师数据 (CSV/Excel/Parquet; UTF-8/GBK), 个人标识假名化,
    问题行隔离并注明原因, 最后输出可核对的报告。

    \b
    Example / 示例:
      graphscan load city/persons.csv city/claims.csv
      graphscan load 2025-03结算.csv --encoding gbk --mapping columns.json
      graphscan load claims.xlsx --table claims --strict
    """
    from graphscan.loaders.headers import read_mapping
    from graphscan.loaders.pipeline import Options, load_files
    from graphscan.pseudonym import Pseudonymiser

    ws = open_workspace(workspace, writing=True)
    options = Options(read_mapping(mapping), encoding, table, progress=not quiet)
    target = open_store(store, ws)
    try:
        report = load_files(
            [Path(f) for f in files], target, ws, Pseudonymiser.from_environment(), options
        )
    finally:
        target.close()
    for line in report.lines():
        click.echo(line)
    if report.accepted == 0:
        raise click.ClickException(t("没有任何行被导入", "nothing could be loaded"))
    if strict and report.quarantined:
        raise click.ClickException(
            t(
                "--strict: {n:,} 行被隔离",
                "--strict: {n:,} rows were quarantined",
                n=report.quarantined,
            )
        )


@click.command()
@click.argument("pseudonyms", nargs=-1)
@click.option(
    "--file",
    "from_file",
    type=click.File("r", encoding="utf-8"),
    help="Read pseudonyms from a file, one per line / 从文件读取假名 (每行一个).",
)
@friendly_errors
def reidentify(pseudonyms: tuple[str, ...], from_file: click.File | None) -> None:
    """Give the clear ids behind pseudonyms (authorised investigators only: needs the key
    in GRAPHSCAN_KEY or the key file). Prints "pseudonym<TAB>clear id".
    还原假名对应的真实标识 (仅限授权调查人员, 需要密钥)。

    \b
    Example / 示例:
      graphscan reidentify 29c8db8732e6fd4a8c0c
      graphscan reidentify --file case-members.txt > revealed.tsv
    """
    wanted = [*pseudonyms, *(line.strip() for line in (from_file or []) if line.strip())]
    if not wanted:
        raise click.UsageError(t("请给出假名", "give at least one pseudonym"))
    vault = key_holder()
    found = vault.reveal(wanted)
    for pseudonym in wanted:
        if pseudonym in found:
            click.echo(f"{pseudonym}\t{found[pseudonym]}")
    missing = len(set(wanted) - set(found))
    click.echo(
        t(
            "已还原 {a} 个, 未找到 {m} 个",
            "revealed {a}, not found {m}",
            a=len(found),
            m=missing,
        ),
        err=True,
    )
    if missing and not found:
        sys.exit(1)


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


COMMANDS = [load, status, reidentify]
