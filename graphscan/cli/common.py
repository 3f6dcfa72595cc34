"""Options and helpers every command shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from graphscan.i18n import t
from graphscan.workspace import Workspace

if TYPE_CHECKING:
    from graphscan.pseudonym import Pseudonymiser

workspace_option = click.option(
    "--workspace",
    "-w",
    type=click.Path(file_okay=False),
    default=None,
    envvar="GRAPHSCAN_WORKSPACE",
    help="Workspace folder / 工作区目录 (default ./graphscan-workspace).",
)

store_option = click.option(
    "--store",
    default=None,
    envvar="GRAPHSCAN_STORE",
    help="'embedded' (default) or a Neo4j URI such as neo4j://127.0.0.1:7687 (user and "
    "password from NEO4J_USER / NEO4J_PASSWORD, or the local server of `graphscan neo4j "
    "start`) / 存储: 内置或 Neo4j 地址.",
)


reveal_option = click.option(
    "--reveal",
    is_flag=True,
    help="Show clear identifiers; needs the pseudonymisation key (GRAPHSCAN_KEY or key file) "
    "/ 显示明文身份标识，需要假名化密钥。",
)


def key_holder() -> Pseudonymiser:
    """The pseudonymiser of an authorised investigator; refuses, in one line, without a key
    (a key is never created just to reveal)."""
    from graphscan.pseudonym import KeyMissing, Pseudonymiser

    try:
        return Pseudonymiser.from_environment(create=False)
    except KeyMissing as exc:
        raise click.ClickException(
            t(
                "还原身份需要假名化密钥（GRAPHSCAN_KEY 或密钥文件 {path}），未找到。",
                "Re-identification needs the pseudonymisation key (GRAPHSCAN_KEY or the key "
                "file {path}); none was found.",
                path=exc,
            )
        ) from None


def open_workspace(path: str | None, writing: bool = False) -> Workspace:
    """``writing``: a load or a scan, which defers in one line to a workbench serving the
    workspace (see graphscan.serve.lease)."""
    ws = Workspace.open(path)
    if writing:
        from graphscan.serve.lease import refuse_if_served

        refuse_if_served(ws)
    return ws


def friendly_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn expected failures into one clear line instead of a stack trace."""
    import functools

    from graphscan.store.base import StoreError

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (StoreError, FileNotFoundError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper
