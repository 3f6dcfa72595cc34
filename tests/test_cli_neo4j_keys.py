"""A shared Neo4j holds one identity too: a second workspace loading into the same server
with another key is refused, because the server's loads record the key's fingerprint."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import Neo4jEnv, wipe_test_database
from loader_files import gbk_extract

from graphscan.cli.main import cli

pytestmark = pytest.mark.neo4j


def test_a_second_workspace_with_another_key_is_refused(
    neo4j_env: Neo4jEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wipe_test_database(neo4j_env)
    monkeypatch.setenv("NEO4J_USER", neo4j_env.user)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_env.password)
    runner = CliRunner()

    def load(workspace: str, source: str) -> str:
        path = str(gbk_extract(tmp_path / source))
        result = runner.invoke(
            cli,
            [
                "--lang",
                "en",
                "load",
                path,
                "-w",
                str(tmp_path / workspace),
                "--store",
                neo4j_env.uri,
            ],
        )
        return f"{result.exit_code} {result.output}"

    monkeypatch.setenv("GRAPHSCAN_KEY", "the bureau's key")
    assert load("first", "m1.csv").startswith("0 ")
    monkeypatch.setenv("GRAPHSCAN_KEY", "a colleague's other key")
    refused = load("second", "m2.csv")
    assert refused.startswith("1 ") and "fingerprint" in refused, refused
    monkeypatch.setenv("GRAPHSCAN_KEY", "the bureau's key")
    assert load("second", "m3.csv").startswith("0 ")
