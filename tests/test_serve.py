"""The workbench's API and its security against a real `graphscan serve` on 127.0.0.1:
nothing without login, roles enforced, CSRF rejected, login rate-limited, no identifier
reaching a viewer, the CLI deferring to the server and seeing what it changed, and the
audit log's hash chain."""

from __future__ import annotations

import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from serve_city import Client, city, private_copy, run, serving

from graphscan.serve.app import IDLE_CLOSE_S


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    ws = private_copy(tmp_path_factory.mktemp("serve"))
    with serving(ws) as url:
        yield ws, url


def token(ws: Path, name: str) -> str:
    """The token `graphscan users token` printed as its last line for the city."""
    return city().tokens[name]


def top_case(url: str, ws: Path) -> str:
    status, body = Client(url, token(ws, "vic")).call("/api/cases?per_page=1")
    assert status == 200
    return body["cases"][0]["case_id"]


def test_nothing_without_login(served: tuple[Path, str]) -> None:
    ws, url = served
    anonymous = Client(url)
    case_id = top_case(url, ws)
    for path in ("/api/cases", f"/api/cases/{case_id}", "/api/session", "/api/audit",
                 "/api/entities/x/neighbours", "/api/users"):  # fmt: skip
        assert anonymous.call(path)[0] == 401, path
    for path in (f"/api/cases/{case_id}/status", f"/api/cases/{case_id}/export",
                 f"/api/cases/{case_id}/reveal", f"/api/cases/{case_id}/assign"):  # fmt: skip
        assert anonymous.call(path, {"status": "reviewing"})[0] == 401, path
    assert Client(url, "gst_not-a-token").call("/api/cases")[0] == 401
    status, page = anonymous.call("/")
    assert status == 200 and b'id="login-form"' in page  # redirected to the login page


def test_roles_enforced(served: tuple[Path, str]) -> None:
    ws, url = served
    case_id = top_case(url, ws)
    viewer, investigator = Client(url, token(ws, "vic")), Client(url, token(ws, "ivan"))
    supervisor = Client(url, token(ws, "sue"))
    assert viewer.call(f"/api/cases/{case_id}/status", {"status": "reviewing"})[0] == 403
    assert viewer.call(f"/api/cases/{case_id}/export", {})[0] == 403
    assert investigator.call(f"/api/cases/{case_id}/reveal", {})[0] == 403
    assert investigator.call(f"/api/cases/{case_id}/assign", {"assignee": "ivan"})[0] == 403
    assert investigator.call("/api/audit")[0] == 403
    status, body = supervisor.call(f"/api/cases/{case_id}/assign", {"assignee": "ivan"})
    assert status == 200, body
    status, body = viewer.call("/api/cases?assignee=ivan")
    assert [c["case_id"] for c in body["cases"]] == [case_id]
    status, body = supervisor.call(f"/api/cases/{case_id}/reveal", {})
    assert status == 200 and body["clear"], body


def test_csrf_rejected_through_the_session(served: tuple[Path, str]) -> None:
    ws, url = served
    case_id = top_case(url, ws)
    session = Client(url)
    assert session.login("ivan") == 200
    path = f"/api/cases/{case_id}/status"
    note = {"status": "", "note": "CSRF check"}
    assert session.call(path, note)[0] == 403
    assert session.call(path, note, csrf="forged")[0] == 403
    status, body = session.post(path, note)
    assert status == 200, body
    assert session.call("/api/logout", {})[0] == 403
    assert session.post("/api/logout", {})[0] == 200
    assert session.call("/api/cases")[0] == 401


def test_login_rate_limited(served: tuple[Path, str]) -> None:
    """Per user name, then per client address (as a reverse proxy reports it)."""
    _, url = served
    client, proxy = Client(url), "10.9.9.9"
    tries = [client.login("nobody", "wrong-password", via=proxy) for _ in range(6)]
    assert tries == [401] * 5 + [429]
    assert client.login("nobody", "wrong-password", via="10.9.9.8") == 429
    assert client.login("vic", via=proxy) == 200
    assert {client.login(f"name{i}", "wrong-password", via=proxy) for i in range(15)} == {401}
    assert client.login("ivan", via=proxy) == 429  # the address has used up its tries
    assert client.login("ivan", via="10.9.9.8") == 200


