"""The workbench in Debian's headless Chromium against a real `graphscan serve` on
127.0.0.1: log in, open the top case, expand a node, brush the time bar, change a status,
export and download a package; open a case from a selection and merge another into it;
a viewer's browser receives no identifier. With
GRAPHSCAN_SCREENSHOTS=DIR the queue, the case view and a selection are saved there
(docs/)."""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_city import PASSWORDS, private_copy, serving
from test_browser_case import CHROMIUM_ARGS, chromium_path
from test_serve import all_ids

from graphscan.viz.verify import verify_package

pytestmark = pytest.mark.browser
#: sigma.js draws with WebGL: headless Chromium gets it from its software renderer
WEBGL_ARGS = [a for a in CHROMIUM_ARGS if a != "--disable-gpu"] + [
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]


@pytest.fixture(scope="module")
def workbench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    ws = private_copy(tmp_path_factory.mktemp("browser"))
    with serving(ws) as url:
        yield ws, url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=WEBGL_ARGS)
        yield browser
        browser.close()


#: the force layout run in the page's web worker has finished (nodes stay where they are)
SETTLED = "window.__workbench && window.__workbench.settling === false"


def until(page: object, script: str, timeout_s: float = 30) -> object:
    """Poll a JavaScript expression until truthy (the page's CSP forbids eval, which
    Playwright's wait_for_function needs); bounded."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = page.evaluate(script)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {script}")


def log_in(browser: object, url: str, name: str) -> tuple[object, object, list[str]]:
    context = browser.new_context(viewport={"width": 1500, "height": 1050}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url + "/")
    page.fill("#login-name", name)
    page.fill("#login-password", PASSWORDS[name])
    page.click("#login-submit")
    page.wait_for_selector("#queue tr.case-row")
    return context, page, errors


def open_top_case(page: object) -> object:
    """Open the queue's top case and wait for its evidence and graph; the graph's order."""
    page.locator("#queue tr.case-row").first.click()
    page.wait_for_selector("#evidence tbody tr")
    return until(page, "window.__workbench && window.__workbench.graph.order")


def shoot(page: object, name: str) -> None:
    folder = os.environ.get("GRAPHSCAN_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / name))


def test_investigation_in_the_browser(browser: object, workbench: tuple[Path, str]) -> None:
    ws, url = workbench
    context, page, errors = log_in(browser, url, "sue")
    total = int(re.search(r"共 (\d+) 个案件", page.inner_text(".pager")).group(1))
    assert page.locator("#queue tr.case-row").count() == min(total, 25) > 1
    page.click("th[data-sort=money]")
    page.wait_for_selector("th[data-sort=money] >> text=▲")
    page.click("th[data-sort=rank]")
    page.wait_for_selector("th[data-sort=rank] >> text=▲")
    shoot(page, "workbench-queue.png")
    top = page.locator("#queue tr.case-row").first.get_attribute("data-case")
    drawn = open_top_case(page)
    assert page.locator(".summary").inner_text().count(top) == 1
    assert "为何可疑" in page.inner_text(".side")

    # click the busiest provider (once the layout has settled: nodes move until then):
    # its neighbours are fetched and drawn
    until(page, SETTLED)
    x, y = page.evaluate(
        """() => { const v = window.__workbench;
        const claims = (n) => v.graph.getNodeAttribute(n, 'claims');
        const id = v.graph.filterNodes((n, a) => a.kind === 'pharmacy' || a.kind === 'institution')
          .sort((a, b) => claims(b) - claims(a))[0];
        const p = v.renderer.graphToViewport(v.graph.getNodeAttributes(id));
        const r = document.querySelector('#graph').getBoundingClientRect();
        return [p.x + r.left, p.y + r.top]; }"""
    )
    page.mouse.click(x, y)
    expanded = until(
        page, f"window.__workbench.graph.order > {drawn} && window.__workbench.graph.order"
    )
    assert "expanded" in page.inner_text("#graph-status")

    # brush the time bar: the evidence table and the graph follow the window
    def in_window() -> int:
        return int(re.search(r"(\d+) 张单据", page.inner_text("#evidence-count")).group(1))

    before, visible_before = (
        in_window(),
        page.evaluate("window.__workbench.graph.filterNodes((n, a) => !a.hidden).length"),
    )
    box = page.locator("#timebar").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + 30)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + 30, steps=6)
    page.mouse.up()
    until(page, f"!document.querySelector('#evidence-count').innerText.includes(' {before} ')")
    assert 0 < in_window() < before
    visible = page.evaluate("window.__workbench.graph.filterNodes((n, a) => !a.hidden).length")
    assert visible < visible_before <= expanded
    page.click("#window-reset")
    assert in_window() == before

    # a graph arrives with the rows of its first claims only: the rows of a window it
    # came without are fetched when the table needs them, with the graph's rows token;
    # one the server no longer knows (410) makes the page fetch the graph again (the
    # table must be drawn anew: the old until() held before the fetch had even begun)
    page.evaluate(
        """() => { const v = window.__workbench; v.rows = v.rows.slice(0, 2); v.askedRows.clear();
        for (const [claim, token] of v.claimToken) {
          v.sources.set("expired-" + token, v.sources.get(token));
          v.claimToken.set(claim, "expired-" + token);
        } }"""
    )
    page.click("#window-reset")  # the table is drawn again for the whole time bar
    until(
        page,
        "window.__workbench.rows.length > 2 && "
        "document.querySelectorAll('#evidence tbody tr').length === Math.min(500, "
        "+document.querySelector('#evidence-count').innerText.match(/(\\d+) 张单据/)[1])",
    )
    for _ in range(50):  # the console reports the refused requests a moment later
        gone = [e for e in errors if "status of 410" in e]
        if gone:
            break
        page.wait_for_timeout(100)
    assert gone, "the expired tokens were asked with"
    errors[:] = [e for e in errors if e not in gone]
    page.click("#window-reset")
    assert in_window() == before

    # filter by kind: no card is drawn once cards are unticked
    page.uncheck("input[data-kind=card]")
    assert not page.evaluate(
        "window.__workbench.graph.filterNodes((n, a) => a.kind === 'card' && !a.hidden).length"
    )
    page.check("input[data-kind=card]")
    shoot(page, "workbench-case.png")

    # change the status with a note; the history shows it
    page.select_option("#status-select", "reviewing")
    page.fill("#status-note", "调取药店监控 CCTV requested")
    page.click("#status-save")
    page.wait_for_selector("#history >> text=CCTV requested")
    assert "reviewing" in page.inner_text("#case-status")

    # export, then download the package the page links to and verify it
    page.click("#export")
    page.wait_for_selector("#download")
    with page.expect_download() as download:
        page.click("#download")
    saved = ws.parent / "from-browser.zip"
    download.value.save_as(saved)
    assert verify_package(saved).ok
    assert not errors, errors
    context.close()


POSITIONS = """() => { const v = window.__workbench;
  return v.graph.mapNodes((n, a) => [n, Math.round(a.x * 1e3), Math.round(a.y * 1e3)]); }"""


def test_layout_runs_in_a_web_worker(browser: object, workbench: tuple[Path, str]) -> None:
    """The force layout runs in the bundled worker script (allowed by the page's CSP, no
    blob: URL), the page applies its positions as they come, and every expansion lays
    the grown graph out again there; the page's own thread never runs it."""
    _, url = workbench
    context, page, errors = log_in(browser, url, "ivan")
    open_top_case(page)
    runs = until(page, "window.__workbench.settling === false && window.__workbench.layoutRun")
    page.evaluate(  # the nodes in a row, then laid out again
        """() => { let i = 0; window.__workbench.graph.updateEachNodeAttributes(
          (n, a) => ({ ...a, x: (i += 1), y: i % 2 })); }"""
    )
    placed = page.evaluate(POSITIONS)
    page.click("#relayout")
    runs = until(page, f"!window.__workbench.settling && window.__workbench.layoutRun > {runs} "
                 "&& window.__workbench.layoutRun")  # fmt: skip
    assert page.evaluate(POSITIONS) != placed, "the worker's positions were never applied"
    loaded = page.evaluate(
        "performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)"
    )
    assert "/static/layout-worker.js" in loaded
    node = page.evaluate(
        "window.__workbench.graph.filterNodes((n, a) => a.kind === 'pharmacy' "
        "|| a.kind === 'institution')[0]"
    )
    page.evaluate(f"window.__workbench.renderer.emit('clickNode', {{node: '{node}'}})")
    until(page, "document.querySelector('#graph-status').innerText.includes('expanded')")
    until(page, f"window.__workbench.settling === false && window.__workbench.layoutRun > {runs}")
    assert not errors, errors
    context.close()


