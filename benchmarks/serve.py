"""Workbench response times over HTTP, on the embedded store of a large generated city
(about 10 million claim lines at the default 700,000 persons): the case queue with
10,000 cases (page, sort, filter, search), expanding an entity with about 5,000 claims,
and the graph view of more than 5,000 nodes in a real browser.

    flock /tmp/graphscan-heavy.lock nice .venv/bin/python -m benchmarks.serve
    ... -m benchmarks.serve --root DIR --scratch /tmp/serve-bench   # a city cached elsewhere

The city is generated and loaded once (cached in benchmarks/.cache, shared with the scan
benchmark); the queue's cases are written into a copy of its workspace, so the cached one
is left as it was. Each figure is the median and the slowest of several requests to a
real `graphscan serve` on 127.0.0.1, the workspace already open (the first, cold request
is printed apart). Before the server starts, the same expansion is timed in process on
the store, beside DuckDB's own floor for the same rows: a filter on the provider (what
zone maps give on its own) and a point lookup through an ART index built for the
occasion (dropped again before the server opens the copy). The expansion's HTTP figure
is printed again beside those two at the end.

The view is measured in Debian's headless Chromium (GRAPHSCAN_CHROMIUM, else
/usr/bin/chromium; WebGL from its software renderer, as in the browser tests): the time
from opening the provider's neighbourhood to its graph drawn, expanding its busiest nodes
until more than 5,000 nodes are drawn, then frames per second and the longest frame while
the graph is dragged across the screen (during its layout and after) and zoomed with the
wheel, and how long a click on a node takes to select it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from benchmarks.city import city, use_bench_key
from graphscan.serve.timing import HEADER as TIMING_HEADER
from graphscan.serve.timing import parse as parse_timing

if TYPE_CHECKING:
    from graphscan.workspace import Workspace

CASES = 10_000
TARGET_CLAIMS = 5_000
RUNS = 7
VIEW_NODES = 5_000
#: claims of the provider whose neighbourhood the browser opens: about 5,500 entities
VIEW_CLAIMS = 6_500
#: sigma.js draws with WebGL: headless Chromium gets it from its software renderer
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--use-angle=swiftshader",
                 "--enable-unsafe-swiftshader"]  # fmt: skip
PASSWORD = "benchmark-password"


def write_cases(ws: object, count: int) -> str:
    """``count`` cases of 12 sampled claims each (their persons and provider as members),
    real store ids so that searches and case views behave as on real cases. Written
    straight into the case book's tables: what a scan costs the book is measured by
    benchmarks/casebook.py, not here."""
    from graphscan.casebook import CaseBook
    from graphscan.rings import PATTERNS

    CaseBook(ws)  # creates the case book's tables
    db = ws.db()
    db.execute(
        f"CREATE TEMP TABLE picked AS SELECT claim_id, person_id, provider_id, start_time, "
        f"total_amount, fund_amount, (row_number() OVER () - 1) // 12 AS n "
        f"FROM claims USING SAMPLE {count * 12} ROWS (reservoir, 7)"
    )
    patterns = "['" + "', '".join(PATTERNS[:3]) + "']"
    db.execute(
        "INSERT INTO cases SELECT printf('GS-b%07d', n), "
        f"{patterns}[n % 3 + 1], n + 1, ? - n, 1e-6 * (n + 1), 1e-5, 12, 1 + n / ?, "
        "sum(total_amount), sum(coalesce(fund_amount, 0)), 0, min(start_time), "
        "max(start_time), '基准测试', 'benchmark', '{}', 'new', true, 'bench', 'bench', "
        "false, NULL FROM picked GROUP BY n",
        [float(count), float(count)],
    )
    db.execute(
        "INSERT INTO case_members SELECT DISTINCT printf('GS-b%07d', n), 'person', person_id, "
        "'card_holder' FROM picked UNION ALL SELECT printf('GS-b%07d', n), 'pharmacy', "
        "first(provider_id), 'pharmacy' FROM picked GROUP BY n"
    )
    db.execute("INSERT INTO case_claims SELECT printf('GS-b%07d', n), claim_id FROM picked")
    return db.execute("SELECT person_id FROM picked WHERE n = ? LIMIT 1", [count // 2]).fetchall()[
        0
    ][0]


def timed(url: str, token: str, path: str) -> tuple[float, int, dict, dict[str, float]]:
    """Seconds to the answer's last byte (decoding the JSON is the client's, not counted),
    status, body, and the server's own breakdown (its Server-Timing header, ms)."""
    request = urllib.request.Request(url + path, headers={"Authorization": f"Bearer {token}"})
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        raw = response.read()
        took = time.perf_counter() - began
        phases = parse_timing(response.headers.get(TIMING_HEADER, ""))
    return took, response.status, json.loads(raw), phases


