"""`graphscan load`, `status` and `scan` with --store pointing at Neo4j, end to end, and
the one-line errors a user sees when the server or the password is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import Neo4jEnv
from test_neo4j_parity import city

from graphscan.cli.main import cli
from graphscan.store.neo4j import Neo4jStore

pytestmark = pytest.mark.neo4j


def test_load_status_and_scan_through_the_cli(
    neo4j_store: Neo4jStore,
    neo4j_env: Neo4jEnv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GRAPHSCAN_KEY", "cli test key")
    monkeypatch.setenv("GRAPHSCAN_VAULT_FILE", str(tmp_path / "vault"))
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_env.password)
    files = []
    for table, frame in city().items():
        canonical = frame.drop(
            columns=["source_file", "source_row", "load_id", "row_hash"], errors="ignore"
        )
        files.append(str(tmp_path / f"{table}.csv"))
        canonical.to_csv(files[-1], index=False)
    where = ["--workspace", str(tmp_path / "ws"), "--store", neo4j_env.uri]
    runner = CliRunner()
    loaded = runner.invoke(cli, ["--lang", "en", "load", "--quiet", *files, *where])
    assert loaded.exit_code == 0, loaded.output
    assert neo4j_store.status()["counts"]["claims"] == len(city()["claims"])
    again = runner.invoke(cli, ["--lang", "en", "load", "--quiet", *files, *where])
    assert again.exit_code == 0 and "loaded 0 " in again.output
    status = runner.invoke(cli, ["--lang", "en", "status", *where])
    assert status.exit_code == 0 and "neo4j" in status.output
    scanned = runner.invoke(cli, ["--lang", "en", "scan", *where])
    assert scanned.exit_code == 0, scanned.output
    assert "GS-" in scanned.output


@pytest.mark.parametrize(
    ("uri", "password", "message"),
    [
        (None, "wrong", "refused user 'neo4j': wrong user or password"),
        ("bolt://127.0.0.1:1", "any", "cannot reach Neo4j at bolt://127.0.0.1:1"),
    ],
)
def test_cli_errors_are_one_line(
    neo4j_env: Neo4jEnv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    uri: str | None,
    password: str,
    message: str,
) -> None:
    monkeypatch.setenv("NEO4J_PASSWORD", password)
    where = ["--workspace", str(tmp_path / "ws"), "--store", uri or neo4j_env.uri]
    result = CliRunner().invoke(cli, ["--lang", "en", "status", *where])
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert lines[0].startswith("Error: ") and message in lines[0]