def test_viewer_browser_receives_no_identifier(
    browser: object, workbench: tuple[Path, str]
) -> None:
    _, url = workbench
    ids = all_ids()
    bodies: list[str] = []
    context = browser.new_context()
    page = context.new_page()

    def keep(response: object) -> None:
        with contextlib.suppress(Exception):  # redirects have no body to read
            bodies.append(response.text())

    page.on("response", keep)
    page.goto(url + "/")
    page.fill("#login-name", "vic")
    page.fill("#login-password", PASSWORDS["vic"])
    page.click("#login-submit")
    page.wait_for_selector("#queue tr.case-row")
    order = open_top_case(page)
    node = page.evaluate("window.__workbench.graph.filterNodes((n, a) => a.kind === 'person')[0]")
    assert node.startswith("h-")
    page.evaluate(f"window.__workbench.renderer.emit('clickNode', {{node: '{node}'}})")
    # expanded (its neighbours may all be drawn already: a person whose claims are all
    # the case's adds no node)
    until(page, "document.querySelector('#graph-status').innerText.includes('expanded')")
    assert page.evaluate("window.__workbench.graph.order") >= order
    assert not page.locator("#export").count() and not page.locator("#status-save").count()
    bodies.append(page.content())
    context.close()
    seen = set(re.findall(r"[A-Za-z0-9]{8,}", "\n".join(bodies)))
    assert not seen & ids


