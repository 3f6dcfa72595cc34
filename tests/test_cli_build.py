"""The README's two commands: `make test` stops the local Neo4j it started (and says what
it leaves running). That a build prints no packaging warnings is checked in
test_packaging.py, on the one wheel those tests build."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: stand-ins for the tools `make test` calls: the suite passes or fails as told, and
#: `graphscan neo4j stop` stops the "server" named by the pid file
STUBS = {
    "ruff": "exit 0",
    "python": 'exit "${SUITE_RC:-0}"',
    "graphscan": 'kill "$(cat .neo4j/neo4j.pid)"; rm .neo4j/neo4j.pid; echo stopped',
}
SETUP = """mkdir -p .neo4j
if [ ! -f .neo4j/neo4j.pid ]; then
  nohup sleep 300 >/dev/null 2>&1 &
  echo $! > .neo4j/neo4j.pid
fi
: > .ci/test-env.sh
"""


def _sandbox(tmp_path: Path) -> Path:
    (tmp_path / ".ci").mkdir()
    (tmp_path / ".ci" / "setup-test-env").write_text(SETUP)
    (tmp_path / "pyproject.toml").write_text("")
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, body in STUBS.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    time.sleep(0.01)
    (tmp_path / "venv" / ".installed").touch()  # newer than pyproject.toml: no install
    return tmp_path


def _make_test(sandbox: Path, suite_rc: int = 0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-s", "-C", str(sandbox), "-f", str(ROOT / "Makefile"), "VENV=venv", "test"],
        capture_output=True,
        text=True,
        env={**os.environ, "SUITE_RC": str(suite_rc)},
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text()


@pytest.mark.parametrize("suite_rc", [0, 1])
def test_make_test_stops_the_neo4j_it_started(tmp_path: Path, suite_rc: int) -> None:
    sandbox = _sandbox(tmp_path)
    done = _make_test(sandbox, suite_rc)
    left = sandbox / ".neo4j" / "neo4j.pid"
    if left.exists():  # not stopped: do not leave the stand-in running
        os.kill(int(left.read_text()), 9)
    assert (done.returncode == 0) == (suite_rc == 0), done.stdout + done.stderr
    assert "stopping the local Neo4j this run started" in done.stdout
    assert not left.exists()


def test_make_test_leaves_a_running_neo4j_and_says_so(tmp_path: Path) -> None:
    sandbox = _sandbox(tmp_path)
    server = subprocess.Popen(["sleep", "300"])
    try:
        (sandbox / ".neo4j").mkdir()
        (sandbox / ".neo4j" / "neo4j.pid").write_text(f"{server.pid}\n")
        done = _make_test(sandbox)
        assert done.returncode == 0, done.stdout + done.stderr
        assert _alive(server.pid)
        last = done.stdout.strip().splitlines()[-1]
        assert "still is" in last and "neo4j stop --workspace .neo4j" in last
    finally:
        server.kill()
        server.wait()
