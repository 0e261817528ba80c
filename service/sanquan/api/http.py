"""GraphQL over HTTP at ``/graphql``, built so that no single request can stall the others.

The event loop only moves bytes: it reads the body (refusing one over the size limit
before reading further) and watches for the client hanging up. Everything that touches
the database or costs CPU — authentication, JSON parsing, the bounds on raw variables,
GraphQL parsing, validation (depth, aliases, cost) and execution — runs in a bounded pool
of worker threads, one database connection each, under a deadline (``api.deadline``).
Refusals of a request as a whole are JSON GraphQL errors in the caller's language, with
the HTTP status that says what was wrong.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from graphql import GraphQLError
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import Headers, QueryParams
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from sanquan.api.context import Context
from sanquan.api.deadline import Deadline, RequestAborted, running_until
from sanquan.api.errors import (
    GRAPHQL_RESPONSE,
    INTERNAL,
    JSON,
    RequestError,
    error_response,
    format_error,
    language_of,
    unauthenticated,
)
from sanquan.api.persisted import PersistedQueries, load_manifest
from sanquan.api.schema import Schema
from sanquan.api.threads import WorkerThreads
from sanquan.auth.tokens import authenticate
from sanquan.config import Settings
from sanquan.observability.operations import operation_of
from sanquan.observability.requests import ran
from sanquan.plugins.host import PluginHost
from sanquan.web.pages import page_response

log = logging.getLogger(__name__)

GET_OPERATIONS = frozenset({OperationType.QUERY})
POST_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})
MAX_NESTING = 32
"""Levels of lists and objects in a request's variables: inputs here nest four deep."""
MAX_NAME_CHARS = 256
"""Characters of an ``operationName``."""


@dataclass(frozen=True)
class Reply:
    """How to answer the client: its language and the media type it accepts."""

    language: str
    media_type: str


@dataclass(frozen=True)
class GraphQLRequest:
    """One operation, as the client sent it, checked for shape and size."""

    query: str
    variables: dict[str, Any] | None
    operation_name: str | None


@dataclass(frozen=True)
class Limits:
    """The bounds on a request's raw variables, checked before any argument conversion
    so that a 200,000-entry list costs a scan, not 200,000 converted input objects."""

    max_items: int
    max_chars: int

    def check(self, value: Any, path: str, depth: int = 0) -> None:
        """Refuse ``value`` if it nests, holds or says too much. What each field may hold
        (and whether its text is clean) is the schema's bounds' to say, after conversion."""
        if depth > MAX_NESTING:
            raise RequestError("INPUT_TOO_LARGE", path=path, limit=MAX_NESTING, unit=LEVELS)
        if isinstance(value, str):
            if len(value) > self.max_chars:
                raise RequestError("INPUT_TOO_LARGE", path=path, limit=self.max_chars, unit=CHARS)
        elif isinstance(value, list | dict):
            if len(value) > self.max_items:
                raise RequestError("INPUT_TOO_LARGE", path=path, limit=self.max_items, unit=ITEMS)
            items = value.items() if isinstance(value, dict) else enumerate(value)
            deepest = depth + 1 > MAX_NESTING
            for key, item in items:
                # numbers, booleans and nulls hold nothing to bound, and a text only its
                # length: a list of 50 scores' values or codes is not walked call by call,
                # nor a path written for each
                if isinstance(item, str) and not deepest:
                    if len(item) > self.max_chars:
                        self.check(item, f"{path}.{key}", depth + 1)
                elif deepest or isinstance(item, list | dict):
                    self.check(item, f"{path}.{key}", depth + 1)


LEVELS, CHARS, ITEMS = ("层嵌套", "levels of nesting"), ("字符", "characters"), ("项", "items")


def _refuse_surrogates(text: str, path: str) -> None:
    """A lone surrogate (``"\\ud800"`` in JSON) is no character: it cannot be stored or
    written out as UTF-8, so it is refused here rather than failing deep in a driver."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise RequestError("INVALID_TEXT", path=path) from None


class _NotJSONNumber(ValueError):
    """``NaN``, ``Infinity``: Python's parser reads them, JSON has no such numbers."""


def _refuse_constant(name: str) -> float:
    raise _NotJSONNumber(name)


def parse_json(text: str | bytes, what: str) -> Any:
    """Strict JSON: UTF-8 only, no NaN or Infinity, no nesting deep enough to exhaust the
    parser's stack."""
    try:
        source = text.decode("utf-8") if isinstance(text, bytes) else text
        return json.loads(source, parse_constant=_refuse_constant)
    except UnicodeDecodeError as error:
        problem = (
            f"{what}:第 {error.start} 字节不是 UTF-8",
            f"{what}: byte {error.start} is not UTF-8",
        )
    except json.JSONDecodeError as error:
        problem = (
            f"{what}:第 {error.lineno} 行第 {error.colno} 列:{error.msg}",
            f"{what}: line {error.lineno} column {error.colno}: {error.msg}",
        )
    except _NotJSONNumber as error:
        problem = (f"{what}:{error} 不是 JSON 允许的数", f"{what}: {error} is not a JSON number")
    except ValueError:  # an integer of thousands of digits
        problem = (f"{what}:数字过长", f"{what}: a number too long")
    except RecursionError:
        problem = (f"{what}:嵌套过深", f"{what}: nested too deeply")
    raise RequestError("INVALID_BODY", problem=problem)


