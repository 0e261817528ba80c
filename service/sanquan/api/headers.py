"""HTTP hygiene for every response: the service answers only to its own host names, and
tells browsers not to sniff, frame, cache or refer what it sends; a WebSocket opens only
from the service's own pages (or from a client that is no browser's page)."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketClose

from sanquan.api.errors import RequestError, language_of
from sanquan.config import Settings
from sanquan.observability.access import websocket_refused
from sanquan.observability.requests import REQUEST_ID_HEADER, request_id

PAGE_POLICY = (
    "default-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
"""The pages (``sanquan.web``): scripts, stylesheets and connections from this service
only, no inline script, nothing may frame them. Three exceptions, each for a vendored
library: ``style`` attributes (ECharts positions its tooltips and draws its SVG with them;
inline ``<style>`` elements stay barred), and ``data:`` images and fonts
(GraphiQL's stylesheet carries its icons and fonts inline)."""
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"
"""Anything else is data: a browser must run nothing of it, nor show it in a frame."""
UNCHECKED_PATHS = ("/healthz",)
"""A load balancer's health check may address the service by any name or bare IP."""
DEFAULT_PORTS = {"http": "80", "https": "443"}
PAGE_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https"}
"""The scheme of the pages that belong to a WebSocket's address: a ``wss://`` socket is
the service's own for an ``https://`` page only (ASGI gives a WebSocket's scope ``ws`` or
``wss``; behind a trusted proxy uvicorn takes it from ``X-Forwarded-Proto``)."""


def _site(scheme: str, netloc: str) -> str:
    """``host[:port]`` in lower case, the scheme's default port left out."""
    netloc = netloc.lower()
    default = DEFAULT_PORTS.get(scheme)
    if default and netloc.endswith(f":{default}"):
        return netloc[: -len(default) - 1]
    return netloc


def origin_allowed(settings: Settings, origin: str | None, host: str, scheme: str) -> bool:
    """Whether a WebSocket handshake's ``Origin`` may open a connection: none (a client
    that is no browser's page: the CLI, a script), the service's own (the scheme and
    ``Host`` it was addressed by, ``ws`` standing for ``http`` and ``wss`` for ``https``,
    or its public URL's, as a reverse proxy may rewrite the ``Host``), or an origin the
    operator lets call the API (``cors_origins``). An origin differing in scheme alone is
    another site: an ``http://`` page of the same host is not the ``https://`` one.

    A browser sends a page's origin with every WebSocket handshake and lets any page open
    one to any address, with no CORS check: a page of another site must not open a
    connection in its reader's name. Tokens are no cookies, so such a page would need a
    stolen one; still, the service's sockets are for its own pages."""
    if origin is None:
        return True
    if origin in settings.cors_origins:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in DEFAULT_PORTS or not parts.netloc:
        return False  # "null" (a sandboxed frame, a file), or no origin a page can have
    site = _site(parts.scheme, parts.netloc)
    if parts.scheme == PAGE_SCHEMES.get(scheme) and site == _site(parts.scheme, host):
        return True
    public = urlsplit(settings.public_url) if settings.public_url else None
    return public is not None and (public.scheme, _site(public.scheme, public.netloc)) == (
        parts.scheme,
        site,
    )


class SecureHeaders:
    """ASGI middleware: refuses a foreign ``Host`` (it would end up in download links) and
    adds the security headers: ``Cache-Control: no-store`` unless a route chose otherwise,
    and the data policy unless the route is a page that set the page policy itself (an
    HTML answer of any other route, an error page say, runs nothing)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if scope["path"] not in UNCHECKED_PATHS and not self.settings.host_allowed(host):
            language = language_of(headers.get("accept-language"))
            response = RequestError("DISALLOWED_HOST", value=host[:100]).response(language)
            await response(scope, receive, self._secured(send))
            return
        await self.app(scope, receive, self._secured(send))

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A handshake from a foreign host name or another site's page is refused before
        the upgrade: HTTP 403 (400 for the host) with the usual JSON error where the
        server can send one, else a close (1008, policy violation)."""
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        origin = headers.get("origin")
        refusal = None
        if not self.settings.host_allowed(host):
            refusal = RequestError("DISALLOWED_HOST", value=host[:100])
        elif not origin_allowed(self.settings, origin, host, scope.get("scheme", "ws")):
            refusal = RequestError("FOREIGN_ORIGIN", value=(origin or "")[:100])
        if refusal is None:
            await self.app(scope, receive, send)
            return
        identifier = request_id(headers.get(REQUEST_ID_HEADER))
        if "websocket.http.response" in scope.get("extensions", {}):
            response = refusal.response(language_of(headers.get("accept-language")))
            response.headers[REQUEST_ID_HEADER] = identifier
            await response(scope, receive, self._secured(send))
            websocket_refused(scope, identifier, response.status_code, refusal.code)
        else:
            await WebSocketClose(1008, refusal.code)(scope, receive, send)
            websocket_refused(scope, identifier, 1008, refusal.code)

    @staticmethod
    def _secured(send: Send) -> Send:
        async def secured(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.http.response.start"):
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "no-referrer"
                if headers.get("content-security-policy") != PAGE_POLICY:
                    headers["Content-Security-Policy"] = DATA_POLICY
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        return secured
