"""GraphQL subscriptions at ``/graphql`` over WebSocket, by the graphql-transport-ws protocol
(the one of the ``graphql-ws`` library that Apollo Client and urql use).

The protocol itself (``connection_init`` and its timeout, ``ping``/``pong``, one
operation per id, ``complete``) is strawberry's; this module puts our rules around it:

- **Authentication**: the bearer token comes in ``connection_init``'s payload
  (``{"Authorization": "Bearer …"}``); without a valid one the socket is closed with 4403.
  Each account holds at most ``Settings.live_connections_per_account`` sockets per process
  (4429 past that), and each socket at most :data:`SUBSCRIPTIONS_PER_CONNECTION`
  subscriptions.
- **Request limits**: a subscribe message is checked like an HTTP request (variables,
  trusted documents) and its document parsed and validated (cost, depth, aliases,
  introspection) in a worker thread, warming strawberry's caches, so that the event loop
  only looks them up. Only subscriptions run here: queries and mutations go over HTTP.
- **No database on the loop**: a subscription's resolver reads through
  :meth:`LiveContext.read`, which runs in the HTTP endpoint's worker threads (the same
  pool, so the same bound on database connections), under a request's
  deadline, with the caller authenticated again from the token for every read.
- **Keep-alive**: the server pings every ``Settings.live_keepalive`` seconds and closes a
  socket (1001) whose client did not answer the previous ping.
- Errors in the caller's language (``Accept-Language`` of ``connection_init``'s payload,
  else of the handshake: a browser's page cannot set the handshake's headers), coded as
  over HTTP; a closed socket ends its subscriptions and frees its slot at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import suppress
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar, cast

import anyio
import anyio.to_thread
from graphql import (
    GraphQLError,
    GraphQLFormattedError,
    OperationType,
    get_operation_ast,
    specified_rules,
)
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.http.async_base_view import AsyncWebSocketAdapter
from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ErrorMessage,
    Message,
    NextMessage,
    NextMessagePayload,
    PongMessage,
)
from strawberry.types.unset import UNSET, UnsetType
from strawberry.utils.aio import aclosing

from sanquan.api.context import Context, LiveContext
from sanquan.api.deadline import Deadline, running_until
from sanquan.api.errors import (
    UNAUTHENTICATED,
    AccessError,
    RequestError,
    format_error,
    language_of,
)
from sanquan.api.http import GraphQLHTTP, check_operation
from sanquan.api.schema import CACHE_SIZE
from sanquan.auth.tokens import Principal, authenticate
from sanquan.events import Hub
from sanquan.observability import metrics
from sanquan.observability.access import websocket_closed
from sanquan.observability.requests import REQUEST_ID_HEADER, request_id

log = logging.getLogger(__name__)

T = TypeVar("T")

PROTOCOL = "graphql-transport-ws"
INIT_TIMEOUT = timedelta(seconds=10)
"""How long a socket may stay open without ``connection_init`` (then 4408)."""
SUBSCRIPTIONS_PER_CONNECTION = 5
"""A dashboard follows one session; a few tabs' worth on one socket is plenty."""
INLINE_JSON = 16_384
"""Characters of a message decoded on the loop; a longer one is decoded in a thread."""
MAX_ID = 128
"""Characters of a subscription's id; clients send a UUID."""


class Unauthenticated(AccessError):
    """The connection's token no longer opens the service (revoked, account switched off)."""

    code = "UNAUTHENTICATED"
    messages = UNAUTHENTICATED


