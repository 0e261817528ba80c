"""The service's ASGI app served by uvicorn on a free loopback port, in a thread of the
test process, so that a test can give it plugins of its own and still talk real HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from sanquan.http_protocol import BoundedHttpToolsProtocol


@contextmanager
def served(app: ASGIApp) -> Iterator[str]:
    """Yields the base URL (``http://127.0.0.1:<port>``) while uvicorn serves ``app``."""
    # IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say so.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        server_header=False,
        http=BoundedHttpToolsProtocol,  # as `sanquan serve` speaks it
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        listener.close()
