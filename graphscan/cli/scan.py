"""`graphscan scan` and `graphscan cases list|show|status`."""

from __future__ import annotations

import io
import json
import shlex
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
import pandas as pd

from graphscan.casebook import CaseBook
from graphscan.cli.common import (
    check_key,
    friendly_errors,
    key_holder,
    open_workspace,
    reveal_option,
    store_option,
    workspace_option,
)
from graphscan.detect import ALPHA
from graphscan.i18n import display_width, lang, name_of, pad, t
from graphscan.rings import (
    CASE_STATUSES,
    MEMBER_KIND_NAMES,
    PATTERN_NAMES,
    PATTERNS,
    ROLES,
    STATUS_NAMES,
    Case,
    chosen_patterns,
)
from graphscan.safe_csv import write_frame
from graphscan.workspace import Workspace

if TYPE_CHECKING:
    from graphscan.detect import ScanReport
    from graphscan.store.base import Store

PERSONAL_KINDS = ("person", "card")

#: what happened to a case, as its history says it
EVENT_NAMES = {
    "created": ("发现", "created"),
    "rescanned": ("重新检测", "rescanned"),
    "status": ("状态变更", "status"),
    "note": ("备注", "note"),
    "opened": ("立案", "opened"),
    "added": ("添加成员", "added"),
    "merged": ("合并", "merged"),
    "split": ("拆分", "split"),
}


def _explanation(zh: str, en: str, width: int | None = None) -> str:
    text = zh if lang() == "zh" else en
    return text if width is None or display_width(text) <= width else _clip(text, width)


