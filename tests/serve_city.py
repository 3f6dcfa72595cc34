"""A small generated city, loaded and scanned once per test session, and a real
`graphscan serve` on 127.0.0.1 over a private copy of it, for the workbench tests."""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

GRAPHSCAN = str(Path(sys.executable).with_name("graphscan"))
PASSWORDS = {"sue": "supervisor-pw", "ivan": "investigator-pw", "vic": "viewer-pw1"}
ROLES = {"sue": "supervisor", "ivan": "investigator", "vic": "viewer"}


@dataclass(frozen=True)
class City:
    folder: Path
    workspace: Path
    env: dict[str, str]
    tokens: dict[str, str]
    """an API token per user, valid in every copy of the workspace"""


def run(
    args: list[str], env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [GRAPHSCAN, *args], env=env, input=stdin, capture_output=True, text=True, timeout=300
    )


@functools.cache
def city() -> City:
    """2,000 persons, loaded and scanned, with three users; built once per session."""
    folder = Path(tempfile.mkdtemp(prefix="graphscan-serve-city-"))
    atexit.register(shutil.rmtree, folder, True)
    env = {
        **os.environ,
        "GRAPHSCAN_KEY_FILE": str(folder / "key"),
        "GRAPHSCAN_VAULT_FILE": str(folder / "vault"),
        "GRAPHSCAN_LANG": "en",
    }
    ws = folder / "ws"
    done = run(["generate", "--persons", "2000", "--seed", "3", "--out", str(folder / "city")], env)
    assert done.returncode == 0, done.stderr
    canonical = ("persons", "providers", "doctors", "claims", "claim_items")
    tables = [str(folder / "city" / f"{name}.csv") for name in canonical]
    for args in (["load", *tables, "-w", str(ws), "-q"], ["scan", "-w", str(ws)]):
        done = run(args, env)
        assert done.returncode == 0, done.stderr
    tokens = {}
    for name, role in ROLES.items():
        done = run(["users", "add", name, "--role", role, "-w", str(ws)], env, PASSWORDS[name])
        assert done.returncode == 0, done.stderr
        done = run(["users", "token", name, "-w", str(ws)], env)
        assert done.returncode == 0, done.stderr
        tokens[name] = done.stdout.strip().splitlines()[-1]
    return City(folder, ws, env, tokens)


def private_copy(tmp: Path) -> Path:
    """A copy of the city's workspace that one test module may change."""
    target = tmp / "ws"
    shutil.copytree(city().workspace, target)
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(workspace: Path, *options: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`graphscan serve` on a free loopback port (with ``options``, in ``env``, by default
    the city's); yields its URL once it answers."""
    port = free_port()
    log = open(workspace.parent / "serve.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            GRAPHSCAN,
            "serve",
            "-w",
            str(workspace),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *options,
        ],
        env=env or city().env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(url + "/login", timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None:
                    raise AssertionError((workspace.parent / "serve.log").read_text()) from None
                time.sleep(0.2)
        else:
            raise AssertionError("the workbench did not answer within 30 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


class Client:
    """An HTTP client for the API: a bearer token, a session (cookie jar + CSRF), or
    nothing. Returns (status, JSON or bytes) and never raises on HTTP errors."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url
        self.token = token
        self.csrf: str | None = None
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def call(
        self, path: str, body: Any = None, csrf: str | None = None, via: str | None = None
    ) -> tuple[int, Any]:
        """``via``: the client address a reverse proxy on 127.0.0.1 reports."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data)
        if via:
            request.add_header("X-Forwarded-For", via)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        if csrf:
            request.add_header("X-CSRF-Token", csrf)
        try:
            with self.opener.open(request, timeout=60) as response:
                status, raw, kind = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, kind = error.code, error.read(), error.headers
        if "json" in kind.get("content-type", ""):
            return status, json.loads(raw)
        return status, raw

    def login(self, name: str, password: str | None = None, via: str | None = None) -> int:
        secret = password or PASSWORDS[name]
        status, body = self.call("/api/login", {"name": name, "password": secret}, via=via)
        if status == 200:
            self.csrf = body["csrf"]
        return status

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        """A change through the session, with its CSRF token."""
        return self.call(path, body, csrf=self.csrf)
