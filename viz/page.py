"""The one HTML page for a case or a neighbourhood: summary panel, pyvis network with a
legend, time line picture and sortable evidence table, all inlined so the file opens from
a USB stick with no network. The same model in gives the same bytes out."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from graphscan import __version__
from graphscan.viz.graph import NODE_KINDS, EntityGraph

VIS_DIR = "templates/lib/vis-9.1.2"


@dataclass(frozen=True)
class Text:
    """A message in both languages; pages show Chinese first."""

    zh: str
    en: str


@dataclass
class Page:
    title: Text
    summary: list[tuple[Text, str]]
    graph: EntityGraph
    notices: list[Text] = field(default_factory=list)
    explanation: Text | None = None
    timeline_svg: str = ""
    #: (zh, en, numeric) per column
    columns: list[tuple[str, str, bool]] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    table_note: Text | None = None
    #: the case book's entries: time, by, status, note
    history: list[list[str]] = field(default_factory=list)


def _script_json(value: object) -> Markup:
    """JSON safe inside <script>: no "</script>" or HTML comment can end it early."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


@cache
def _vis_assets() -> tuple[Markup, Markup]:
    """vis-network as shipped inside pyvis, minus the source-map hint (a network fetch)."""
    lib = files("pyvis").joinpath(VIS_DIR)
    script = lib.joinpath("vis-network.min.js").read_text(encoding="utf-8")
    script = re.sub(r"//# sourceMappingURL=\S+", "", script).replace("</script", "<\\/script")
    style = lib.joinpath("vis-network.css").read_text(encoding="utf-8")
    return Markup(script), Markup(style)


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("graphscan.viz", "assets"),
        autoescape=select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
    )


def render_page(page: Page) -> str:
    script, style = _vis_assets()
    legend = [(kind, zh, en, shape, colour) for kind, (zh, en, shape, colour) in NODE_KINDS.items()]
    return (
        _environment()
        .get_template("page.html.j2")
        .render(
            page=page,
            vis_script=script,
            vis_style=style,
            nodes=_script_json(page.graph.nodes),
            edges=_script_json(page.graph.edges),
            options=_script_json(page.graph.options),
            legend=legend,
            kinds=NODE_KINDS,
            timeline=Markup(page.timeline_svg),
            version=__version__,
        )
    )