def all_ids() -> set[str]:
    """Every person, card, doctor and operator id in the city's store, and every clear id
    the city was generated with."""
    with duckdb.connect(str(city().workspace / "graphscan.duckdb"), read_only=True) as db:
        stored = db.execute(
            "SELECT person_id FROM claims UNION SELECT card_id FROM claims UNION "
            "SELECT doctor_id FROM claims UNION SELECT operator_id FROM claims"
        ).fetchall()
    clear = pd.read_csv(city().folder / "city" / "persons.csv", dtype=str)["person_id"]
    return {str(v) for (v,) in stored if v} | set(clear)


def test_no_identifier_reaches_a_viewer(served: tuple[Path, str]) -> None:
    _, url = served
    ids = all_ids()
    if True:
        viewer = Client(url)
        assert viewer.login("vic") == 200
        texts = []
        status, queue = viewer.call("/api/cases?per_page=500")
        texts.append(str(queue))
        for case in queue["cases"][:3]:
            status, detail = viewer.call(f"/api/cases/{case['case_id']}")
            assert status == 200
            texts.append(str(detail))
            person = next(m for m in detail["members"] if m["kind"] in ("person", "card"))
            assert person["id"].startswith("h-") and person["label"].endswith("…")
            status, around = viewer.call(f"/api/entities/{person['id']}/neighbours?hops=2")
            assert status == 200 and around["nodes"] and around["edges"]
            texts.append(str(around))
            later = list(around["claim_days"])[-500:]  # rows the graph did not come with
            asked = {"claims": later, "token": around["rows_token"]}
            status, rows = viewer.post("/api/claims/rows", asked)
            assert status == 200 and len(rows["rows"]) == len(later)
            texts.append(str(rows))
        status, page = viewer.call("/")
        texts.append(page.decode())
    seen = set(re.findall(r"[A-Za-z0-9]{8,}", "\n".join(texts)))
    assert not seen & ids


