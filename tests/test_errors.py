"""One error hierarchy: graphscan's own errors reach the user as one line, anything else
is a bug and keeps its traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from graphscan.cli.common import friendly_errors
from graphscan.cli.main import cli
from graphscan.errors import GraphscanError, InputError, KeyMissing, StoreError
from graphscan.pseudonym import KeyMissing as KeyMissingFromPseudonym


def _command(error: Exception) -> click.Command:
    @click.command()
    @friendly_errors
    def failing() -> None:
        raise error

    return failing


@pytest.mark.parametrize(
    "error", [InputError("bad --since: 2025-13-01"), StoreError("cannot reach Neo4j")]
)
def test_a_graphscan_error_is_one_line(error: GraphscanError) -> None:
    result = CliRunner().invoke(_command(error))
    assert result.exit_code == 1
    assert result.output == f"Error: {error}\n"


@pytest.mark.parametrize("error", [ValueError("a bug"), FileNotFoundError("a bug"), KeyError(1)])
def test_a_bug_keeps_its_traceback(error: Exception) -> None:
    result = CliRunner().invoke(_command(error))
    assert result.exception is error  # not turned into a message: click would exit 1


def test_a_real_bug_prints_a_traceback_from_the_installed_command(tmp_path: Path) -> None:
    """The ValueError of a bug is no longer dressed up as a user message."""
    code = (
        "import sys, click\n"
        "from graphscan.cli.common import friendly_errors\n"
        "@click.command()\n"
        "@friendly_errors\n"
        "def broken():\n"
        "    int('not a number')\n"
        "broken()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr
    assert "ValueError: invalid literal for int()" in done.stderr


def test_bad_user_input_from_a_command_is_one_line(tmp_path: Path) -> None:
    mapping = tmp_path / "columns.json"
    mapping.write_text(json.dumps({"就医流水号": "no_such_column"}), encoding="utf-8")
    claims = tmp_path / "claims.csv"
    claims.write_text("claim_id\nc1\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["--lang", "en", "load", str(claims), "--mapping", str(mapping), "-w", str(tmp_path / "w")],
    )
    assert result.exit_code == 1
    assert result.output == (
        "Error: unknown canonical columns in the mapping file: no_such_column\n"
    )


def test_a_folder_that_is_no_workspace_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["--lang", "en", "cases", "status", "GS-00000000", "reviewing", "-w", str(tmp_path)],
    )
    assert result.exit_code == 1
    assert result.output == f"Error: {tmp_path} is not a graphscan workspace\n"


def test_input_errors_are_still_value_errors_and_key_errors_keep_their_import() -> None:
    """Validation code that catches ValueError keeps working; ``graphscan.pseudonym``
    still names KeyMissing, which is the hierarchy's."""
    assert issubclass(InputError, ValueError) and issubclass(InputError, GraphscanError)
    assert KeyMissingFromPseudonym is KeyMissing and issubclass(KeyMissing, GraphscanError)