def test_case_from_a_selection_and_a_merge_in_the_browser(
    browser: object, workbench: tuple[Path, str]
) -> None:
    """Shift-click two linked entities of a case's graph, open a case of them: it is in
    the queue; merge another case into it: that case leaves the queue."""
    _, url = workbench
    context, page, errors = log_in(browser, url, "ivan")
    rows = page.locator("#queue tr.case-row")
    top, other = rows.nth(0).get_attribute("data-case"), rows.nth(1).get_attribute("data-case")
    rows.first.click()
    page.wait_for_selector("#evidence tbody tr")
    until(page, "window.__workbench && window.__workbench.graph.order")
    until(page, SETTLED)
    ends = page.evaluate(
        """() => { const v = window.__workbench;
        const edge = v.graph.edges().sort((a, b) =>
          v.graph.getEdgeAttribute(b, 'claims') - v.graph.getEdgeAttribute(a, 'claims'))[0];
        const r = document.querySelector('#graph').getBoundingClientRect();
        return v.graph.extremities(edge).map((n) => {
          const p = v.renderer.graphToViewport(v.graph.getNodeAttributes(n));
          return [n, p.x + r.left, p.y + r.top]; }); }"""
    )
    page.keyboard.down("Shift")
    for _, x, y in ends:
        page.mouse.click(x, y)
        page.wait_for_timeout(400)  # two clicks closer in time are a double click
    page.keyboard.up("Shift")
    chosen = until(page, "window.__workbench.chosen.size === 2 && [...window.__workbench.chosen]")
    assert sorted(chosen) == sorted(n for n, _, _ in ends)
    assert "已选 2 个实体" in page.inner_text("#selection")
    assert page.locator("#selection .chip").count() == 2
    shoot(page, "workbench-selection.png")
    page.click("#open-case")
    opened = until(
        page,
        f"location.hash.startsWith('#/case/') && !location.hash.endsWith('{top}') "
        "&& location.hash.slice(7)",
    )
    page.wait_for_selector("#evidence tbody tr")
    assert "opened by an investigator" in page.inner_text(".side")
    page.evaluate("location.hash = '#/'")
    page.wait_for_selector(f"#queue tr[data-case='{opened}']")

    page.evaluate(f"location.hash = '#/case/{opened}'")
    page.wait_for_selector("#merge-other")
    page.fill("#merge-other", other)
    page.click("#merge")
    page.wait_for_selector(f"#history >> text={other} merged into this case")
    page.evaluate("location.hash = '#/'")
    page.wait_for_selector(f"#queue tr[data-case='{opened}']")
    assert not page.locator(f"#queue tr[data-case='{other}']").count()
    assert not errors, errors
    context.close()


