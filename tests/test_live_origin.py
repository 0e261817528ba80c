"""Who may open a WebSocket to ``/graphql``: the service's own pages, and clients that are no
browser's page (they send no ``Origin``: the CLI, scripts, the SDK). A page of another site
is refused before the upgrade, with a typed error naming its origin, and nothing of it
reaches the live endpoint; a handshake to a foreign host name is refused like an HTTP
request's. On a real server on loopback, with a real WebSocket client."""

from __future__ import annotations

import dataclasses
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from sanquan.api.headers import origin_allowed
from sanquan.config import Settings
from sanquan.plugins.host import PluginHost
from tests.conftest import World
from tests.live import PROTOCOL
from tests.test_live_progress import Server, serving

pytestmark = pytest.mark.engine_independent


@pytest.fixture
def server(world: World, settings: Settings, host: PluginHost) -> Iterator[Server]:
    changed = dataclasses.replace(
        settings,
        cors_origins=("https://portal.example.cn",),
        public_url="https://review.example.cn",
    )
    with serving(changed, host) as running:
        yield running


def handshake(server: Server, host: str | None = None, **headers: str) -> ClientConnection:
    """A WebSocket to the server's ``/graphql`` with the handshake's ``headers``, addressed
    to ``host`` (the ``Host`` a proxy or a forger would send) when given."""
    if host is None:
        return connect(
            server.base.replace("http://", "ws://") + "/graphql",
            subprotocols=[PROTOCOL],  # type: ignore[list-item]
            additional_headers=headers,
            open_timeout=10,
        )
    return connect(
        f"ws://{host}/graphql",
        sock=socket.create_connection(("127.0.0.1", server.port), timeout=10),
        subprotocols=[PROTOCOL],  # type: ignore[list-item]
        additional_headers=headers,
        open_timeout=10,
    )


def acknowledged(
    server: Server, world: World, host: str | None = None, **headers: str
) -> dict[str, Any]:
    """The answer to the admin's ``connection_init`` on a socket opened with ``headers``."""
    with handshake(server, host, **headers) as opened:
        init = {"Authorization": f"Bearer {world.tokens['admin']}"}
        opened.send(json.dumps({"type": "connection_init", "payload": init}))
        answer: dict[str, Any] = json.loads(opened.recv(timeout=10))
        return answer


def refused(server: Server, host: str | None = None, **headers: str) -> tuple[int, dict[str, Any]]:
    """The HTTP status and GraphQL error of a handshake the server refuses."""
    with pytest.raises(InvalidStatus) as raised:
        handshake(server, host, **headers)
    response = raised.value.response
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    [error] = json.loads(response.body or b"")["errors"]
    return response.status_code, error


def test_the_services_own_pages_and_clients_without_origin_may_connect(
    server: Server, world: World
) -> None:
    ack = {"type": "connection_ack"}
    assert acknowledged(server, world) == ack, "no Origin: a script, the CLI"
    assert acknowledged(server, world, Origin=server.base) == ack
    assert acknowledged(server, world, Origin="https://portal.example.cn") == ack, "CORS"


def test_behind_a_proxy_the_public_urls_pages_may_connect(
    settings: Settings, host: PluginHost, world: World
) -> None:
    """The proxy passes the public host name on, or its own address: either way a page of
    the public URL is the service's own."""
    public = dataclasses.replace(
        settings, public_url="https://review.example.cn", allowed_hosts=("127.0.0.1",)
    )
    with serving(public, host) as running:
        ack = {"type": "connection_ack"}
        origin = "https://review.example.cn"
        assert acknowledged(running, world, Origin=origin) == ack
        assert acknowledged(running, world, "review.example.cn", Origin=origin) == ack
        status, error = refused(running, Origin="http://review.example.cn")
        assert (status, error["extensions"]["code"]) == (403, "FOREIGN_ORIGIN"), "not https"


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://127.0.0.1:1",  # the same machine, another port: another site
        "null",  # a sandboxed frame or a file
        "chrome-extension://abcdefghijklmnop",
    ],
)
def test_a_page_of_another_origin_is_refused_before_the_upgrade(
    server: Server, origin: str
) -> None:
    status, error = refused(server, Origin=origin, **{"Accept-Language": "en"})
    assert status == 403
    assert error["extensions"]["code"] == "FOREIGN_ORIGIN"
    assert error["message"] == (
        f"this service's live connections are for its own pages, not for pages of {origin!r}"
    )
    assert server.app.state.live.connections == {}, "nothing reached the live endpoint"


