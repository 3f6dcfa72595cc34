"""The case and exploration pages in a real headless Chromium (Debian's), opened from
file:// with every non-file request blocked and recorded: they must load with no console
errors and no network, draw the expected nodes, freeze their physics, sort the table and
not be blank."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from embedded_store import embedded_store
from evidence_data import context_cases, context_tables, ring_case, ring_claims

from graphscan.api import case_context
from graphscan.pseudonym import Pseudonymiser
from graphscan.viz.explore import explore_page, membership_keys
from graphscan.viz.package import export_case, identifier_view
from graphscan.viz.page import render_page
from graphscan.workspace import Workspace

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """Debian's chromium; missing is a failure under CI and a skip elsewhere."""
    path = os.environ.get("GRAPHSCAN_CHROMIUM") or "/usr/bin/chromium"
    if not Path(path).exists():
        message = f"headless Chromium not found at {path}: apt-get install chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


class OfflinePage:
    """A page whose requests other than file: and data: are aborted and recorded."""

    def __init__(self, page: object) -> None:
        self.page = page
        self.blocked: list[str] = []
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.route("**/*", self._route)

    def _route(self, route: object) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def offline(browser: object) -> Iterator[OfflinePage]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield OfflinePage(context.new_page())
    context.close()


def open_page(offline: OfflinePage, html: Path) -> object:
    page = offline.page
    page.goto(html.as_uri())
    # polled from here: the page's own CSP forbids the eval that wait_for_function uses
    deadline = time.monotonic() + 60
    while not page.evaluate("window.graphscan !== undefined && window.graphscan.stable"):
        assert time.monotonic() < deadline, "the network never stabilised"
        time.sleep(0.1)
    return page


def pixel_spread(page: object, png: bytes) -> float:
    """Standard deviation of the screenshot's grey levels, decoded by the browser itself."""
    return page.evaluate(
        """async (b64) => {
            const img = new Image();
            img.src = "data:image/png;base64," + b64;
            await img.decode();
            const c = document.createElement("canvas");
            c.width = img.width; c.height = img.height;
            const ctx = c.getContext("2d");
            ctx.drawImage(img, 0, 0);
            const d = ctx.getImageData(0, 0, c.width, c.height).data;
            let n = 0, s = 0, s2 = 0;
            for (let i = 0; i < d.length; i += 4) {
                const g = (d[i] + d[i + 1] + d[i + 2]) / 3; n++; s += g; s2 += g * g;
            }
            return Math.sqrt(s2 / n - (s / n) ** 2);
        }""",
        base64.b64encode(png).decode(),
    )


def expected_nodes(claims: pd.DataFrame) -> int:
    columns = ["person_id", "provider_id", "doctor_id", "operator_id"]
    return sum(claims[c].dropna().nunique() for c in columns)


def test_case_page_works_offline(offline: OfflinePage, tmp_path: Path) -> None:
    claims = ring_claims(Pseudonymiser(b"browser-test", tmp_path / "vault"))
    case = ring_case(claims)
    evidence = claims[claims["claim_id"].isin(case.claim_ids)]
    page = open_page(offline, export_case(case, evidence, tmp_path / "out").html)

    assert offline.blocked == [] and offline.errors == []
    assert page.evaluate("graphscan.nodes.length") == expected_nodes(evidence)
    assert page.evaluate("graphscan.network.physics.physicsEnabled") is False
    assert "出借/回收医保卡" in page.inner_text("h1")
    assert page.locator("#evidence tbody tr").count() == len(evidence)
    assert page.locator("#timeline svg circle").count() > 0
    for kind in ("person", "card", "doctor", "institution", "pharmacy", "operator"):
        assert page.locator(f'#legend [data-kind="{kind}"]').count() == 1

    headers = page.locator("#evidence th").all_inner_texts()
    column = next(i for i, h in enumerate(headers) if h.startswith("总费用"))
    total = page.locator("#evidence th").nth(column)
    total.click()
    total.click()  # descending
    cell = page.locator("#evidence tbody tr").first.locator("td").nth(column)
    first = float(cell.inner_text())
    assert first == pytest.approx(float(evidence["total_amount"].max()))

    graph_png = page.locator("#graph").screenshot()
    assert pixel_spread(page, graph_png) > 10


def test_explore_page_works_offline_and_marks_case_members(
    offline: OfflinePage, tmp_path: Path
) -> None:
    claims = ring_claims(Pseudonymiser(b"browser-test", tmp_path / "vault"))
    case = ring_case(claims)
    members = pd.DataFrame(
        [(case.case_id, m.kind, m.id) for m in case.members],
        columns=["case_id", "member_kind", "member_id"],
    )
    store = embedded_store(Workspace.open(tmp_path / "ws"))
    store.upsert("claims", claims)
    tip = store.neighbourhood("OP-7", 2)
    view = identifier_view(tip, [], None)
    page_model = explore_page(tip, "OP-7", view, 2, None, None, membership_keys(members))
    html = tmp_path / "tip.html"
    html.write_text(render_page(page_model), encoding="utf-8")
    page = open_page(offline, html)

    assert offline.blocked == [] and offline.errors == []
    assert page.evaluate("graphscan.nodes.length") == expected_nodes(tip)
    marked = page.evaluate(
        "graphscan.nodes.get().filter(n => (n.title || '').includes('C-2024-0001')).length"
    )
    assert marked == len(case.members)
    assert pixel_spread(page, page.locator("#graph").screenshot()) > 10


def test_an_organiser_without_claims_is_drawn_by_the_shared_phone(
    offline: OfflinePage, tmp_path: Path
) -> None:
    tables = context_tables(Pseudonymiser(b"browser-test", tmp_path / "vault"))
    store = embedded_store(Workspace.open(tmp_path / "ws"))
    for name, frame in tables.items():
        store.upsert(name, frame)
    group, _ = context_cases(tables)
    claims = store.claims(group.claim_ids)
    package = export_case(
        group, claims, tmp_path / "out", context=case_context(store, group, claims)
    )
    page = open_page(offline, package.html)

    assert offline.blocked == [] and offline.errors == []
    (organiser,) = page.evaluate(
        "graphscan.nodes.get().filter(n => n.title.includes('组织者')).map(n => n.id)"
    )
    assert page.evaluate(f"graphscan.network.getConnectedEdges({organiser!r}).length") == 6
    # drawn inside the visible graph, not somewhere off the canvas
    box = page.locator("#graph").bounding_box()
    spot = page.evaluate(
        f"(() => {{ const p = graphscan.network.getPositions([{organiser!r}])[{organiser!r}];"
        " return graphscan.network.canvasToDOM(p); })()"
    )
    assert 0 <= spot["x"] <= box["width"] and 0 <= spot["y"] <= box["height"]
    notices = " ".join(page.locator(".notice").all_inner_texts())
    assert "本人没有任何结算单据" in notices and "has no claims of their own" in notices
