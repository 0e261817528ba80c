"""Counting the database statements of each request, for the access log: a request that
suddenly sends a hundred statements instead of five is an N+1 query a test missed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

from sanquan.observability.requests import count_statement


def count_statements(engine: Engine) -> None:
    """Count every statement ``engine`` sends in the request that sends it."""
    if not event.contains(engine, "before_cursor_execute", _counted):
        event.listen(engine, "before_cursor_execute", _counted)


def _counted(*_args: Any, **_kwargs: Any) -> None:
    count_statement()
