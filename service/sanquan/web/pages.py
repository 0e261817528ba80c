"""Serving the pages: the dashboard at ``/``, GraphiQL's page for ``/graphql``, and the files
under ``/static/``.

A page gets the page policy (``api.headers.PAGE_POLICY``: scripts, styles and connections to
this service only); everything else keeps the data policy that lets a browser run nothing.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from sanquan.api.headers import PAGE_POLICY
from sanquan.web.assets import STATIC, page

FOREVER = "public, max-age=31536000, immutable"
"""A vendored file: its address names its version, so it never changes."""
REVALIDATE = "no-cache"
"""Our own files change with any release of the service: kept, but checked (ETag) each time."""


def page_response(name: str) -> HTMLResponse:
    """``templates/<name>.html`` with the page policy. Not kept by the browser (the default
    ``no-store``): a page is a kilobyte, and GraphiQL's shares its address with the API."""
    return HTMLResponse(page(name), headers={"Content-Security-Policy": PAGE_POLICY})


async def dashboard(request: Request) -> Response:
    """The shell every reader gets; what it shows comes from ``/graphql`` with their token."""
    return page_response("dashboard")


class Assets(StaticFiles):
    """``/static/``: long caching for the vendored files, revalidation for ours."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        versioned = path.replace("\\", "/").startswith("vendor/")
        response.headers["Cache-Control"] = FOREVER if versioned else REVALIDATE
        return response


def routes() -> list[BaseRoute]:
    return [
        Route("/", dashboard, methods=["GET"]),
        Mount("/static", app=Assets(directory=STATIC), name="static"),
    ]
