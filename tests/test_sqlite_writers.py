"""SQLite's writers queue on their file's turn (``sanquan.sqlite_writers``): held from a
write transaction's first statement to its end, whichever way it ends, shared by every
engine on the file in a process and by every process on the file, and never left held, even
by a process killed while writing."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, text

from sanquan.config import sqlite_url
from sanquan.db import make_engine
from sanquan.sqlite_writers import QueuedWriterConnection, WritersTurn
from tests.required import unavailable

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


def test_statements_leave_nothing_behind_on_the_connection(engine: Engine) -> None:
    """Each statement opens a cursor; the connection's record of them must not grow with
    the statements run (it did: 88 bytes a cursor, for good)."""
    with engine.connect() as connection:

        def run(times: int) -> None:
            for _ in range(times):
                connection.execute(text("UPDATE counter SET n = n + 1"))
                connection.commit()

        run(1_000)  # whatever is made once (compiled statements, caches) is made
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            run(20_000)
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert connection.execute(text("SELECT n FROM counter")).scalar() == 21_000
    assert grown < 200_000, f"{grown} bytes kept after 20,000 statements"


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


def commit_in(other: subprocess.Popen[str]) -> None:
    """Tell a :func:`holder` to commit, and wait until it has."""
    assert other.stdin is not None and other.stdout is not None
    other.stdin.write("commit\n")
    other.stdin.flush()
    assert other.stdout.readline() == "committed\n"


def test_a_writer_of_another_process_holds_the_turn_until_it_commits(engine: Engine) -> None:
    turn = writers_lock(engine)
    other = holder(engine)
    try:
        assert not turn.acquire(0.2)  # the other process writes
        assert not turn.locked()  # a turn not given leaves the threads' lock free
        commit_in(other)
        assert turn.acquire(WAIT)
        turn.release()
    finally:
        other.kill()
        other.wait()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar() == 1


def test_a_turn_that_comes_after_its_writer_gave_up_is_let_go(engine: Engine) -> None:
    """A writer that stops waiting leaves its process's waiter blocked in the kernel: the
    turn, when it comes, is let go at once, and until then keeps the process's next
    writer out as any holder would (``flock`` on a descriptor of the waiter's own)."""
    turn = writers_lock(engine)
    other = holder(engine)
    try:
        assert not turn.acquire(0.2)  # given up; the waiter still waits
        commit_in(other)
    finally:
        other.kill()
        other.wait()
    waiter = turn._waiter  # when it has answered the given-up wait
    assert waiter is not None
    for _ in range(WAIT * 100):
        if waiter.served:
            break
        time.sleep(0.01)
    assert waiter.served == 1
    with turn.path.open("rb") as side:  # an open file of its own, as another process's
        fcntl.flock(side, fcntl.LOCK_EX | fcntl.LOCK_NB)  # let go: nobody keeps it
    assert turn.acquire(WAIT)
    try:
        with turn.path.open("rb") as side, pytest.raises(BlockingIOError):
            fcntl.flock(side, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the turn is this process's
    finally:
        turn.release()


def test_a_side_file_removed_while_another_process_holds_the_turn_is_not_a_turn(
    engine: Engine,
) -> None:
    """The waiter locks a second open file of the side file this process already has
    open, never whatever the name leads to by then: an operator removing (or replacing)
    the side file while the service runs would otherwise have the waiter lock a new, free
    file and give this process the turn that another process holds."""
    turn = writers_lock(engine)
    assert turn.acquire(WAIT)  # the side file, opened by this process
    turn.release()
    other = holder(engine)  # holds the turn on the same file
    try:
        turn.path.unlink()
        assert not turn.acquire(0.2)  # the other process still writes
        commit_in(other)
    finally:
        other.kill()
        other.wait()
    assert turn.acquire(WAIT)  # let go by the other process: this one's now
    turn.release()


def open_descriptors() -> int:
    """How many descriptors this process has open."""
    return sum(1 for _ in Path("/dev/fd").iterdir())


def test_a_waiter_that_cannot_start_leaves_the_writer_to_sqlite(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that may start no thread (its limit reached, or the interpreter shutting
    down) cannot hand the wait to a waiter: the writer goes on to SQLite's own waiting,
    as where the side file cannot be opened, rather than failing its write, and the
    waiter's descriptor is not left open."""
    turn = writers_lock(engine)
    other = holder(engine)
    try:

        def refused(thread: threading.Thread) -> None:
            raise RuntimeError("can't start new thread")

        opened = open_descriptors()
        with monkeypatch.context() as patched:
            patched.setattr(threading.Thread, "start", refused)
            assert not turn.acquire(0.2)
        assert open_descriptors() == opened
        assert not turn.locked()
        commit_in(other)
    finally:
        other.kill()
        other.wait()
    assert turn.acquire(WAIT)
    turn.release()


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


def test_a_wait_interrupted_by_a_signal_leaves_the_turn_free(engine: Engine) -> None:
    """A signal handler that raises while a writer waits for another process's turn (as
    Ctrl-C does): the writer gives up its place among the threads, so the process's next
    writer is not kept waiting by a turn nobody holds."""
    turn = writers_lock(engine)
    other = holder(engine)

    def interrupt(_signum: int, _frame: object) -> None:
        raise InterruptedError("the operator pressed Ctrl-C")

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.raises(InterruptedError):
            turn.acquire(WAIT)
        assert not turn.locked()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        other.kill()
        other.wait()
    assert turn.acquire(WAIT)
    turn.release()


FORKER = """
import os, sys
from sqlalchemy import text
from sanquan.db import make_engine

engine = make_engine(sys.argv[1])
connection = engine.connect()
connection.execute(text("UPDATE counter SET n = n + 1"))  # holds the turn while it forks
child = os.fork()
if child == 0:
    writers = connection.connection.driver_connection.writers
    os.write(1, f"child {writers.locked()}\\n".encode())  # one write: lines never interleave
    sys.stdin.readline()
    os._exit(0)
os.write(1, b"forked\\n")
sys.stdin.readline()
"""
"""A process that forks while one of its writers holds the turn (a plugin or a test
running work in a ``multiprocessing`` child), then waits to be killed."""


def test_a_forked_child_neither_inherits_the_turn_nor_keeps_it_for_a_killed_parent(
    engine: Engine,
) -> None:
    """The child starts with the turn free among its own threads, and does not keep the
    parent's ``flock`` alive: once the parent is killed, the others write, while the
    child still runs."""
    turn = writers_lock(engine)
    parent = subprocess.Popen(
        [sys.executable, "-c", FORKER, str(engine.url)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdin is not None and parent.stdout is not None
    try:
        said = {parent.stdout.readline(), parent.stdout.readline()}
        assert said == {"forked\n", "child False\n"}
        parent.kill()
        parent.wait()
        assert turn.acquire(WAIT), "the child kept the killed parent's turn"
        turn.release()
    finally:
        parent.kill()
        parent.stdin.close()  # the child, still reading it, ends
        parent.wait()


SERVICE_USER = 65534
"""The account the service runs as in the test of ownership: ``nobody``, not root."""


@pytest.fixture
def service_folder() -> Iterator[Path]:
    """A folder of the service's account holding its database: the service runs as an
    account of its own, an operator's command (``sudo sanquan token create``) as root."""
    if os.geteuid() != 0:
        unavailable("acting as the service's account and as root needs root")
    folder = Path(tempfile.mkdtemp(prefix="sanquan-service-"))
    try:
        database = folder / "sanquan.sqlite3"
        with closing(sqlite3.connect(database)) as made:
            made.execute("PRAGMA journal_mode=WAL")
            made.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)")
            made.execute("INSERT INTO counter VALUES (1, 0)")
            made.commit()
        for path in (folder, *folder.iterdir()):
            os.chown(path, SERVICE_USER, SERVICE_USER)
        folder.chmod(0o755)
        yield folder
    finally:
        shutil.rmtree(folder)


def as_root_under_umask_077(url: str) -> None:
    """One write by an operator's command run as root with a strict umask."""
    done = subprocess.run(  # noqa: PLW1510 - the status is checked below
        [sys.executable, "-c", ADDER, url, "1"], preexec_fn=lambda: os.umask(0o077)
    )
    assert done.returncode == 0


def left_by_root(url: str) -> None:
    """The side file as root left it before it was given the database's owner."""
    side = Path(str(make_url(url).database) + "-writers")
    side.touch(0o644)
    side.chmod(0o644)


SERVICE_WRITER = """
import os, sys, time
from sqlalchemy import text
from sanquan.db import make_engine

engine = make_engine(sys.argv[1])
with engine.connect() as connection:  # every module a write needs, imported as root
    connection.execute(text("SELECT n FROM counter"))
engine.dispose()
account = int(sys.argv[2])
os.setgroups([])
os.setgid(account)
os.setuid(account)
with engine.connect() as connection:
    connection.execute(text("UPDATE counter SET n = n + 1"))
    print("writing", flush=True)
    time.sleep(60)  # killed before
"""
"""A writer that starts as root, whose interpreter may lie where the service's account may
not read, imports what it needs, becomes that account and holds a write transaction. A
process of its own: forking the test's process, with its threads and open databases,
would carry them into the child."""


@contextmanager
def writing_as_the_service_account(url: str) -> Iterator[None]:
    """A process of the service's account holding a write transaction on ``url``."""
    child = subprocess.Popen(
        [sys.executable, "-c", SERVICE_WRITER, url, str(SERVICE_USER)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "writing\n"
        yield
    finally:
        child.kill()
        child.wait()


@pytest.mark.parametrize("first", [as_root_under_umask_077, left_by_root])
def test_the_service_account_queues_on_a_side_file_root_made(
    service_folder: Path, first: Callable[[str], None]
) -> None:
    """Whoever made the side file first, the service's account takes its turn on it:
    made by root, it belongs to the database's owner, as SQLite's own ``-wal`` and
    ``-shm`` do; one that the service may only read still takes a ``flock``."""
    url = sqlite_url(service_folder / "sanquan.sqlite3")
    first(url)
    with writing_as_the_service_account(url):
        turn = writers_lock(make_engine(url))
        assert not turn.acquire(0.2), "the service's account wrote without taking its turn"
