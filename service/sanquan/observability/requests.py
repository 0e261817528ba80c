"""The record of the request being served, kept in a context variable.

The access middleware (:mod:`sanquan.observability.access`) opens a :class:`RequestRecord`
for each HTTP request; whoever learns something about the request adds it there: who
asked (authentication), which operation ran (the GraphQL endpoint), which errors it
answered with (the one place errors are formatted), how many statements it sent (an engine
hook). Worker threads see the same record, because the service's worker threads
(:mod:`sanquan.api.threads`) and Starlette's thread pool run each call in a copy of the
caller's context, and a copy holds the same record object. Outside a request (the
command line, a subscription's background work) there is no record and every function
here does nothing.

This module imports nothing of the service, so that the auth and error modules may call it.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterable, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

REQUEST_ID_HEADER = "X-Request-Id"
CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")
"""An incoming ``X-Request-Id`` kept as the request's id (a proxy's or a client's, to
follow a request through several logs): 8 to 64 letters, digits, ``.``, ``_`` or ``-``,
such as a UUID or a ULID. Anything else is replaced by an id of our own, so that what a
client sends cannot forge or break a log line."""
TOKEN_PREFIX = "sq_"
"""The prefix of a bearer token (``auth.tokens.PREFIX``, not imported: the token module
imports this one). An id holding it may be a token pasted by mistake, and a token is never
echoed or logged."""
GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")
"""An operation name worth logging: GraphQL's grammar of names, at most 100 characters."""


def request_id(incoming: str | None) -> str:
    """The id of a request that came with ``X-Request-Id: incoming`` (or without one).

    >>> request_id("3f2a9c1e-0b7d-4e54-9a55-1c9f1b2e7d10")
    '3f2a9c1e-0b7d-4e54-9a55-1c9f1b2e7d10'
    >>> len(request_id('"}, "account": 1')), len(request_id(None))
    (32, 32)
    """
    if (
        incoming is not None
        and CLIENT_REQUEST_ID.fullmatch(incoming)
        and TOKEN_PREFIX not in incoming.lower()
    ):
        return incoming
    return uuid.uuid4().hex


@dataclass
class RequestRecord:
    """What the access log and the metrics say about one request."""

    id: str
    account_id: int | None = None
    operation: str | None = None
    """The name of the GraphQL operation that ran, when it had a name."""
    operation_type: str | None = None
    executed: bool = False
    """Whether a GraphQL operation ran (validation passed): only then is its name known to
    be one of the document's and not just what the client said."""
    statements: int = 0
    errors: list[str] = field(default_factory=list)
    """The ``extensions.code`` of every GraphQL error answered, in order."""
    user_errors: list[str] = field(default_factory=list)
    """The codes of the ``userErrors`` of mutations refused by a domain rule."""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    """Statements may be counted from a worker thread while the loop reads the record."""


_current: ContextVar[RequestRecord | None] = ContextVar("sanquan_request", default=None)


def begin(record: RequestRecord) -> Any:
    """Make ``record`` the current request's; returns the token for :func:`end`."""
    return _current.set(record)


def end(token: Any) -> None:
    _current.reset(token)


def current() -> RequestRecord | None:
    return _current.get()


def identify(account_id: int) -> None:
    """The request is made by the account ``account_id`` (its row id: never its token)."""
    record = _current.get()
    if record is not None:
        record.account_id = account_id


def ran(name: str | None, operation_type: str | None) -> None:
    """A GraphQL operation (``name``, if it has one) ran."""
    record = _current.get()
    if record is not None:
        record.executed = True
        record.operation_type = operation_type
        record.operation = name if name and GRAPHQL_NAME.fullmatch(name) else None


def stamp(extensions: MutableMapping[str, Any]) -> None:
    """An error is answered: its code is recorded, and the request's id added to its
    ``extensions`` as ``requestId``, for a client to quote when it reports a problem."""
    record = _current.get()
    if record is None:
        return
    code = extensions.get("code")
    if isinstance(code, str):
        record.errors.append(code)
    extensions["requestId"] = record.id


def refused(codes: Iterable[str]) -> None:
    """A mutation was refused by domain rules with these ``userErrors`` codes."""
    record = _current.get()
    if record is not None:
        record.user_errors.extend(codes)


def count_statement() -> None:
    record = _current.get()
    if record is not None:
        with record.lock:
            record.statements += 1
