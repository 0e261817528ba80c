"""The ASGI application: ``/graphql`` behind bearer-token authentication, ``/healthz``."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.types import ExecutionResult

from sanquan.api.context import Context
from sanquan.api.errors import UNAUTHENTICATED, format_error, language_of
from sanquan.api.schema import build_schema
from sanquan.auth.tokens import authenticate
from sanquan.config import Settings
from sanquan.db import make_engine, make_session_factory
from sanquan.errors import AccessError, DomainError, DomainErrors, ErrorCode
from sanquan.exports import service as exports
from sanquan.exports.formats import render
from sanquan.plugins.host import PluginHost
from sanquan.timeutil import current_quarter, utcnow

log = logging.getLogger(__name__)


class GraphQLEndpoint(GraphQL[Context, None]):
    """Strawberry's ASGI view with a database session per request, the caller's
    principal, and the project's error formatting."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        host: PluginHost,
    ) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
        )
        self.settings = settings
        self.sessions = sessions
        self.host = host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1008})
            return
        request = Request(scope, receive)
        if self._wants_ide(request):
            await super().__call__(scope, receive, send)
            return
        language = language_of(request.headers.get("accept-language"))
        with self.sessions() as db:
            principal = authenticate(db, request.headers.get("authorization"))
            if principal is None:
                await _unauthenticated(language)(scope, receive, send)
                return
            db.rollback()  # end the read transaction of the token lookup
            scope.setdefault("state", {})["sanquan"] = Context(
                db=db,
                principal=principal,
                host=self.host,
                settings=self.settings,
                language=language,
                base_url=self.settings.public_url or str(request.base_url).rstrip("/"),
            )
            await super().__call__(scope, receive, send)

    def _wants_ide(self, request: Request) -> bool:
        return (
            self.graphql_ide is not None
            and request.method == "GET"
            and "query" not in request.query_params
            and "text/html" in request.headers.get("accept", "")
        )

    async def get_context(self, request: Any, response: Any) -> Context:
        # The IDE page is served without a context: it runs no operation.
        context: Context = getattr(request.state, "sanquan", None)  # type: ignore[assignment]
        return context

    def encode_json(self, data: object) -> bytes:
        """UTF-8 as is: names and messages are Chinese, and ``\\uXXXX`` escapes make them
        unreadable in a terminal (and larger)."""
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()

    async def process_result(self, request: Request, result: ExecutionResult) -> Any:
        language = language_of(request.headers.get("accept-language"))
        data: dict[str, Any] = {"data": result.data}
        if result.errors:
            data["errors"] = [format_error(error, language) for error in result.errors]
        return data


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
                return _unauthenticated(language)
            try:
                wanted, export_format = exports.open_link(
                    db, request.path_params["secret"], principal, utcnow()
                )
                table = exports.build(db, self.host, principal, wanted, current_quarter())
                content = render(table, export_format)
            except (DomainError, DomainErrors) as refused:
                error = refused if isinstance(refused, DomainError) else refused.errors[0]
                status = DOWNLOAD_STATUS.get(error.code, 422)
                return _error_response(error.code.value, error.message(language), status)
            except AccessError as error:
                return _error_response(error.code, error.message(language), 403)
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


def _unauthenticated(language: str) -> JSONResponse:
    zh, en = UNAUTHENTICATED
    return _error_response(
        "UNAUTHENTICATED",
        en if language == "en" else zh,
        401,
        {"WWW-Authenticate": 'Bearer realm="sanquan"'},
    )


DOWNLOAD_STATUS = {ErrorCode.UNKNOWN_EXPORT_LINK: 404, ErrorCode.EXPORT_LINK_EXPIRED: 410}


def _error_response(
    code: str, message: str, status: int, headers: dict[str, str] | None = None
) -> JSONResponse:
    """An error outside GraphQL execution, in the shape GraphQL clients already read."""
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(
        body, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})}
    )


def create_app(settings: Settings | None = None, host: PluginHost | None = None) -> Starlette:
    """The service. ``host`` lets tests and benchmarks add plugins without packaging."""
    settings = settings or Settings.from_env()
    hide_export_secrets(logging.getLogger("uvicorn.access"))
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    if host is None:
        host = PluginHost.discover()
        for failure in host.failures:
            log.error(failure)

    async def healthz(request: Request) -> Response:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            log.exception("health check failed")
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/exports/{secret}", ExportDownload(sessions, host).respond, methods=["GET"]),
            Route("/graphql", GraphQLEndpoint(settings, sessions, host)),
        ],
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.host = host
    return app
