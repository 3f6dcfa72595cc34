"""`graphscan generate` (the synthetic city) and `graphscan evaluate` (quality scorer)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import pandas as pd

from graphscan.cli.common import friendly_errors, open_workspace, workspace_option
from graphscan.examples.city.scenario import ABLATIONS
from graphscan.i18n import t


@click.command()
@click.option(
    "--persons",
    type=click.IntRange(min=1000),
    default=20_000,
    show_default=True,
    help="Insured people in the city / 参保人数.",
)
@click.option(
    "--seed",
    type=int,
    default=1,
    show_default=True,
    help="Random seed: same seed, same bytes / 随机种子（相同种子输出完全相同）.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default="city",
    show_default=True,
    help="Output folder / 输出目录.",
)
@click.option(
    "--difficulty",
    type=click.Choice(["easy", "hard"]),
    default="easy",
    show_default=True,
    help="hard: smaller, rarer rings at hub providers / 困难：团伙更小更少、藏在大机构.",
)
@click.option(
    "--scenario-seed",
    type=int,
    default=None,
    help="Draw every structural choice (ring sizes and recipes, placement, which "
    "optional columns and tables exist, traffic) from this seed and write it to "
    "OUT/scenario.json; without it the fixed reference city is built / "
    "随机抽取城市结构（团伙规模与手法、可选字段与表、客流）并写入 scenario.json.",
)
@click.option(
    "--drop",
    "drops",
    multiple=True,
    type=click.Choice(ABLATIONS),
    help="Leave out this optional column or table (repeatable; for ablations) / "
    "省略该可选字段或表（可重复）.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet"]),
    default="csv",
    show_default=True,
    help="Table format / 表格格式.",
)
@click.option(
    "--real-extract",
    is_flag=True,
    help="Also write a real-looking extract (Chinese headers, GBK, Excel, mixed "
    "dates, broken rows, reversals) in OUT/extract / 同时生成仿真实导出文件.",
)
@friendly_errors
def generate(
    persons: int,
    seed: int,
    out: str,
    difficulty: str,
    scenario_seed: int | None,
    drops: tuple[str, ...],
    fmt: str,
    real_extract: bool,
) -> None:
    """Generate one year of a synthetic city with planted fraud rings and hard negatives.
    生成含已知欺诈团伙和疑似但合法群体的一年模拟城市医保数据。

    Writes claims, claim_items, persons, providers and doctors in the canonical format,
    plus the ground truth rings.csv, fraud_claims.csv and hard_negatives.csv.

    \b
    Example / 示例:
      graphscan generate --persons 20000 --seed 1 --difficulty hard --out city
      graphscan generate --persons 5000 --format parquet --real-extract --out city-small
      graphscan generate --persons 10000 --scenario-seed 7 --difficulty hard --out city-7
    """
    from graphscan.examples.city import generate_city
    from graphscan.examples.city.scenario import Scenario

    scenario = None
    if scenario_seed is not None or drops:
        scenario = (
            Scenario.draw(scenario_seed, difficulty)
            if scenario_seed is not None
            else Scenario.reference(difficulty)
        )
        for what in drops:
            scenario = scenario.ablate(what)
    target = Path(out)
    with click.progressbar(length=persons, label=t("生成中", "Generating"), file=sys.stderr) as bar:
        summary = generate_city(
            target, persons, seed, difficulty, fmt, progress=bar.update, scenario=scenario
        )
    if real_extract:
        from graphscan.examples.city.extract import write_extract

        click.echo(t("正在写入仿真实导出文件…", "Writing the real-looking extract…"), err=True)
        write_extract(target, fmt, target / "extract", seed)
        click.echo(t("仿真实导出: {d}", "Real-looking extract: {d}", d=target / "extract"))
    click.echo(
        t(
            "已写入 {out}: {claims:,} 条结算, {items:,} 条明细, {rings} 个团伙 "
            "({fraud:,} 条欺诈结算), {neg} 个疑似合法群体; 用时 {s:.1f} 秒, {rate:,.0f} 条/秒",
            "Wrote {out}: {claims:,} claims, {items:,} claim items, {rings} rings "
            "({fraud:,} fraud claims), {neg} hard-negative groups in {s:.1f} s, "
            "{rate:,.0f} claims/s",
            out=target,
            claims=summary.claims,
            items=summary.claim_items,
            rings=summary.rings,
            fraud=summary.fraud_claims,
            neg=summary.hard_negative_groups,
            s=summary.seconds,
            rate=summary.claims_per_second,
        )
    )


@click.command()
@click.option(
    "--truth",
    required=True,
    type=click.Path(file_okay=False, exists=True),
    help="Folder written by `graphscan generate` / 生成的模拟城市目录.",
)
@click.option(
    "--cases",
    "cases_file",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Ranked case members as CSV (the `cases list --members` format) instead of "
    "the workspace / 使用 CSV 格式的案件成员表.",
)
@click.option(
    "--clear-ids",
    is_flag=True,
    help="Cases carry clear person/card ids: do not pseudonymise the truth / "
    "案件中为明文身份标识时使用.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON / 输出 JSON.")
@workspace_option
@friendly_errors
def evaluate(
    truth: str, cases_file: str | None, clear_ids: bool, as_json: bool, workspace: str | None
) -> None:
    """Score ranked cases against the ground truth of a synthetic city.
    用模拟城市的真实答案评估排名案件的质量。

    Per pattern: ring recall (member Jaccard >= 0.5), member precision / recall / F1,
    precision@10 and @50, R-precision (hits among the top R cases, R = planted rings),
    and hard-negative groups reaching the top R and the top 50.

    \b
    Example / 示例:
      graphscan evaluate --truth city --workspace graphscan-workspace
      graphscan evaluate --truth city --cases members.csv --clear-ids
    """
    from graphscan.evaluate import score

    ws = None if cases_file is not None else open_workspace(workspace)
    if ws is None:
        members = pd.read_csv(cases_file, dtype={"case_id": str, "member_id": str})
    else:
        from graphscan.casebook import ranked_members

        members = ranked_members(ws)
    if clear_ids:
        pseudonymiser = None
    else:
        from graphscan.pseudonym import KeyMissing, Pseudonymiser, require_same_key

        try:
            pseudonymiser = Pseudonymiser.from_environment(create=False)
            if ws is not None:
                require_same_key(pseudonymiser, ws)
        except KeyMissing as exc:
            raise click.ClickException(
                t(
                    "没有找到假名化密钥 ({key})：请设置 GRAPHSCAN_KEY 或使用 --clear-ids",
                    "No pseudonymisation key ({key}): set GRAPHSCAN_KEY or pass --clear-ids",
                    key=exc,
                )
            ) from None
    report = score(members, truth, pseudonymiser)
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else report.table())


COMMANDS = [generate, evaluate]
