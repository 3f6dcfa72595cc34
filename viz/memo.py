"""The case memo: what a prosecutor reads first. One model of sections, written as
Markdown and as HTML, Chinese first with English, no wall-clock time (re-export gives the
same bytes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

import pandas as pd

from graphscan import __version__
from graphscan.rings import PATTERN_NAMES, ROLES, Case
from graphscan.viz.case_page import explanation
from graphscan.viz.context import (
    HISTORY_HEADER,
    CaseContext,
    history_rows,
    item_rows,
    organiser_text,
    organisers,
    payments,
    prescribing_institutions,
)
from graphscan.viz.evidence import provider_names
from graphscan.viz.graph import NODE_KINDS
from graphscan.viz.identifiers import IdentifierView, view_kind
from graphscan.viz.wording import method_lines, observed_expected, probability

MANIFEST = "MANIFEST.sha256"


@dataclass
class Section:
    zh: str
    en: str
    lines: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def _money(value: float) -> str:
    return f"¥{value:,.2f}"


#: Member kind -> the claim column that names it.
MEMBER_COLUMN = {
    "person": "person_id",
    "card": "card_id",
    "doctor": "doctor_id",
    "operator": "operator_id",
    "institution": "provider_id",
    "pharmacy": "provider_id",
}


def _role_order(role: str) -> int:
    return list(ROLES).index(role) if role in ROLES else len(ROLES)


def _members(case: Case, claims: pd.DataFrame, view: IdentifierView) -> list[list[str]]:
    names = provider_names(claims)
    rows = []
    for m in sorted(case.members, key=lambda m: (_role_order(m.role), m.kind, m.id)):
        column = MEMBER_COLUMN.get(m.kind)
        count = int((claims[column] == m.id).sum()) if column in claims.columns else 0
        role = " ".join(ROLES.get(m.role, (m.role, m.role)))
        kind = " ".join(NODE_KINDS[m.kind][:2]) if m.kind in NODE_KINDS else m.kind
        shown = view.show(view_kind(m.kind), m.id)
        if view_kind(m.kind) == "provider" and m.id in names:
            shown = f"{names[m.id]} ({shown})"
        rows.append([role, kind, shown, str(count)])
    return rows


def _statistics(case: Case) -> list[str]:
    return [
        "观测值 / 独立行为模型期望值 Observed / expected under independent behaviour: "
        + observed_expected(case.statistic, case.expected),
        f"p 值 p-value: {probability(case.p_value)}",
        "独立行为下出现如此结果的概率即 p 值；q 值为在全部候选中控制错误发现率后的值。"
        " The p-value is the chance of so extreme a result if everyone acted independently;"
        " the q-value controls the false discovery rate across all candidates.",
        f"q 值（错误发现率控制）q-value (false discovery rate): {probability(case.q_value)}",
        f"评分 Score: {case.score:.4g}",
    ]


def _who_else(
    case: Case, claims: pd.DataFrame, view: IdentifierView, context: CaseContext
) -> list[Section]:
    """Organisers (and why they are members), prescribing institutions, and the drugs."""
    out = []
    found = organisers(case, claims, context)
    if found:
        texts = [organiser_text(o, view.show("person", o.id)) for o in found]
        out.append(Section("组织者", "Organisers", [x for t in texts for x in (t.zh, t.en)]))
    institutions = prescribing_institutions(case, context)
    if institutions:
        out.append(
            Section(
                "开方医师所在机构",
                "Prescribing institutions",
                header=["医师 Doctor", "机构 Institution", "机构编码 Code"],
                rows=[[view.show("doctor", d), n, i] for d, i, n in institutions],
            )
        )
    if not context.items.empty:
        out.append(
            Section(
                "药品与项目",
                "Drugs and items",
                header=[
                    "编码 Code",
                    "名称 Name",
                    "类别 Kind",
                    "数量 Quantity",
                    "金额 Amount",
                    "单据 Claims",
                ],
                rows=item_rows(context.items),
            )
        )
    return out


def _history(case: Case) -> Section:
    rows = history_rows(case)
    return Section(
        "状态记录与备注",
        "Status history and notes",
        [] if rows else ["尚无人工记录 No entries by investigators yet."],
        header=HISTORY_HEADER if rows else [],
        rows=rows,
    )


def memo_sections(
    case: Case,
    claims: pd.DataFrame,
    view: IdentifierView,
    files: list[str],
    context: CaseContext | None = None,
) -> list[Section]:
    context = context or CaseContext()
    zh_pattern, en_pattern = PATTERN_NAMES.get(case.pattern, (case.pattern, case.pattern))
    days = (case.last_time - case.first_time).days + 1
    period = f"{case.first_time:%Y-%m-%d %H:%M} — {case.last_time:%Y-%m-%d %H:%M}"
    method = [view.scrub(line) for line in method_lines(case.method)]
    why = explanation(case, view)
    return [
        Section(
            "案件备忘录",
            f"Case memo {case.case_id}",
            [
                f"案件编号 Case ID: {case.case_id}",
                f"模式 Pattern: {zh_pattern} / {en_pattern}",
                f"排名 Rank: {case.rank}；状态 Status: {case.status}",
                f"单据 Claims: {len(case.claim_ids)}",
            ],
        ),
        Section(
            "为何异常",
            "Why abnormal",
            [why.zh, why.en],
        ),
        Section(
            "成员（按角色）",
            "Members by role",
            header=["角色 Role", "类型 Kind", "标识 Identifier", "单据 Claims"],
            rows=_members(case, claims, view),
        ),
        *_who_else(case, claims, view, context),
        Section(
            "金额",
            "Amounts",
            [
                f"总费用 Total: {_money(case.total_amount)}",
                *(
                    f"{label.zh} {label.en.capitalize()}: {_money(value)}"
                    for label, value in payments(case, claims)
                ),
            ],
        ),
        Section("期间", "Period", [f"{period}（{days} 天 days）"]),
        _history(case),
        Section("统计", "Statistics", _statistics(case)),
        Section("方法与参数", "Method and parameters", method),
        Section(
            "数据来源",
            "Data sources",
            header=[
                "来源文件 Source file",
                "文件 SHA-256 File SHA-256",
                "导入批次 Load",
                "单据 Claims",
                "行号 Rows",
            ],
            rows=_sources(claims),
        ),
        Section("身份标识", "Identifiers", _identifier_lines(view)),
        Section(
            "证据包",
            "This package",
            [
                f"graphscan {__version__}",
                *files,
                f"{MANIFEST}: 每个文件的 SHA-256 / SHA-256 of each file",
                "README.txt: 清单指纹（MANIFEST.sha256 的 SHA-256，导出时打印，应写入移送函）"
                " / the package fingerprint (SHA-256 of MANIFEST.sha256, printed at export, "
                "for the transfer letter)",
            ],
        ),
    ]


def _sources(claims: pd.DataFrame) -> list[list[str]]:
    if claims.empty:
        return []
    keys = ["source_file", "file_sha256", "load_id"]
    frame = claims.assign(**{k: claims[k].fillna("") if k in claims else "" for k in keys})
    grouped = frame.groupby(keys).agg(
        n=("claim_id", "size"), first=("source_row", "min"), last=("source_row", "max")
    )
    return [
        [str(f), str(sha), str(load), str(int(row.n)), _rows(row.first, row.last)]
        for (f, sha, load), row in grouped.sort_index().iterrows()
    ]


def _rows(first: object, last: object) -> str:
    if pd.isna(first):
        return ""
    return f"{int(first)}–{int(last)}"


def _identifier_lines(view: IdentifierView) -> list[str]:
    if view.revealed:
        return [
            "本证据包含明文身份标识：导出人使用假名化密钥（指纹 "
            f"{view.key_fingerprint}）还原了参保人和医保卡标识（--reveal）。",
            "This package shows clear identifiers: the exporter revealed persons and cards with "
            f"the pseudonymisation key (fingerprint {view.key_fingerprint}, --reveal).",
        ]
    return [
        "身份标识已遮蔽：参保人和医保卡为假名前缀，医师和操作员编码只保留首尾；与 CSV 一致。",
        "Identifiers are masked: persons and cards are pseudonym prefixes, doctor and operator "
        "codes keep only their ends; the CSV uses the same forms.",
    ]


def _md(text: str) -> str:
    """Text from the data as Markdown shows it and nothing more: HTML in a name is escaped
    (a Markdown viewer would run it; no tag can open without "<"), a line break or a table
    bar cannot break the table; ">" stays readable for who opens the file as plain text."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|")
    return " ".join(text.splitlines())


