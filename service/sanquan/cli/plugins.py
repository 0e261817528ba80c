"""``sanquan plugins``: the installed indicator-set plugins, and a new one to start from."""

from __future__ import annotations

from pathlib import Path

import click

from sanquan.cli import messages as m
from sanquan.cli.core import Command, Problem, Refused, argument, json_option, option
from sanquan.cli.output import emit_json, print_table, say, table
from sanquan.cli.root import group

plugins = group("plugins", m.PLUGINS_HELP)


@plugins.command("list", cls=Command, help=m.PLUGINS_LIST_HELP)
@json_option()
def list_plugins(as_json: bool) -> None:
    from sanquan.cli.context import plugin_host
    from sanquan.cli.i18n import language

    host = plugin_host(warn=False)
    if as_json:
        emit_json(
            [
                {
                    "distribution": info.distribution,
                    "version": info.version,
                    "indicatorSets": [{"key": k, "version": v} for k, v in info.sets],
                    "hooks": list(info.hooks),
                }
                for info in host.plugins
            ]
        )
    else:
        shown = table(m.PLUGINS_TITLE, m.PLUGINS_COLUMNS)
        for info in host.plugins:
            sets = ", ".join(f"{k} {v}" for k, v in info.sets)
            shown.add_row(info.distribution, info.version, sets, ", ".join(info.hooks))
        print_table(shown, keep=(1,))
    if host.failures:
        raise Refused(*(Problem("PLUGIN_FAILED", f.message(language())) for f in host.failures))


@plugins.command("new", cls=Command, help=m.PLUGINS_NEW_HELP)
@argument("target", metavar=m.KEY_OR_FOLDER)
@option(
    "--directory",
    type=click.Path(path_type=Path),
    default=Path(),
    metavar=m.FOLDER,
    help=m.DIRECTORY_HELP,
)
def new_plugin(target: str, directory: Path) -> None:
    from sanquan_sdk.scaffold import ScaffoldError, write_plugin

    try:
        root = write_plugin(target, directory)
    except ScaffoldError as error:
        raise Refused(m.SCAFFOLD_REFUSED[error.reason].format(**error.params)) from None
    say(m.PLUGIN_WRITTEN.format(root=root))
