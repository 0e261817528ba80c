"""``sanquan migrate``: the database brought to the current schema."""

from __future__ import annotations

from sanquan.cli import messages as m
from sanquan.cli.core import Command
from sanquan.cli.output import say
from sanquan.cli.root import root


@root.command("migrate", cls=Command, help=m.MIGRATE_HELP)
def migrate() -> None:
    from sanquan.cli.context import safe, settings
    from sanquan.db import make_engine
    from sanquan.migrate import upgrade

    current = settings()
    upgrade(make_engine(current.database_url))
    say(m.MIGRATED.format(url=safe(current.database_url)))
