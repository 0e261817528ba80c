"""``sanquan backup`` and ``sanquan restore``: the SQLite database copied while it is
served, and put back while it is not (:mod:`sanquan.backup`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from sanquan.cli import messages as m
from sanquan.cli.core import Command, Refused, argument, option
from sanquan.cli.output import note, say
from sanquan.cli.root import root

if TYPE_CHECKING:
    from sanquan.backup import BackupError

FILE_ARGUMENT = click.Path(dir_okay=False, path_type=Path)


@root.command("backup", cls=Command, help=m.BACKUP_HELP)
@argument("file", type=FILE_ARGUMENT, metavar=m.FILE)
@option("--force", is_flag=True, help=m.BACKUP_FORCE_HELP)
def backup(file: Path, force: bool) -> None:
    from sanquan.backup import BackupError, sqlite_file
    from sanquan.backup import backup as copy_database
    from sanquan.cli.context import settings

    try:
        written = copy_database(sqlite_file(settings().database_url), file, force=force)
    except BackupError as error:
        raise _refused(error) from None
    say(m.BACKED_UP.format(path=written.path, revision=written.revision, size=written.size))


@root.command("restore", cls=Command, help=m.RESTORE_HELP)
@argument("file", type=FILE_ARGUMENT, metavar=m.FILE)
@option("--force", is_flag=True, help=m.RESTORE_FORCE_HELP)
def restore(file: Path, force: bool) -> None:
    from sanquan.backup import BackupError, sqlite_file
    from sanquan.backup import restore as put_back
    from sanquan.cli.context import settings

    try:
        written = put_back(file, sqlite_file(settings().database_url), force=force)
    except BackupError as error:
        raise _refused(error) from None
    say(m.RESTORED.format(path=written.path, revision=written.revision, size=written.size))
    if not written.current:
        note(m.RESTORED_NOT_CURRENT)


def _refused(error: BackupError) -> Refused:
    from sanquan.cli.i18n import language

    return Refused(error.message(language()), code=error.code)
