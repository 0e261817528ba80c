"""What the commands share: the settings, the database at the current schema, the
installed plugins, and the account the command line acts as. Each imports the service's
heavy parts only when a command calls it, so that ``sanquan --help`` stays fast."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sanquan.cli import messages as m
from sanquan.cli.core import Refused
from sanquan.cli.output import note

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sanquan.auth.tokens import Principal
    from sanquan.config import Settings
    from sanquan.plugins.host import PluginHost

COMMAND_LINE_ACCOUNT = "命令行(sanquan CLI)"


def settings() -> Settings:
    from sanquan.cli.i18n import language
    from sanquan.config import SettingError, Settings

    try:
        return Settings.from_env()
    except SettingError as error:
        raise Refused(error.message(language()), code="SETTING") from None


def database(current: Settings) -> Session:
    """A session on a database at the current schema; otherwise say what to run."""
    import sanquan.models  # noqa: F401  (every table, so that foreign keys resolve)
    from sanquan.db import make_engine, make_session_factory
    from sanquan.migrate import is_current

    missing = _missing_file(current.database_url)
    if missing is not None:
        # Opening it would make an empty file, and the refusal would then point at
        # migrate: most often the command ran outside the folder the data directory
        # is relative to.
        raise Refused(m.NO_DATABASE.format(path=missing), code="NO_DATABASE")
    engine = make_engine(current.database_url)
    if not is_current(engine):
        raise Refused(m.NOT_MIGRATED.format(url=safe(current.database_url)), code="NOT_MIGRATED")
    return make_session_factory(engine)()


def _missing_file(url: str) -> str | None:
    """The file of an SQLite database URL when there is no such file; else ``None``."""
    from sanquan.db import sqlite_path

    path = sqlite_path(url)
    return None if path is None or path.exists() else str(path.absolute())


def plugin_host(*, warn: bool = True) -> PluginHost:
    """The installed plugins. Each that failed to load is said once on stderr (it is left
    out and the others work, so the command goes on); two offering one set stop the
    command in one line, as which of them a session scores against must not be left to
    chance. ``warn=False`` leaves the failures to the caller."""
    from sanquan.cli.i18n import language
    from sanquan.plugins.host import PluginConflict, PluginHost

    try:
        host = PluginHost.discover()
    except PluginConflict as error:
        raise Refused(error.message(language()), code="PLUGIN_CONFLICT") from None
    for failure in host.failures if warn else ():
        note(m.WARNING_LINE.format(message=failure.message(language())))
    return host


def command_line_admin(db: Session) -> Principal:
    """The account that plans and exports made from the command line are recorded under."""
    from sqlalchemy import select

    from sanquan.auth.models import Account, Role
    from sanquan.auth.tokens import principal_of

    account = db.scalar(
        select(Account).where(Account.name == COMMAND_LINE_ACCOUNT, Account.role == Role.ADMIN)
    )
    if account is None:
        account = Account(name=COMMAND_LINE_ACCOUNT, role=Role.ADMIN)
        db.add(account)
        db.flush()
    return principal_of(account)


def safe(url: str) -> str:
    """The database URL without its password, for printing."""
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)