class LiveGraphQL:
    """The WebSocket endpoint at ``/graphql`` (an ASGI app for websocket scopes)."""

    def __init__(self, http: GraphQLHTTP, hub: Hub) -> None:
        """Shares ``http``'s settings, schema, persisted queries and worker threads (so
        the bound on threads, and on database connections, holds for both)."""
        self.settings = http.settings
        self.sessions = http.sessions
        self.host = http.host
        self.schema = http.schema
        self.workers = http.workers
        self.persisted = http.persisted
        self.limits = http.limits
        self.hub = hub
        self.connections: Counter[int] = Counter()
        """Open, authenticated sockets per account in this process."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """One socket, from the handshake to its close, which the access log records
        (:func:`sanquan.observability.access.websocket_closed`); the connection's id goes
        back in the handshake's ``X-Request-Id``, as an HTTP answer's does."""
        started = time.perf_counter()
        websocket = WebSocket(scope, receive, send)
        identifier = request_id(websocket.headers.get(REQUEST_ID_HEADER))
        headers = [(REQUEST_ID_HEADER.lower().encode(), identifier.encode())]
        socket = Socket(websocket, self.settings.max_body_bytes)
        context = LiveContext(
            language=language_of(websocket.headers.get("accept-language")),
            reader=self.read,
            hub=self.hub,
        )
        connection: Connection | None = None
        spoken, opened = PROTOCOL in scope.get("subprotocols", ()), False
        try:
            await websocket.accept(subprotocol=PROTOCOL if spoken else None, headers=headers)
            metrics.WEBSOCKETS_OPEN.inc()
            opened = True
            if not spoken:
                await socket.close(4406, "Subprotocol not acceptable")
                return
            connection = Connection(self, socket, context)
            await connection.handle()
        finally:
            if opened:
                metrics.WEBSOCKETS_OPEN.dec()
            if context.principal is not None:
                self._release(context.principal)
            websocket_closed(
                scope,
                identifier,
                account=context.principal.account_id if context.principal else None,
                seconds=time.perf_counter() - started,
                subscriptions=connection.subscribed if connection else 0,
                close_code=socket.close_code,
                closed_by=socket.closed_by,
            )

    def admit(self, principal: Principal) -> bool:
        """Count a new socket of ``principal``'s account, unless it has its fill already."""
        if self.connections[principal.account_id] >= self.settings.live_connections_per_account:
            return False
        self.connections[principal.account_id] += 1
        return True

    def _release(self, principal: Principal) -> None:
        self.connections[principal.account_id] -= 1
        if self.connections[principal.account_id] <= 0:
            del self.connections[principal.account_id]

    def authenticate(self, authorization: str) -> Principal | None:
        with self.sessions() as db:
            return authenticate(db, authorization)

    async def read(self, live: LiveContext, work: Callable[[Context], T]) -> T:
        """``work`` run in a worker thread with a request's context (see the module)."""
        return await self.workers.run(partial(self._read, live, work))

    def _read(self, live: LiveContext, work: Callable[[Context], T]) -> T:
        with running_until(Deadline(self.settings.request_timeout)), self.sessions() as db:
            principal = authenticate(db, live.authorization)
            if principal is None:
                raise Unauthenticated("")
            # one transaction for the token and the work, as an HTTP request (``api.http``)
            context = Context(
                db=db,
                principal=principal,
                host=self.host,
                settings=self.settings,
                language=live.language,
            )
            return work(context)

    def prepare(self, message: Mapping[str, Any]) -> tuple[str, dict[str, Any] | None, str | None]:
        """A subscribe message's operation, checked as an HTTP request's would be, parsed
        and validated: the document, its variables and operation name. Raises
        :class:`RequestError` or :class:`Invalid`."""
        operation = check_operation(dict(message), self.limits, self.persisted)
        # The same cached functions strawberry's extensions call, with the same arguments,
        # so that its own parsing and validation on the loop are cache hits.
        try:
            document = ParserCache(maxsize=CACHE_SIZE).cached_parse_document(
                operation.query, max_tokens=self.settings.max_tokens
            )
        except GraphQLError as error:  # a syntax error, or too many tokens
            raise Invalid([error]) from None
        found = get_operation_ast(document, operation.operation_name)
        if found is None:
            raise RequestError("UNKNOWN_OPERATION", name=operation.operation_name or "")
        if found.operation is not OperationType.SUBSCRIPTION:
            raise RequestError("SUBSCRIPTIONS_ONLY")
        errors = ValidationCache(maxsize=CACHE_SIZE).cached_validate_document(
            self.schema._schema, document, (*specified_rules, *self.schema.request_rules)
        )
        if errors:
            raise Invalid(errors)
        return operation.query, operation.variables, operation.operation_name


class Invalid(Exception):
    """A document that did not pass validation, with graphql-core's findings."""

    def __init__(self, errors: list[GraphQLError]) -> None:
        super().__init__(errors)
        self.errors = errors


