"""The access log and the request metrics: an ASGI middleware around the whole app that
opens each HTTP request's record (:mod:`sanquan.observability.requests`), hands its id back
in ``X-Request-Id``, and when the answer has been sent writes one line to the
``sanquan.access`` logger and counts the request in the metrics; and the line of each
WebSocket connection, written by the live endpoint when the socket closes
(:func:`websocket_closed`), or by the security middleware when it refuses the handshake
(:func:`websocket_refused`)."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sanquan.observability import metrics
from sanquan.observability.operations import OperationLabels
from sanquan.observability.requests import (
    REQUEST_ID_HEADER,
    RequestRecord,
    begin,
    end,
    request_id,
)

log = logging.getLogger("sanquan.access")

SECRET_PATH = re.compile(r"/exports/[^/?#\s]+")
"""A download link is half a credential until it expires: its secret is not logged."""


def loggable_path(path: str) -> str:
    """``path`` as the log shows it: export secrets hidden, at most 200 characters, and
    nothing but printable ASCII (a path is the client's text).

    >>> loggable_path("/exports/s3cr3t"), loggable_path("/a\\nb")
    ('/exports/<secret>', '/a?b')
    """
    shown = SECRET_PATH.sub("/exports/<secret>", path[:200])
    return "".join(c if " " < c < "\x7f" else "?" for c in shown)


class AccessLog:
    """One log line and one count per HTTP request (WebSocket connections pass through:
    a subscription is not a request/answer pair)."""

    def __init__(self, app: ASGIApp, labels: OperationLabels) -> None:
        self.app = app
        self.labels = labels

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        record = RequestRecord(request_id(Headers(scope=scope).get(REQUEST_ID_HEADER)))
        status = 500

        async def identified(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = record.id
            await send(message)

        token = begin(record)
        try:
            await self.app(scope, receive, identified)
        finally:
            end(token)
            self._record(scope, record, status, time.perf_counter() - started)

    def _record(self, scope: Scope, record: RequestRecord, status: int, seconds: float) -> None:
        path: str = scope.get("path", "")
        operation = self.labels.label(record.operation, record.executed)
        metrics.observe(
            metrics.route_of(path), operation, status, seconds, record.errors, record.user_errors
        )
        client = scope.get("client")
        log.info(
            '%s - "%s %s HTTP/%s" %d',
            client[0] if client else "-",
            scope.get("method", ""),
            loggable_path(path),
            scope.get("http_version", "1.1"),
            status,
            extra={
                "requestId": record.id,
                "method": scope.get("method", ""),
                "path": loggable_path(path),
                "status": status,
                "durationMs": round(seconds * 1000, 3),
                "operation": record.operation,
                "operationType": record.operation_type,
                "operationLabel": operation,
                "account": record.account_id,
                "statements": record.statements,
                "errors": record.errors,
                "userErrors": record.user_errors,
                "client": client[0] if client else None,
            },
        )


def websocket_closed(
    scope: Scope,
    identifier: str,
    *,
    account: int | None,
    seconds: float,
    subscriptions: int,
    close_code: int | None,
    closed_by: str | None,
) -> None:
    """One access-log line for a WebSocket connection, when it has closed: its id (sent
    back in the handshake's ``X-Request-Id``), the account's row id once its token was
    accepted (never the token: it came in ``connection_init`` and is not logged), how
    long it was open, how many subscriptions ran on it, and its close code and which side
    closed. A connection is one line, however many messages it carried, as a request is."""
    code = close_code if close_code is not None else 1006  # gone without a close frame
    metrics.WEBSOCKETS.labels("closed", closed_by or "gone").inc()
    _websocket_line(
        scope,
        identifier,
        code,
        account=account,
        durationMs=round(seconds * 1000, 3),
        subscriptions=subscriptions,
        closeCode=code,
        closedBy=closed_by,
    )


def websocket_refused(scope: Scope, identifier: str, status: int, code: str) -> None:
    """The access-log line of a WebSocket handshake refused before the upgrade (a foreign
    host name or another site's page): ``status`` is the HTTP answer (403, 400), or the
    close code 1008 where the server could send no answer; ``refusal`` the error's code.
    Refusals are what an operator looks for when a dashboard's live view stays empty."""
    metrics.WEBSOCKETS.labels("refused", code).inc()
    _websocket_line(scope, identifier, status, status=status, refusal=code)


def _websocket_line(scope: Scope, identifier: str, shown: int, **fields: Any) -> None:
    """A WebSocket's access-log line: ``shown`` (a close code or a status) ends its text;
    ``fields`` go with its id, path and client."""
    client = scope.get("client")
    path = loggable_path(scope.get("path", ""))
    log.info(
        '%s - "WEBSOCKET %s" %d',
        client[0] if client else "-",
        path,
        shown,
        extra={
            "requestId": identifier,
            "method": "WEBSOCKET",
            "path": path,
            **fields,
            "client": client[0] if client else None,
        },
    )
