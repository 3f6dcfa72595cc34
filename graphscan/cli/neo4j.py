"""`graphscan neo4j start|stop|status|env`: the local Neo4j (GDS + APOC) for one workspace."""

from __future__ import annotations

import sys
import time

import click

from graphscan.cli.common import friendly_errors, workspace_option
from graphscan.i18n import t
from graphscan.neo4jserver.server import LocalServer
from graphscan.workspace import workspace_path


def _server(workspace: str | None) -> LocalServer:
    root = workspace_path(workspace)
    root.mkdir(parents=True, exist_ok=True)
    return LocalServer(root.resolve())


@click.group()
def neo4j() -> None:
    """A local Neo4j with Graph Data Science and APOC, assembled from Maven Central.
    本地 Neo4j（含 GDS 与 APOC），由 Maven Central 组装。

    \b
    Example / 示例:
      graphscan neo4j start
      eval "$(graphscan neo4j env)"
      graphscan load city/*.csv --store "$NEO4J_URI"
      graphscan neo4j stop
    """


@neo4j.command()
@workspace_option
@click.option("--heap", default="2g", show_default=True, help="JVM heap / Java 堆大小.")
@click.option("--pagecache", default="1g", show_default=True, help="Page cache / 页缓存大小.")
@click.option(
    "--wait", "wait_s", default=180, show_default=True, help="Seconds to wait for Bolt / 等待秒数."
)
@friendly_errors
def start(workspace: str | None, heap: str, pagecache: str, wait_s: int) -> None:
    """Assemble (first time only) and start the server on 127.0.0.1; waits until Bolt answers.
    组装（仅首次）并启动服务，只监听本机，等待 Bolt 可用。

    \b
    Example / 示例:
      graphscan neo4j start --workspace graphscan-workspace --heap 2g
    """
    server = _server(workspace)
    if server.pid() is not None:
        click.echo(t("已在运行: {uri}", "Already running: {uri}", uri=server.credentials().uri))
        return
    click.echo(t("正在组装并启动 Neo4j …", "Assembling and starting Neo4j …"), err=True)
    began = time.monotonic()
    with click.progressbar(length=wait_s, label="Neo4j", file=sys.stderr) as bar:
        creds = server.start(
            heap=heap, pagecache=pagecache, wait_s=wait_s, on_wait=lambda: bar.update(1)
        )
    click.echo(
        t(
            "Neo4j 已启动: {uri}（{s:.0f} 秒）。密码保存在 {f}",
            "Neo4j is up at {uri} ({s:.0f} s). Password kept in {f}",
            uri=creds.uri,
            s=time.monotonic() - began,
            f=server.credentials_file,
        )
    )


@neo4j.command()
@workspace_option
@friendly_errors
def stop(workspace: str | None) -> None:
    """Stop the local server cleanly.
    正常停止本地服务。

    \b
    Example / 示例:
      graphscan neo4j stop --workspace graphscan-workspace
    """
    if _server(workspace).stop():
        click.echo(t("Neo4j 已停止", "Neo4j stopped"))
    else:
        click.echo(t("Neo4j 未在运行", "Neo4j was not running"))


@neo4j.command()
@workspace_option
@friendly_errors
def status(workspace: str | None) -> None:
    """Say whether the local server runs, and where. Exit code 1 when it does not.
    显示本地服务是否在运行；未运行时退出码为 1。

    \b
    Example / 示例:
      graphscan neo4j status
    """
    server = _server(workspace)
    pid = server.pid()
    if pid is None:
        click.echo(t("Neo4j 未在运行（{root}）", "Neo4j is not running ({root})", root=server.root))
        sys.exit(1)
    uri = server.credentials().uri
    click.echo(
        t(
            "Neo4j 运行中: {uri}（pid {pid}）",
            "Neo4j is running at {uri} (pid {pid})",
            uri=uri,
            pid=pid,
        )
    )


@neo4j.command()
@workspace_option
@friendly_errors
def env(workspace: str | None) -> None:
    """Print NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD as shell exports (contains the password).
    以 shell export 形式输出连接变量（含密码）。

    \b
    Example / 示例:
      eval "$(graphscan neo4j env)"
    """
    click.echo(_server(workspace).credentials().exports())


COMMANDS = [neo4j]
