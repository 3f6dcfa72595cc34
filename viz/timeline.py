"""The ring's claims over time as an inline SVG picture: one row per member (person or
card), one column per day, a dot sized by the claims that day. Bursts and lockstep show as
vertical stripes, which is what an investigator needs to see at a glance."""

from __future__ import annotations

import math
from html import escape

import pandas as pd

from graphscan.viz.graph import holders
from graphscan.viz.identifiers import IdentifierView

MAX_ROWS = 40
ROW_H = 16
LEFT = 130
PLOT_W = 760
TOP = 28


def timeline_svg(claims: pd.DataFrame, view: IdentifierView, max_rows: int = MAX_ROWS) -> str:
    """SVG markup; rows are the busiest members, the rest are counted in a note."""
    if claims.empty:
        return ""
    kinds, ids = holders(claims)
    names = {(k, i): view.show(k, i) for k, i in set(zip(kinds, ids, strict=True))}
    rows = pd.DataFrame(
        {
            "member": [names[(k, i)] for k, i in zip(kinds, ids, strict=True)],
            "day": pd.to_datetime(claims["start_time"]).dt.normalize().to_numpy(),
        }
    )
    per_day = rows.groupby(["member", "day"]).size().rename("n").reset_index()
    totals = per_day.groupby("member")["n"].sum().reset_index()
    order = totals.sort_values(["n", "member"], ascending=[False, True])["member"].tolist()
    shown, hidden = order[:max_rows], order[max_rows:]
    first, last = rows["day"].min(), rows["day"].max()
    span = max((last - first).days, 1)
    peak = int(per_day["n"].max())
    height = TOP + ROW_H * len(shown) + 40
    width = LEFT + PLOT_W + 60
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="每日单据 claims per day per member">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for tick in range(6):
        day = first + pd.Timedelta(days=round(span * tick / 5))
        x = LEFT + PLOT_W * tick / 5
        out.append(
            f'<line x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{TOP + ROW_H * len(shown)}" '
            'stroke="#e3e7ec"/>'
            f'<text x="{x:.1f}" y="{TOP - 10}" font-size="11" text-anchor="middle" '
            f'fill="#555">{day:%Y-%m-%d}</text>'
        )
    index = {m: i for i, m in enumerate(shown)}
    for i, member in enumerate(shown):
        y = TOP + ROW_H * i + ROW_H / 2
        out.append(
            f'<text x="{LEFT - 8}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#333">{escape(member)}</text>'
        )
    for member, day, n in per_day.sort_values(["member", "day"]).itertuples(index=False):
        if member not in index:
            continue
        x = LEFT + PLOT_W * (day - first).days / span
        y = TOP + ROW_H * index[member] + ROW_H / 2
        r = 2.5 + 4.5 * math.sqrt(n / peak)
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="#d62728" fill-opacity="0.7">'
            f"<title>{escape(member)} {day:%Y-%m-%d}: {n}</title></circle>"
        )
    note_y = TOP + ROW_H * len(shown) + 24
    note = f"圆点大小 = 当日单据数 dot size = claims that day (max {peak})"
    if hidden:
        note += f"; 另有 {len(hidden)} 名成员未画出 {len(hidden)} more members not drawn"
    out.append(f'<text x="{LEFT}" y="{note_y}" font-size="11" fill="#555">{escape(note)}</text>')
    out.append("</svg>")
    return "".join(out)
