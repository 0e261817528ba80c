"""Committed changes to a session's scores, announced to the live subscribers of its
progress (``Subscription.sessionProgress``).

A write calls :func:`announce` inside its transaction; subscribers hear of it only once
that transaction has committed, and never of one rolled back. On PostgreSQL the
announcement is a ``NOTIFY`` (PostgreSQL delivers it at commit, to every process that
listens: :class:`PostgresListener` keeps one connection per process on ``LISTEN``). On
SQLite the session remembers it and the :class:`Hub` hears of it after the commit; the
other processes serving the same file (``--workers``, a second ``serve``, a command) hear
of it through :class:`SqliteWatcher`, which polls the sessions' ``change_serial`` while
anyone subscribes. Either way the hub wakes the subscribers of that session at most once
per :data:`INTERVAL`, so a burst of submissions costs each subscriber one rebuild per
interval, not one per submission.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from sanquan.db import in_memory

log = logging.getLogger(__name__)

CHANNEL = "sanquan_progress"
"""The PostgreSQL notification channel; the payload is the session's row id."""
INTERVAL = 0.25
"""Seconds between two wake-ups of one session's subscribers, at the least."""
RECONNECT = (0.5, 10.0)
"""Seconds before the listener's first reconnection attempt, and at most between two."""
STARTUP_WAIT = 5.0
"""Seconds the service waits at start-up for its listener to be on ``LISTEN``."""
POLL = 0.1
"""Seconds between two looks of :class:`SqliteWatcher` at the file, while anyone
subscribes: another process's change reaches a subscriber within this, plus the
interval."""
_PENDING = "sanquan.announced"