def measure(url: str, token: str, label: str, path: str) -> tuple[dict, float, dict[str, float]]:
    """The body of the last of RUNS requests and their median time; with the median of
    each phase the server reported, and what HTTP itself added (the rest)."""
    times, body, phases = [], {}, []
    for _ in range(RUNS):
        took, status, body, phase = timed(url, token, path)
        assert status == 200, (path, status)
        times.append(took)
        phases.append(phase)
    median = statistics.median(times)
    print(
        f"  {label:<48} median {median * 1000:7.1f} ms   slowest {max(times) * 1000:7.1f} ms",
        flush=True,
    )
    names = [n for n in phases[-1] if any(p.get(n) for p in phases)]
    parts = {n: statistics.median(p.get(n, 0.0) for p in phases) for n in names}
    rest = median * 1000 - sum(parts.values())
    print("      server: " + ", ".join(f"{n} {v:.0f}" for n, v in parts.items())
          + f"; HTTP and the rest {rest:.0f} ms", flush=True)  # fmt: skip
    return body, median, {**parts, "HTTP and the rest": rest}


def in_process(label: str, run: object) -> float:
    """Median of RUNS calls of ``run``, printed like measure()'s figures."""
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        rows = run()  # type: ignore[operator]
        times.append(time.perf_counter() - began)
    print(
        f"  {label:<48} median {statistics.median(times) * 1000:7.1f} ms   "
        f"slowest {max(times) * 1000:7.1f} ms   ({len(rows):,} rows)",
        flush=True,
    )
    return statistics.median(times)


def floors(ws: Workspace, provider: str) -> dict[str, float]:
    """The provider's expansion as the store does it, and what DuckDB itself takes to
    hand back the same claim rows, measured in the same run on the same file."""
    from graphscan.store import open_store

    began = time.perf_counter()
    store = open_store(None, ws)  # links the claims if the cached city predates claim_links
    print(f"store opened (claim links brought up to date) in {time.perf_counter() - began:.1f}s")
    db = ws.db()
    print(f"the provider's claims in process (DuckDB {duckdb.__version__}):")
    found = {}
    found["store"] = in_process(
        "graphscan store.neighbourhood(hops=1)", lambda: store.neighbourhood(provider, 1)
    )
    query = "SELECT * FROM claims WHERE provider_id = ?"
    found["floor"] = in_process(
        "DuckDB: filter provider_id = ? (zone maps)", lambda: db.execute(query, [provider]).df()
    )
    began = time.perf_counter()
    db.execute("CREATE INDEX bench_provider ON claims (provider_id)")
    print(f"  (ART index on provider_id built in {time.perf_counter() - began:.1f}s)")
    db.execute("SET index_scan_max_count = 1000000")
    plan = db.execute("EXPLAIN ANALYZE " + query, [provider]).fetchall()[0][1]
    assert "Index Scan" in plan, "DuckDB did not use the index"
    try:
        found["art"] = in_process(
            "DuckDB: ART index point lookup", lambda: db.execute(query, [provider]).df()
        )
    finally:
        db.execute("RESET index_scan_max_count")
        db.execute("DROP INDEX bench_provider")
    return found


