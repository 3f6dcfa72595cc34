"""Faults end in one clear StoreError line, and a load cut off mid-way is finished by
running it again: real server, real sockets, no mocks."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import threading
from pathlib import Path

import pytest
from conftest import Neo4jEnv
from test_neo4j_store import claims_frame

from graphscan.errors import ServerError, StoreError
from graphscan.neo4jserver.assembly import assembly_dir
from graphscan.neo4jserver.server import LocalServer
from graphscan.store import open_store
from graphscan.store.neo4j import Neo4jStore, open_driver
from graphscan.workspace import Workspace


class CuttableProxy:
    """A TCP relay to the server that drops every connection once ``cut_after`` bytes
    went towards the server, and with ``down`` refuses to relay at all."""

    def __init__(self, target: tuple[str, int], cut_after: int | None = None) -> None:
        self.target, self.cut_after, self.down = target, cut_after, False
        self.sent = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down:
                client.close()
                continue
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, upstream: bool) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
                if upstream:
                    self.sent += len(data)
                    if self.cut_after is not None and self.sent > self.cut_after:
                        self.cut_after = None
                        self.cut()
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                sock.close()

    def cut(self) -> None:
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.listener.close()
        self.cut()


def _target(env: Neo4jEnv) -> tuple[str, int]:
    host_port = env.uri.split("://", 1)[1]
    host, port = host_port.rsplit(":", 1)
    return host, int(port)


def _store(uri: str, env: Neo4jEnv, **options: object) -> Neo4jStore:
    return Neo4jStore(open_driver(uri, env.user, env.password), uri, **options)  # type: ignore[arg-type]


def test_server_down_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:  # a port with nothing listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("NEO4J_PASSWORD", "whatever")
    with pytest.raises(StoreError, match=r"cannot reach Neo4j at bolt://127.0.0.1:\d+"):
        open_store(f"bolt://127.0.0.1:{port}", Workspace.open(tmp_path))


def test_no_password_anywhere_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    with pytest.raises(StoreError, match="no Neo4j password: set NEO4J_USER and NEO4J_PASSWORD"):
        open_store("bolt://127.0.0.1:7687", Workspace.open(tmp_path))


@pytest.mark.neo4j
def test_wrong_password_is_one_line(
    neo4j_env: Neo4jEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEO4J_USER", neo4j_env.user)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_env.password + "-wrong")
    with pytest.raises(StoreError, match="wrong user or password") as info:
        open_store(neo4j_env.uri, Workspace.open(tmp_path))
    assert neo4j_env.password not in str(info.value)


@pytest.mark.neo4j
def test_the_local_servers_password_is_found_where_the_store_is_opened(
    neo4j_env: Neo4jEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without NEO4J_PASSWORD, open_store reads the workspace's local server credentials
    (the file `graphscan neo4j start` writes); the store itself never sees a workspace."""
    ws = Workspace.open(tmp_path)
    local = LocalServer(ws.root)
    local.credentials_file.parent.mkdir(parents=True)
    port = _target(neo4j_env)[1]
    saved = {"user": neo4j_env.user, "password": neo4j_env.password, "port": port}
    local.credentials_file.write_text(json.dumps(saved))
    monkeypatch.delenv("NEO4J_PASSWORD")
    monkeypatch.delenv("NEO4J_USER", raising=False)
    store = open_store(neo4j_env.uri, ws)
    assert isinstance(store, Neo4jStore) and store.status()["engine"] == "neo4j"
    store.close()


@pytest.mark.neo4j
def test_query_timeout_is_one_line(neo4j_store: Neo4jStore, neo4j_env: Neo4jEnv) -> None:
    """Another transaction holds the claim key the load needs; the load's 1 s timeout fires
    and nothing of the batch is left behind."""
    impatient = _store(neo4j_env.uri, neo4j_env, timeout_s=1.0, retries=0)
    with neo4j_store.driver.session() as session, session.begin_transaction() as blocker:
        blocker.run("CREATE (:Claim {claim_id: 'c0000'})").consume()
        with pytest.raises(StoreError, match=r"upsert_claims timed out after 1 s"):
            impatient.upsert("claims", claims_frame(3))
        blocker.rollback()
    impatient.close()
    assert neo4j_store.status()["counts"]["claims"] == 0
    assert neo4j_store.upsert("claims", claims_frame(3)) == 3