class Connection(BaseGraphQLTransportWSHandler[LiveContext, None]):
    """One socket: strawberry's protocol handler, with our authentication, limits,
    execution and keep-alive."""

    def __init__(self, endpoint: LiveGraphQL, socket: Socket, context: LiveContext) -> None:
        super().__init__(
            view=cast(Any, self),  # strawberry asks its view only for on_ws_connect
            websocket=socket,
            context=context,
            root_value=None,
            schema=endpoint.schema,
            connection_init_wait_timeout=INIT_TIMEOUT,
            max_subscriptions_per_connection=None,  # counted in handle_message, with a code
        )
        self.endpoint = endpoint
        self.socket = socket
        self.pinged = False
        self.subscribed = 0
        """Subscriptions that ran (passed their checks), for the access log."""
        self.keepalive: asyncio.Task[None] | None = None

    async def on_ws_connect(self, context: LiveContext) -> UnsetType:
        """``connection_init``: a valid bearer token, and room for one more socket of its
        account; otherwise the socket is closed (4403, or 4429)."""
        authorization = _param(context.connection_params, "authorization")[:1024]
        chosen = _param(context.connection_params, "accept-language")
        if chosen:
            context.language = language_of(chosen[:100])
        principal = await self.endpoint.workers.run(
            partial(self.endpoint.authenticate, authorization)
        )
        if principal is None:
            raise ConnectionRejectionError
        if not self.endpoint.admit(principal):
            await self.socket.close(4429, "Too many connections for this account")
            raise ConnectionRejectionError
        context.principal, context.authorization = principal, authorization
        self.keepalive = asyncio.create_task(self._keep_alive())
        return cast(UnsetType, UNSET)

    async def handle_message(self, message: Message) -> None:
        problem = _shape_problem(message)
        raw = cast(dict[str, Any], message)
        if raw.get("type") == "connection_init" and raw.get("payload") is None:
            raw.pop("payload", None)  # null is as good as none (strawberry refuses it)
        if problem:
            await self.handle_invalid_message(problem)
            return
        if (
            message["type"] == "subscribe"
            and self.connection_acknowledged
            and message["id"] not in self.operations
            and len(self.operations) >= SUBSCRIPTIONS_PER_CONNECTION
        ):
            refused = RequestError("TOO_MANY_SUBSCRIPTIONS", limit=SUBSCRIPTIONS_PER_CONNECTION)
            await self.send_message(_error(message["id"], [self._refusal(refused)]))
            return
        await super().handle_message(message)

    async def handle_pong(self, message: PongMessage) -> None:
        self.pinged = False

    async def shutdown(self) -> None:
        if self.keepalive is not None:
            self.keepalive.cancel()
            with suppress(asyncio.CancelledError):
                await self.keepalive
        await super().shutdown()

    async def run_operation(self, operation: Operation[LiveContext, None]) -> None:
        """Check the document off the loop, then stream its results, each formatted as
        over HTTP: a result without data (refused, failed) is the operation's ``error``."""
        identifier = operation.id
        message = {
            "query": operation.query,
            "variables": operation.variables,
            "operationName": operation.operation_name,
        }
        try:
            try:
                query, variables, name = await self.endpoint.workers.run(
                    partial(self.endpoint.prepare, message)
                )
            except RequestError as refused:
                await self._fail(operation, [self._refusal(refused)])
                return
            except Invalid as invalid:
                await self._fail(operation, [self._format(e) for e in invalid.errors])
                return
            self.subscribed += 1
            results = await self.schema.subscribe(
                query, variable_values=variables, context_value=self.context, operation_name=name
            )
            async with aclosing(results):
                async for result in results:
                    errors = [self._format(e) for e in result.errors or []]
                    if result.data is None:
                        await self._fail(operation, errors)
                        return
                    payload: dict[str, Any] = {"data": result.data}
                    if errors:
                        payload["errors"] = errors
                    await operation.send_operation_message(
                        NextMessage(
                            id=identifier, type="next", payload=cast(NextMessagePayload, payload)
                        )
                    )
            await operation.send_operation_message({"id": identifier, "type": "complete"})
        except (asyncio.CancelledError, WebSocketDisconnected):
            raise
        except Exception:
            log.exception("subscription %s failed", identifier)
            with suppress(Exception):
                await operation.send_operation_message({"id": identifier, "type": "complete"})
            self.operations.pop(identifier, None)

    async def _fail(self, operation: Operation[LiveContext, None], errors: list[Any]) -> None:
        await operation.send_operation_message(_error(operation.id, errors))

    def _format(self, error: GraphQLError) -> dict[str, Any]:
        return format_error(error, self.context.language)

    def _refusal(self, refused: RequestError) -> dict[str, Any]:
        message = refused.message(self.context.language)
        return {"message": message, "extensions": {"code": refused.code}}

    async def _keep_alive(self) -> None:
        """Ping every interval; a client that left the last ping unanswered is gone."""
        interval = self.endpoint.settings.live_keepalive
        while True:
            await asyncio.sleep(interval)
            if self.pinged:
                await self.socket.close(1001, "No pong to the last ping")
                return
            self.pinged = True
            try:
                await self.send_message({"type": "ping"})
            except WebSocketDisconnected:
                return


