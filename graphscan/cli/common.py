"""Options and helpers every command shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from graphscan.errors import GraphscanError
from graphscan.i18n import t
from graphscan.workspace import Workspace

if TYPE_CHECKING:
    from graphscan.pseudonym import Pseudonymiser
    from graphscan.store.base import Store

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


new_key_option = click.option(
    "--new-key",
    is_flag=True,
    help="Accept a key other than the workspace's (a new key file is made when there is "
    "none); people already loaded get other pseudonyms / 换用新密钥（已导入人员的假名会改变）.",
)


def _warn_exposed(keys: Pseudonymiser | None) -> Pseudonymiser | None:
    if keys is not None and keys.key_exposed():
        click.echo(
            t(
                "警告：密钥文件 {k} 可被其他用户读取，请执行 chmod 600 {k}",
                "warning: the key file {k} is readable by other users: chmod 600 {k}",
                k=keys.key_file,
            ),
            err=True,
        )
    return keys


def load_key(workspace: Workspace, store: Store, new_key: bool = False) -> Pseudonymiser:
    """The key a load pseudonymises with, bound to the workspace (see workspace_key)."""
    from graphscan.pseudonym import workspace_key

    keys = workspace_key(workspace, store, loading=True, new_key=new_key)
    assert keys is not None
    _warn_exposed(keys)
    return keys


def check_key(workspace: Workspace, store: Store | None = None) -> Pseudonymiser | None:
    """The key at hand, if any, once it is known to be the workspace's own."""
    from graphscan.pseudonym import workspace_key

    return _warn_exposed(workspace_key(workspace, store))


def key_holder(workspace: Workspace | None = None) -> Pseudonymiser:
    """The pseudonymiser of an authorised investigator; refuses, in one line, without a key
    (a key is never created just to reveal) or with another key than the workspace's."""
    from graphscan.pseudonym import KeyMissing, Pseudonymiser, require_same_key

    try:
        keys = Pseudonymiser.from_environment(create=False)
        if workspace is not None:
            require_same_key(keys, workspace)
        _warn_exposed(keys)
        return keys
    except KeyMissing as exc:
        raise click.ClickException(
            t(
                "还原身份需要假名化密钥（GRAPHSCAN_KEY 或密钥文件 {path}），未找到。",
                "Re-identification needs the pseudonymisation key (GRAPHSCAN_KEY or the key "
                "file {path}); none was found.",
                path=exc,
            )
        ) from None


def _holder() -> str:
    context = click.get_current_context(silent=True)
    return context.command_path if context is not None else "graphscan"


def _writer(ws: Workspace) -> Workspace:
    """A load, scan or demo defers in one line to a workbench serving the workspace
    (see graphscan.serve.lease)."""
    from graphscan.serve.lease import refuse_if_served

    refuse_if_served(ws)
    return ws


def open_workspace(path: str | None, store: str | None = None, writing: bool = False) -> Workspace:
    """An existing workspace; a missing one is one clear line (only load and demo create).
    With a Neo4j ``store`` the data lives on the server and the workspace only keeps the
    local case book and exports, so it is made when missing. ``writing``: a scan."""
    server = store not in (None, "", "embedded")
    ws = Workspace.open(path, create=server, holder=_holder())
    return _writer(ws) if writing else ws


def create_workspace(path: str | None, demo: bool = False) -> Workspace:
    """The workspace of load and demo, made (private) when it does not exist yet."""
    return _writer(Workspace.open(path, create=True, demo=demo, holder=_holder()))


def friendly_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn graphscan's own errors (a bad file, a wrong option, an unreachable store) into
    one clear line. Anything else is a bug and keeps its traceback."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except GraphscanError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


class ProgressBars:
    """A :data:`graphscan.progress.Progress` that draws one click bar per label on
    standard error (the loaders and stores only report; drawing is the CLI's job)."""

    def __init__(self) -> None:
        self._bars: dict[str, Any] = {}

    def __call__(self, label: str, done: int, total: int) -> None:
        import sys

        bar = self._bars.get(label)
        if bar is None:
            bar = self._bars[label] = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)
            del self._bars[label]
