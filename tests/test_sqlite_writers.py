"""SQLite's writers queue on their file's turn (``sanquan.sqlite_writers``): held from a
write transaction's first statement to its end, whichever way it ends, shared by every
engine on the file in a process and by every process on the file, and never left held, even
by a process killed while writing."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from sanquan.db import make_engine
from sanquan.sqlite_writers import QueuedWriterConnection, WritersTurn

pytestmark = pytest.mark.engine_independent


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    made = make_engine(f"sqlite:///{tmp_path / 'writers.sqlite3'}")
    with made.begin() as connection:
        connection.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)"))
        connection.execute(text("INSERT INTO counter VALUES (1, 0)"))
    return made


WAIT = 60
"""Seconds to wait for what the test caused (a bound on a wait, not a timed assertion)."""


def writers_lock(engine: Engine) -> WritersTurn:
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


HOLDER = """
import sys
from sqlalchemy import text
from sanquan.db import make_engine

engine = make_engine(sys.argv[1])
with engine.connect() as connection:
    connection.execute(text("UPDATE counter SET n = n + 1"))
    print("writing", flush=True)
    if sys.stdin.readline().strip() == "commit":
        connection.commit()
        print("committed", flush=True)
    sys.stdin.readline()
"""
"""A writer in another process: begins a write transaction through the service's engine,
says so, and commits when told (or is killed meanwhile)."""


def holder(engine: Engine) -> subprocess.Popen[str]:
    """A process writing to ``engine``'s file, once it holds the file's turn."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(engine.url)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline() == "writing\n"
    return process


def test_a_writer_of_another_process_holds_the_turn_until_it_commits(engine: Engine) -> None:
    turn = writers_lock(engine)
    other = holder(engine)
    try:
        assert not turn.acquire(0.2)  # the other process writes
        assert not turn.locked()  # a turn not given leaves the threads' lock free
        assert other.stdin is not None and other.stdout is not None
        other.stdin.write("commit\n")
        other.stdin.flush()
        assert other.stdout.readline() == "committed\n"
        assert turn.acquire(WAIT)
        turn.release()
    finally:
        other.kill()
        other.wait()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar() == 1


def test_a_process_killed_while_writing_leaves_the_turn_free(engine: Engine) -> None:
    """The kernel lets go of a killed process's ``flock``; SQLite rolls its write back."""
    turn = writers_lock(engine)
    other = holder(engine)
    assert not turn.acquire(0.2)
    other.kill()
    other.wait()
    assert turn.acquire(WAIT)
    turn.release()
    with engine.connect() as connection:
        connection.execute(text("UPDATE counter SET n = n + 10"))
        connection.commit()
        assert connection.execute(text("SELECT n FROM counter")).scalar() == 10


ADDER = """
import sys, threading
from sqlalchemy import text
from sanquan.db import make_engine

engine = make_engine(sys.argv[1])

def add(times):
    for _ in range(times):
        with engine.connect() as connection:
            connection.execute(text("UPDATE counter SET id = id"))
            n = connection.execute(text("SELECT n FROM counter")).scalar_one()
            connection.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
            connection.commit()

threads = [threading.Thread(target=add, args=(int(sys.argv[2]),)) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
"""


def test_writers_of_several_processes_take_turns(engine: Engine) -> None:
    """Three processes of four threads each add one 25 times: every update kept, and
    none refused by SQLite's own wait (which takes over only after the turn's)."""
    adders = [
        subprocess.Popen([sys.executable, "-c", ADDER, str(engine.url), "25"]) for _ in range(3)
    ]
    assert [adder.wait(WAIT) for adder in adders] == [0, 0, 0]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar() == 300


def test_the_turn_is_a_side_file_beside_the_database(engine: Engine, tmp_path: Path) -> None:
    turn = writers_lock(engine)
    assert turn.path == (tmp_path / "writers.sqlite3-writers").resolve()
    assert turn.path.is_file()