NODE_AT = """(node) => { const v = window.__workbench;
  const p = v.renderer.graphToViewport(v.graph.getNodeAttributes(node));
  const r = document.querySelector('#graph').getBoundingClientRect();
  return [p.x + r.left, p.y + r.top, v.renderer.getNodeAtPosition(p)]; }"""
MOVING = "[window.__workbench.moving, document.querySelector('#graph').className]"
CAMERA_STILL = "!window.__workbench.renderer.getCamera().isAnimated()"


def test_a_large_graph_draws_only_its_nodes_while_dragged(
    browser: object, workbench: tuple[Path, str]
) -> None:
    """While a large graph is dragged its empty layers are not composited, its nodes skip
    sigma's picking pass (no node is found under the mouse) and a layout asked for then
    waits; once released the graph is drawn in full again (the node under the mouse is
    found, a click selects it) and the layout finishes."""
    _, url = workbench
    context, page, errors = log_in(browser, url, "ivan")
    open_top_case(page)
    runs = until(page, "window.__workbench.settling === false && window.__workbench.layoutRun")
    # the case's graph is small: treated as one of more than LARGE_GRAPH_LINKS links
    page.evaluate("window.__workbench.large = true")
    node = page.evaluate("window.__workbench.graph.nodes()[0]")
    assert page.evaluate(NODE_AT, node)[2]  # drawn still: a node is found under the mouse
    box = page.locator("#graph").bounding_box()
    x0, y0 = box["x"] + 20, box["y"] + 20
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 16):
        page.mouse.move(x0 + 6 * step, y0 + 3 * step)
    moving, classes = page.evaluate(MOVING)
    assert moving and "moving" in classes.split()
    assert page.evaluate(NODE_AT, node)[2] is None  # no picking pass while it moves
    page.evaluate("document.querySelector('#relayout').click()")  # a layout mid-drag
    page.wait_for_timeout(300)
    assert page.evaluate("window.__workbench.settling") is True  # waits for the drag
    page.mouse.up()
    until(page, f"!window.__workbench.moving && {CAMERA_STILL}")
    assert "moving" not in page.evaluate(MOVING)[1].split()
    until(page, f"window.__workbench.settling === false && window.__workbench.layoutRun > {runs}")
    page.wait_for_timeout(500)  # the release is a click: let sigma's double-click time pass
    x, y, found = until(page, f"(() => {{ const a = ({NODE_AT})({node!r}); return a[2] && a; }})()")
    page.keyboard.down("Shift")
    page.mouse.click(x, y)
    page.keyboard.up("Shift")
    until(page, f"window.__workbench.chosen.has({found!r})")
    assert not errors, errors
    context.close()
