"""The ASGI application: ``/graphql`` behind bearer-token authentication (queries and
mutations over HTTP, subscriptions over WebSocket), download links, ``/healthz``, and the
dashboard's pages and files."""

from __future__ import annotations

import gc
import logging
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

from sqlalchemy import text
from sqlalchemy.orm import Session, configure_mappers, sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from sanquan.api.deadline import enforce as enforce_deadlines
from sanquan.api.deadline import postgresql_options
from sanquan.api.errors import error_response, language_of, unauthenticated
from sanquan.api.headers import SecureHeaders
from sanquan.api.http import GraphQLHTTP
from sanquan.api.live import LiveGraphQL
from sanquan.api.schema import build_schema
from sanquan.auth.tokens import authenticate
from sanquan.config import Settings
from sanquan.db import make_engine, make_session_factory
from sanquan.errors import AccessError, DomainError, DomainErrors, ErrorCode
from sanquan.events import Hub
from sanquan.exports import service as exports
from sanquan.exports.formats import render
from sanquan.observability.access import AccessLog
from sanquan.observability.metrics import MetricsEndpoint, instrument
from sanquan.observability.operations import OperationLabels
from sanquan.plugins.host import PluginHost
from sanquan.timeutil import current_quarter, utcnow
from sanquan.web.pages import routes as web_routes

log = logging.getLogger(__name__)


class ExportDownload:
    """``GET /exports/<secret>``: the file behind a link from ``createExportLink``.

    :meth:`respond` is a plain (not async) endpoint, so Starlette runs it in its thread
    pool: building an export reads the database synchronously. Errors are JSON in the
    shape GraphQL clients know: 401 without a valid token, 404 for a link unknown to that
    token's account, 410 for an expired one, 403 when the account may no longer read the
    data, 422 when the data no longer allows the export."""

    def __init__(self, sessions: sessionmaker[Session], host: PluginHost) -> None:
        self.sessions = sessions
        self.host = host

    def respond(self, request: Request) -> Response:
        language = language_of(request.headers.get("accept-language"))
        with self.sessions() as db:
            principal = authenticate(db, request.headers.get("authorization"))
            if principal is None:
                return unauthenticated(language)
            try:
                wanted, export_format = exports.open_link(
                    db, request.path_params["secret"], principal, utcnow()
                )
                table = exports.build(db, self.host, principal, wanted, current_quarter())
                content = render(table, export_format)
            except (DomainError, DomainErrors) as refused:
                error = refused if isinstance(refused, DomainError) else refused.errors[0]
                status = DOWNLOAD_STATUS.get(error.code, 422)
                return error_response(error.code.value, error.message(language), status)
            except AccessError as error:
                return error_response(error.code, error.message(language), 403)
        name = table.name + export_format.suffix
        return Response(
            content,
            media_type=export_format.media_type,
            headers={
                "Content-Disposition": (
                    f'attachment; filename="{table.slug}{export_format.suffix}"; '
                    f"filename*=UTF-8''{quote(name)}"
                ),
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )


class HideExportSecrets(logging.Filter):
    """A download link is half a credential until it expires (the other half is the
    account's token), so the access log must not hold it: uvicorn logs the path, under any
    root path, as the third argument of its record."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > 2 and "/exports/" in str(args[2]):
            path = EXPORT_PATH.sub("/exports/<secret>", str(args[2]))
            record.args = (*args[:2], path, *args[3:])
        return True


EXPORT_PATH = re.compile(r"/exports/[^/?#\s]+")


def hide_export_secrets(logger: logging.Logger) -> None:
    if not any(isinstance(f, HideExportSecrets) for f in logger.filters):
        logger.addFilter(HideExportSecrets())


SWITCH_INTERVAL = 0.001
"""Seconds a thread may hold the interpreter lock while another waits for it."""

GC_THRESHOLDS = (20_000, 10, 10)
"""The cyclic collector's thresholds while the service runs (700, 10, 10 by default).
Why: a submission allocates more container objects than reference counting alone frees,
so the youngest generation was walked about every other request; with 20,000 it is
walked every 60 or so (0.10 → 0.04 ms of collection a request, measured in one process,
bench/RESULTS.md). Small, but free: what the collector finds is still freed, later."""

DOWNLOAD_STATUS = {ErrorCode.UNKNOWN_EXPORT_LINK: 404, ErrorCode.EXPORT_LINK_EXPIRED: 410}


def create_app(settings: Settings | None = None, host: PluginHost | None = None) -> Starlette:
    """The service. ``host`` lets tests and benchmarks add plugins without packaging."""
    settings = settings or Settings.from_env()
    hide_export_secrets(logging.getLogger("uvicorn.access"))
    options: dict[str, Any] = {
        # every execution thread holds a connection; the health check and downloads need more
        "pool_size": settings.execution_threads + 2,
    }
    if not settings.database_url.startswith("sqlite"):
        options["connect_args"] = postgresql_options(settings.request_timeout)
    engine = make_engine(settings.database_url, **options)
    enforce_deadlines(engine)
    instrument(engine)
    sessions = make_session_factory(engine)
    hub = Hub()  # subscribers hear of committed changes to a session's scores
    hub.attach(sessions)
    if host is None:
        host = PluginHost.discover()
        for failure in host.failures:
            log.error(failure)

    def healthz(request: Request) -> Response:
        """A plain function, so Starlette runs it in a thread: the loop never waits on the
        database."""
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            log.exception("health check failed")
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # A worker thread busy in Python holds the interpreter lock for up to the switch
        # interval (5 ms) each time another thread wants it; a small query that waits for
        # it at every database call would wait that long dozens of times. 1 ms keeps the
        # others answered while one request computes (bench/stall.py).
        previous = sys.getswitchinterval(), gc.get_threshold()
        try:
            sys.setswitchinterval(SWITCH_INTERVAL)
            # The ORM sets up its mappers' relationships on the first query (75 ms): done
            # here, the first users' requests do not wait on it, nor every request queued
            # behind them.
            configure_mappers()
            # Whatever start-up made (schema, plugins, the ORM's mappers) lives as long as
            # the process: a full collection that walks it all stops every thread for a
            # tenth of a second, so it is set aside from the collector's work.
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLDS)
            async with hub.running(settings.database_url):
                yield
        finally:
            # Also when start-up or shutdown fails: the process may go on (a test, an
            # embedding program), and these settings are the interpreter's, not the app's.
            sys.setswitchinterval(previous[0])
            gc.set_threshold(*previous[1])
            graphql.workers.close()
            engine.dispose()

    schema = build_schema(settings)
    graphql = GraphQLHTTP(settings, sessions, host, schema)
    live = LiveGraphQL(graphql, hub)
    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/exports/{secret}", ExportDownload(sessions, host).respond, methods=["GET"]),
            Route("/metrics", MetricsEndpoint(sessions).respond, methods=["GET"]),
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", live),
            *web_routes(),
        ],
        middleware=[
            # Outermost, so that every answer is logged and counted, refusals included.
            Middleware(AccessLog, labels=OperationLabels.of_trusted(graphql.persisted.trusted)),
            Middleware(SecureHeaders, settings=settings),
            # Preflight requests are answered here, before any authentication.
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "Accept", "Accept-Language"],
                max_age=600,
            ),
        ],
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.host = host
    app.state.hub = hub
    app.state.live = live
    return app
