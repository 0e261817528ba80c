"""The Prometheus metrics, served at ``/metrics`` to an ADMIN token, and, when
``SANQUAN_METRICS_ADDRESS`` is set, on that address without a token.

What is counted: requests and their latency by route, operation (a bounded label:
:class:`sanquan.observability.operations.OperationLabels`) and status; errors by code
(GraphQL errors and mutations' ``userErrors``); the database connections checked out of
the pool and its size.

Several processes (``sanquan serve --workers N``) share a directory
(``PROMETHEUS_MULTIPROC_DIR``, or one ``serve`` makes): prometheus-client writes each
process's counts to files there and the exposition adds them up, so that whichever
process answers the scrape answers for all (:mod:`sanquan.observability.metrics_directory`).
The pool gauges are summed over the processes still alive.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool
from starlette.requests import Request
from starlette.responses import Response

from sanquan.api.errors import error_response, language_of, unauthenticated
from sanquan.auth.tokens import authenticate
from sanquan.errors import Forbidden
from sanquan.observability.metrics_directory import MULTIPROCESS

REQUESTS = Counter(
    "sanquan_http_requests",
    "HTTP requests answered, by route, GraphQL operation and status.",
    ["route", "operation", "status"],
)
LATENCY = Histogram(
    "sanquan_http_request_duration_seconds",
    "Seconds from a request's arrival to the end of its answer, by route and operation.",
    ["route", "operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10),
)
ERRORS = Counter(
    "sanquan_errors",
    "Errors answered, by code: GraphQL errors (kind=graphql) and the userErrors of "
    "mutations a domain rule refused (kind=user).",
    ["code", "kind"],
)
POOL_CHECKED_OUT = Gauge(
    "sanquan_db_pool_checked_out",
    "Database connections in use (checked out of the pool).",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "sanquan_db_pool_size",
    "Connections the pool keeps (beyond them it opens overflow connections for a while).",
    multiprocess_mode="livesum",
)

WEBSOCKETS = Counter(
    "sanquan_websockets",
    "WebSocket connections ended, by outcome: refused at the handshake (reason: its error "
    "code) or closed after it (reason: the side that closed, or gone without a close).",
    ["outcome", "reason"],
)
WEBSOCKETS_OPEN = Gauge(
    "sanquan_websockets_open",
    "WebSocket connections open now (each holds its subscriptions' listeners).",
    multiprocess_mode="livesum",
)

ROUTES = {"/graphql": "/graphql", "/healthz": "/healthz", "/metrics": "/metrics"}
PREFIXES = {"/exports/": "/exports", "/static/": "/static"}


def route_of(path: str) -> str:
    """The route label of ``path``: a fixed set, so that paths cannot grow the metrics.

    >>> route_of("/exports/abc"), route_of("/graphql"), route_of("/wp-admin")
    ('/exports', '/graphql', 'other')
    """
    if path in ROUTES:
        return ROUTES[path]
    for prefix, label in PREFIXES.items():
        if path.startswith(prefix):
            return label
    return "/" if path == "/" else "other"


def observe(
    route: str, operation: str, status: int, seconds: float, errors: list[str], user: list[str]
) -> None:
    """Count one answered request."""
    REQUESTS.labels(route, operation, str(status)).inc()
    LATENCY.labels(route, operation).observe(seconds)
    for code in errors:
        ERRORS.labels(code, "graphql").inc()
    for code in user:
        ERRORS.labels(code, "user").inc()


def watch_pool(engine: Engine) -> None:
    """Follow ``engine``'s pool in the pool gauges (SQLite files and PostgreSQL both get a
    :class:`QueuePool`; an in-memory SQLite database has no pool worth watching)."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return
    POOL_SIZE.set(pool.size())
    event.listen(pool, "checkout", _checked_out)
    event.listen(pool, "checkin", _checked_in)


def _checked_out(*_args: Any) -> None:
    POOL_CHECKED_OUT.inc()


def _checked_in(*_args: Any) -> None:
    POOL_CHECKED_OUT.dec()


def registry() -> CollectorRegistry:
    """What a scrape reads: this process's metrics, or every process's in multiprocess mode."""
    if not os.environ.get(MULTIPROCESS):
        return REGISTRY
    combined = CollectorRegistry()
    MultiProcessCollector(combined)  # type: ignore[no-untyped-call]
    return combined


def exposition() -> Response:
    return Response(generate_latest(registry()), media_type=CONTENT_TYPE_LATEST)


class MetricsEndpoint:
    """``GET /metrics`` for an ADMIN token (a plain function, run in a thread: the token is
    looked up in the database). The counts say how the service is used, so they are no
    one else's to read."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def respond(self, request: Request) -> Response:
        language = language_of(request.headers.get("accept-language"))
        with self.sessions() as db:
            principal = authenticate(db, request.headers.get("authorization"))
        if principal is None:
            return unauthenticated(language)
        if not principal.is_admin:
            refused = Forbidden("读取服务指标(/metrics)")
            return error_response(refused.code, refused.message(language), 403)
        return exposition()


def serve_separately(host: str, port: int) -> None:
    """Serve the metrics without a token on ``host:port``, in a thread of this process
    (an address a scraper reaches and the public does not)."""
    start_http_server(port, addr=host, registry=registry())


def instrument(engine: Engine) -> None:
    """Count ``engine``'s statements per request and follow its pool in the metrics."""
    from sanquan.observability.statements import count_statements

    count_statements(engine)
    watch_pool(engine)
