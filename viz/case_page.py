"""A case as a page model: who (members by kind and role), what (pattern and claims), when
(period and time line), how much (amounts) and why (observed vs expected, p and q)."""

from __future__ import annotations

import pandas as pd

from graphscan.rings import PATTERN_NAMES, Case
from graphscan.viz.context import (
    CaseContext,
    drug_summary,
    history_rows,
    organiser_text,
    organisers,
    payments,
    prescribing_institutions,
)
from graphscan.viz.evidence import table_rows
from graphscan.viz.graph import NODE_KINDS, build_graph
from graphscan.viz.identifiers import IdentifierView
from graphscan.viz.page import Page, Text
from graphscan.viz.timeline import timeline_svg
from graphscan.viz.wording import explain_numbers, method_name, observed_expected, probability

#: Rows of the page's table; every claim is always in the CSV.
MAX_TABLE_ROWS = 2000


def money(value: float) -> str:
    return f"¥{value:,.2f}"


def identifier_notice(view: IdentifierView) -> Text:
    if view.revealed:
        return Text(
            "本页显示经密钥还原的明文身份标识，仅限办案使用。",
            "Clear identifiers revealed with the pseudonymisation key: for the investigation only.",
        )
    return Text(
        "身份标识已遮蔽（假名前缀 / 编码首尾），与证据 CSV 一致。",
        "Identifiers are masked (pseudonym prefixes, code ends), as in the evidence CSV.",
    )


def table_note(rows: int) -> Text | None:
    if rows <= MAX_TABLE_ROWS:
        return None
    return Text(
        f"表中显示前 {MAX_TABLE_ROWS} 张单据，共 {rows} 张，全部见 evidence_claims.csv。",
        f"The first {MAX_TABLE_ROWS} of {rows} claims are shown; all are in evidence_claims.csv.",
    )


def explanation(case: Case, view: IdentifierView) -> Text:
    """The detector's sentences with the export's identifiers and big or tiny numbers in
    words, as the page and the memo both show them."""
    return Text(
        explain_numbers(view.scrub(case.explanation_zh), "zh"),
        explain_numbers(view.scrub(case.explanation_en), "en"),
    )


def contacts(
    case: Case, claims: pd.DataFrame, context: CaseContext
) -> list[tuple[tuple[str, str], tuple[str, str], str]]:
    """The links the graph draws besides claims: organiser - recruit by a shared phone,
    doctor - the institution they practise at."""
    links = [
        (("person", o.id), ("person", r), "shares_phone")
        for o in organisers(case, claims, context)
        for r in o.recruits
    ]
    links += [
        (("doctor", d), ("institution", i), "practises_at")
        for d, i, _ in prescribing_institutions(case, context)
    ]
    return links


def case_summary(case: Case, claims: pd.DataFrame, context: CaseContext) -> list[tuple[Text, str]]:
    """The page's summary lines, which the workbench shows beside its own graph: apart
    from the page, so it need not draw the page's graph and time line for them."""
    zh_pattern, en_pattern = PATTERN_NAMES.get(case.pattern, (case.pattern, case.pattern))
    institutions = prescribing_institutions(case, context)
    by_kind: dict[str, int] = {}
    for m in case.members:
        by_kind[m.kind] = by_kind.get(m.kind, 0) + 1
    members = " · ".join(f"{NODE_KINDS[k][0]} {by_kind[k]}" for k in NODE_KINDS if k in by_kind)
    days = (case.last_time - case.first_time).days + 1
    summary: list[tuple[Text, str]] = [
        (Text("案件编号", "case"), case.case_id),
        (Text("模式", "pattern"), f"{zh_pattern} {en_pattern}"),
        (Text("排名 / 状态", "rank / status"), f"{case.rank} / {case.status}"),
        (Text("成员", "members"), members),
        (Text("单据", "claims"), str(len(claims))),
        (Text("总费用", "total"), money(case.total_amount)),
        *((label, money(value)) for label, value in payments(case, claims)),
        (
            Text("期间", "period"),
            f"{case.first_time:%Y-%m-%d} — {case.last_time:%Y-%m-%d} ({days} 天 days)",
        ),
        (
            Text("观测 / 期望", "observed / expected"),
            observed_expected(case.statistic, case.expected),
        ),
        (Text("p 值", "p-value"), probability(case.p_value)),
        (Text("q 值", "q-value (FDR)"), probability(case.q_value)),
        (Text("方法", "method"), method_name(case.method)),
    ]
    if institutions:
        summary.append(
            (
                Text("开方医师所在机构", "prescribing institution"),
                "；".join(sorted({f"{n} ({i})" if n else i for _, i, n in institutions})),
            )
        )
    if not context.items.empty:
        summary.append((Text("药品/项目", "drugs and items"), drug_summary(context.items)))
    return summary


def case_page(
    case: Case,
    claims: pd.DataFrame,
    frame: pd.DataFrame,
    view: IdentifierView,
    context: CaseContext | None = None,
) -> Page:
    context = context or CaseContext()
    zh_pattern, en_pattern = PATTERN_NAMES.get(case.pattern, (case.pattern, case.pattern))
    roles = {(m.kind, m.id): m.role for m in case.members}
    institutions = prescribing_institutions(case, context)
    graph = build_graph(
        claims,
        view,
        roles=roles,
        contacts=contacts(case, claims, context),
        provider_labels={i: n for _, i, n in institutions if n},
    )
    columns, rows = table_rows(frame)
    summary = case_summary(case, claims, context)
    notices = [identifier_notice(view)]
    notices += [
        organiser_text(o, view.show("person", o.id)) for o in organisers(case, claims, context)
    ]
    return Page(
        title=Text(
            f"案件 {case.case_id}：{zh_pattern}",
            f"Case {case.case_id}: {en_pattern}",
        ),
        summary=summary,
        graph=graph,
        notices=notices,
        explanation=explanation(case, view),
        timeline_svg=timeline_svg(claims, view),
        columns=columns,
        rows=rows[:MAX_TABLE_ROWS],
        table_note=table_note(len(rows)),
        history=history_rows(case),
    )