def test_the_refusal_is_in_chinese_by_default(server: Server) -> None:
    status, error = refused(server, Origin="https://evil.example")
    assert status == 403
    assert error["message"] == (
        "本服务的实时连接只对本服务的页面开放,不接受来自“https://evil.example”的页面"
    )


def test_a_handshake_to_a_foreign_host_name_is_refused_as_over_http(server: Server) -> None:
    status, error = refused(server, "evil.example")
    assert (status, error["extensions"]["code"]) == (400, "DISALLOWED_HOST")
    assert "evil.example" in error["message"]


@pytest.mark.parametrize(
    ("origin", "host", "scheme", "allowed"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", "ws", True),
        ("http://Review.Example.cn", "review.example.cn:80", "ws", True),  # default port, any case
        ("https://review.example.cn:443", "review.example.cn", "wss", True),
        ("https://127.0.0.1:8000", "127.0.0.1:8000", "wss", True),
        ("http://127.0.0.1:8000", "127.0.0.1:8001", "ws", False),
        ("http://127.0.0.1", "127.0.0.1:8000", "ws", False),
        ("https://127.0.0.1:8000", "127.0.0.1:8000", "ws", False),  # scheme alone differs
        ("http://127.0.0.1:8000", "127.0.0.1:8000", "wss", False),
        ("https://review.example.cn", "review.example.cn", "ws", False),
        ("ws://127.0.0.1:8000", "127.0.0.1:8000", "ws", False),  # no page has that origin
        ("", "127.0.0.1:8000", "ws", False),
    ],
)
def test_an_origin_is_the_services_own_when_scheme_host_and_port_agree(
    origin: str, host: str, scheme: str, allowed: bool
) -> None:
    settings = Settings(database_url="sqlite://")
    assert origin_allowed(settings, origin, host, scheme) is allowed


def test_a_page_of_the_same_host_and_port_over_another_scheme_is_refused(
    server: Server, world: World
) -> None:
    """The server is plain HTTP: an ``https://`` page of its host and port is another
    site's (a browser keeps them apart), so its handshake is refused naming it."""
    foreign = server.base.replace("http://", "https://")
    status, error = refused(server, Origin=foreign, **{"Accept-Language": "en"})
    assert (status, error["extensions"]["code"]) == (403, "FOREIGN_ORIGIN")
    assert error["message"] == (
        f"this service's live connections are for its own pages, not for pages of {foreign!r}"
    )
    assert acknowledged(server, world, Origin=server.base) == {"type": "connection_ack"}


def test_behind_a_tls_proxy_the_https_page_is_the_services_own(
    server: Server, world: World
) -> None:
    """A proxy on loopback (trusted: uvicorn's default) that ends TLS says so with
    ``X-Forwarded-Proto: https``: the socket is then ``wss``, its own pages are the
    ``https://`` ones and an ``http://`` page of the same host is refused."""
    secure = server.base.replace("http://", "https://")
    proxied = {"X-Forwarded-Proto": "https"}
    assert acknowledged(server, world, Origin=secure, **proxied) == {"type": "connection_ack"}
    status, error = refused(server, Origin=server.base, **proxied)
    assert (status, error["extensions"]["code"]) == (403, "FOREIGN_ORIGIN")
