"""``sanquan backup`` and ``sanquan restore``: the SQLite database copied while it is
served, and put back while it is not (:mod:`sanquan.backup`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from sanquan.cli import messages as m
from sanquan.cli.core import Command, Problem, Refused, argument, option
from sanquan.cli.output import note, say
from sanquan.cli.root import root

if TYPE_CHECKING:
    from sanquan.backup import BackupError

FILE_ARGUMENT = click.Path()
"""Kept as typed (a string), so that :func:`sanquan.backup.file_argument` sees a trailing
``/`` that ``Path`` would drop. It also refuses a folder, in the command's language:
click's own ``dir_okay=False`` answered in English only."""


@root.command("backup", cls=Command, help=m.BACKUP_HELP)
@argument("file", type=FILE_ARGUMENT, metavar=m.FILE)
@option("--force", is_flag=True, help=m.BACKUP_FORCE_HELP)
def backup(file: str, force: bool) -> None:
    from sanquan.backup import BackupError, file_argument, sqlite_file
    from sanquan.backup import backup as copy_database
    from sanquan.cli.context import settings

    try:
        target = file_argument(file, "backup")
        written = copy_database(sqlite_file(settings().database_url), target, force=force)
    except BackupError as error:
        raise _refused(error) from None
    say(m.BACKED_UP.format(path=written.path, revision=written.revision, size=written.size))


@root.command("restore", cls=Command, help=m.RESTORE_HELP)
@argument("file", type=FILE_ARGUMENT, metavar=m.FILE)
@option("--force", is_flag=True, help=m.RESTORE_FORCE_HELP)
def restore(file: str, force: bool) -> None:
    from sanquan.backup import BackupError, file_argument, sqlite_file
    from sanquan.backup import restore as put_back
    from sanquan.cli.context import settings

    try:
        source = file_argument(file, "restore")
        written = put_back(source, sqlite_file(settings().database_url), force=force)
    except BackupError as error:
        raise _refused(error) from None
    say(m.RESTORED.format(path=written.path, revision=written.revision, size=written.size))
    if not written.current:
        note(m.RESTORED_NOT_CURRENT)


def _refused(error: BackupError) -> Refused:
    from sanquan.backup import FILE
    from sanquan.cli.i18n import language

    message = error.message(language())
    if error.argument == FILE:
        named = str(m.FILE)
        return Refused(
            Problem(error.code, m.ABOUT_OPTION.format(option=named, message=message), named)
        )
    return Refused(Problem(error.code, message, error.argument))
