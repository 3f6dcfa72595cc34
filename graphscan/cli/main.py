"""Entry point. Each area registers its commands in its own module below."""

from __future__ import annotations

import click

from graphscan import __version__
from graphscan.i18n import set_lang


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="graphscan")
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default=None,
    envvar="GRAPHSCAN_LANG",
    help="Language of messages / 提示语言 (default: from the locale).",
)
def cli(lang: str | None) -> None:
    """graphscan: find collusion rings that defraud the medical insurance fund.
    医保基金欺诈团伙图分析工具。

    \b
    Example / 示例:
      graphscan generate --persons 20000 --seed 1 --out city
      graphscan load city/*.csv
      graphscan scan
    """
    set_lang(lang)


def _register() -> None:
    # One line per area; each module defines a click command or group named `command`.
    from graphscan.cli import demo as demo_cmd
    from graphscan.cli import evidence as evidence_cmd
    from graphscan.cli import generate as generate_cmd
    from graphscan.cli import load as load_cmd
    from graphscan.cli import neo4j as neo4j_cmd
    from graphscan.cli import scan as scan_cmd
    from graphscan.cli import serve as serve_cmd

    for module in (demo_cmd, load_cmd, neo4j_cmd, evidence_cmd, scan_cmd, generate_cmd, serve_cmd):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()