def read_operation(
    method: str,
    params: QueryParams,
    body: bytes | None,
    limits: Limits,
    persisted: PersistedQueries,
) -> GraphQLRequest:
    """The operation of a GET (query parameters) or POST (JSON body) request; its document
    may be a persisted query's, named by hash."""
    if method == "GET":
        data: Any = dict(params)
        if "variables" in data:
            data["variables"] = parse_json(data["variables"], "variables")
        if "extensions" in data:
            data["extensions"] = parse_json(data["extensions"], "extensions")
    else:
        data = parse_json(body or b"", "body")
    if isinstance(data, list):
        raise RequestError("BATCHING_NOT_SUPPORTED")
    return check_operation(data, limits, persisted)


def check_operation(data: Any, limits: Limits, persisted: PersistedQueries) -> GraphQLRequest:
    """An operation's fields (``query``, ``variables``, ``operationName``, ``extensions``),
    read from a request or a subscribe message and checked for shape and size."""
    if not isinstance(data, dict):
        raise RequestError("INVALID_REQUEST", field="body", problem=_problem("object"))
    variables, name = data.get("variables"), data.get("operationName")
    extensions = data.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestError("INVALID_REQUEST", field="extensions", problem=_problem("object"))
    query = persisted.document(data.get("query"), extensions)
    if not isinstance(query, str) or not query.strip():
        raise RequestError("INVALID_REQUEST", field="query", problem=_problem("string"))
    if not query.isascii():
        _refuse_surrogates(query, "query")
    if variables is not None and not isinstance(variables, dict):
        raise RequestError("INVALID_REQUEST", field="variables", problem=_problem("object"))
    if name is not None and not (isinstance(name, str) and len(name) <= MAX_NAME_CHARS):
        raise RequestError("INVALID_REQUEST", field="operationName", problem=_problem("name"))
    if variables:
        limits.check(variables, "variables")
    if extensions:
        limits.check(extensions, "extensions")
    return GraphQLRequest(query, variables, name or None)


def _problem(kind: str) -> tuple[str, str]:
    """What a field of the request must be, in (zh, en)."""
    return {
        "object": ("须为 JSON 对象", "must be a JSON object"),
        "string": ("须为非空字符串", "must be a non-empty string"),
        "name": (
            f"须为不超过 {MAX_NAME_CHARS} 字符的字符串",
            f"must be a string of at most {MAX_NAME_CHARS} characters",
        ),
    }[kind]


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to be over ``limit`` bytes: by
    its declared length before reading, or by counting while reading."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise RequestError("REQUEST_TOO_LARGE", limit=limit, headers={"Connection": "close"})
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError("REQUEST_TOO_LARGE", limit=limit, headers={"Connection": "close"})
        chunks.append(chunk)
    return b"".join(chunks)


def _media_type(headers: Headers) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def answer_type(accept: str) -> str | None:
    """The media type to answer in, by the client's ``Accept``: the GraphQL-over-HTTP type
    when asked for (or for anything), ``application/json`` for a legacy client or none
    given; ``None`` when neither is acceptable."""
    best: tuple[float, int] = (0.0, 0)
    chosen: str | None = None
    offers = {GRAPHQL_RESPONSE: 2, JSON: 1, "application/*": 0, "*/*": 0}
    for item in accept.split(","):
        kind, *parameters = (part.strip().lower() for part in item.split(";"))
        if kind not in offers:
            continue
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        rank = (quality, offers[kind])
        if quality > 0 and rank > best:
            best, chosen = rank, (JSON if kind in ("*/*", "application/*") else kind)
    if not accept.strip():
        return JSON
    return chosen


