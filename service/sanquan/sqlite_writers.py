"""SQLite's writers take turns on a queue of their database file, which hands the write
lock to the next as soon as one commits, instead of each polling SQLite's busy lock.

Why: SQLite lets one transaction write at a time. A connection that finds the write lock
taken is kept waiting by SQLite's busy handler, which sleeps 1, 2, 5, 10 … up to 100 ms
between tries without knowing when the holder commits. With the service's execution
threads submitting together, most of a write's time went on those sleeps: one process
took 32 submissions/s from six clients where one client alone got 130 (bench/RESULTS.md,
"Throughput"). Here a connection about to begin a write transaction first takes its
file's turn, held until the transaction ends (commit, rollback, close): the writers of one
process queue on a lock of the process, which hands over at once, and the one holding it
then takes an exclusive ``flock`` on ``<database>-writers`` beside the file, which queues
the processes serving the same file (``sanquan serve --workers``, a command run beside
the service). The kernel lets go of a ``flock`` when its process dies, so a killed worker
never leaves the others waiting. A writer that finds another process's turn taken hands
the wait to a thread of its process blocked in ``flock``, which the kernel wakes the moment
the turn is let go, and waits on that thread at most the time it has: the kernel offers no
wait with a time limit on a ``flock``, and polling for it (every 0.1 ms at first, up to
every 1 ms, as this did) let a turn lie free half a millisecond on average between two
processes' writers (with the checks out of the turn as well, two processes of two threads
took 1.14–1.24x the submissions a second; ``bench/RESULTS.md``).
SQLite's own lock still guards the file as before (and guards it alone where the side file
cannot be made, on a read-only directory).

A connection made by :func:`connect` starts a write transaction where the ``sqlite3``
module does (its legacy transaction control, the service's): just before the first
``INSERT``, ``UPDATE``, ``DELETE`` or ``REPLACE`` outside a transaction. A writer waits
at most the busy timeout for its turn, then goes on to SQLite's own waiting, so that a
thread writing through two connections at once is refused by SQLite, after both timeouts
(20 s where it was 10), rather than left waiting on itself.

Only the paths the service uses are queued: statements through a cursor, ended by
``commit``, ``rollback`` or ``close``, as SQLAlchemy drives them. ``Connection.execute``,
``executescript`` and ``with connection:`` bypass the queue or end a transaction without
letting go of the lock until the connection's next statement or end; a raw connection
dropped mid-transaction without ``close`` keeps the lock (SQLAlchemy's pool rolls back).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self, TypeVar

BUSY_TIMEOUT_SECONDS = 10.0
"""How long a writer waits for its turn; the same as SQLite's ``busy_timeout``."""

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
"""The statements before which the ``sqlite3`` module begins a transaction."""

SIDE_SUFFIX = "-writers"
"""The side file's name: the database's, and this."""

T = TypeVar("T")


