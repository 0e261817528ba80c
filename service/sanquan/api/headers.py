"""HTTP hygiene for every response: the service answers only to its own host names, and
tells browsers not to sniff, frame, cache or refer what it sends."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sanquan.api.errors import RequestError, language_of
from sanquan.config import Settings

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


class SecureHeaders:
    """ASGI middleware: refuses a foreign ``Host`` (it would end up in download links) and
    adds the security headers: ``Cache-Control: no-store`` unless a route chose otherwise,
    and the data policy unless the route is a page that set the page policy itself (an
    HTML answer of any other route, an error page say, runs nothing)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
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

    @staticmethod
    def _secured(send: Send) -> Send:
        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
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
