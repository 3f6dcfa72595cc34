"""Entry point. Each area registers its commands in its own module below."""

from __future__ import annotations

import os

import click

from graphscan.i18n import set_lang
from graphscan.version import __version__

#: the help of the help option, in both languages like every other option
HELP = "Show this help and exit / 显示帮助."


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, add_help_option=False)
@click.help_option("-h", "--help", help=HELP)
@click.version_option(
    __version__, prog_name="graphscan", help="Show the version and exit / 显示版本."
)
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
    # everything graphscan writes holds (pseudonymised) personal data: private to the user
    os.umask(0o077)


def _set_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        set_lang(value)


def _lang_everywhere(command: click.Command) -> None:
    """Give every subcommand --lang too, so it works after the subcommand name as well:
    eager, so the messages of the rest of that command's parsing are in that language.
    Its --help says what it does in both languages too."""
    if command.add_help_option:
        command.add_help_option = False
        click.help_option("-h", "--help", help=HELP)(command)
    if not any(p.name == "lang" for p in command.params):
        command.params.append(
            click.Option(
                ["--lang"],
                type=click.Choice(["zh", "en"]),
                expose_value=False,
                is_eager=True,
                callback=_set_lang,
                help="Language of messages / 提示语言.",
            )
        )
    for sub in getattr(command, "commands", {}).values():
        _lang_everywhere(sub)


def _register() -> None:
    # One import per area; each module lists its top-level commands in COMMANDS (and the
    # evidence module its `graphscan cases` subcommands in CASES_COMMANDS).
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
    for command in evidence_cmd.CASES_COMMANDS:
        scan_cmd.cases_group.add_command(command)
    for command in cli.commands.values():
        _lang_everywhere(command)


_register()
