"""Fetch the server jars with the machine's Maven: ``lib/`` is the JVM class path and
``plugins/`` holds the GDS and APOC jars, where Neo4j looks for procedures.

The cache is keyed by the pom's content, so a new pom assembles a fresh folder and an
unchanged one is reused (Maven's own ~/.m2 cache makes a re-assembly take seconds).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from importlib.resources import files
from pathlib import Path

from graphscan.errors import ServerError

PLUGIN_GROUPS = "org.neo4j.gds,org.neo4j.procedure"


def pom_text() -> str:
    return (files(__package__) / "pom.xml").read_text(encoding="utf-8")


def cache_root() -> Path:
    base = os.environ.get("GRAPHSCAN_NEO4J_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "graphscan"
    )
    return Path(base)


def assembly_dir() -> Path:
    digest = hashlib.sha256(pom_text().encode()).hexdigest()[:12]
    return cache_root() / f"neo4j-{digest}"


def _maven(pom: Path, out: Path, *extra: str) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ServerError("Maven (mvn) is not installed; it is needed to assemble the local Neo4j")
    cmd = [mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies"]
    cmd += [f"-DoutputDirectory={out}", *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["(no output)"]
        raise ServerError(f"Maven could not fetch the Neo4j jars: {last[0]}")


def assemble() -> Path:
    """Return the folder with ``lib/`` and ``plugins/``, fetching them when missing."""
    target = assembly_dir()
    if (target / "READY").exists():
        return target
    work = target.with_name(target.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    pom = work / "pom.xml"
    pom.write_text(pom_text(), encoding="utf-8")
    _maven(pom, work / "lib", "-DincludeScope=runtime")
    _maven(pom, work / "plugins", f"-DincludeGroupIds={PLUGIN_GROUPS}")
    (work / "READY").write_text("ok\n")
    shutil.rmtree(target, ignore_errors=True)
    work.rename(target)
    return target