def memo_markdown(sections: list[Section]) -> str:
    out: list[str] = []
    for i, s in enumerate(sections):
        out.append(f"{'#' if i == 0 else '##'} {s.zh} / {s.en}\n")
        out += [f"- {_md(line)}" for line in s.lines if line]
        if s.header:
            out.append("| " + " | ".join(_md(h) for h in s.header) + " |")
            out.append("|" + "---|" * len(s.header))
            out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in s.rows]
        out.append("")
    return "\n".join(out)


def memo_html(title: str, sections: list[Section]) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title>",
        "<style>body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;max-width:960px;"
        "margin:24px auto;color:#1f2933;line-height:1.5}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccd;padding:3px 8px;text-align:left}h2{border-bottom:1px solid "
        "#ccd}</style></head><body>",
    ]
    for i, s in enumerate(sections):
        tag = "h1" if i == 0 else "h2"
        out.append(f"<{tag}>{escape(s.zh)} / {escape(s.en)}</{tag}>")
        if s.lines:
            out.append("<ul>" + "".join(f"<li>{escape(x)}</li>" for x in s.lines if x) + "</ul>")
        if s.header:
            out.append("<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in s.header) + "</tr>")
            out += [
                "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in s.rows
            ]
            out.append("</table>")
    out.append("</body></html>\n")
    return "\n".join(out)