class WritersTurn:
    """One database file's turn to write: a lock of the process for its threads, then an
    exclusive ``flock`` on the side file ``<database>-writers`` for the processes."""

    def __init__(self, database: Path) -> None:
        self.threads = threading.Lock()
        self.database = database
        self.path = database.with_name(database.name + SIDE_SUFFIX)
        self._file: int | None = None
        self._waiter: _FlockWaiter | None = None
        self._held: int | None = None
        """The descriptor whose ``flock`` the process's writer holds: the side file's, or
        the waiter's own."""

    def locked(self) -> bool:
        """Whether a writer of this process holds the turn."""
        return self.threads.locked()

    def acquire(self, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds for the turn; ``False`` if it did not come. A
        wait that fails (a signal's handler raising, as Ctrl-C does) gives the threads'
        lock back before it raises, or no writer of the process would get the turn again."""
        deadline = time.monotonic() + timeout
        if not self.threads.acquire(timeout=timeout):
            return False
        try:
            taken = self._between_processes(deadline)
        except BaseException:
            self.threads.release()
            raise
        if not taken:
            self.threads.release()
        return taken

    def release(self) -> None:
        held, self._held = self._held, None
        try:
            if held is not None:
                fcntl.flock(held, fcntl.LOCK_UN)
        finally:
            self.threads.release()

    def forget_after_fork(self) -> None:
        """In a forked child: the turn free among its threads, and the parent's side file
        closed. A ``flock`` belongs to the open file, which the child shares: kept open, it
        would hold the parent's turn for as long as the child lives, even once the parent
        is killed (closing the child's copy leaves the parent's lock as it is)."""
        self.threads = threading.Lock()
        self._held = None
        if self._waiter is not None:  # its thread is the parent's: none runs in the child
            with contextlib.suppress(OSError):
                os.close(self._waiter.file)
            self._waiter = None
        if self._file is not None:
            with contextlib.suppress(OSError):
                os.close(self._file)
            self._file = None

    def _between_processes(self, deadline: float) -> bool:
        """Take the side file's ``flock``, called holding the lock of the threads."""
        file = self._side_file()
        if file is None:
            return True  # no side file (read-only directory): SQLite's lock alone
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._held = file
            return True
        except BlockingIOError:
            pass
        if self._waiter is None:
            own = _opened_again(file, self.path)
            if own is None:
                return False  # SQLite's own waiting
            try:
                self._waiter = _FlockWaiter(own)
            except RuntimeError:  # no thread may start: the limit, or the interpreter ending
                os.close(own)
                return False
        if not self._waiter.take(deadline):
            return False
        self._held = self._waiter.file
        return True

    def _side_file(self) -> int | None:
        """The side file, opened once per process (a forked child opens its own,
        :meth:`forget_after_fork`); tried again at the next write if it could not be."""
        if self._file is None:
            self._file = _open_side_file(self.path, self.database)
        return self._file


class _Ticket:
    """One writer's request to the waiter: settled once, either taken (or failed) by the
    waiter or abandoned by the writer, whichever comes first under ``guard``."""

    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.done = threading.Event()
        self.taken = False
        self.abandoned = False


class _FlockWaiter:
    """A daemon thread of the process that takes the side file's ``flock`` for the
    process's writers, one request after another, waiting in the kernel. Only the writer
    holding the threads' lock asks, so at most one request waits, plus any abandoned (a
    writer's time ran out, or a signal's handler raised): the waiter lets go of the turn
    at once when it comes for an abandoned request. It locks through a descriptor of its
    own, a second open file: a ``flock`` taken for an abandoned request then keeps the
    process's next writer out, as another process's would, where through the shared one
    that writer's non-blocking try would have succeeded and the waiter's letting go
    would have freed the turn under it. A daemon, so that a turn never let go (a hung
    process holding it) does not keep the process from exiting."""

    def __init__(self, file: int) -> None:
        self.file = file
        self.requests: queue.SimpleQueue[_Ticket] = queue.SimpleQueue()
        self.served = 0
        """Requests answered so far, abandoned ones let go of: what a test waits for."""
        threading.Thread(target=self._serve, name="sanquan-writers-turn", daemon=True).start()

    def take(self, deadline: float) -> bool:
        """Wait until ``deadline`` (``time.monotonic``) for the turn; ``False`` if it did
        not come (or the ``flock`` failed)."""
        ticket = _Ticket()
        self.requests.put(ticket)
        try:
            ticket.done.wait(max(deadline - time.monotonic(), 0.0))
        except BaseException:  # a signal's handler raised: the turn, if it came, goes back
            if self._settle(ticket):
                self._let_go(ticket)
            raise
        return self._settle(ticket)

    @staticmethod
    def _settle(ticket: _Ticket) -> bool:
        """Whether the turn came for ``ticket``; if no answer came, it is abandoned."""
        with ticket.guard:
            if not ticket.done.is_set():
                ticket.abandoned = True
                return False
        return ticket.taken

    def _serve(self) -> None:
        while True:
            ticket = self.requests.get()
            try:
                fcntl.flock(self.file, fcntl.LOCK_EX)
                taken = True
            except OSError:
                taken = False  # the writer goes on to SQLite's own waiting
            with ticket.guard:
                ticket.taken = taken
                ticket.done.set()
                abandoned = ticket.abandoned
            if abandoned:
                self._let_go(ticket)
            self.served += 1

    def _let_go(self, ticket: _Ticket) -> None:
        if ticket.taken:
            with contextlib.suppress(OSError):
                fcntl.flock(self.file, fcntl.LOCK_UN)


def _opened_again(file: int, path: Path) -> int | None:
    """A second open file of the side file ``file``, for the waiter: by its name, and only
    while the name still leads to that file. Removed or replaced while the service runs
    (an operator tidying the directory), the name leads to a new file, free while another
    process holds the turn on the old one: locked, it would give this process that turn as
    well. ``None`` then, and this process's writers that find the turn taken are left to
    SQLite's own waiting until it is restarted."""
    try:
        own = os.open(path, os.O_RDONLY | os.O_CLOEXEC)  # a flock needs no more
    except OSError:
        return None
    try:
        if os.path.samestat(os.fstat(own), os.fstat(file)):
            return own
    except OSError:
        pass
    os.close(own)
    return None


def _open_side_file(path: Path, database: Path) -> int | None:
    """The side file ``path``, made if missing. Made, it takes ``database``'s permissions
    and, by root, its owner, as SQLite does with its ``-wal`` and ``-shm``: an operator's
    command run as root (or under a strict umask) would otherwise make a file the
    service's account cannot open, and leave it to SQLite's busy waiting. A file the
    process may only read (left so by an earlier version) still takes a ``flock``."""
    try:
        made = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        for access in (os.O_RDWR, os.O_RDONLY):
            with contextlib.suppress(OSError):
                return os.open(path, access | os.O_CLOEXEC)
        return None
    except OSError:
        return None  # a read-only directory, a full disk: SQLite's lock alone
    with contextlib.suppress(OSError):
        owner = database.stat()
        os.fchmod(made, owner.st_mode & 0o666)
        if os.geteuid() == 0:
            os.fchown(made, owner.st_uid, owner.st_gid)
    return made


_turns: dict[Path, WritersTurn] = {}
_turns_guard = threading.Lock()


def _forget_turns_after_fork() -> None:
    """In a forked child, whatever thread of the parent held a lock: none is held."""
    global _turns_guard  # noqa: PLW0603 - a lock the child's own threads start with free
    _turns_guard = threading.Lock()
    for turn in _turns.values():
        turn.forget_after_fork()


os.register_at_fork(after_in_child=_forget_turns_after_fork)


def _turn_of(database: str) -> WritersTurn:
    """The process's one turn for the database file ``database`` (every engine on it
    shares it)."""
    path = Path(database).resolve()
    with _turns_guard:
        return _turns.setdefault(path, WritersTurn(path))


class QueuedWriterConnection(sqlite3.Connection):
    """A ``sqlite3`` connection that takes its file's writer lock before it begins a write
    transaction and lets go of it when the transaction ends."""

    writers: WritersTurn | None = None
    holding = False

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        """A queued writer's cursor, unless the caller asks for a cursor class of its own.

        Made by ``sqlite3``'s own method, never by calling the class: the connection keeps
        a weak reference to each cursor, and only that method clears the dead ones out.
        Built directly, a cursor left 88 bytes behind for good, about 0.8 KB a
        submission (a served process grew 15 MB in a minute of submissions)."""
        return super().cursor(QueuedWriterCursor if factory is None else factory)

    def begins_write(self, sql: str) -> bool:
        return (
            self.writers is not None
            and not self.holding
            and not self.in_transaction
            and self.isolation_level is not None
            and sql.lstrip()[:7].upper().startswith(WRITES)
        )

    def take_turn(self) -> None:
        assert self.writers is not None
        self.holding = self.writers.acquire(BUSY_TIMEOUT_SECONDS)

    def queued(self, sql: str, run: Callable[[str, Any], T], parameters: Any) -> T:
        """``run(sql, parameters)``, in this process's turn if it begins a write."""
        if self.begins_write(sql):
            self.take_turn()
        try:
            return run(sql, parameters)
        finally:
            self.end_turn()

    def end_turn(self) -> None:
        """Called after every statement and every end of a transaction: the lock is let go
        once no transaction is open (SQLite may also end one by itself, on some errors)."""
        if self.holding and not self.in_transaction and self.writers is not None:
            self.holding = False
            self.writers.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.holding and self.writers is not None:
                self.holding = False
                self.writers.release()


class QueuedWriterCursor(sqlite3.Cursor):
    connection: QueuedWriterConnection

    def execute(self, sql: str, parameters: Any = (), /) -> Self:
        return self.connection.queued(sql, super().execute, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Self:
        return self.connection.queued(sql, super().executemany, parameters)


def queue_writers(connection: Any, database: str) -> None:
    """Make ``connection`` (a :class:`QueuedWriterConnection`, as the engine's
    ``connect_args`` ask ``sqlite3.connect`` for) queue behind the other writers of
    ``database``. An in-memory database (one per connection) has no other writer to queue
    behind."""
    if isinstance(connection, QueuedWriterConnection) and database not in ("", ":memory:"):
        connection.writers = _turn_of(database)
