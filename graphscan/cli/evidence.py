"""`graphscan explore`, `graphscan verify` and `graphscan cases export`: what leaves the
bureau, and how the receiver checks it."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from graphscan.cli.common import (
    check_key,
    friendly_errors,
    key_holder,
    open_workspace,
    reveal_option,
    store_option,
    workspace_option,
)
from graphscan.i18n import t
from graphscan.store import open_store
from graphscan.viz.package import identifier_view, safe_name

DATE = click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"])


def _progress(length: int, label: str) -> click.progressbar:  # type: ignore[type-arg]
    return click.progressbar(length=length, label=label, file=sys.stderr)


@click.command()
@click.argument("entity")
@click.option(
    "--hops",
    default=2,
    show_default=True,
    type=click.IntRange(1, 6),
    help="Claim-steps to walk / 扩展步数.",
)
@click.option("--since", type=DATE, default=None, help="Only claims from this date / 起始日期.")
@click.option("--until", type=DATE, default=None, help="Only claims up to this date / 截止日期.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="HTML file to write / 输出 HTML 文件.",
)
@reveal_option
@workspace_option
@store_option
@friendly_errors
def explore(
    entity: str,
    hops: int,
    since: datetime | None,
    until: datetime | None,
    out: Path | None,
    reveal: bool,
    workspace: str | None,
    store: str | None,
) -> None:
    """Draw the neighbourhood of a person, card, doctor, institution, pharmacy or operator
    from a tip, with the entities that belong to cases marked.

    从线索出发，画出某参保人、医保卡、医师、机构、药店或操作员周边的关系图，
    并标出已有案件的成员。

    ENTITY is a pseudonym or a provider, doctor or operator code, whole or masked as an
    export shows it (29c8db8732…, D33…23); with the key, a clear person or card id is
    pseudonymised first.

    \b
    Example / 示例:
      graphscan explore P33070210036 --hops 2 --since 2025-01-01 --out tip.html
    """
    from graphscan.api import find_entity
    from graphscan.casebook import CaseBook
    from graphscan.viz.explore import entity_kind, explore_page, membership_keys
    from graphscan.viz.identifiers import IdentifierView
    from graphscan.viz.page import render_page

    ws = open_workspace(workspace, store)
    revealer = key_holder(ws) if reveal else None
    with _progress(3, t("探查邻域", "Exploring")) as bar:
        shop = open_store(store, ws)
        found, claims = find_entity(
            shop, ws, entity, hops, since, until, key=lambda: check_key(ws, shop)
        )
        if claims.empty:  # what was typed may be a clear id: told back masked
            typed = IdentifierView.masked({"doctor": [entity.strip()]}).show(
                "doctor", entity.strip()
            )
            raise click.ClickException(
                t("没有找到与 {e} 相关的单据。", "No claims found for {e}.", e=typed)
            )
        bar.update(1)
        memberships = membership_keys(CaseBook(ws).members())
        view = identifier_view(claims, [], revealer)
        bar.update(1)
        page = explore_page(claims, found, view, hops, since, until, memberships)
        html = render_page(page)
        bar.update(1)
    shown = view.show(entity_kind(claims, found), found)
    path = out or ws.exports_dir / f"explore-{safe_name(shown)}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    click.echo(t("已写出 {p}（{n} 张单据）", "Wrote {p} ({n} claims)", p=path, n=len(claims)))


@click.command()
@click.argument("package", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--fingerprint",
    default=None,
    help="The package fingerprint the sender announced (transfer letter) / "
    "发送方告知的清单指纹（移送函）.",
)
@friendly_errors
def verify(package: Path, fingerprint: str | None) -> None:
    """Check an evidence package (the zip, or the folder it unzips to) against its SHA-256
    manifest and name any file that was altered, removed or added; with --fingerprint,
    check the manifest itself against the value the sender announced. Exits non-zero
    when the check fails.

    按 SHA-256 清单校验证据包（zip 或解压后的目录），指出被修改、缺失或多出的文件；
    给出 --fingerprint 时，用发送方告知的指纹校验清单本身；校验失败时返回非零。

    \b
    Example / 示例:
      graphscan verify graphscan-demo/exports/CASE_ID/CASE_ID-evidence.zip --fingerprint 9f2c…
      graphscan verify graphscan-demo/exports/CASE_ID/
    """
    from graphscan.viz.verify import verify_package

    verdict = verify_package(package, fingerprint)
    for name in verdict.skipped:
        click.echo(t("跳过证据包自身的 zip：{f}", "Skipped the package's own zip: {f}", f=name))
    if verdict.ok:
        click.echo(
            t(
                "校验通过：{n} 个文件与清单一致。清单指纹 {f}",
                "Verified: {n} files match the manifest. Manifest fingerprint {f}",
                n=len(verdict.checked),
                f=verdict.fingerprint,
            )
        )
        if fingerprint is None:
            click.echo(
                t(
                    "请将此指纹与发送方告知的指纹（移送函）核对，或用 --fingerprint 给出。",
                    "Compare this fingerprint with the one the sender announced (transfer "
                    "letter), or give it with --fingerprint.",
                )
            )
        return
    for name in verdict.altered:
        click.echo(t("已被修改：{f}", "ALTERED: {f}", f=name), err=True)
    for name in verdict.missing:
        click.echo(t("缺失：{f}", "MISSING: {f}", f=name), err=True)
    for name in verdict.extra:
        click.echo(t("清单外文件：{f}", "NOT IN MANIFEST: {f}", f=name), err=True)
    if verdict.problem:
        click.echo(t("无法校验：{p}", "Cannot verify: {p}", p=verdict.problem), err=True)
    raise click.ClickException(t("证据包校验失败。", "The package failed verification."))


@click.command("export")
@click.argument("case_id")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the package / 输出目录.",
)
@reveal_option
@workspace_option
@store_option
@friendly_errors
def export_command(
    case_id: str, out: Path | None, reveal: bool, workspace: str | None, store: str | None
) -> None:
    """Write a case's evidence package: case page (HTML), evidence claims (CSV with source
    file and row), memo (Markdown and HTML) and SHA-256 manifest, zipped.

    导出案件证据包：案件关系图网页、证据单据 CSV（含来源文件和行号）、
    案件备忘录和 SHA-256 清单，并打包为 zip。

    \b
    Example / 示例 (CASE_ID: from `graphscan cases list`):
      graphscan cases export CASE_ID --out evidence/
      GRAPHSCAN_KEY_FILE=~/key graphscan cases export CASE_ID --reveal
    """
    from graphscan.api import case_context
    from graphscan.casebook import CaseBook
    from graphscan.serve.lease import require_case_book_here
    from graphscan.viz.package import export_case

    ws = open_workspace(workspace, store)
    db = open_store(store, ws)
    require_case_book_here(db, ws)  # a shared store's book kept elsewhere: this one is stale
    revealer = key_holder(ws) if reveal else None
    with _progress(2, t("导出证据包", "Exporting")) as bar:
        case = CaseBook(ws).get(case_id)
        claims = db.claims(case.claim_ids)
        context = case_context(db, case, claims)
        bar.update(1)
        package = export_case(
            case, claims, out or ws.exports_dir / safe_name(case.case_id), revealer, context
        )
        bar.update(1)
    click.echo(t("案件网页：{p}", "Case page: {p}", p=package.html))
    click.echo(t("证据包：{p}", "Package: {p}", p=package.zip_path))
    click.echo(
        t("清单指纹（SHA-256）：{f}", "Manifest fingerprint (SHA-256): {f}", f=package.fingerprint)
    )


COMMANDS = [explore, verify]
#: subcommands of `graphscan cases` that live with the evidence commands
CASES_COMMANDS = [export_command]
