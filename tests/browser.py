"""The pages in a real browser: Debian's ``chromium`` driven by Playwright (its own browser
download is not used), against ``sanquan demo`` served on loopback.

A :class:`Tab` routes every request the page makes, WebSockets included, and refuses any
that would leave 127.0.0.1, and records every console error; :meth:`Tab.close` fails the
test on either and keeps a screenshot under ``tests/artefacts/browser/``. The fixtures
``browser``, ``demo`` and ``tab`` (in ``tests/conftest.py``) give a test all three."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    Route,
    WebSocketRoute,
)

from sanquan.app import create_app
from sanquan.config import Settings, sqlite_url
from tests.loopback import served
from tests.required import unavailable
from tests.serving import demo_database

ARTEFACTS = Path(__file__).parent / "artefacts" / "browser"
LOCAL = "127.0.0.1"
ELSEWHERE = "Europe/London"
"""The browser's time zone: not Beijing's, so that times shown in Beijing time prove it."""


def chromium_path() -> str:
    """The system's chromium (``apt-get install chromium``)."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    unavailable("chromium is needed for the browser tests: apt-get install chromium")


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=chromium_path())


@dataclass(frozen=True)
class Demo:
    """The demo served on loopback, GraphiQL switched on: its address and its tokens."""

    url: str
    tokens: dict[str, str]

    def token(self, role: str) -> str:
        """The demo's token for ``role`` (``admin``, ``viewer``, ``institution``, …)."""
        return self.tokens[f"SANQUAN_{role.upper()}_TOKEN"]


@contextmanager
def demo_served(shared: Path, directory: Path) -> Iterator[Demo]:
    """A copy of the run's demo in ``directory``, served by uvicorn on loopback with GraphiQL
    (in this process: a ``sanquan serve`` would spend seconds importing it all again)."""
    template = demo_database(shared)
    shutil.copy(template / "sanquan.sqlite3", directory / "sanquan.sqlite3")
    lines = (template / "demo-tokens.env").read_text().split()
    settings = Settings(
        database_url=sqlite_url(directory / "sanquan.sqlite3"),
        data_dir=directory,
        graphiql=True,
        introspection=True,
    )
    with served(create_app(settings)) as url:
        yield Demo(url, dict(line.split("=", 1) for line in lines))


@dataclass
class Tab:
    """A page in a fresh browser context, its requests and console watched."""

    page: Page
    name: str
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    expected: list[re.Pattern[str]] = field(default_factory=list)
    sockets: list[WebSocketRoute] = field(default_factory=list)
    """The page's WebSockets that reached the service, oldest first (a test may close one)."""

    @classmethod
    def open(cls, browser: Browser, name: str) -> Tab:
        context = browser.new_context(
            viewport={"width": 1280, "height": 800}, timezone_id=ELSEWHERE, locale="zh-CN"
        )
        tab = cls(context.new_page(), name)
        context.route("**/*", tab._route)
        context.route_web_socket(re.compile(".*"), tab._route_socket)
        tab.page.on("console", tab._console)
        tab.page.on("pageerror", lambda error: tab.errors.append(f"uncaught: {error}"))
        return tab

    def _route(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname == LOCAL:
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort("blockedbyclient")

    def _route_socket(self, socket: WebSocketRoute) -> None:
        if urlsplit(socket.url).hostname == LOCAL:
            socket.connect_to_server()
            self.sockets.append(socket)
        else:
            self.outside.append(socket.url)
            socket.close(code=1008, reason="blocked by the test")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def allow(self, pattern: str) -> None:
        """A console error the test brings about on purpose: a refused token's 401."""
        self.expected.append(re.compile(pattern))

    def screenshot(self, suffix: str = "") -> Path:
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTEFACTS / f"{self.name}{suffix}.png"
        self.page.screenshot(path=path, full_page=True)
        return path

    def close(self) -> None:
        """Keep a screenshot, close the context, and fail on an outside request or an
        unexpected console error."""
        try:
            self.screenshot()
        finally:
            self.page.context.close()
        unexpected = [e for e in self.errors if not any(p.search(e) for p in self.expected)]
        assert not self.outside, f"requests that would leave {LOCAL}: {self.outside}"
        assert not unexpected, f"console errors: {unexpected}"
