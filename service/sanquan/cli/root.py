"""The ``sanquan`` group that every command module adds its commands to."""

from __future__ import annotations

import click

from sanquan.cli import messages as m
from sanquan.cli.core import Choice, Group, option
from sanquan.cli.i18n import LANGUAGES

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group("sanquan", cls=Group, help=m.ROOT_HELP, context_settings=CONTEXT, no_args_is_help=True)
@option("--lang", type=Choice(LANGUAGES), expose_value=False, help=m.LANG_HELP)
def root() -> None:
    """The language of a run is chosen before Click parses (``sanquan.cli.main``), so that
    ``--lang`` works after a subcommand too; it is declared here to be listed in the help."""


def group(name: str, help: m.Text) -> Group:
    """A command group under ``sanquan``."""
    made = Group(name, help=help, no_args_is_help=True, context_settings=CONTEXT)
    root.add_command(made)
    return made
