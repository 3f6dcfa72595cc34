"""`graphscan scan` and `graphscan cases list|show|status`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

import click
import pandas as pd

from graphscan.cases import CaseBook
from graphscan.cli.common import (
    friendly_errors,
    key_holder,
    open_workspace,
    reveal_option,
    store_option,
    workspace_option,
)
from graphscan.i18n import lang, t
from graphscan.rings import CASE_STATUSES, PATTERN_NAMES, PATTERNS, ROLES, Case

PERSONAL_KINDS = ("person", "card")


def _explanation(zh: str, en: str, width: int | None = None) -> str:
    text = zh if lang() == "zh" else en
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


def _ranked_table(frame: pd.DataFrame) -> str:
    head = (
        ("排名", "案件编号", "模式", "成员", "金额(元)", "p / q", "说明")
        if lang() == "zh"
        else ("rank", "case id", "pattern", "memb", "amount (yuan)", "p / q", "explanation")
    )
    lines = ["{:>4}  {:<11}  {:<22}  {:>4}  {:>13}  {:<17}  {}".format(*head)]
    for row in frame.itertuples():
        lines.append(
            f"{row.rank:>4}  {row.case_id:<11}  {row.pattern:<22}  {row.members:>4}  "
            f"{row.total_amount:>13,.2f}  {row.p_value:.1e} / {row.q_value:.1e}  "
            + _explanation(row.explanation_zh, row.explanation_en, 90)
        )
    return "\n".join(lines)


@click.command()
@click.option(
    "--pattern",
    "patterns",
    multiple=True,
    type=click.Choice(PATTERNS),
    help="Only these patterns (repeatable) / 只检测这些模式（可重复）.",
)
@click.option("--since", type=click.DateTime(), default=None, help="From / 起始时间.")
@click.option("--until", type=click.DateTime(), default=None, help="Until / 截止时间.")
@click.option("--top", type=int, default=20, show_default=True, help="Rows shown / 显示行数.")
@workspace_option
@store_option
@friendly_errors
def scan(
    patterns: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    top: int,
    workspace: str | None,
    store: str | None,
) -> None:
    """Find collusion rings, rank them and keep them as cases.
    检测欺诈团伙，排序并保存为案件。

    \b
    Example / 示例:
      graphscan scan --workspace city-ws
      graphscan scan --pattern card_lending --since 2025-01-01 --until 2025-06-30
    """
    from graphscan.api import scan_store
    from graphscan.store import open_store

    ws = open_workspace(workspace, writing=True)
    chosen = list(patterns or PATTERNS)
    db = open_store(store, ws)
    with click.progressbar(
        length=len(chosen) + 1,
        label=t("检测", "Scanning"),
        file=sys.stderr,
        item_show_func=lambda stage: stage,
    ) as bar:
        cases = scan_store(db, ws, chosen, since, until, lambda stage: bar.update(1, stage))
        bar.update(1, t("保存案件", "cases"))
    book = CaseBook(ws)
    frame = book.list()
    click.echo(
        t(
            "发现 {n} 个团伙（FDR q ≤ 0.01），按得分排序：",
            "{n} rings found (FDR q <= 0.01), ranked by score:",
            n=len(cases),
        )
    )
    if not frame.empty:
        click.echo(_ranked_table(frame.head(top)))
        click.echo(
            t(
                "查看详情: graphscan cases show {id}",
                "Details: graphscan cases show {id}",
                id=frame["case_id"].iloc[0],
            )
        )


@click.group("cases")
def cases_group() -> None:
    """Read and work on the cases of a workspace.
    查看和处理工作区中的案件。

    \b
    Example / 示例:
      graphscan cases list
      graphscan cases show GS-1a2b3c4d
      graphscan cases status GS-1a2b3c4d reviewing --note "已调取监控"
    """


def _revealer(reveal: bool) -> Callable[[Iterable[str]], dict[str, str]] | None:
    """Pseudonym -> clear id lookup, only with the key; never guessed."""
    return key_holder().reveal if reveal else None


def _reveal_members(frame: pd.DataFrame, reveal: bool) -> pd.DataFrame:
    revealer = _revealer(reveal)
    if revealer is None:
        return frame
    personal = frame["member_kind"].isin(PERSONAL_KINDS)
    clear = revealer(frame.loc[personal, "member_id"])
    frame = frame.copy()
    frame.loc[personal, "member_id"] = frame.loc[personal, "member_id"].map(
        lambda p: clear.get(p, p)
    )
    return frame


@cases_group.command("list")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format / 输出格式.",
)
@click.option("--members", is_flag=True, help="One row per case member / 每个成员一行.")
@reveal_option
@click.option("--pattern", type=click.Choice(PATTERNS), default=None, help="Only this pattern.")
@click.option("--status", type=click.Choice(CASE_STATUSES), default=None, help="Only this status.")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write to this file.")
@workspace_option
@friendly_errors
def list_cases(
    fmt: str,
    members: bool,
    reveal: bool,
    pattern: str | None,
    status: str | None,
    out: str | None,
    workspace: str | None,
) -> None:
    """Ranked cases, or with --members one row per member (case_id, rank, score, pattern,
    role, member_kind, member_id). Person and card ids stay pseudonymised unless --reveal.
    按排名列出案件；--members 每个成员一行；除非 --reveal，人员和卡号保持假名。

    \b
    Example / 示例:
      graphscan cases list
      graphscan cases list --members --format csv --out members.csv
      graphscan cases list --format json --pattern kickback
    """
    book = CaseBook(open_workspace(workspace))
    if members:
        frame = _reveal_members(book.members(pattern, status), reveal)
    else:
        frame = book.list(pattern=pattern, status=status)
        if reveal:
            _revealer(reveal)  # refuse without a key, as for members
    if fmt == "table":
        text = (
            frame.to_string(index=False)
            if members
            else (_ranked_table(frame) if not frame.empty else t("没有案件", "No cases"))
        )
    elif fmt == "csv":
        text = frame.to_csv(index=False)
    else:
        text = json.dumps(
            json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False)),
            ensure_ascii=False,
            indent=2,
        )
    if out:
        Path(out).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        click.echo(t("已写入 {f}", "Written to {f}", f=out), err=True)
    else:
        click.echo(text.rstrip("\n"))


def _show(case: Case, reveal: bool) -> str:
    zh, en = PATTERN_NAMES[case.pattern]
    lines = [
        f"{case.case_id}  {zh} / {en}  "
        + t("排名 {r}  状态 {s}", "rank {r}  status {s}", r=case.rank or "-", s=case.status),
        t(
            "得分 {score:.2f}  统计量 {obs:g}  期望 {exp:.3g}  p={p:.2e}  q={q:.2e}",
            "score {score:.2f}  observed {obs:g}  expected {exp:.3g}  p={p:.2e}  q={q:.2e}",
            score=case.score,
            obs=case.statistic,
            exp=case.expected,
            p=case.p_value,
            q=case.q_value,
        ),
        t(
            "金额 {tot:,.2f} 元（统筹 {fund:,.2f}，个人账户 {acc:,.2f}）  {a} 至 {b}",
            "amount {tot:,.2f} yuan (fund {fund:,.2f}, personal account {acc:,.2f})  {a} to {b}",
            tot=case.total_amount,
            fund=case.fund_amount,
            acc=case.account_amount,
            a=f"{case.first_time:%Y-%m-%d}",
            b=f"{case.last_time:%Y-%m-%d}",
        ),
        "",
        "说明: " + case.explanation_zh,
        "Why:  " + case.explanation_en,
        "",
        t("成员（按角色）:", "Members by role:"),
    ]
    frame = pd.DataFrame(
        [(m.role, m.kind, m.id) for m in case.members],
        columns=["role", "member_kind", "member_id"],
    )
    frame = _reveal_members(frame, reveal)
    for role, part in frame.groupby("role", sort=True):
        name = ROLES.get(str(role), (role, role))
        lines.append(f"  {name[0]} / {name[1]} ({len(part)}):")
        for kind, member in zip(part["member_kind"], part["member_id"], strict=True):
            lines.append(f"    {kind:<11} {member}")
    lines += [
        "",
        t("证据结算: {n} 笔", "Evidence claims: {n}", n=len(case.claim_ids)),
        t("状态记录:", "History:"),
    ]
    for event in case.notes:
        change = (
            f"{event['from_status']} → {event['to_status']}" if event["kind"] == "status" else ""
        )
        note = event.get("note") or ""
        when = f"{event['event_time']:%Y-%m-%d %H:%M:%S}"
        lines.append(f"  {when}  {event['kind']:<9} {change} {note}")
    return "\n".join(lines)


@cases_group.command("show")
@click.argument("case_id")
@reveal_option
@workspace_option
@friendly_errors
def show(case_id: str, reveal: bool, workspace: str | None) -> None:
    """One case: members by role, amounts, explanation in Chinese and English, evidence
    count and status history.
    显示案件详情：按角色的成员、金额、中英文说明、证据数量和状态记录。

    \b
    Example / 示例:
      graphscan cases show GS-1a2b3c4d
    """
    click.echo(_show(CaseBook(open_workspace(workspace)).get(case_id), reveal))


@cases_group.command("status")
@click.argument("case_id")
@click.argument("status", type=click.Choice(CASE_STATUSES))
@click.option("--note", default=None, help="A note kept with the change / 备注.")
@workspace_option
@friendly_errors
def set_status(case_id: str, status: str, note: str | None, workspace: str | None) -> None:
    """Move a case along new → reviewing → confirmed / dismissed → referred, with a note.
    变更案件状态（新建 → 审查中 → 确认/排除 → 移送），可附备注。

    \b
    Example / 示例:
      graphscan cases status GS-1a2b3c4d reviewing --note "已调取药店监控"
      graphscan cases status GS-1a2b3c4d confirmed
    """
    case = CaseBook(open_workspace(workspace)).set_status(case_id, status, note)
    click.echo(t("{id} 状态: {s}", "{id} status: {s}", id=case.case_id, s=case.status))


COMMANDS = [scan, cases_group]
