"""Check the import contracts of pyproject.toml ([tool.importlinter]) with import-linter.

The repository maps top-level folders into the one ``graphscan`` namespace (pyproject
``[tool.setuptools] package-dir``: ``loaders/`` is ``graphscan.loaders`` and so on), and
import-linter reads a package from its folder, where ``graphscan/loaders`` does not exist.
So the installed layout is built from symbolic links in a temporary folder, from that same
``package-dir`` table, and ``lint-imports`` runs there. Arguments go to ``lint-imports``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def installed_layout(into: Path) -> None:
    """``into/graphscan/…`` as a wheel would install it, made of links to the sources."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    mapping: dict[str, str] = config["tool"]["setuptools"]["package-dir"]
    for package, folder in sorted(mapping.items(), key=lambda item: item[0].count(".")):
        target = into.joinpath(*package.split("."))
        if "." in package:
            target.symlink_to(ROOT / folder, target_is_directory=True)
            continue
        target.mkdir()
        for entry in (ROOT / folder).iterdir():
            if entry.name != "__pycache__":
                (target / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())


def main() -> int:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    with tempfile.TemporaryDirectory(prefix="graphscan-imports-") as folder:
        installed_layout(Path(folder))
        env = {**os.environ, "PYTHONPATH": folder}
        command = [str(lint_imports), "--no-cache", str(ROOT / "pyproject.toml"), *sys.argv[1:]]
        return subprocess.run(command, cwd=folder, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
