"""Shared fixtures."""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ENABLE_NEO4J = (
    "Neo4j tests need NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD: run `graphscan neo4j start` "
    'then `eval "$(graphscan neo4j env)"`'
)
#: A node the fixture leaves in a database it may wipe; a database with data and without
#: it is somebody's real graph, and the tests refuse to touch it.
TEST_MARKER = "GraphscanTestDatabase"


@dataclass(frozen=True)
class Neo4jEnv:
    uri: str
    user: str
    password: str


@pytest.fixture(scope="session")
def neo4j_env() -> Iterator[Neo4jEnv]:
    """The server the Neo4j tests run against. Missing: fail under CI
    (GRAPHSCAN_REQUIRE_NEO4J=1), skip with instructions elsewhere. Test sessions sharing a
    server take turns (a file lock per URI), since each test wipes the database."""
    uri, password = os.environ.get("NEO4J_URI"), os.environ.get("NEO4J_PASSWORD")
    if not uri or not password:
        if os.environ.get("GRAPHSCAN_REQUIRE_NEO4J") == "1":
            pytest.fail(ENABLE_NEO4J)
        pytest.skip(ENABLE_NEO4J)
    name = hashlib.sha256(uri.encode()).hexdigest()[:12]
    with open(Path(tempfile.gettempdir()) / f"graphscan-neo4j-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield Neo4jEnv(uri, os.environ.get("NEO4J_USER", "neo4j"), password)


def wipe_test_database(env: Neo4jEnv) -> None:
    from neo4j import GraphDatabase

    with GraphDatabase.driver(
        env.uri, auth=(env.user, env.password), notifications_min_severity="OFF"
    ) as driver:
        count, marked = driver.execute_query(
            f"MATCH (n) RETURN count(n) AS count, count(CASE WHEN n:{TEST_MARKER} THEN 1 END)"
        ).records[0]
        if count and not marked:
            pytest.fail(f"refusing to wipe the Neo4j at {env.uri}: it holds data not made by tests")
        with driver.session() as session:
            session.run(
                "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
            ).consume()
        driver.execute_query(f"CREATE (:{TEST_MARKER})")


@pytest.fixture
def neo4j_store(neo4j_env: Neo4jEnv) -> Iterator[object]:
    """A Neo4jStore on an emptied test database."""
    from graphscan.store.neo4j import Neo4jStore

    wipe_test_database(neo4j_env)
    store = Neo4jStore.connect(neo4j_env.uri, neo4j_env.user, neo4j_env.password)
    yield store
    store.close()


@pytest.fixture(autouse=True)
def private_key_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Pseudonymisation keys and vaults of tests live in a temporary folder, never in the
    tester's ~/.config/graphscan (a test may still point GRAPHSCAN_KEY_FILE elsewhere)."""
    folder = tmp_path_factory.mktemp("keys")
    monkeypatch.setenv("GRAPHSCAN_KEY_FILE", str(folder / "key"))
    monkeypatch.setenv("GRAPHSCAN_VAULT_FILE", str(folder / "vault"))
    return folder