class Socket(AsyncWebSocketAdapter):
    """Starlette's WebSocket as strawberry's protocol handler wants it: JSON text
    messages, each at most ``max_chars`` long, and a close that may be said twice."""

    def __init__(self, websocket: WebSocket, max_chars: int) -> None:
        super().__init__(cast(Any, None))  # the adapter's view is not used here
        self.ws = websocket
        self.max_chars = max_chars
        self.closed = False
        self.close_code: int | None = None
        """How the socket closed, once it has: the code the server sent or the client's."""
        self.closed_by: str | None = None
        """``server`` or ``client``, whichever closed first."""

    def _ended(self, code: int, by: str) -> None:
        if self.close_code is None:
            self.close_code, self.closed_by = code, by

    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        while not self.closed and self.ws.application_state is not WebSocketState.DISCONNECTED:
            try:
                received = await self.ws.receive()
            except WebSocketDisconnect as gone:
                self._ended(gone.code, "client")
                return
            except RuntimeError:
                return
            if received["type"] == "websocket.disconnect":
                self._ended(int(received.get("code", 1005)), "client")
                self.closed = True
                return
            text = received.get("text")
            if text is None:
                raise NonTextMessageReceived
            if len(text) > self.max_chars:
                await self.close(1009, "Message too big")
                return
            try:
                if len(text) <= INLINE_JSON:
                    yield json.loads(text)
                else:
                    yield await anyio.to_thread.run_sync(json.loads, text)
            except ValueError as error:
                raise NonJsonMessageReceived from error

    async def send_json(self, message: Mapping[str, object]) -> None:
        if self.closed:
            raise WebSocketDisconnected
        text = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate quoted back from the client's input
            text = json.dumps(message, separators=(",", ":"))
        try:
            await self.ws.send_text(text)
        except (WebSocketDisconnect, RuntimeError, OSError) as gone:
            self._ended(gone.code if isinstance(gone, WebSocketDisconnect) else 1006, "client")
            self.closed = True
            raise WebSocketDisconnected from gone

    async def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self._ended(code, "server")
        with suppress(WebSocketDisconnect, RuntimeError, OSError):
            await self.ws.close(code=code, reason=reason)


def _error(identifier: str, errors: list[dict[str, Any]]) -> ErrorMessage:
    return ErrorMessage(
        id=identifier, type="error", payload=cast(list[GraphQLFormattedError], errors)
    )


def _param(params: Mapping[str, object], name: str) -> str:
    """The text entry ``name`` (lower case) of ``connection_init``'s payload, however it is
    cased there; empty when there is none."""
    for key, value in params.items():
        if key.lower() == name and isinstance(value, str):
            return value
    return ""


def _shape_problem(message: object) -> str | None:
    """Why ``message`` is no protocol message we can act on, if it is not."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "WebSocket message must be a JSON object with a type"
    if message["type"] in ("subscribe", "complete"):
        identifier = message.get("id")
        if not isinstance(identifier, str) or not 0 < len(identifier) <= MAX_ID:
            return f"A {message['type']} message needs an id of 1 to {MAX_ID} characters"
    if message["type"] == "subscribe":
        payload = message.get("payload")
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return "A subscribe message needs a payload with the query's text"
        if payload.get("variables") is not None and not isinstance(payload["variables"], dict):
            return "A subscribe message's variables must be a JSON object"
        if payload.get("operationName") is not None and not isinstance(
            payload["operationName"], str
        ):
            return "A subscribe message's operationName must be a string"
    payload = message.get("payload")
    if (
        message["type"] == "connection_init"
        and payload is not None
        and not isinstance(payload, dict)
    ):
        return "Invalid connection init payload"
    return None
