"""The ``sanquan`` command: serve, migrate, demo data, tokens, plugins, the rotation,
exports. One module per command group; each imports the service's heavy parts (the
database models, GraphQL, the app) inside its commands, so that help is instant.

The language is chosen before Click parses anything, so ``--lang en`` works anywhere on
the line, help included, and every message of the run (Click's own too) is in it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

# Each module adds its commands to ``root``.
from sanquan.cli import (  # noqa: F401
    backup,
    database,
    demo,
    exports,
    i18n,
    plugins,
    schedule,
    serve,
    tables,
    tokens,
)
from sanquan.cli import messages as m
from sanquan.cli.core import Problem, Refused
from sanquan.cli.output import report
from sanquan.cli.root import root

__all__ = ["main", "root"]

ORDER = ("serve", "migrate", "demo", "token", "schedule", "plugins", "tables", "export")
"""The help's order, the others after them: serving first, then what an officer does most."""
root.commands = {**{name: root.commands[name] for name in ORDER}, **root.commands}


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line and exit: 0 done, 1 failed unexpectedly, 2 refused (a usage
    error or a refusal, each said on stderr)."""
    os.environ.setdefault("PYTHONUTF8", "1")
    args = list(sys.argv[1:] if argv is None else argv)
    choice = i18n.choose(args, os.environ)
    i18n.use(choice.language)
    i18n.translate_click()
    as_json = "--json" in choice.args
    if choice.problem is not None:
        report([Problem("USAGE", m.BAD_LANGUAGE.format(value=choice.problem), "--lang")], as_json)
        sys.exit(2)
    sys.exit(run(choice.args, as_json))


def run(args: list[str], as_json: bool) -> int:
    try:
        root.main(args, prog_name="sanquan", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as error:
        click.echo(error.format_message(), err=True)
        return error.exit_code
    except Refused as refused:
        report(refused.problems, as_json or refused.as_json)
        return refused.status
    except click.UsageError as error:
        report([_usage_problem(error)], as_json)
        if not as_json and error.ctx is not None:
            click.echo(m.HELP_HINT.format(command=error.ctx.command_path), err=True)
        return error.exit_code
    except click.ClickException as error:
        report([Problem("USAGE", error.format_message())], as_json)
        return error.exit_code
    except click.Abort:
        click.echo(i18n.gettext("Aborted!"), err=True)
        return 1
    except click.exceptions.Exit as done:
        return done.exit_code
    return 0


def _usage_problem(error: click.UsageError) -> Problem:
    """A usage error worded like every other refusal: ``--role: …`` for a bad value."""
    if isinstance(error, click.MissingParameter) or not isinstance(error, click.BadParameter):
        option = error.option_name if isinstance(error, click.NoSuchOption) else None
        return Problem("USAGE", error.format_message(), option)
    param = error.param
    name = (
        param.opts[0]
        if isinstance(param, click.Option)
        else (param.human_readable_name if param else "")
    )
    message = m.ABOUT_OPTION.format(option=name, message=error.message) if name else error.message
    return Problem("USAGE", message, name or None)