def _clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` display columns, the last one an ellipsis."""
    out, used = "", 0
    for char in text:
        used += display_width(char)
        if used > width - 1:
            break
        out += char
    return out + "…"


#: (zh header, en header, display width, alignment) of the ranked case table
_COLUMNS = (
    ("排名", "rank", 4, ">"),
    ("案件编号", "case id", 11, "<"),
    ("模式", "pattern", 27, "<"),
    ("状态", "status", 10, "<"),
    ("成员", "memb", 4, ">"),
    ("金额(元)", "amount (yuan)", 13, ">"),
    ("p / q", "p / q", 20, "<"),
)


def _members_table(frame: pd.DataFrame) -> str:
    """One row per case member, names in the user's language, columns by display width."""
    names = {"pattern": PATTERN_NAMES, "role": ROLES, "member_kind": MEMBER_KIND_NAMES}
    heads = {
        "case_id": "案件编号",
        "rank": "排名",
        "score": "得分",
        "pattern": "模式",
        "role": "角色",
        "member_kind": "类别",
        "member_id": "标识",
    }
    columns = [
        [heads[c] if lang() == "zh" else c]
        + [
            name_of(names[c], v) if c in names else (f"{v:.2f}" if c == "score" else str(v))
            for v in frame[c]
        ]
        for c in frame.columns
    ]
    widths = [max(display_width(v) for v in column) for column in columns]
    return "\n".join(
        "  ".join(pad(column[i], w) for column, w in zip(columns, widths, strict=True)).rstrip()
        for i in range(len(frame) + 1)
    )


def _ranked_table(frame: pd.DataFrame) -> str:
    def line(cells: Iterable[str], last: str) -> str:
        padded = (pad(c, w, a) for c, (_, _, w, a) in zip(cells, _COLUMNS, strict=True))
        return "  ".join([*padded, last])

    zh = lang() == "zh"
    lines = [line((c[0] if zh else c[1] for c in _COLUMNS), "说明" if zh else "explanation")]
    for row in frame.itertuples():
        cells = (
            str(row.rank),
            row.case_id,
            name_of(PATTERN_NAMES, row.pattern),
            name_of(STATUS_NAMES, row.status),
            str(row.members),
            f"{row.total_amount:,.2f}",
            f"{row.p_value:.1e} / {row.q_value:.1e}",
        )
        lines.append(line(cells, _explanation(row.explanation_zh, row.explanation_en, 90)))
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
@click.option(
    "--profile",
    is_flag=True,
    help="Print time and peak memory per detector stage / 打印各阶段耗时和内存峰值.",
)
@click.option(
    "--memory",
    default=None,
    help="Memory budget, e.g. 8GB (default: 3/4 of the machine); the engine spills to disk "
    "past it / 内存预算（默认本机内存的 3/4），超出部分写入磁盘.",
)
@click.option(
    "--spill",
    default=None,
    help="Most disk the engine may spill to, e.g. 8GB (default: the engine's own, 90% of "
    "the free disk) / 引擎最多可写入磁盘的临时数据量.",
)
@workspace_option
@store_option
@friendly_errors
def scan(
    patterns: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    top: int,
    profile: bool,
    memory: str | None,
    spill: str | None,
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
    from graphscan import budget
    from graphscan.api import input_gaps, scan_store
    from graphscan.detect import ScanReport
    from graphscan.serve.lease import require_case_book_here
    from graphscan.store import open_store

    ws = open_workspace(workspace, store, writing=True)
    chosen = chosen_patterns(patterns)
    db = open_store(store, ws)
    require_case_book_here(db, ws)
    check_key(ws, db)
    if not db.status()["counts"]["claims"]:
        raise click.ClickException(
            t(
                "工作区 {p} 中没有结算数据：请先导入（graphscan load 文件… --workspace {p}）",
                "workspace {p} holds no claims: load data first "
                "(graphscan load FILES… --workspace {p})",
                p=ws.root,
            )
        )
    limit = budget.parse_size(memory) if memory else budget.machine_default()
    traffic = None
    if "card_lending" in chosen:  # its pair counting grows with the busiest counter
        from graphscan.detect.card_lending import CardLending

        traffic = db.projection(
            "counter_traffic", since=since, until=until, max_burst_cards=CardLending.max_burst_cards
        )
    engine = budget.check(budget.window_counts(db.status(), since, until), limit, traffic)
    db.limit_memory(engine, budget.parse_size(spill) if spill else None)
    for gap in input_gaps(db, chosen):
        click.echo(gap, err=True)
    report = ScanReport(profile=profile)
    try:
        with click.progressbar(
            length=len(chosen) + 1,
            label=t("检测", "Scanning"),
            file=sys.stderr,
            item_show_func=lambda stage: stage,
        ) as bar:
            cases = scan_store(
                db, ws, chosen, since, until, lambda stage: bar.update(1, stage), report
            )
            bar.update(1, t("保存案件", "cases"))
    finally:  # a scan that fails still shows what was measured before it did
        _print_report(report)
    book = CaseBook(ws)
    frame = book.list()
    frame = frame[frame["pattern"].isin(chosen)]
    click.echo(
        t(
            "发现 {n} 个团伙（FDR q ≤ {alpha}），按得分排序：",
            "{n} rings found (FDR q <= {alpha}), ranked by score:",
            n=len(cases),
            alpha=ALPHA,
        )
    )
    if not frame.empty:
        click.echo(_ranked_table(frame.head(top)))
        where = f" --workspace {shlex.quote(workspace)}" if workspace else ""
        click.echo(
            t(
                "查看详情: graphscan cases show {id}{w}",
                "Details: graphscan cases show {id}{w}",
                id=frame["case_id"].iloc[0],
                w=where,
            )
        )


def _print_report(report: ScanReport) -> None:
    """With --profile, each stage's time and peak memory (the signals each detector could
    not use were said before the scan, by ``input_gaps``)."""
    if report.stages:
        click.echo(t("阶段  耗时(秒)  内存峰值(GB)", "stage  seconds  peak memory (GB)"))
        for stage in report.stages:
            click.echo(
                f"  {stage.name:<36}{stage.seconds:>8.1f}  {stage.peak_bytes / 1024**3:>6.2f}"
            )


by_option = click.option(
    "--by",
    default=None,
    help="Who makes the entry (default: the login name) / 记录人（默认为登录用户名）.",
)


@click.group("cases")
def cases_group() -> None:
    """Read and work on the cases of a workspace.
    查看和处理工作区中的案件。

    CASE_ID below is an id from the case id column of `graphscan cases list`.
    下例中的 CASE_ID 为 `graphscan cases list` 中的案件编号。

    \b
    Example / 示例:
      graphscan cases list --workspace graphscan-demo
      graphscan cases show CASE_ID --workspace graphscan-demo
      graphscan cases status CASE_ID reviewing --note "已调取监控"
      graphscan cases merge CASE_ID OTHER_ID
    """


def _revealer(
    reveal: bool, workspace: Workspace
) -> Callable[[Iterable[str]], dict[str, str]] | None:
    """Pseudonym -> clear id lookup, only with the workspace's key; never guessed."""
    return key_holder(workspace).reveal if reveal else None


def _reveal_members(frame: pd.DataFrame, reveal: bool, workspace: Workspace) -> pd.DataFrame:
    revealer = _revealer(reveal, workspace)
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
@click.option(
    "--pattern", type=click.Choice(PATTERNS), default=None, help="Only this pattern / 只看此模式."
)
@click.option(
    "--status",
    type=click.Choice(CASE_STATUSES),
    default=None,
    help="Only this status / 只看此状态.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write to this file / 写入此文件.",
)
@workspace_option
@store_option
@friendly_errors
def list_cases(
    fmt: str,
    members: bool,
    reveal: bool,
    pattern: str | None,
    status: str | None,
    out: str | None,
    workspace: str | None,
    store: str | None,
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
    book, _, ws = _case_book(workspace, store)
    if members:
        frame = _reveal_members(book.members(pattern, status), reveal, ws)
    else:
        frame = book.list(pattern=pattern, status=status)
        if reveal:
            _revealer(reveal, ws)  # refuse without a key, as for members
    if fmt == "table":
        if frame.empty:
            text = t("没有案件", "No cases")
        else:
            text = _members_table(frame) if members else _ranked_table(frame)
    elif fmt == "csv":
        text = cases_csv(frame)
    else:
        text = json.dumps(
            json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False)),
            ensure_ascii=False,
            indent=2,
        )
    if out:
        # with a BOM, Excel on Chinese Windows reads a CSV as UTF-8 instead of GBK
        encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
        Path(out).write_text(text if text.endswith("\n") else text + "\n", encoding=encoding)
        click.echo(t("已写入 {f}", "Written to {f}", f=out), err=True)
    else:
        click.echo(text.rstrip("\r\n"))


def cases_csv(frame: pd.DataFrame) -> str:
    """The cases (or members) as CSV text, spreadsheet-safe: the one place it is made."""
    buffer = io.StringIO()
    write_frame(buffer, frame)
    return buffer.getvalue()


def _show(case: Case, reveal: bool, workspace: Workspace) -> str:
    zh, en = PATTERN_NAMES[case.pattern]
    lines = [
        f"{case.case_id}  {zh} / {en}  "
        + t(
            "排名 {r}  状态 {s}",
            "rank {r}  status {s}",
            r=case.rank or "-",
            s=name_of(STATUS_NAMES, case.status),
        ),
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
        *([t("已并入 {m}", "merged into {m}", m=case.merged_into)] if case.merged_into else []),
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
    frame = _reveal_members(frame, reveal, workspace)
    for role, part in frame.groupby("role", sort=True):
        name = ROLES.get(str(role), (role, role))
        lines.append(f"  {name[0]} / {name[1]} ({len(part)}):")
        for kind, member in zip(part["member_kind"], part["member_id"], strict=True):
            lines.append(f"    {pad(name_of(MEMBER_KIND_NAMES, kind), 11)} {member}")
    lines += [
        "",
        t("证据结算: {n} 笔", "Evidence claims: {n}", n=len(case.claim_ids)),
        t("状态记录:", "History:"),
    ]
    for event in case.notes:
        change = (
            f"{name_of(STATUS_NAMES, event['from_status'])} → "
            f"{name_of(STATUS_NAMES, event['to_status'])}"
            if event["kind"] == "status"
            else ""
        )
        note = event.get("note") or ""
        when = f"{event['event_time']:%Y-%m-%d %H:%M:%S}"
        by = event.get("author") or ""
        kind = pad(name_of(EVENT_NAMES, event["kind"]), 9)
        lines.append(f"  {when}  {kind} {pad(by, 10)} {change} {note}".rstrip())
    return "\n".join(lines)


@cases_group.command("show")
@click.argument("case_id")
@reveal_option
@workspace_option
@store_option
@friendly_errors
def show(case_id: str, reveal: bool, workspace: str | None, store: str | None) -> None:
    """One case: members by role, amounts, explanation in Chinese and English, evidence
    count and status history. CASE_ID may also be a member id, whole or masked as an
    export shows it (D33…23): the cases of that member are shown.
    显示案件详情：按角色的成员、金额、中英文说明、证据数量和状态记录。

    \b
    Example / 示例 (CASE_ID: from `graphscan cases list`):
      graphscan cases show CASE_ID --workspace graphscan-demo
    """
    book, _, ws = _case_book(workspace, store)
    click.echo("\n\n".join(_show(book.get(found), reveal, ws) for found in book.find(case_id)))


@cases_group.command("status")
@click.argument("case_id")
@click.argument("status", type=click.Choice(CASE_STATUSES))
@click.option("--note", default=None, help="A note kept with the change / 备注.")
@by_option
@workspace_option
@store_option
@friendly_errors
def set_status(
    case_id: str, status: str, note: str | None, by: str | None, workspace: str | None,
    store: str | None,
) -> None:  # fmt: skip
    """Move a case along new → reviewing → confirmed / dismissed → referred, with a note.
    变更案件状态（新建 → 审查中 → 确认/排除 → 移送），可附备注。

    \b
    Example / 示例 (CASE_ID: from `graphscan cases list`):
      graphscan cases status CASE_ID reviewing --note "已调取药店监控"
      graphscan cases status CASE_ID confirmed --by 王警官
    """
    case = _case_book(workspace, store)[0].set_status(case_id, status, note, by)
    click.echo(
        t(
            "{id} 状态: {s}",
            "{id} status: {s}",
            id=case.case_id,
            s=name_of(STATUS_NAMES, case.status),
        )
    )


def _case_book(workspace: str | None, store: str | None) -> tuple[CaseBook, Store, Workspace]:
    """The case book, the store whose claims a change reads, and the workspace. A shared
    Neo4j store whose book a workbench keeps is named in one line (its URL), for reading
    as for changing: this workspace's own book would be stale."""
    from graphscan.serve.lease import require_case_book_here
    from graphscan.store import open_store

    ws = open_workspace(workspace, store)
    shop = open_store(store, ws)
    require_case_book_here(shop, ws)
    return CaseBook(ws), shop, ws


def _stored_ids(store: Store, ws: Workspace, entities: Iterable[str]) -> list[str]:
    """What the investigator typed, as the ids the store holds (masked and clear forms
    accepted, as for `graphscan explore`)."""
    from graphscan.api import find_entity

    return [find_entity(store, ws, e, key=lambda: check_key(ws, store))[0] for e in entities]


def _edited(case: Case, what: str) -> None:
    click.echo(
        t(
            "{id}：{w}，{m} 个成员，{c} 张单据",
            "{id}: {w}, {m} members, {c} claims",
            id=case.case_id,
            w=what,
            m=len(case.members),
            c=len(case.claim_ids),
        )
    )


@cases_group.command("add")
@click.argument("case_id")
@click.argument("entities", nargs=-1, required=True)
@by_option
@workspace_option
@store_option
@friendly_errors
def add_members(
    case_id: str, entities: tuple[str, ...], by: str | None, workspace: str | None,
    store: str | None,
) -> None:  # fmt: skip
    """Add entities to a case, with the claims that join them to its members; a rescan
    keeps them.
    向案件添加实体（及其与成员相连的单据）；重新扫描不会撤销。

    \b
    Example / 示例:
      graphscan cases add CASE_ID P33070210036 29c8db8732…
    """
    book, shop, ws = _case_book(workspace, store)
    _edited(book.add_members(case_id, _stored_ids(shop, ws, entities), shop, by),
            t("已添加", "added"))  # fmt: skip


@cases_group.command("open")
@click.argument("entities", nargs=-1, required=True)
@by_option
@workspace_option
@store_option
@friendly_errors
def open_case(
    entities: tuple[str, ...], by: str | None, workspace: str | None, store: str | None
) -> None:
    """Open a case of chosen entities, with the claims that join two of them.
    以选定实体立案（含连接其中两者的单据）。

    \b
    Example / 示例:
      graphscan cases open P33070210036 D33…23
    """
    book, shop, ws = _case_book(workspace, store)
    _edited(book.open_case(_stored_ids(shop, ws, entities), shop, by), t("已立案", "opened"))


@cases_group.command("merge")
@click.argument("case_id")
@click.argument("other_id")
@by_option
@workspace_option
@store_option
@friendly_errors
def merge_cases(
    case_id: str, other_id: str, by: str | None, workspace: str | None, store: str | None
) -> None:
    """Merge OTHER_ID into CASE_ID: CASE_ID keeps its status and gains the other's members
    and claims; OTHER_ID stays in the book, pointing at CASE_ID; a rescan keeps it so.
    将 OTHER_ID 并入 CASE_ID；重新扫描不会撤销。

    \b
    Example / 示例:
      graphscan cases merge CASE_ID OTHER_ID
    """
    book, shop, _ = _case_book(workspace, store)
    _edited(book.merge(case_id, other_id, shop, by), t("已并入 {o}", "merged {o} into it",
                                                       o=other_id))  # fmt: skip


@cases_group.command("split")
@click.argument("case_id")
@click.argument("members", nargs=-1, required=True)
@by_option
@workspace_option
@store_option
@friendly_errors
def split_case(
    case_id: str, members: tuple[str, ...], by: str | None, workspace: str | None,
    store: str | None,
) -> None:  # fmt: skip
    """Move MEMBERS of a case into a new case with the claims that name them; a rescan
    keeps the split.
    将部分成员拆分为新案件；重新扫描不会撤销。

    \b
    Example / 示例:
      graphscan cases split CASE_ID MEMBER_ID MEMBER_ID
    """
    book, shop, ws = _case_book(workspace, store)
    _edited(book.split(case_id, _stored_ids(shop, ws, members), shop, by),
            t("拆分自 {c}", "split off {c}", c=case_id))  # fmt: skip


COMMANDS = [scan, cases_group]
