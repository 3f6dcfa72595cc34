"""The wheel must work as well as the editable install: one `graphscan` namespace,
SQL and Cypher files shipped as package resources, no bare top-level `loaders`/`viz`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[zipfile.ZipFile, str]:
    """The wheel, built once for every packaging test, and what the build printed."""
    out = tmp_path_factory.mktemp("wheel")
    run = subprocess.run(
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
        capture_output=True,
        text=True,
        check=True,
    )
    (path,) = out.glob("graphscan-*.whl")
    return zipfile.ZipFile(path), run.stdout + run.stderr


@pytest.fixture(scope="module")
def wheel(built: tuple[zipfile.ZipFile, str]) -> zipfile.ZipFile:
    return built[0]


def test_building_prints_no_packaging_warnings(built: tuple[zipfile.ZipFile, str]) -> None:
    printed = built[1]
    assert "BuildBackendWarning" not in printed
    assert "absent from the `packages` configuration" not in printed


def test_wheel_has_one_namespace(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/", 1)[0] for name in wheel.namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"graphscan"}


def test_wheel_ships_subpackages_and_resources(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for module in ("loaders", "viz", "cypher", "examples", "sql", "store", "cli", "detect"):
        assert f"graphscan/{module}/__init__.py" in names, module
    assert any(n.startswith("graphscan/cypher/") and n.endswith(".cypher") for n in names)
    assert any(n.startswith("graphscan/sql/") and n.endswith(".sql") for n in names)


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / ".ci" / "lint_imports.py"), "--no-logo"],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_layout_of_the_readme_holds() -> None:
    """pyproject's import-linter contracts (layers, independent stores, viz without a
    store, loaders without a detector, no import cycles) on the installed layout."""
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 6 kept, 0 broken." in done.stdout


#: (file, text appended, what lint-imports must say): a lazy import and a TYPE_CHECKING one
#: count as much as a module-level one.
VIOLATIONS = [
    (
        "viz/memo.py",
        "\n\ndef _sneaky():\n    from graphscan.store import open_store\n\n    return open_store\n",
        "graphscan.viz is not allowed to import graphscan.store",
    ),
    (
        "graphscan/schema.py",
        "\nfrom typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
        "    from graphscan.store.base import Store  # noqa: F401\n",
        "graphscan.schema is not allowed to import graphscan.store",
    ),
    (
        "graphscan/casebook.py",
        "\n\ndef _sneaky():\n    from graphscan.api import cases\n\n    return cases\n",
        "graphscan.casebook is not allowed to import graphscan.api",
    ),
    (
        "viz/context.py",
        "\nfrom typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
        "    from graphscan.store.base import Store  # noqa: F401\n",
        "graphscan.viz is not allowed to import graphscan.store",
    ),
    (
        "loaders/report.py",
        "\n\ndef _sneaky():\n    from graphscan.detect import detectors\n\n    return detectors\n",
        "graphscan.loaders is not allowed to import graphscan.detect",
    ),
    (
        "graphscan/store/embedded.py",
        "\n\ndef _sneaky():\n    from graphscan.store import neo4j\n\n    return neo4j\n",
        "graphscan.store.embedded is not allowed to import graphscan.store.neo4j",
    ),
]


@pytest.mark.parametrize(("path", "added", "message"), VIOLATIONS)
def test_the_contracts_catch_an_import_across_the_layout(
    tmp_path: Path, path: str, added: str, message: str
) -> None:
    for folder in ("graphscan", "loaders", "viz", "cypher", "examples", ".ci"):
        shutil.copytree(
            ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (tmp_path / path).open("a", encoding="utf-8") as source:
        source.write(added)
    done = _lint_imports(tmp_path)
    assert done.returncode == 1
    assert message in done.stdout