class GraphQLHTTP:
    """The ``/graphql`` endpoint (an ASGI app)."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        host: PluginHost,
        schema: Schema,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.host = host
        self.schema = schema
        self.limits = Limits(settings.max_list_items, settings.max_string_chars)
        self.persisted = PersistedQueries(
            load_manifest(settings.trusted_documents) if settings.trusted_documents else None
        )
        self.workers = WorkerThreads(settings.execution_threads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # HTTP only: the app routes WebSockets at /graphql to the live endpoint.
        request = Request(scope, receive)
        language = language_of(request.headers.get("accept-language"))
        if request.method == "GET" and self._wants_ide(request):
            await page_response("graphiql")(scope, receive, send)
            return
        media = answer_type(request.headers.get("accept", ""))
        try:
            if media is None:
                raise RequestError("NOT_ACCEPTABLE", value=request.headers.get("accept", "")[:100])
            response = await self._respond(request, receive, Reply(language, media))
        except RequestError as refused:
            response = refused.response(language, media or JSON)
        except ClientDisconnect:
            return  # gone before its body arrived: nobody to answer, nothing ran
        await response(scope, receive, send)

    async def _respond(self, request: Request, receive: Receive, reply: Reply) -> Response:
        method = request.method
        if method not in ("GET", "POST"):
            raise RequestError("METHOD_NOT_ALLOWED", value=method, headers={"Allow": "GET, POST"})
        body = None
        if method == "POST":
            media_type = _media_type(request.headers)
            if media_type != "application/json":
                raise RequestError("UNSUPPORTED_MEDIA_TYPE", value=media_type or "(none)")
            body = await read_body(request, self.settings.max_body_bytes)
        deadline = Deadline(self.settings.request_timeout)
        work = partial(self._run, request, body, reply, deadline)
        return await self._off_loop(work, deadline, receive)

    def _wants_ide(self, request: Request) -> bool:
        return (
            self.settings.graphiql
            and "query" not in request.query_params
            and "text/html" in request.headers.get("accept", "")
        )

    async def _off_loop(
        self, work: Callable[[], Response], deadline: Deadline, receive: Receive
    ) -> Response:
        """Run ``work`` in a worker thread; a client that hangs up meanwhile cancels it."""

        async def watch_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            deadline.cancelled.set()

        # A task of its own, not an anyio task group: the group's cancel scopes cost more
        # of the event loop than the rest of a request's hand-off (sanquan.api.threads).
        watcher = asyncio.get_running_loop().create_task(watch_disconnect())
        try:
            return await self.workers.run(work, stop=deadline.cancelled.set)
        finally:
            watcher.cancel()

    def _run(
        self, request: Request, body: bytes | None, reply: Reply, deadline: Deadline
    ) -> Response:
        """Authenticate, read and execute the operation: the blocking part of a request."""
        language = reply.language
        try:
            with running_until(deadline), self.sessions() as db:
                deadline.check()
                principal = authenticate(db, request.headers.get("authorization"))
                if principal is None:
                    return unauthenticated(language, reply.media_type)
                # The token's lookup and the operation share one transaction and one
                # connection: ending it here cost PostgreSQL three more round trips
                # (ROLLBACK, the pool's ping at the next checkout, BEGIN) for nothing, as
                # every statement of a request reads the latest committed data anyway.
                operation = read_operation(
                    request.method, request.query_params, body, self.limits, self.persisted
                )
                context = Context(
                    db=db,
                    principal=principal,
                    host=self.host,
                    settings=self.settings,
                    language=language,
                    base_url=self.settings.public_url or str(request.base_url).rstrip("/"),
                )
                return self._execute(operation, context, request.method, reply)
        except RequestError as refused:
            return refused.response(language, reply.media_type)
        except RequestAborted as stopped:
            return error_response(
                stopped.code, stopped.message(language), 503, None, reply.media_type
            )
        except Exception:
            log.exception("request failed outside GraphQL execution")
            return error_response(
                "INTERNAL_SERVER_ERROR", _internal(language), 500, None, reply.media_type
            )

    def _execute(
        self, operation: GraphQLRequest, context: Context, method: str, reply: Reply
    ) -> Response:
        try:
            result = self.schema.execute_sync(
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                operation_name=operation.operation_name,
                allowed_operation_types=GET_OPERATIONS if method == "GET" else POST_OPERATIONS,
            )
        except InvalidOperationTypeError as refused:
            if refused.operation_type is OperationType.SUBSCRIPTION:
                raise RequestError("SUBSCRIPTION_OVER_HTTP") from None
            raise RequestError("MUTATION_VIA_GET", headers={"Allow": "POST"}) from None
        except CannotGetOperationTypeError:
            raise RequestError("UNKNOWN_OPERATION", name=operation.operation_name or "") from None
        except MissingQueryError:
            raise RequestError(
                "INVALID_REQUEST", field="query", problem=_problem("string")
            ) from None
        errors = result.errors or []
        executed = result.data is not None or any(error.path for error in errors)
        if executed:
            ran(*operation_of(operation.query, operation.operation_name))
        data: dict[str, Any] = {"data": result.data} if executed else {}
        if errors:
            data["errors"] = _errors(errors, context.language)
        # A document that never ran (syntax, validation, variables) is the client's error:
        # the GraphQL-over-HTTP media type says so with 400; plain JSON keeps 200.
        status = 400 if not executed and reply.media_type == GRAPHQL_RESPONSE else 200
        return ResultResponse(
            data,
            status_code=status,
            headers={"Cache-Control": "no-store"},
            media_type=reply.media_type,
        )


class ResultResponse(JSONResponse):
    """An execution result as UTF-8 JSON. An error may quote a value the client sent,
    and a value may hold a lone surrogate that UTF-8 cannot carry: then the whole result
    is written with ASCII escapes, which JSON reads back as the same text."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, allow_nan=False, separators=(",", ":")).encode()


def _errors(errors: list[GraphQLError], language: str) -> list[dict[str, Any]]:
    return [format_error(error, language) for error in errors]


def _internal(language: str) -> str:
    return INTERNAL[1] if language == "en" else INTERNAL[0]
