"""`graphscan serve --store neo4j://…` end to end against the real Neo4j: the workbench
reads claims, neighbourhoods and evidence from the server and keeps the one case book of
the deployment; a scan, a case change or a look at the cases from another workspace
(another investigator's laptop, whose own book would be stale) is refused in one line
that says where the book is, and so is a second server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import Neo4jEnv
from serve_city import PASSWORDS, Client, run, serving
from test_neo4j_parity import city

from graphscan.store.neo4j import Neo4jStore

pytestmark = pytest.mark.neo4j


def test_a_shared_neo4j_deployment(
    neo4j_store: Neo4jStore, neo4j_env: Neo4jEnv, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "GRAPHSCAN_KEY": "shared deployment test key",
        "GRAPHSCAN_VAULT_FILE": str(tmp_path / "vault"),
        "GRAPHSCAN_LANG": "en",
        "NEO4J_USER": neo4j_env.user,
        "NEO4J_PASSWORD": neo4j_env.password,
    }
    files = []
    for table, frame in city().items():
        files.append(str(tmp_path / f"{table}.csv"))
        frame.drop(columns=["source_file", "source_row", "load_id", "row_hash"],
                   errors="ignore").to_csv(files[-1], index=False)  # fmt: skip
    server_ws, laptop_ws = tmp_path / "server", tmp_path / "laptop"
    shared = ["--store", neo4j_env.uri]
    for args in (["load", "-q", *files], ["scan"]):
        done = run([*args, "-w", str(server_ws), *shared], env)
        assert done.returncode == 0, done.stderr
    done = run(["users", "add", "ivan", "--role", "investigator", "-w", str(server_ws)], env,
               PASSWORDS["ivan"])  # fmt: skip
    assert done.returncode == 0, done.stderr

    with serving(server_ws, *shared, env=env) as url:
        client = Client(url)
        assert client.login("ivan") == 200
        assert client.call("/api/session")[1]["engine"] == "neo4j"
        queue = client.call("/api/cases")[1]
        assert queue["total"] > 0
        case_id = queue["cases"][0]["case_id"]
        status, case = client.call(f"/api/cases/{case_id}")
        assert status == 200 and case["graph"]["nodes"] and case["graph"]["rows"]
        member = case["members"][0]["id"]
        status, around = client.call(f"/api/entities/{member}/neighbours?hops=1")
        assert status == 200 and around["nodes"] and around["edges"]
        outsider = next(n["id"] for n in around["nodes"] if not n["cases"])
        status, added = client.post(f"/api/cases/{case_id}/members", {"members": [outsider]})
        assert status == 200 and added["members"] == len(case["members"]) + 1, added
        status, body = client.post(f"/api/cases/{case_id}/status",
                                   {"status": "reviewing", "note": "shared"})  # fmt: skip
        assert status == 200, body
        status, package = client.post(f"/api/cases/{case_id}/export", {})
        assert status == 200 and package["fingerprint"], package

        # another investigator's laptop: no second, silent case book
        reads = (["cases", "list"], ["cases", "show", case_id], ["cases", "export", case_id],
                 ["cases", "status", case_id, "confirmed"])  # fmt: skip
        for args in (["scan"], ["cases", "merge", case_id, case_id], *reads):
            refused = run([*args, "-w", str(laptop_ws), *shared], env)
            assert refused.returncode != 0, refused.stdout
            assert f"kept by the workbench at {url}/" in refused.stderr, refused.stderr
            assert (
                len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
            )
        second = run(["serve", "-w", str(laptop_ws), *shared, "--port", "0"], env)
        assert second.returncode != 0 and f"kept by the workbench at {url}/" in second.stderr

    show = run(["cases", "show", case_id, "-w", str(server_ws), *shared], env)  # the book's home
    assert "reviewing" in show.stdout and "shared" in show.stdout, show.stderr