def test_evidence_rows_on_demand(served: tuple[Path, str]) -> None:
    """The page fetches the evidence rows of a brushed window: the same rows, in the same
    display form, as the graph sent with its first claims and drew as its nodes, even for
    claims the graph sent no row of (masks unique among the graph's ids, not the few
    claims asked for)."""
    ws, url = served
    viewer = Client(url, token(ws, "vic"))
    person = next(
        m["id"] for m in viewer.call(f"/api/cases/{top_case(url, ws)}")[1]["members"]
        if m["kind"] in ("person", "card")
    )  # fmt: skip
    _, around = viewer.call(f"/api/entities/{person}/neighbours?hops=2")
    sent = {r[0]: r for r in around["rows"]}
    unsent = [c for c in around["claim_days"] if c not in sent]
    assert len(sent) == 500 and unsent, "the neighbourhood must outgrow the rows sent"
    asked = [*list(sent)[::50], *unsent[:: max(1, len(unsent) // 10)]]
    ask = {"claims": asked, "token": around.get("rows_token")}
    status, body = viewer.call("/api/claims/rows", ask)
    assert status == 200, body
    assert sorted(r[0] for r in body["rows"]) == sorted(asked)
    assert all(sent[r[0]] == r for r in body["rows"] if r[0] in sent)
    column = {c: i for i, (c, *_) in enumerate(around["columns"])}
    for kind, name in (("person", "person_id"), ("card", "card_id")):
        labels = {n["label"] for n in around["nodes"] if n["kind"] == kind}
        in_sent = {r[column[name]] for r in around["rows"]} - {""}
        fetched = {r[column[name]] for r in body["rows"]} - {""}
        assert fetched and in_sent <= labels and fetched <= labels, kind
    assert [len(r) for r in body["rows"]] == [len(around["columns"])] * len(asked)


def test_evidence_rows_need_their_graph(served: tuple[Path, str]) -> None:
    """Rows are masked among the pool of the graph named by its token, which the server
    keeps: no token, one unknown or another user's, or claims from outside the graph are
    refused, so a page cannot choose the ids a mask is made unique among."""
    ws, url = served
    viewer, other = Client(url, token(ws, "vic")), Client(url, token(ws, "ivan"))
    case = viewer.call(f"/api/cases/{top_case(url, ws)}")[1]
    graph = case["graph"]
    mine = {"claims": list(graph["claim_days"])[:3], "token": graph["rows_token"]}
    assert viewer.call("/api/claims/rows", mine)[0] == 200
    assert viewer.call("/api/claims/rows", {"claims": mine["claims"]})[0] == 400
    status, body = viewer.call("/api/claims/rows", {**mine, "token": "expired"})
    assert status == 410 and "reload" in body["error"]
    assert other.call("/api/claims/rows", mine)[0] == 410
    outside = next(
        c["case_id"] for c in viewer.call("/api/cases?per_page=50")[1]["cases"]
        if c["case_id"] != case["case_id"]
    )  # fmt: skip
    elsewhere = list(viewer.call(f"/api/cases/{outside}")[1]["graph"]["claim_days"])
    stray = [c for c in elsewhere if c not in graph["claim_days"]][:1]
    status, body = viewer.call("/api/claims/rows", {**mine, "claims": stray})
    assert status == 400 and "graph" in body["error"], body
    assert viewer.call("/api/claims/rows", {**mine, "claims": ["x"] * 501})[0] == 400
    assert viewer.call("/api/claims/rows", {**mine, "claims": "x"})[0] == 400
    session = Client(url)
    assert session.login("vic") == 200
    assert session.call("/api/claims/rows", mine)[0] == 403  # no CSRF token
    assert Client(url).call("/api/claims/rows", mine)[0] == 401


def test_api_shapes_search_and_paging(served: tuple[Path, str]) -> None:
    ws, url = served
    client = Client(url, token(ws, "ivan"))
    status, first = client.call("/api/cases?per_page=3&sort=money&order=desc")
    assert status == 200 and len(first["cases"]) == 3 and first["total"] > 3
    money = [c["total_amount"] for c in first["cases"]]
    assert money == sorted(money, reverse=True)
    _, second = client.call("/api/cases?per_page=3&page=2&sort=money&order=desc")
    assert not {c["case_id"] for c in first["cases"]} & {c["case_id"] for c in second["cases"]}
    case_id = first["cases"][0]["case_id"]
    status, case = client.call(f"/api/cases/{case_id}")
    assert status == 200 and case["members"]
    assert all({"id", "kind", "role"} <= set(m) for m in case["members"])
    person = next(m for m in case["members"] if m["kind"] == "person")
    for q in (person["id"], person["id"][:12], person["label"]):  # id, prefix, masked form
        _, found = client.call("/api/cases?q=" + urllib_quote(q))
        assert case_id in [c["case_id"] for c in found["cases"]], q
    provider = next(m for m in case["members"] if m["kind"] in ("pharmacy", "institution"))
    name = next(n["name"] for n in case["graph"]["nodes"] if n["id"] == provider["id"])
    _, found = client.call("/api/cases?q=" + urllib_quote(name))
    assert case_id in [c["case_id"] for c in found["cases"]]
    status, around = client.call(
        f"/api/entities/{provider['id']}/neighbours?hops=1&since=2025-03-01&until=2025-03-31"
    )
    assert status == 200 and around["nodes"] and around["edges"]
    days = [d for e in around["edges"] for d in e["days"]]
    march = pd.Timestamp("2025-03-01"), pd.Timestamp("2025-03-31 23:59")
    assert all(march[0] <= pd.Timestamp("1970-01-01") + pd.Timedelta(days=d) <= march[1]
               for d in days)  # fmt: skip
    assert client.call("/api/cases/GS-nonexistent")[0] == 404
    assert client.call("/api/cases?per_page=x")[0] == 400


def timing(url: str, path: str, bearer: str) -> dict[str, float]:
    """The phases (ms) of the server's Server-Timing header for one GET."""
    from graphscan.serve.timing import parse

    request = urllib.request.Request(url + path, headers={"Authorization": f"Bearer {bearer}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return parse(response.headers["server-timing"])


def test_answers_say_where_their_time_went(served: tuple[Path, str]) -> None:
    """Each answer names its phases; the workspace stays open between requests a
    second apart (it was closed after 0.5 s idle, and reopening a large store took
    seconds), so the second request does not reopen it."""
    ws, url = served
    bearer = token(ws, "ivan")
    case_id = top_case(url, ws)
    time.sleep(1)
    phases = timing(url, f"/api/cases/{case_id}", bearer)
    assert {"auth", "case", "store", "mask", "items", "graph", "json"} <= set(phases)
    assert "reopen" not in phases, phases
    _, case = Client(url, bearer).call(f"/api/cases/{case_id}")
    member = case["members"][0]["id"]
    phases = timing(url, f"/api/entities/{member}/neighbours?hops=1", bearer)
    assert {"auth", "store", "mask", "cases", "graph", "json"} <= set(phases)
    assert all(v >= 0 for v in phases.values())


def test_ids_pasted_with_a_bom_or_a_carriage_return_are_found(served: tuple[Path, str]) -> None:
    """The queue search, a neighbourhood and a case edit take an id as it comes out of a
    CRLF CSV output or a spreadsheet cell."""
    ws, url = served
    client = Client(url, token(ws, "ivan"))
    case_id = top_case(url, ws)
    case = client.call(f"/api/cases/{case_id}")[1]
    person = next(m for m in case["members"] if m["kind"] == "person")
    provider = next(m for m in case["members"] if m["kind"] in ("pharmacy", "institution"))
    for q in (f"\ufeff{person['id']}\r\n", f" {person['label'].replace('…', '...')}\r"):
        _, found = client.call("/api/cases?q=" + urllib_quote(q))
        assert case_id in [c["case_id"] for c in found["cases"]], q
    pasted = urllib_quote(f"\ufeff{provider['id']}\r")
    status, around = client.call(f"/api/entities/{pasted}/neighbours?hops=1")
    assert status == 200 and around["nodes"], around
    status, refused = client.call(
        f"/api/cases/{case_id}/members", {"members": [person["id"] + "\r"]}
    )
    assert status == 400 and "already" in refused["error"], refused


def urllib_quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


def test_cli_defers_and_sees_the_ui(served: tuple[Path, str]) -> None:
    ws, url = served
    env = city().env
    status, queue = Client(url, token(ws, "ivan")).call("/api/cases?status=new&per_page=1")
    case_id = queue["cases"][0]["case_id"]
    status, body = Client(url, token(ws, "ivan")).call(
        f"/api/cases/{case_id}/status", {"status": "reviewing", "note": "调取药店监控 from UI"}
    )
    assert status == 200 and body["status"] == "reviewing"
    scan = run(["scan", "-w", str(ws)], env)
    assert scan.returncode != 0
    assert "holds" in scan.stderr and len(scan.stderr.strip().splitlines()) == 1, scan.stderr
    assert "Traceback" not in scan.stderr
    load = run(["load", str(city().folder / "city" / "claims.csv"), "-w", str(ws)], env)
    assert load.returncode != 0 and "holds" in load.stderr
    show = run(["cases", "show", case_id, "-w", str(ws)], env)
    assert show.returncode == 0, show.stderr
    assert "reviewing" in show.stdout and "from UI" in show.stdout
    # and the server still answers after the CLI had its turn with the file
    assert Client(url, token(ws, "vic")).call(f"/api/cases/{case_id}")[1]["status"] == "reviewing"


def test_idle_close_leaves_the_log_and_the_stop_folds_it_in(tmp_path: Path) -> None:
    """The server's close after idling skips DuckDB's checkpoint (seconds on a large store,
    with the next request waiting): the change stays in the write-ahead log, which the
    next open reads; stopping the server writes it into the file."""
    ws = private_copy(tmp_path)
    wal = ws / "graphscan.duckdb.wal"
    with serving(ws) as url:
        client = Client(url, token(ws, "ivan"))
        case_id = client.call("/api/cases?status=new&per_page=1")[1]["cases"][0]["case_id"]
        status, _ = client.call(f"/api/cases/{case_id}/status", {"status": "reviewing"})
        assert status == 200
        time.sleep(IDLE_CLOSE_S + 1.5)
        assert wal.exists(), "closed with a checkpoint"
        assert client.call(f"/api/cases/{case_id}")[1]["status"] == "reviewing"  # replayed
    assert not wal.exists(), "the stop left the log"
    show = run(["cases", "show", case_id, "-w", str(ws)], city().env)
    assert show.returncode == 0 and "reviewing" in show.stdout, show.stderr


def test_export_from_the_api_records_the_exporter(served: tuple[Path, str]) -> None:
    from graphscan.viz.verify import verify_package

    ws, url = served
    client = Client(url, token(ws, "ivan"))
    case_id = top_case(url, ws)
    status, body = client.call(f"/api/cases/{case_id}/export", {})
    assert status == 200, body
    status, data = client.call(body["download"])
    assert status == 200 and data[:2] == b"PK"
    package = ws.parent / "package.zip"
    package.write_bytes(data)
    assert verify_package(package).ok
    import zipfile

    with zipfile.ZipFile(package) as archive:
        stamp = next(n for n in archive.namelist() if n.endswith("exported_by.txt"))
        assert "ivan (investigator)" in archive.read(stamp).decode()
    assert Client(url, token(ws, "vic")).call(body["download"])[0] == 403


def test_audit_log_chain(tmp_path: Path) -> None:
    ws = private_copy(tmp_path)
    env = city().env
    with serving(ws) as url:
        session = Client(url)
        assert session.login("sue") == 200
        case_id = session.call("/api/cases?per_page=1")[1]["cases"][0]["case_id"]
        assert session.post(f"/api/cases/{case_id}/status", {"status": "reviewing"})[0] == 200
        assert session.post(f"/api/cases/{case_id}/reveal", {})[0] == 200
        assert session.post(f"/api/cases/{case_id}/export", {})[0] == 200
        assert Client(url).login("sue", "wrong-password") == 401
        entries = session.call("/api/audit")[1]["entries"]
    actions = [e["action"] for e in reversed(entries)]
    assert actions == ["login", "status", "reveal", "export", "login_failed"]
    verified = run(["audit", "verify", "-w", str(ws)], env)
    assert verified.returncode == 0 and "5 entries" in verified.stdout, verified.stderr
    with duckdb.connect(str(ws / "graphscan.duckdb")) as db:
        db.execute("UPDATE audit_log SET actor = 'ivan' WHERE seq = 3")
    broken = run(["audit", "verify", "-w", str(ws)], env)
    assert broken.returncode != 0 and "entry 3" in broken.stderr


def test_users_cli(tmp_path: Path) -> None:
    ws = private_copy(tmp_path)
    env = city().env
    listed = run(["users", "list", "-w", str(ws)], env)
    assert [line.split("\t")[:2] for line in listed.stdout.splitlines()] == [
        ["ivan", "investigator"], ["sue", "supervisor"], ["vic", "viewer"]]  # fmt: skip
    again = run(["users", "add", "vic", "--role", "viewer", "-w", str(ws)], env, "another-pw1")
    assert again.returncode != 0 and "exists" in again.stderr and "Traceback" not in again.stderr
    short = run(["users", "add", "amy", "--role", "viewer", "-w", str(ws)], env, "short")
    assert short.returncode != 0 and "at least 8" in short.stderr
    assert run(["users", "remove", "vic", "-w", str(ws)], env).returncode == 0
    assert "vic" not in run(["users", "list", "-w", str(ws)], env).stdout
    with duckdb.connect(str(ws / "graphscan.duckdb"), read_only=True) as db:
        hashes = [h for (h,) in db.execute("SELECT password_hash FROM workbench_users").fetchall()]
    assert all(h.startswith("$argon2id$") for h in hashes)


def members_of(client: Client, case_id: str) -> dict[str, str]:
    """id -> role of a case's members, as the API shows them."""
    status, body = client.call(f"/api/cases/{case_id}")
    assert status == 200, body
    return {m["id"]: m["role"] for m in body["members"]}


def test_case_edits_through_the_api_survive_a_rescan(tmp_path: Path) -> None:
    """Add an entity, open a case from a selection, merge two cases, split one: roles
    enforced, CSRF asked, each audited, and none undone by the next `graphscan scan`."""
    from graphscan.casebook import CaseBook
    from graphscan.workspace import Workspace

    ws = private_copy(tmp_path)
    env = city().env
    with serving(ws) as url:
        ivan, vic = Client(url, token(ws, "ivan")), Client(url, token(ws, "vic"))
        queue = ivan.call("/api/cases?per_page=500")[1]["cases"]
        first, second = queue[0]["case_id"], queue[1]["case_id"]
        a, b = members_of(ivan, first), members_of(ivan, second)
        provider = next(i for i in a if i.startswith(("P", "H")))
        around = ivan.call(f"/api/entities/{provider}/neighbours?hops=1")[1]
        outsiders = [n["id"] for n in around["nodes"]
                     if n["kind"] == "person" and not n["cases"]][:3]  # fmt: skip
        assert len(outsiders) == 3
        edits = {
            "/api/cases": {"members": [*outsiders[1:], provider]},
            f"/api/cases/{first}/members": {"members": outsiders[:1]},
            f"/api/cases/{first}/merge": {"other": second},
            f"/api/cases/{first}/split": {"members": list(a)[:1]},
        }
        session = Client(url)
        assert session.login("ivan") == 200
        for path, body in edits.items():
            assert vic.call(path, body)[0] == 403, path
            assert session.call(path, body)[0] == 403, path  # no CSRF token
        assert ivan.call(f"/api/cases/{first}/members", {"members": "x"})[0] == 400
        assert ivan.call(f"/api/cases/{first}/merge", {"other": first})[0] == 400
        assert ivan.call(f"/api/cases/{first}/members", {"members": ["nobody-here"]})[0] == 400

        status, opened = session.post("/api/cases", {"members": [*outsiders[1:], provider]})
        assert status == 200 and opened["claims"] > 0, opened
        manual = ivan.call("/api/cases?pattern=manual")[1]["cases"]
        assert [c["case_id"] for c in manual] == [opened["case_id"]]
        assert set(members_of(ivan, opened["case_id"])) == {*outsiders[1:], provider}

        before = ivan.call(f"/api/cases/{first}")[1]
        status, added = ivan.call(f"/api/cases/{first}/members", {"members": outsiders[:1]})
        assert status == 200 and added["claims"] > before["graph"]["claims"], added
        assert members_of(ivan, first)[outsiders[0]] == "added"

        status, merged = ivan.call(f"/api/cases/{first}/merge", {"other": second})
        assert status == 200, merged
        assert set(b) <= set(members_of(ivan, first))
        assert ivan.call(f"/api/cases/{second}")[1]["merged_into"] == first
        listed = {c["case_id"] for c in ivan.call("/api/cases?per_page=500")[1]["cases"]}
        assert second not in listed and opened["case_id"] in listed

        moving = [i for i in b if i not in a and not i.startswith(("P", "H"))][:2]
        status, split = ivan.call(f"/api/cases/{first}/split", {"members": moving})
        assert status == 200, split
        assert set(members_of(ivan, split["case_id"])) == set(moving)
        assert not set(moving) & set(members_of(ivan, first))

    patterns = [f"--pattern={p}" for p in {queue[0]["pattern"], queue[1]["pattern"]}]
    scanned = run(["scan", "-w", str(ws), *patterns], env)  # the patterns of the cases edited
    assert scanned.returncode == 0, scanned.stderr
    workspace = Workspace.open(ws)
    book = CaseBook(workspace)
    try:
        current = set(book.list()["case_id"])
        assert {first, split["case_id"], opened["case_id"]} <= current
        assert second not in current and book.get(second).merged_into == first
        kept = {m.id: m.role for m in book.get(first).members}
        assert kept[outsiders[0]] == "added" and set(b) - set(moving) <= set(kept)
        assert not set(moving) & set(kept)
        assert {m.id for m in book.get(split["case_id"]).members} == set(moving)
        kinds = [e["kind"] for e in book.get(first).notes]
        assert kinds[-4:] == ["added", "merged", "split", "rescanned"]
        assert {e["author"] for e in book.get(first).notes if e["kind"] in kinds[-4:-1]} == {"ivan"}
    finally:
        workspace.close()
    shown = run(["audit", "show", "-w", str(ws)], env).stdout
    for action in ("open_case", "add_members", "merge", "split"):
        assert f"\t{action}\t" in shown, action
    assert run(["audit", "verify", "-w", str(ws)], env).returncode == 0


def test_case_edits_from_the_cli(tmp_path: Path) -> None:
    """`graphscan cases merge|split|add|open` make the same changes, and say in one line
    what they refuse."""
    from graphscan.casebook import CaseBook
    from graphscan.store import open_store
    from graphscan.workspace import Workspace

    ws = private_copy(tmp_path)
    env = city().env
    workspace = Workspace.open(ws)
    try:
        book = CaseBook(workspace)
        first, second = book.list()["case_id"][:2]
        a = [m.id for m in book.get(first).members]
        b = [m.id for m in book.get(second).members]
        provider = next(i for i in a if i.startswith(("P", "H")))
        around = open_store(None, workspace).neighbourhood(provider, 1)
        outsider = next(p for p in around["person_id"].dropna().unique() if p not in a + b)
    finally:
        workspace.close()

    def cases(*args: str) -> str:
        by = ["--by", "王警官"] if args[0] != "show" else []
        done = run(["cases", *args, "-w", str(ws), *by], env)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert f"merged {second} into it" in cases("merge", first, second)
    moving = [i for i in b if i not in a and not i.startswith(("P", "H"))][:2]
    split_off = cases("split", first, *moving).split(":")[0]
    assert "added" in cases("add", first, outsider)
    opened = cases("open", outsider, provider).split(":")[0]
    shown = cases("show", first)
    assert outsider in shown and not any(m in shown for m in moving)
    assert "王警官" in shown and "merged" in shown and "split" in shown
    workspace = Workspace.open(ws)
    try:
        book = CaseBook(workspace)
        assert book.get(second).merged_into == first
        assert {m.id for m in book.get(split_off).members} == set(moving)
        assert book.get(opened).pattern == "manual"
    finally:
        workspace.close()
    refused = run(["cases", "merge", first, first, "-w", str(ws)], env)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    gone = run(["cases", "add", second, outsider, "-w", str(ws)], env)
    assert gone.returncode != 0 and f"merged into {first}" in gone.stderr


def test_edges_of_links_without_both_ends() -> None:
    """Claims whose links all miss an end (no doctor, no operator, ...) give no edges."""
    import numpy as np

    from graphscan.serve.views import _edges
    from graphscan.viz.graph import LinkCodes

    entities = pd.DataFrame({"kind": ["person"], "id": ["p1"]})
    codes = LinkCodes(
        row=np.array([0, 1]), a=np.array([0, -1]), b=np.array([-1, 0]),
        relation=np.array([0, 2]), entities=entities,
    )  # fmt: skip
    days, amounts = np.array([1, 2]), np.array([5.0, 6.0])
    assert _edges(codes, days, amounts, np.asarray(["p1"], dtype=object)) == []
    codes = LinkCodes(codes.row, np.array([0, 0]), np.array([0, -1]), codes.relation, entities)
    assert _edges(codes, days, amounts, np.asarray(["p1"], dtype=object)) == [
        {"source": "p1", "target": "p1", "relation": "holds", "claims": 1, "amount": 5.0,
         "days": [1]}
    ]  # fmt: skip


def test_pools_keep_the_latest_graphs_per_user() -> None:
    """The server keeps the pools of its last POOLS_KEPT graphs; older tokens, and tokens
    of another user, answer 410 so the page fetches its graph again."""
    from graphscan.serve.accounts import User
    from graphscan.serve.app import POOLS_KEPT, ApiError, Pools

    pools, vic, ivan = Pools(), User("vic", "viewer"), User("ivan", "investigator")
    tokens = [pools.remember(vic, frozenset({("person", str(i))})) for i in range(POOLS_KEPT)]
    assert pools.recall(vic, tokens[0]) == {("person", "0")}  # used: now the newest
    pools.remember(vic, frozenset())
    assert pools.recall(vic, tokens[0]) == {("person", "0")}
    for stale, user in ((tokens[1], vic), (tokens[2], ivan), ("", vic)):
        with pytest.raises(ApiError) as refused:
            pools.recall(user, stale)
        assert refused.value.status == (400 if stale == "" else 410)


def test_cents_are_what_round_gives() -> None:
    """The graph's money is rounded for all edges at once: the same floats as
    ``round(v, 2)``, half cents and float error included."""
    import math

    import numpy as np

    from graphscan.serve.views import _cents

    tricky = [0.125, 0.135, 2.675, 1.005, 0.285, -0.125, -2.675, 0.0, -0.0, 1e15 + 0.125,
              123456.785, 5e-324, 0.5, 0.015, 99.995]  # fmt: skip
    rng = np.random.default_rng(7)
    values = np.concatenate(
        [tricky, rng.integers(0, 10**8, 20_000) / 1000, rng.random(20_000) * 1e6]
    )
    assert _cents(values) == [round(v, 2) for v in values.tolist()]
    assert math.isnan(_cents(np.array([math.nan]))[0])