def until(page: object, script: str, timeout_s: float = 300) -> object:
    """Poll a JavaScript expression until truthy (the page's CSP forbids the eval that
    Playwright's wait_for_function needs)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = page.evaluate(script)  # type: ignore[attr-defined]
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(script)


BUSIEST = """(skip) => { const v = window.__workbench;
  const id = v.graph.filterNodes((n, a) => !skip.includes(n) && !a.hidden)
    .sort((a, b) => v.graph.getNodeAttribute(b, 'claims')
                  - v.graph.getNodeAttribute(a, 'claims'))[0];
  const p = v.renderer.graphToViewport(v.graph.getNodeAttributes(id));
  const r = document.querySelector('#graph').getBoundingClientRect();
  return [id, v.graph.getNodeAttribute(id, 'kind'), p.x + r.left, p.y + r.top]; }"""
FRAMES = """() => { window.__frames = []; window.__counting = true;
  const tick = (t) => {
    window.__frames.push(t); if (window.__counting) requestAnimationFrame(tick); };
  requestAnimationFrame(tick); }"""
SETTLED = "window.__workbench.settling === false && window.__workbench.layoutMs"
CAMERA_STILL = "!window.__workbench.renderer.getCamera().isAnimated()"


def figure(label: str, took: float) -> None:
    print(f"  {label:<48} {took * 1000:7.0f} ms", flush=True)


def drag(page: object, label: str) -> None:
    """Frames per second while the graph is dragged 240 px right and back."""
    box = page.locator("#graph").bounding_box()  # type: ignore[attr-defined]
    x0, y0 = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5
    page.evaluate(FRAMES)  # type: ignore[attr-defined]
    began = time.perf_counter()
    page.mouse.move(x0, y0)  # type: ignore[attr-defined]
    page.mouse.down()  # type: ignore[attr-defined]
    for step in range(120):  # 4 px a step
        page.mouse.move(x0 + 4 * (step if step < 60 else 120 - step), y0)  # type: ignore[attr-defined]
    page.mouse.up()  # type: ignore[attr-defined]
    span = time.perf_counter() - began
    frames = page.evaluate("window.__counting = false; window.__frames")  # type: ignore[attr-defined]
    gaps = [b - a for a, b in itertools.pairwise(frames)]
    print(f"  {label}: {len(frames) / span:.1f} frames/s, {span / 120 * 1000:.0f} ms a mouse "
          f"move, longest frame {max(gaps):.0f} ms", flush=True)  # fmt: skip


def zoom(page: object, label: str) -> None:
    """Frames per second while the wheel zooms the graph in four notches and out again
    (sigma glides the camera after each)."""
    box = page.locator("#graph").bounding_box()  # type: ignore[attr-defined]
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)  # type: ignore[attr-defined]
    page.evaluate(FRAMES)  # type: ignore[attr-defined]
    began = time.perf_counter()
    for notch in range(8):
        page.mouse.wheel(0, -120 if notch < 4 else 120)  # type: ignore[attr-defined]
        page.wait_for_timeout(60)  # type: ignore[attr-defined]
    until(page, CAMERA_STILL)
    span = time.perf_counter() - began
    frames = page.evaluate("window.__counting = false; window.__frames")  # type: ignore[attr-defined]
    gaps = [b - a for a, b in itertools.pairwise(frames)]
    print(f"  {label}: {len(frames) / span:.1f} frames/s, longest frame {max(gaps):.0f} ms",
          flush=True)  # fmt: skip


def browser_view(url: str, entity: str) -> None:
    """The graph view past VIEW_NODES nodes in Debian's headless Chromium: the tip drawn,
    click-expansions of its busiest nodes (each answered, drawn, then laid out in the web
    worker) until more than VIEW_NODES nodes, dragging while a layout runs and after."""
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("GRAPHSCAN_CHROMIUM") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1050})
        answered: list[dict[str, float]] = []  # each expansion's Server-Timing phases
        page.on("response", lambda r: "/neighbours" in r.url and answered.append(
            parse_timing(r.headers.get(TIMING_HEADER, ""))))  # fmt: skip
        page.goto(url + "/login")
        page.fill("#login-name", "bench")
        page.fill("#login-password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_selector("#queue tr.case-row")
        print(f"the graph view in Chromium {browser.version} (WebGL in software):")
        began = time.perf_counter()
        page.goto(f"{url}/#/entity/{urllib.parse.quote(entity)}")
        until(page, "window.__workbench && window.__workbench.graph.order")
        page.wait_for_selector("#evidence tbody tr")
        nodes = page.evaluate("window.__workbench.graph.order")
        figure(f"open a tip: {nodes:,} nodes fetched and drawn", time.perf_counter() - began)
        figure("  its layout settled (in the worker)", until(page, SETTLED) / 1000)
        clicked = [page.evaluate("window.__workbench.selected")]
        while nodes <= VIEW_NODES and len(clicked) < 9:
            node, kind, x, y = page.evaluate(BUSIEST, clicked)
            clicked.append(node)
            began = time.perf_counter()
            page.mouse.click(x, y)
            until(page, "document.querySelector('#graph-status').innerText.includes('+')")
            took = time.perf_counter() - began
            nodes = page.evaluate("window.__workbench.graph.order")
            page.evaluate("document.querySelector('#graph-status').textContent = ''")
            figure(f"click a {kind}: expanded to {nodes:,} nodes, drawn", took)
            if answered:  # a slow one says whether the server or the page was slow
                phases = answered[-1]
                print("      server: " + ", ".join(f"{n} {v:.0f}" for n, v in phases.items()),
                      flush=True)  # fmt: skip
            if nodes > VIEW_NODES:
                drag(page, f"dragging {nodes:,} nodes while the worker lays them out")
            figure("  layout settled (in the worker)", until(page, SETTLED) / 1000)
        edges = page.evaluate("window.__workbench.graph.size")
        drag(page, f"dragging {nodes:,} nodes, {edges:,} links, laid out")
        page.wait_for_timeout(500)
        until(page, CAMERA_STILL)
        zoom(page, f"zooming {nodes:,} nodes with the wheel")
        # the drag's own mouse-up is a click to sigma: a click sooner than its double-click
        # timeout (300 ms) after it would be a double click, which zooms instead
        page.wait_for_timeout(500)
        until(page, CAMERA_STILL)  # the drag's inertia has stopped moving the graph
        node, _, x, y = page.evaluate(BUSIEST, [])
        page.keyboard.down("Shift")  # a shift-click selects without expanding
        began = time.perf_counter()
        page.mouse.click(x, y)
        until(page, f"window.__workbench.chosen.has({node!r})", 60)
        figure("shift-click selects a node", time.perf_counter() - began)
        page.keyboard.up("Shift")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=700_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--root", type=Path, default=Path("benchmarks/.cache"))
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument(
        "--scratch", type=Path, help="where the workspace copy is written (default ROOT/serve)"
    )
    args = parser.parse_args()
    use_bench_key(args.root)
    _, cached = city(args.root, args.persons, args.seed)
    cached.close()

    from graphscan.serve.accounts import Accounts
    from graphscan.workspace import Workspace

    copy = (args.scratch or args.root / "serve") / f"ws-{args.persons}"
    if copy.exists():
        shutil.rmtree(copy)
    copy.mkdir(parents=True)
    shutil.copy2(cached.db_path, copy / cached.db_path.name)
    ws = Workspace.open(copy)
    db = ws.db()
    claims = db.execute("SELECT count(*) FROM claims").fetchall()[0][0]
    began = time.perf_counter()
    person = write_cases(ws, CASES)
    print(f"city: {claims:,} claims; {CASES:,} cases written in "
          f"{time.perf_counter() - began:.0f}s", flush=True)  # fmt: skip
    accounts = Accounts(db)
    accounts.add("bench", "investigator", PASSWORD)
    token = accounts.new_token("bench")
    provider, busy = db.execute(
        "SELECT provider_id, count(*) AS n FROM claims GROUP BY provider_id "
        "ORDER BY abs(count(*) - ?) LIMIT 1",
        [TARGET_CLAIMS],
    ).fetchall()[0]
    viewed = db.execute(  # a neighbourhood of more than VIEW_NODES entities
        "SELECT provider_id FROM claims GROUP BY provider_id ORDER BY abs(count(*) - ?) LIMIT 1",
        [VIEW_CLAIMS],
    ).fetchall()[0][0]
    name = db.execute(
        "SELECT p.name FROM case_members m JOIN providers p ON p.provider_id = m.member_id "
        "WHERE m.case_id = ? AND p.name IS NOT NULL",
        [f"GS-b{CASES // 3:07d}"],
    ).fetchall()
    found = floors(ws, provider)
    ws.close()

    url = f"http://127.0.0.1:{args.port}"
    graphscan = str(Path(sys.executable).with_name("graphscan"))
    server = subprocess.Popen(
        [graphscan, "serve", "-w", str(copy), "--port", str(args.port)], env=os.environ
    )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/login", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        cold, _, _, opened = timed(url, token, "/api/cases")
        print(f"  first request (opens the workspace)               {cold * 1000:7.1f} ms"
              f"   (reopen {opened.get('reopen', 0):.0f} ms)")  # fmt: skip
        print(f"queue of {CASES:,} cases (GET /api/cases):")
        top = measure(url, token, "first page, by rank", "/api/cases")[0]["cases"][0]["case_id"]
        measure(url, token, "sorted by money, page 40", "/api/cases?sort=money&order=desc&page=40")
        measure(
            url, token, "filtered by status and pattern", "/api/cases?status=new&pattern=kickback"
        )
        measure(url, token, "search: pseudonym prefix", f"/api/cases?q={person[:10]}")
        if name and name[0][0]:
            quoted = urllib.parse.quote(name[0][0])
            measure(url, token, "search: provider name", f"/api/cases?q={quoted}")
        print("expanding an entity (GET /api/entities/…/neighbours?hops=1):")
        body, found["http"], parts = measure(
            url,
            token,
            f"provider with {busy:,} claims",
            f"/api/entities/{provider}/neighbours?hops=1",
        )
        print(f"    -> {len(body['nodes']):,} nodes, {len(body['edges']):,} edges, "
              f"{body['claims']:,} claims")  # fmt: skip
        measure(url, token, "a person", f"/api/entities/{person}/neighbours?hops=1")
        measure(url, token, "the top case (GET /api/cases/{id})", f"/api/cases/{top}")
        print(f"the provider's {busy:,} claims, medians: HTTP {found['http'] * 1000:.0f} ms, "
              f"store in process {found['store'] * 1000:.0f} ms, DuckDB floor "
              f"{found['floor'] * 1000:.0f} ms (ART index "
              f"{found['art'] * 1000:.0f} ms)")  # fmt: skip
        print("  of the HTTP answer, in ms: " + ", ".join(f"{n} {v:.0f}" for n, v in parts.items()))
        browser_view(url, viewed)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
