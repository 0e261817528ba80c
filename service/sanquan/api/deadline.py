"""A request's deadline, enforced where the time goes: at the database.

A worker thread cannot be killed, so a request that runs too long, or whose client hung
up, is stopped cooperatively: its next SQL statement is refused, SQLite interrupts a
statement already running (a progress handler), and PostgreSQL cancels one past
``statement_timeout``. Field resolution without the database is bounded beforehand by the
query cost limit (``sanquan.api.cost``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

from sanquan.errors import AccessError

SQLITE_PROGRESS_STEPS = 10_000
"""SQLite virtual-machine steps between deadline checks: well under a millisecond."""


class RequestAborted(AccessError):
    """The request ran past its deadline or its client went away; its transaction is
    rolled back by whoever holds it, so nothing of it is kept."""

    code = "REQUEST_TIMEOUT"
    messages = (
        "请求超过了 {what} 秒的时限,已中止,未作任何更改",
        "the request took longer than {what} s and was stopped; nothing was changed",
    )


@dataclass
class Deadline:
    seconds: float
    ends: float = 0.0
    cancelled: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.ends = time.monotonic() + self.seconds

    @property
    def passed(self) -> bool:
        return self.cancelled.is_set() or time.monotonic() > self.ends

    def check(self) -> None:
        if self.passed:
            raise RequestAborted(f"{self.seconds:g}")


_current: ContextVar[Deadline | None] = ContextVar("sanquan_deadline", default=None)


@contextmanager
def running_until(deadline: Deadline) -> Iterator[Deadline]:
    """Make ``deadline`` the current one for the database work done inside."""
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)


def check_current() -> None:
    """Refuse to go on if the current request (if any) is past its deadline."""
    deadline = _current.get()
    if deadline is not None:
        deadline.check()


def enforce(engine: Engine) -> None:
    """Attach the deadline checks to ``engine``'s connections."""
    event.listen(engine, "before_cursor_execute", _before_statement)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_progress_handler)


def postgresql_options(timeout: float) -> dict[str, Any]:
    """``connect_args`` that make PostgreSQL cancel a statement that outlives a request,
    and end a transaction left idle for a minute past that (a backstop: a worker always
    ends its transaction, but plugin code may run past the deadline inside one)."""
    milliseconds = max(1, round(timeout * 1000))
    return {
        "options": f"-c statement_timeout={milliseconds} "
        f"-c idle_in_transaction_session_timeout={milliseconds + IDLE_MARGIN_MS}"
    }


IDLE_MARGIN_MS = 60_000


def _before_statement(*_args: Any, **_kwargs: Any) -> None:
    check_current()


def _sqlite_progress_handler(dbapi_connection: Any, _record: Any) -> None:
    def interrupt() -> int:
        deadline = _current.get()
        return 1 if deadline is not None and deadline.passed else 0

    dbapi_connection.set_progress_handler(interrupt, SQLITE_PROGRESS_STEPS)


def aborted(error: BaseException) -> RequestAborted | None:
    """The abort behind ``error``: ours, SQLite's interrupt or PostgreSQL's cancel."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, RequestAborted):
            return seen
        name = type(seen).__name__
        if name == "QueryCanceled" or (
            name == "OperationalError" and str(seen).strip() == "interrupted"
        ):
            deadline = _current.get()
            return RequestAborted(f"{deadline.seconds:g}" if deadline else "?")
        seen = seen.__cause__ or seen.__context__
    return None
