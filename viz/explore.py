"""A tip's neighbourhood as the same page as a case: every claim within a few claim-steps
of one person, card, doctor, provider or operator, with the entities that already belong
to cases marked, so an investigator sees at once whether a tip touches a known ring."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import pandas as pd

from graphscan.errors import InputError
from graphscan.schema import ENTITY_COLUMNS
from graphscan.viz.case_page import MAX_TABLE_ROWS, identifier_notice, money, table_note
from graphscan.viz.evidence import evidence_frame, table_rows
from graphscan.viz.graph import NODE_KINDS, build_graph
from graphscan.viz.identifiers import IdentifierView
from graphscan.viz.page import Page, Text
from graphscan.viz.timeline import timeline_svg

#: How each kind of entity is named on the page.
KIND_NAMES = {
    "person": "参保人 person",
    "card": "医保卡 card",
    "doctor": "医师 doctor",
    "provider": "机构/药店 provider",
    "operator": "操作员 operator",
}


def entity_kind(claims: pd.DataFrame, entity_id: str) -> str:
    """What the entity is, from the first claim column that names it (schema order)."""
    for column, kind in ENTITY_COLUMNS.items():
        if (claims[column] == entity_id).any():
            return kind
    raise InputError(f"{entity_id!r} does not appear in the claims")


def explore_page(
    claims: pd.DataFrame,
    entity_id: str,
    view: IdentifierView,
    hops: int,
    since: datetime | None,
    until: datetime | None,
    memberships: Mapping[tuple[str, str], list[str]],
) -> Page:
    """``memberships`` maps (member kind, id) to the ids of the cases it belongs to."""
    kind = entity_kind(claims, entity_id)
    graph = build_graph(claims, view, marks=memberships, focus=(kind, entity_id))
    frame = evidence_frame(claims, view)
    columns, rows = table_rows(frame)
    shown = view.show(kind, entity_id)
    cases = sorted({c for ids in memberships.values() for c in ids})
    window = f"{since:%Y-%m-%d}" if since else "…"
    window += f" — {until:%Y-%m-%d}" if until else " — …"
    first, last = pd.to_datetime(claims["start_time"]).agg(["min", "max"])
    counts = " · ".join(f"{NODE_KINDS[k][0]} {n}" for k, n in graph.counts_by_kind.items() if n)
    summary = [
        (Text("起点", "start"), f"{KIND_NAMES[kind]} {shown}"),
        (Text("步数", "hops"), str(hops)),
        (Text("时间窗", "window"), window),
        (Text("单据", "claims"), str(len(claims))),
        (Text("实体", "entities"), counts),
        (Text("总费用", "total"), money(float(claims["total_amount"].astype(float).sum()))),
        (Text("期间", "period"), f"{first:%Y-%m-%d} — {last:%Y-%m-%d}"),
        (Text("相关案件", "cases touched"), ", ".join(cases) or "—"),
    ]
    notices = [identifier_notice(view)]
    if cases:
        notices.append(
            Text(
                f"红框实体属于已有案件（{len(cases)} 个），悬停查看案件编号。",
                f"Red-bordered entities belong to {len(cases)} known case(s); hover for the ids.",
            )
        )
    return Page(
        title=Text(f"线索探查：{shown}", f"Exploring from a tip: {shown}"),
        summary=summary,
        graph=graph,
        notices=notices,
        timeline_svg=timeline_svg(claims, view),
        columns=columns,
        rows=rows[:MAX_TABLE_ROWS],
        table_note=table_note(len(rows)),
    )


def membership_keys(members: pd.DataFrame) -> dict[tuple[str, str], list[str]]:
    """(kind, id) -> sorted case ids, from the case book's ``case_id``, ``member_kind``,
    ``member_id`` rows."""
    out: dict[tuple[str, str], list[str]] = {}
    columns = ["case_id", "member_kind", "member_id"]
    for case_id, kind, ident in members[columns].itertuples(index=False):
        out.setdefault((str(kind), str(ident)), []).append(str(case_id))
    return {k: sorted(set(v)) for k, v in out.items()}
