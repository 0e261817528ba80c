"""The storage edge: engine, sessions and the declarative base shared by every domain.

SQLite (the embedded default) is set up for durability: WAL with ``synchronous=FULL`` so a
commit that returned is on disk, foreign keys enforced, and a busy timeout so that two
processes on one file wait for each other instead of failing; the writers of one process
queue on a lock of the process (:mod:`sanquan.sqlite_writers`). PostgreSQL sessions commit
with ``synchronous_commit`` on, even where the server's default is off.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, Enum, MetaData, create_engine, event, make_url
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from sanquan.sqlite_writers import QueuedWriterConnection, queue_writers

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every engine (SQLite has no time zones of its own)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def enum_column(kind: type[StrEnum]) -> Enum:
    """An enum stored as its value in a short string column (portable, readable in SQL)."""
    return Enum(kind, native_enum=False, length=20)


MEMORY = ":memory:"
"""SQLite's name for a database that lives in the memory of the process that opened it."""


def in_memory(url: str) -> bool:
    """Whether ``url`` names an SQLite database in memory: no file, nothing that another
    process (a backup, another worker) could open, gone when its process ends. A URI
    names one in more ways than ``:memory:``, and each must be told apart from a file, or
    a worker would serve a database of its own and its writers queue on a side file named
    after it. Any other engine's database is not in memory.

    >>> urls = ("sqlite://", "sqlite:///file::memory:?uri=true", "sqlite:///x.db?mode=memory")
    >>> [in_memory(u) for u in (*urls, "sqlite:///:memory:", "sqlite:///var/a.db")]
    [True, True, True, True, False]
    >>> in_memory("postgresql+psycopg://host/")
    False
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ""
    return (
        database in ("", MEMORY)
        or database.startswith("file::memory:")
        or parsed.query.get("mode") == "memory"
    )


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite database URL (its name decoded); ``None`` for any other
    database and for an SQLite database in memory, which has none.

    >>> sqlite_path("sqlite:///var/%E8%AF%84%E5%AE%A1.db"), sqlite_path("sqlite://")
    (PosixPath('var/评审.db'), None)
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or in_memory(url) or not parsed.database:
        return None
    return Path(parsed.database)


def make_engine(url: str, *, transactional_ddl: bool = False, **kwargs: Any) -> Engine:
    """An engine for ``url``; creates the SQLite file's directory when needed.

    ``transactional_ddl`` (SQLite, for migrations): the sqlite3 module begins a transaction
    only before INSERT/UPDATE/DELETE, so DDL would commit statement by statement and a
    failed migration would leave half a schema; with it, SQLAlchemy begins every
    transaction itself (the recipe SQLAlchemy documents for pysqlite). The service keeps
    the module's behaviour: its writers take the lock with their first statement."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        database = str(path) if path is not None else ""
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        connect_args: dict[str, Any] = {"check_same_thread": False}
        if not transactional_ddl:
            connect_args["factory"] = QueuedWriterConnection
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        if transactional_ddl:
            event.listen(engine, "connect", _sqlite_autocommit)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            event.listen(engine, "connect", lambda dbapi, _: queue_writers(dbapi, database))
        return engine
    # READ COMMITTED whatever the server's default: what a request reads again after it
    # takes a lock (a submission's session, under the lock that a conclusion waits for)
    # must be what was committed before the lock, not the transaction's first snapshot,
    # which a server defaulting to REPEATABLE READ would keep.
    kwargs.setdefault("isolation_level", "READ COMMITTED")
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    event.listen(engine, "connect", _postgresql_commits_wait_for_wal)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _postgresql_commits_wait_for_wal(dbapi_connection: Any, _record: Any) -> None:
    """A server set to ``synchronous_commit=off`` answers a commit before its WAL is
    flushed, and a crash of the database server then loses the last acknowledged ones: the
    service's sessions wait for the flush whatever the server's default (a stricter
    setting, such as ``remote_apply`` for a synchronous standby, is kept)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("SHOW synchronous_commit")
    if cursor.fetchone()[0] == "off":
        cursor.execute("SET synchronous_commit = on")
    cursor.close()
    dbapi_connection.commit()


def _sqlite_autocommit(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
