"""SQLite's writers of one process take turns on a lock of the process, which wakes the
next as soon as one commits, instead of each polling SQLite's busy lock.

Why: SQLite lets one transaction write at a time. A connection that finds the write lock
taken is kept waiting by SQLite's busy handler, which sleeps 1, 2, 5, 10 … up to 100 ms
between tries without knowing when the holder commits. With the service's execution
threads submitting together, most of a write's time went on those sleeps: one process
took 32 submissions/s from six clients where one client alone got 130 (bench/RESULTS.md,
"Throughput"). Here a connection about to begin a write transaction first takes the
lock of its database file, held until the transaction ends (commit, rollback, close), so
the writers of one process queue on a lock that hands over at once; SQLite's own lock
still guards the file (and other processes: the command line, a backup) as before.

A connection made by :func:`connect` starts a write transaction where the ``sqlite3``
module does (its legacy transaction control, the service's): just before the first
``INSERT``, ``UPDATE``, ``DELETE`` or ``REPLACE`` outside a transaction. A writer waits
at most the busy timeout for the lock, then goes on to SQLite's own waiting, so that a
thread writing through two connections at once is refused by SQLite, after both timeouts
(20 s where it was 10), rather than left waiting on itself.

Only the paths the service uses are queued: statements through a cursor, ended by
``commit``, ``rollback`` or ``close``, as SQLAlchemy drives them. ``Connection.execute``,
``executescript`` and ``with connection:`` bypass the queue or end a transaction without
letting go of the lock until the connection's next statement or end; a raw connection
dropped mid-transaction without ``close`` keeps the lock (SQLAlchemy's pool rolls back).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self, TypeVar

BUSY_TIMEOUT_SECONDS = 10.0
"""How long a writer waits for its turn; the same as SQLite's ``busy_timeout``."""

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
"""The statements before which the ``sqlite3`` module begins a transaction."""

T = TypeVar("T")

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_of(database: str) -> threading.Lock:
    """The process's one lock for the database file ``database`` (every engine on it
    shares it)."""
    key = str(Path(database).resolve())
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


class QueuedWriterConnection(sqlite3.Connection):
    """A ``sqlite3`` connection that takes its file's writer lock before it begins a write
    transaction and lets go of it when the transaction ends."""

    writers: threading.Lock | None = None
    holding = False

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        """A queued writer's cursor, unless the caller asks for a cursor class of its own."""
        return QueuedWriterCursor(self) if factory is None else super().cursor(factory)

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
        self.holding = self.writers.acquire(timeout=BUSY_TIMEOUT_SECONDS)

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
    ``database`` in this process. An in-memory database (one per connection) has no other
    writer to queue behind."""
    if isinstance(connection, QueuedWriterConnection) and database not in ("", ":memory:"):
        connection.writers = _lock_of(database)
