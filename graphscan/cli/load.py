"""`graphscan load`, `graphscan status` and `graphscan reidentify`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from graphscan.cli.common import (
    ProgressBars,
    create_workspace,
    friendly_errors,
    key_holder,
    load_key,
    new_key_option,
    open_workspace,
    store_option,
    workspace_option,
)
from graphscan.i18n import display_width, name_of, pad, t
from graphscan.schema import TABLES
from graphscan.store import open_store
from graphscan.workspace import WorkspaceMissing

#: the tables and claim kinds `graphscan status` counts, in both languages
TABLE_NAMES = {
    "claims": ("结算", "claims"),
    "claim_items": ("结算明细", "claim items"),
    "persons": ("参保人", "persons"),
    "providers": ("机构与药店", "providers"),
    "doctors": ("医师", "doctors"),
    "reversals": ("冲销", "reversals"),
}
CLAIM_KIND_NAMES = {
    "outpatient": ("门诊", "outpatient"),
    "inpatient": ("住院", "inpatient"),
    "pharmacy": ("购药", "pharmacy"),
}


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
@click.option(
    "--dates",
    metavar="FIRST..LAST",
    help="Plausible days of claim times; others are quarantined / 合理的就诊日期范围 "
    "(default: 1990-01-01..tomorrow).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar / 不显示进度条.")
@new_key_option
@friendly_errors
def load(
    files: tuple[str, ...],
    mapping: str | None,
    workspace: str | None,
    store: str | None,
    encoding: str | None,
    table: str | None,
    strict: bool,
    dates: str | None,
    quiet: bool,
    new_key: bool,
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
      graphscan load 2024结算.csv --dates 2024-01-01..2024-12-31
    """
    from graphscan.loaders.headers import read_mapping
    from graphscan.loaders.parse import Window
    from graphscan.loaders.pipeline import Options, load_files
    from graphscan.loaders.report import LoadReport

    window = Window.parse(dates) if dates else Window.default()
    ws = create_workspace(workspace)
    progress = None if quiet else ProgressBars()
    options = Options(read_mapping(mapping), encoding, table, progress, window)
    target = open_store(store, ws)
    # each file's report is printed as soon as it is done: a later failure keeps them
    report = LoadReport(listener=lambda file: click.echo("\n".join(file.lines())))
    try:
        keys = load_key(ws, target, new_key)
        load_files([Path(f) for f in files], target, ws, keys, options, report)
    finally:
        target.close()
    click.echo(report.total_line())
    if report.accepted == 0:
        raise click.ClickException(t("没有任何行被导入", "nothing could be loaded"))
    if report.failed:
        raise click.ClickException(
            t(
                "{n} 个文件未能导入: {f}",
                "{n} file(s) could not be loaded: {f}",
                n=len(report.failed),
                f=", ".join(f.file for f in report.failed),
            )
        )
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
@click.option(
    "--workspace",
    "-w",
    type=click.Path(file_okay=False),
    default=None,
    envvar="GRAPHSCAN_WORKSPACE",
    help="Refuse a key other than this workspace's, when it exists / "
    "工作区存在时，拒绝与其不符的密钥.",
)
@friendly_errors
def reidentify(
    pseudonyms: tuple[str, ...], from_file: click.File | None, workspace: str | None
) -> None:
    """Give the clear ids behind pseudonyms (authorised investigators only: needs the key
    in GRAPHSCAN_KEY or the key file), whole or masked as an export shows them
    (29c8db8732…). Prints "pseudonym<TAB>clear id".
    还原假名对应的真实标识 (仅限授权调查人员, 需要密钥)。

    \b
    Example / 示例:
      graphscan reidentify PSEUDONYM      (a member_id of `cases list --members`)
      graphscan reidentify --file case-members.txt > revealed.tsv
    """
    wanted = [*pseudonyms, *(line.strip() for line in (from_file or []) if line.strip())]
    if not wanted:
        raise click.UsageError(t("请给出假名", "give at least one pseudonym"))
    from graphscan.masks import resolve, typed_mask

    try:
        ws = open_workspace(workspace)
    except WorkspaceMissing:
        ws = None  # nothing to check the key against: the vault alone answers
    vault = key_holder(ws)
    known = vault.pseudonyms() if any(typed_mask(w) for w in wanted) else []
    typed = {resolve(w, known): w for w in wanted}  # pseudonym -> as the user typed it
    wanted = list(typed)
    found = vault.reveal(wanted)
    for pseudonym in wanted:
        if pseudonym in found:
            click.echo(f"{typed[pseudonym]}\t{found[pseudonym]}")
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
      graphscan status --workspace graphscan-demo
    """
    ws = open_workspace(workspace, store)
    info = open_store(store, ws).status()
    click.echo(
        t(
            "存储: {loc} ({engine})",
            "Store: {loc} ({engine})",
            loc=info["location"],
            engine=info["engine"],
        )
    )
    rows = [(name_of(TABLE_NAMES, name), n) for name, n in info["counts"].items()]
    rows += [
        (t("结算[{k}]", "claims[{k}]", k=name_of(CLAIM_KIND_NAMES, kind)), n)
        for kind, n in info["claims_by_kind"].items()
    ]
    width = max(display_width(label) for label, _ in rows)
    for label, count in rows:
        click.echo(f"  {pad(label, width)}  {count:>12,}")
    click.echo(
        t(
            "时间范围: {a} — {b}",
            "Date range: {a} — {b}",
            a=info["first_claim"],
            b=info["last_claim"],
        )
    )
    if info["last_loads"]:
        click.echo(t("最近导入:", "Last loads:"))
    for load in info["last_loads"]:
        click.echo(f"  {load['finished_at']}  {load['source_file']}")


COMMANDS = [load, status, reidentify]