def announce(db: Session, session_id: int) -> None:
    """Tell the subscribers of ``session_id``, once ``db``'s transaction commits, that its
    scores or status changed."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(select(func.pg_notify(CHANNEL, str(session_id))))
    else:
        db.info.setdefault(_PENDING, set()).add(session_id)


class Changes:
    """One subscriber's view of a session's changes: :meth:`wait` returns once something
    was committed since the last call (or since the subscription began)."""

    def __init__(self, hub: Hub, session_id: int) -> None:
        self.hub = hub
        self.session_id = session_id
        self._changed = asyncio.Event()

    async def wait(self) -> None:
        await self._changed.wait()
        self._changed.clear()

    def close(self) -> None:
        self.hub.unsubscribe(self)

    def _wake(self) -> None:
        self._changed.set()


class _Topic:
    """The subscribers of one session, and when they were last woken."""

    def __init__(self) -> None:
        self.subscribers: set[Changes] = set()
        self.woken = float("-inf")
        self.timer: asyncio.TimerHandle | None = None


class Hub:
    """The in-process broadcast: publishers in any thread, subscribers on the event loop.

    >>> async def demo() -> tuple[bool, bool]:
    ...     hub = Hub(interval=0.05)
    ...     hub.bind(asyncio.get_running_loop())
    ...     changes = hub.subscribe(7)
    ...     hub.publish(7)
    ...     await asyncio.wait_for(changes.wait(), 1)  # the first change wakes at once
    ...     for _ in range(50):
    ...         hub.publish(7)  # a burst: one wake-up, an interval later
    ...     await asyncio.wait_for(changes.wait(), 1)
    ...     quiet = not changes._changed.is_set()
    ...     changes.close()
    ...     return quiet, 7 in hub._topics
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> with ThreadPoolExecutor() as thread:  # a loop of its own, whatever runs here
    ...     thread.submit(asyncio.run, demo()).result()
    (True, False)
    """

    def __init__(self, interval: float = INTERVAL) -> None:
        self.interval = interval
        self._loop: asyncio.AbstractEventLoop | None = None
        self._topics: dict[int, _Topic] = {}
        self.listener: PostgresListener | None = None

    @asynccontextmanager
    async def running(self, database_url: str) -> AsyncIterator[None]:
        """Deliver on the running loop while the service runs; on PostgreSQL, with a
        :class:`PostgresListener` feeding the hub meanwhile."""
        self.bind(asyncio.get_running_loop())
        listening = None
        url = make_url(database_url)
        if url.get_backend_name() == "postgresql":
            self.listener = PostgresListener(database_url, self)
            listening = asyncio.create_task(self.listener.run())
            with suppress(TimeoutError):  # serve anyway: it keeps trying, and says so
                await asyncio.wait_for(self.listener.connected.wait(), STARTUP_WAIT)
        elif url.database and not in_memory(database_url):  # a file others may share
            listening = asyncio.create_task(SqliteWatcher(url.database, self).run())
        try:
            yield
        finally:
            if listening is not None:
                listening.cancel()
                with suppress(asyncio.CancelledError):
                    await listening
            self.bind(None)

    def bind(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Deliver on ``loop`` from now on (``None``: the service stops, drop everything)."""
        self._loop = loop
        if loop is None:
            for topic in self._topics.values():
                if topic.timer is not None:
                    topic.timer.cancel()
            self._topics.clear()

    def attach(self, sessions: sessionmaker[Session]) -> None:
        """Hear of the announcements made in ``sessions``' transactions once they commit."""
        event.listen(sessions, "after_commit", self._committed)
        event.listen(sessions, "after_rollback", _forget)

    def publish(self, session_id: int) -> None:
        """Wake the subscribers of ``session_id``; safe from any thread."""
        self.publish_many((session_id,))

    def publish_many(self, session_ids: Iterable[int] | None) -> None:
        """Wake the subscribers of each of ``session_ids``; ``None``: of every session (after
        the listener lost its connection, and with it the notifications meanwhile)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        wanted = None if session_ids is None else tuple(session_ids)
        with suppress(RuntimeError):  # the loop closed meanwhile: nobody listens any more
            loop.call_soon_threadsafe(self._deliver, wanted)

    def subscribe(self, session_id: int) -> Changes:
        changes = Changes(self, session_id)
        self._topics.setdefault(session_id, _Topic()).subscribers.add(changes)
        return changes

    def unsubscribe(self, changes: Changes) -> None:
        topic = self._topics.get(changes.session_id)
        if topic is None:
            return
        topic.subscribers.discard(changes)
        if not topic.subscribers:
            if topic.timer is not None:
                topic.timer.cancel()
            del self._topics[changes.session_id]

    @property
    def followed(self) -> tuple[int, ...]:
        """The sessions someone subscribes to (read on the loop)."""
        return tuple(self._topics)

    @property
    def subscriber_count(self) -> int:
        return sum(len(topic.subscribers) for topic in self._topics.values())

    def _committed(self, db: Session) -> None:
        announced = db.info.pop(_PENDING, None)
        if announced:
            self.publish_many(announced)

    def _deliver(self, session_ids: tuple[int, ...] | None) -> None:
        """On the loop: wake each topic now, or when its interval has passed."""
        loop = self._loop
        if loop is None:
            return
        wanted = self._topics.keys() if session_ids is None else session_ids
        for session_id in list(wanted):
            topic = self._topics.get(session_id)
            if topic is None or topic.timer is not None:
                continue  # nobody listens, or a wake-up is already due
            wait = topic.woken + self.interval - loop.time()
            if wait <= 0:
                self._wake(topic)
            else:
                topic.timer = loop.call_later(wait, self._wake, topic)

    def _wake(self, topic: _Topic) -> None:
        assert self._loop is not None
        topic.timer = None
        topic.woken = self._loop.time()
        for changes in topic.subscribers:
            changes._wake()


def _forget(db: Session) -> None:
    db.info.pop(_PENDING, None)


class PostgresListener:
    """One connection per process on ``LISTEN sanquan_progress``, feeding the hub: every
    process behind a load balancer hears of every other's commits. A lost connection is
    opened again, and then every subscriber is woken, since what was notified meanwhile
    is lost."""

    def __init__(self, database_url: str, hub: Hub) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self.conninfo = url.render_as_string(hide_password=False)
        self.hub = hub
        self.connected = asyncio.Event()

    async def run(self) -> None:
        """Listen until cancelled."""
        import psycopg

        delay, longest = RECONNECT
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.conninfo, autocommit=True, **KEEPALIVE
                ) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    self.connected.set()
                    self.hub.publish_many(None)  # whatever was missed while not listening
                    delay = RECONNECT[0]
                    await self._relay(connection)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # a lost server must not end the listening
                log.warning("progress listener: %s; reconnecting in %.1f s", error, delay)
            self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, longest)

    async def _relay(self, connection: Any) -> None:
        while True:
            async for notice in connection.notifies(timeout=HEARTBEAT):
                if notice.payload.isdigit():
                    self.hub.publish(int(notice.payload))
            await connection.execute("SELECT 1")  # a silent, dead connection fails here


class SqliteWatcher:
    """One read-only connection per process on the SQLite file, which learns of the
    sessions changed by other processes: every :data:`POLL` seconds while anyone
    subscribes, ``PRAGMA data_version`` tells whether another connection committed; if so
    (or a session is newly followed), the followed sessions' ``change_serial`` says
    which. The process's own commits are heard at once through the hub, and again here:
    the subscription sends nothing when a rebuild finds the same progress."""

    def __init__(self, path: str, hub: Hub) -> None:
        self.path = path
        self.hub = hub
        self.seen: dict[int, int] = {}
        """The last ``change_serial`` read of each followed session."""
        self.version: int | None = None
        self._connection: sqlite3.Connection | None = None
        self._using = threading.Lock()
        """Held while the connection is used or closed: looks run in a thread."""

    async def run(self) -> None:
        """Watch until cancelled. A failed look is logged and tried again after a pause
        that doubles up to :data:`RECONNECT`'s longest (a lasting failure writes one line
        every 10 s, not ten a second), and then every subscriber is woken, as what changed
        meanwhile is unknown: a watcher that ended would leave the process deaf to the
        others until it restarts."""
        pause = POLL
        try:
            while True:
                await asyncio.sleep(pause)
                followed = self.hub.followed
                if not followed:
                    self.seen.clear()
                    continue
                try:
                    changed = await asyncio.to_thread(self.look, followed)
                except Exception as error:  # a failing look must not end the watching
                    pause = min(max(pause * 2, RECONNECT[0]), RECONNECT[1])
                    log.warning("progress watcher: %s; trying again in %.1f s", error, pause)
                    self.close()
                    self.seen.clear()  # the next look publishes every followed session
                    continue
                pause = POLL
                if changed:
                    self.hub.publish_many(changed)
        finally:
            self.close()

    def look(self, followed: tuple[int, ...]) -> list[int]:
        """The followed sessions changed since the last look (all of them at the first)."""
        with self._using:
            return self._look(followed)

    def _look(self, followed: tuple[int, ...]) -> list[int]:
        if self._connection is None:
            uri = f"{Path(self.path).resolve().as_uri()}?mode=ro"
            self._connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        version = self._connection.execute("PRAGMA data_version").fetchone()[0]
        new = [key for key in followed if key not in self.seen]
        if version == self.version and not new:
            return []
        self.version = version
        marks = ",".join("?" * len(followed))
        serials = dict(
            self._connection.execute(
                f"SELECT id, change_serial FROM review_sessions WHERE id IN ({marks})", followed
            ).fetchall()
        )
        now = {key: serials.get(key, -1) for key in followed}  # -1: no such session
        changed = [key for key in followed if self.seen.get(key) != now[key]]
        self.seen = now
        return changed

    def close(self) -> None:
        """Close the connection; a look still running in its thread (the watcher was
        cancelled while it looked) finishes first, as a connection closed under a running
        statement is not safe."""
        with self._using:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            self.version = None


HEARTBEAT = 30.0
"""Seconds of silence after which the listener checks its connection is alive."""
KEEPALIVE: dict[str, Any] = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10}
"""TCP keep-alives, so that a connection cut without a word is noticed."""
