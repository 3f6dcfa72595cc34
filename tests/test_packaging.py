"""The wheel must work as well as the editable install: one `graphscan` namespace,
SQL and Cypher files shipped as package resources, no bare top-level `loaders`/`viz`."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
    )
    (path,) = out.glob("graphscan-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_has_one_namespace(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/", 1)[0] for name in wheel.namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"graphscan"}


def test_wheel_ships_subpackages_and_resources(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for module in ("loaders", "viz", "cypher", "examples", "sql", "store", "cli", "detect"):
        assert f"graphscan/{module}/__init__.py" in names, module
    assert any(n.startswith("graphscan/cypher/") and n.endswith(".cypher") for n in names)
    assert any(n.startswith("graphscan/sql/") and n.endswith(".sql") for n in names)
