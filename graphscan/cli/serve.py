"""`graphscan serve`, `graphscan users` and `graphscan audit`: the investigator workbench,
its accounts and its audit trail."""

from __future__ import annotations

import sys

import click

from graphscan.cli.common import friendly_errors, open_workspace, store_option, workspace_option
from graphscan.i18n import t


@click.command()
@workspace_option
@store_option
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on / 监听地址."
)
@click.option(
    "--port",
    default=8750,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on / 监听端口.",
)
@click.option(
    "--move-book",
    is_flag=True,
    help="With a shared --store: keep its case book in this workspace from now on, when "
    "another workspace kept it (the deployment moved) / 将共享库的案件库迁到本工作区.",
)
@friendly_errors
def serve(workspace: str | None, store: str | None, host: str, port: int, move_book: bool) -> None:
    """Run the investigator workbench: case queue, case graphs, exploration, workflow and
    evidence export in the browser, for the users of `graphscan users`.

    运行调查工作台：在浏览器中处理案件队列、案件关系图、线索探查、流转和证据导出。

    Listens on 127.0.0.1 unless told otherwise; put it behind the bureau's reverse proxy
    (HTTPS) to serve a network (see docs/workbench.md).

    \b
    Example / 示例:
      graphscan users add wang --role investigator
      graphscan serve --workspace graphscan-demo
    """
    import uvicorn

    from graphscan.serve.accounts import Accounts
    from graphscan.serve.app import create_app
    from graphscan.serve.lease import claim_case_book, release, take
    from graphscan.store import open_store

    ws = open_workspace(workspace, store)
    if not Accounts(ws.db()).list():
        click.echo(
            t(
                "提示：尚无用户，请先运行 graphscan users add NAME --role supervisor",
                "Note: no users yet; add one with graphscan users add NAME --role supervisor",
            ),
            err=True,
        )
    ws.close()
    config = uvicorn.Config(
        create_app(ws.root, store),
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
    )
    server = uvicorn.Server(config)
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{port}/"
    lease = take(ws, url)
    try:
        if store not in (None, "", "embedded"):
            shared = open_store(store, ws)
            try:
                claim_case_book(shared, ws, url, move_book)
            finally:
                shared.close()
        click.echo(t("工作台：{u}（Ctrl-C 停止）", "Workbench: {u} (Ctrl-C to stop)", u=url))
        server.run()
    finally:
        release(lease)


@click.group()
def users() -> None:
    """Users of the workbench and their roles: viewer (reads masked cases), investigator
    (works cases, exports masked packages), supervisor (also reveals and assigns).

    工作台用户与角色：viewer 只读（遮蔽）、investigator 办案和导出、supervisor 还可还原身份和分派。
    """


def _accounts(workspace: str | None):
    from graphscan.serve.accounts import Accounts

    return Accounts(open_workspace(workspace).db())


@users.command("add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["investigator", "supervisor", "viewer"]),
    help="What the user may do / 用户角色: viewer 只读（脱敏）, investigator 办案, "
    "supervisor 还可还原身份和分派案件.",
)
@workspace_option
@friendly_errors
def users_add(name: str, role: str, workspace: str | None) -> None:
    """Add a user; the password is read from standard input when it is not a terminal,
    else asked for twice.

    添加用户；密码从标准输入读取，或在终端中输入两次。

    \b
    Example / 示例:
      graphscan users add wang --role investigator
      printf '%s\\n' "$PASSWORD" | graphscan users add ci-bot --role viewer
    """
    if sys.stdin.isatty():
        password = click.prompt(t("密码", "Password"), hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    user = _accounts(workspace).add(name, role, password)
    click.echo(t("已添加用户 {n}（{r}）", "Added user {n} ({r})", n=user.name, r=user.role))


@users.command("token")
@click.argument("name")
@workspace_option
@friendly_errors
def users_token(name: str, workspace: str | None) -> None:
    """Print a new API token for scripts (`Authorization: Bearer TOKEN`) as the last line;
    it is shown once and only its hash is kept.

    生成脚本用的 API 令牌（最后一行输出，仅显示一次）。
    """
    token = _accounts(workspace).new_token(name)
    click.echo(t("{n} 的 API 令牌（仅显示一次）：", "API token for {n} (shown once):", n=name))
    click.echo(token)


@users.command("list")
@workspace_option
@friendly_errors
def users_list(workspace: str | None) -> None:
    """Users, roles, creation time and number of API tokens. / 列出用户。"""
    for name, role, created, tokens in _accounts(workspace).list():
        click.echo(f"{name}\t{role}\t{created:%Y-%m-%d %H:%M}\t{tokens}")


@users.command("remove")
@click.argument("name")
@workspace_option
@friendly_errors
def users_remove(name: str, workspace: str | None) -> None:
    """Remove a user with their API tokens; their sessions end at their next request.
    删除用户及其令牌。"""
    _accounts(workspace).remove(name)
    click.echo(t("已删除用户 {n}", "Removed user {n}", n=name))


@click.group()
def audit() -> None:
    """The workbench's append-only, hash-chained audit log. / 工作台审计日志（哈希链）。"""


@audit.command("verify")
@workspace_option
@friendly_errors
def audit_verify(workspace: str | None) -> None:
    """Check every entry's hash and link; exits non-zero and names the first broken entry
    when one was altered, removed or reordered.

    校验审计日志哈希链；发现篡改时指出第一条被破坏的记录并返回非零。
    """
    from graphscan.serve.audit import AuditLog

    verdict = AuditLog(open_workspace(workspace).db()).verify()
    if verdict.ok:
        click.echo(t("审计日志完好：{n} 条", "Audit log intact: {n} entries", n=verdict.entries))
        return
    raise click.ClickException(
        t(
            "审计日志在第 {s} 条处被改动。",
            "The audit log was altered at entry {s}.",
            s=verdict.broken_at,
        )
    )


@audit.command("show")
@click.option(
    "--limit",
    default=50,
    show_default=True,
    type=click.IntRange(1),
    help="Entries shown / 显示条数.",
)
@workspace_option
@friendly_errors
def audit_show(limit: int, workspace: str | None) -> None:
    """The latest entries: time, who, what, which case. / 最近的审计记录。"""
    from graphscan.serve.audit import AuditLog

    for e in AuditLog(open_workspace(workspace).db()).entries(limit):
        click.echo(f"{e['seq']}\t{e['at']:%Y-%m-%d %H:%M:%S}\t{e['actor']}\t{e['action']}\t"
                   f"{e['target']}\t{e['detail']}")  # fmt: skip


COMMANDS = [serve, users, audit]
