"""The writers of one process queue on a lock of their SQLite file (``sanquan.sqlite_writers``):
held from a write transaction's first statement to its end, whichever way it ends, shared
by every engine on the file, and never left held."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from sanquan.db import make_engine
from sanquan.sqlite_writers import QueuedWriterConnection

pytestmark = pytest.mark.engine_independent


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    made = make_engine(f"sqlite:///{tmp_path / 'writers.sqlite3'}")
    with made.begin() as connection:
        connection.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)"))
        connection.execute(text("INSERT INTO counter VALUES (1, 0)"))
    return made


def writers_lock(engine: Engine) -> threading.Lock:
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        assert isinstance(dbapi, QueuedWriterConnection) and dbapi.writers is not None
        return dbapi.writers
    finally:
        raw.close()


def test_a_write_transaction_holds_the_lock_until_commit(engine: Engine) -> None:
    lock = writers_lock(engine)
    with engine.connect() as connection:
        connection.execute(text("SELECT n FROM counter"))
        assert not lock.locked()  # reading begins no write
        connection.execute(text("UPDATE counter SET n = n + 1"))
        assert lock.locked()
        connection.commit()
        assert not lock.locked()
        assert connection.execute(text("SELECT n FROM counter")).scalar() == 1


def test_a_rollback_a_failed_statement_and_a_closed_connection_let_go(engine: Engine) -> None:
    lock = writers_lock(engine)
    with engine.connect() as connection:
        connection.execute(text("UPDATE counter SET n = 5"))
        connection.rollback()
        assert not lock.locked()
        with pytest.raises(Exception, match="no such table"):
            connection.execute(text("INSERT INTO missing VALUES (1)"))
        connection.rollback()
        assert not lock.locked()
    raw = engine.raw_connection()
    raw.cursor().execute("UPDATE counter SET n = 7")
    assert lock.locked()
    raw.invalidate()  # closes the DBAPI connection with its transaction open
    assert not lock.locked()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar() == 0


def test_engines_on_one_file_share_the_lock(engine: Engine, tmp_path: Path) -> None:
    other = make_engine(f"sqlite:///{tmp_path / 'writers.sqlite3'}")
    elsewhere = make_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    assert writers_lock(other) is writers_lock(engine)
    assert writers_lock(elsewhere) is not writers_lock(engine)


def test_concurrent_writers_take_turns_and_lose_no_update(engine: Engine) -> None:
    """Eight threads each add one 25 times, reading then writing in one transaction: a
    writer that began before another committed would lose the other's update."""
    failures: list[BaseException] = []

    def add(times: int) -> None:
        try:
            for _ in range(times):
                with engine.connect() as connection:
                    connection.execute(text("UPDATE counter SET id = id"))  # takes the lock
                    n = connection.execute(text("SELECT n FROM counter")).scalar_one()
                    connection.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
                    connection.commit()
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=add, args=(25,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar() == 200
    assert not writers_lock(engine).locked()


def test_migrations_engine_is_left_to_sqlite(tmp_path: Path) -> None:
    """The migrations' engine begins its own transactions (``transactional_ddl``): it
    runs alone, before serving, and keeps the plain connection."""
    migrations = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}", transactional_ddl=True)
    raw = migrations.raw_connection()
    try:
        assert not isinstance(raw.driver_connection, QueuedWriterConnection)
    finally:
        raw.close()
