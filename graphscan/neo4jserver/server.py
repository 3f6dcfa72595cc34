"""Run one local Neo4j per workspace folder.

Layout under the folder: ``neo4j.pid`` (CI stops the server by it) and ``neo4j/`` with
``conf/``, ``data/``, ``logs/`` and ``credentials.json`` (mode 0600: the generated
password never leaves this file except through ``graphscan neo4j env``).
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from graphscan.errors import ServerError
from graphscan.neo4jserver.assembly import assemble

USER = "neo4j"
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
JVM_FLAGS = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
)


@dataclass(frozen=True)
class Credentials:
    uri: str
    user: str
    password: str

    def exports(self) -> str:
        """Shell lines for ``eval "$(graphscan neo4j env)"`` and .ci/test-env.sh."""
        pairs = {"NEO4J_URI": self.uri, "NEO4J_USER": self.user, "NEO4J_PASSWORD": self.password}
        return "\n".join(f"export {k}={shlex.quote(v)}" for k, v in pairs.items())


class LocalServer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "neo4j"
        self.pid_file = root / "neo4j.pid"
        self.credentials_file = self.home / "credentials.json"

    # -- state ---------------------------------------------------------------------
    def pid(self) -> int | None:
        """The server's pid when it runs; a stale pid file counts as not running."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            return None
        return pid if ENTRY_POINT.encode() in cmdline else None

    def credentials(self) -> Credentials:
        try:
            saved = json.loads(self.credentials_file.read_text())
        except FileNotFoundError:
            raise ServerError(
                f"no local Neo4j in {self.root}: "
                f"run `graphscan neo4j start --workspace {self.root}`"
            ) from None
        return Credentials(f"bolt://127.0.0.1:{saved['port']}", saved["user"], saved["password"])

    # -- start ---------------------------------------------------------------------
    def start(
        self,
        heap: str = "2g",
        pagecache: str = "1g",
        wait_s: float = 180.0,
        on_wait: Callable[[], None] | None = None,
    ) -> Credentials:
        if self.pid() is not None:
            return self.credentials()
        java = shutil.which("java")
        if java is None:
            raise ServerError("Java 17 is not installed; it is needed to run the local Neo4j")
        jars = assemble()
        for sub in ("conf", "data", "logs", "run"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        creds = self._prepare_credentials()
        self._write_conf(jars / "plugins", int(creds.uri.rsplit(":", 1)[1]), pagecache)
        env = {**os.environ, "NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.home / "conf")}
        classpath = str(jars / "lib" / "*")
        if (
            not (self.home / "data" / "dbms" / "auth.ini").exists()
            and not (self.home / "data" / "databases").exists()
        ):
            admin = subprocess.run(
                [
                    java,
                    "-cp",
                    classpath,
                    ADMIN_TOOL,
                    "dbms",
                    "set-initial-password",
                    creds.password,
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if admin.returncode != 0:
                said = _last_lines(admin.stdout + admin.stderr).replace(creds.password, "***")
                raise ServerError(f"could not set the local Neo4j's initial password: {said}")
        console = (self.home / "logs" / "console.log").open("ab")
        process = subprocess.Popen(
            [
                java,
                f"-Xms{heap}",
                f"-Xmx{heap}",
                *JVM_FLAGS,
                "-cp",
                classpath,
                ENTRY_POINT,
                f"--home-dir={self.home}",
                f"--config-dir={self.home / 'conf'}",
            ],
            env=env,
            stdout=console,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.pid_file.write_text(f"{process.pid}\n")
        self._wait_for_bolt(process, creds, wait_s, on_wait)
        return creds

    def _prepare_credentials(self) -> Credentials:
        """Keep the password the data folder was initialised with; keep the port when it
        is still free, so exported variables stay valid across restarts."""
        if self.credentials_file.exists():
            saved = json.loads(self.credentials_file.read_text())
            port = saved["port"] if _port_free(saved["port"]) else _free_port()
        else:
            saved = {"user": USER, "password": secrets.token_urlsafe(18)}
            port = _free_port()
        saved["port"] = port
        self.credentials_file.touch(mode=0o600, exist_ok=True)
        os.chmod(self.credentials_file, 0o600)
        self.credentials_file.write_text(json.dumps(saved))
        return Credentials(f"bolt://127.0.0.1:{port}", saved["user"], saved["password"])

    def _write_conf(self, plugins: Path, port: int, pagecache: str) -> None:
        template = (files(__package__) / "neo4j.conf.template").read_text(encoding="utf-8")
        conf = template.format(
            port=port,
            data=self.home / "data",
            logs=self.home / "logs",
            run=self.home / "run",
            plugins=plugins,
            pagecache=pagecache,
        )
        (self.home / "conf" / "neo4j.conf").write_text(conf, encoding="utf-8")

    def _wait_for_bolt(
        self,
        process: subprocess.Popen[bytes],
        creds: Credentials,
        wait_s: float,
        on_wait: Callable[[], None] | None,
    ) -> None:
        from neo4j import GraphDatabase
        from neo4j.exceptions import Neo4jError, ServiceUnavailable

        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise ServerError(f"the local Neo4j stopped while starting: {self._last_error()}")
            try:
                with GraphDatabase.driver(creds.uri, auth=(creds.user, creds.password)) as drv:
                    drv.verify_connectivity()
                    return
            except (ServiceUnavailable, Neo4jError, OSError):
                if on_wait is not None:
                    on_wait()
                time.sleep(1.0)
        self.stop()
        raise ServerError(f"the local Neo4j did not answer on {creds.uri} within {wait_s:.0f} s")

    def _last_error(self) -> str:
        log = self.home / "logs" / "neo4j.log"
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        errors = [line for line in lines if " ERROR " in line or "Exception" in line]
        return (errors[-1] if errors else f"see {log}").strip()[:300]

    # -- stop ----------------------------------------------------------------------
    def stop(self, wait_s: float = 60.0) -> bool:
        """Stop cleanly (SIGTERM lets Neo4j checkpoint); returns whether one was running."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and self.pid() is not None:
            time.sleep(0.5)
        if self.pid() is not None:
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_free(port: int) -> bool:
    """Whether the server could listen on ``port``. It binds with SO_REUSEADDR, as Neo4j
    does: the connections of a server just stopped linger in TIME_WAIT on its port for a
    minute, and without it that port would look taken and a restart would move."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _last_lines(output: str, count: int = 3) -> str:
    """A tool's last lines of output, joined into one line for the error message."""
    lines = [line.strip()[:300] for line in output.splitlines() if line.strip()]
    return " / ".join(lines[-count:]) or "(the tool printed nothing)"