@pytest.mark.neo4j
def test_connection_lost_mid_load_is_retried(neo4j_store: Neo4jStore, neo4j_env: Neo4jEnv) -> None:
    proxy = CuttableProxy(_target(neo4j_env), cut_after=40_000)
    store = _store(f"bolt://127.0.0.1:{proxy.port}", neo4j_env, batch_size=10, backoff_s=0.05)
    frame = claims_frame(200)
    assert store.upsert("claims", frame) == len(frame)
    assert proxy.cut_after is None  # the cut did happen during the load
    assert neo4j_store.status()["counts"]["claims"] == len(frame)
    store.close()
    proxy.close()


@pytest.mark.neo4j
def test_connection_gone_then_rerun_resumes(neo4j_store: Neo4jStore, neo4j_env: Neo4jEnv) -> None:
    proxy = CuttableProxy(_target(neo4j_env))
    store = _store(
        f"bolt://127.0.0.1:{proxy.port}", neo4j_env, batch_size=10, retries=2, backoff_s=0.05
    )
    frame = claims_frame(200)
    store.upsert("claims", frame.iloc[:50])
    proxy.down = True
    proxy.cut()
    with pytest.raises(StoreError, match=r"lost the connection .* run the same command again"):
        store.upsert("claims", frame)
    store.close()
    proxy.close()
    assert neo4j_store.upsert("claims", frame) == 150
    assert neo4j_store.status()["counts"]["claims"] == 200


# -- the local server (graphscan neo4j start) -------------------------------------------------
def _recorded(server: LocalServer, port: int, password: str = "a-long-password") -> None:
    server.credentials_file.parent.mkdir(parents=True, exist_ok=True)
    saved = {"user": "neo4j", "password": password, "port": port}
    server.credentials_file.write_text(json.dumps(saved))


def test_a_restart_keeps_the_port_its_old_connections_linger_on(tmp_path: Path) -> None:
    """A server stopped with clients connected leaves its port's connections in TIME_WAIT;
    Neo4j binds with SO_REUSEADDR and can listen there again, so the exported NEO4J_URI
    must stay valid: the recorded port is kept."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Neo4j's Netty does
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = listener.accept()
    accepted.close()  # the server closes first: its side waits in TIME_WAIT
    listener.close()
    client.close()
    server = LocalServer(tmp_path)
    _recorded(server, port)
    assert server._prepare_credentials().uri == f"bolt://127.0.0.1:{port}"
    assert json.loads(server.credentials_file.read_text())["port"] == port


def test_a_port_another_server_listens_on_moves(tmp_path: Path) -> None:
    server = LocalServer(tmp_path)
    with socket.create_server(("127.0.0.1", 0)) as other:
        port = other.getsockname()[1]
        _recorded(server, port)
        moved = server._prepare_credentials()
    assert moved.uri != f"bolt://127.0.0.1:{port}"
    assert moved.password == "a-long-password"  # the data folder's password is kept


@pytest.mark.skipif(
    shutil.which("java") is None or not (assembly_dir() / "READY").exists(),
    reason="needs Java and the assembled local Neo4j (graphscan neo4j start)",
)
def test_a_refused_initial_password_says_why(tmp_path: Path) -> None:
    """The admin tool's own last words reach the user (they once did not: the error had
    no cause), without the password; no server is left running."""
    server = LocalServer(tmp_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _recorded(server, port, password="short")
    with pytest.raises(ServerError) as info:
        server.start(heap="256m", pagecache="16m", wait_s=5)
    message = str(info.value)
    assert message.startswith("could not set the local Neo4j's initial password: ")
    assert "A password must be at least 8 characters" in message
    assert server.pid() is None
