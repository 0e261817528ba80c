"""The HTTP/1.1 protocol the service speaks: uvicorn's httptools protocol with a bound on a
request's head (the request line and the headers).

Why httptools: its parser is C (llhttp) and takes less of a request's CPU than h11,
uvicorn's parser in Python (bench/RESULTS.md). Why a bound of our own: httptools gathers a
header of any size before it hands it over, so without one a client could make the server
hold megabytes a connection before any authentication (a 20 MB header was answered 200).
This protocol refuses a head over :data:`HEAD_BYTES` with ``431 Request Header Fields Too
Large`` and closes the connection (``tests/test_server.py``), as h11 refuses one it must
gather beyond 16 KB."""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEAD_BYTES = 32 * 1024
"""The most a request's head may take. Browsers send a few KB; proxies commonly refuse
beyond 8–32 KB."""

REFUSAL = b"request head over %d bytes" % HEAD_BYTES
REFUSED_STATUS = b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
REFUSED_HEADERS = (
    b"content-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\n"
    b"content-length: %d\r\n\r\n%s" % (len(REFUSAL), REFUSAL)
)


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """httptools, refusing a head over :data:`HEAD_BYTES` in two places.

    * A head that is complete: its request line and headers are measured as parsed,
      before the request reaches the service.
    * A head still incomplete after a read: the bytes received since it began are counted
      a read at a time, so a head that never ends is refused once the reads that carry it
      pass the bound, and no more than the bound and one read (256 KB) is ever held. A
      read that ends one request and starts the next is not counted against the next, so
      the count never takes a request's body for its head.

    A chunked body's trailer (headers after its last chunk) is gathered by httptools as a
    head is, so it is counted the same way, from its chunk header on; so is each chunk
    header, the count starting afresh at each, and stopping at the chunk's data. Past the
    bound there, the request is dropped (the service is not handed a body cut short) and
    answered 431.

    A refused Upgrade request goes no further than the refusal: uvicorn would otherwise
    start the WebSocket handshake of a request it never finished reading."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading_head = True
        self._head_received = 0
        self._refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._reading_head:
            self._head_received += len(data)
        super().data_received(data)
        if self._reading_head and self._head_received > HEAD_BYTES:
            self._refuse()

    def on_message_begin(self) -> None:
        if not self._refused:
            super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._reading_head = False
        self._head_received = 0
        head = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if head > HEAD_BYTES:
            self._refuse()
        if not self._refused:
            super().on_headers_complete()

    def on_chunk_header(self) -> None:
        self._reading_head = True
        self._head_received = 0

    def on_body(self, body: bytes) -> None:
        self._reading_head = False
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._refused:
            super().on_message_complete()
            self._reading_head = True
            self._head_received = 0

    def handle_websocket_upgrade(self) -> None:
        if not self._refused:
            super().handle_websocket_upgrade()

    def on_response_complete(self) -> None:
        if self._refused and not self.pipeline and not self.transport.is_closing():
            self.server_state.total_requests += 1
            self._answer_refusal()
            return
        super().on_response_complete()

    def _refuse(self) -> None:
        """Answer 431 and close: at once, or after the answers still owed to the requests
        before on this connection (pipelined), so as not to write into them."""
        if self._refused or self.transport.is_closing():
            return
        self._refused = True
        self.logger.warning("Request head over %d bytes refused.", HEAD_BYTES)
        if self.cycle is not None and self.cycle.more_body:
            # Mid-message (a chunk header or a trailer): the service is told the client
            # went, never handed a body cut short, and the connection ends now, with the
            # 431 if nothing of an answer was written yet.
            self.cycle.disconnected = True
            self.cycle.message_event.set()
            if self.pipeline or self.cycle.response_started:
                self.transport.close()
            else:
                self._answer_refusal()
            return
        if self.cycle is None or self.cycle.response_complete:
            self._answer_refusal()
        else:
            self.flow.pause_reading()

    def _answer_refusal(self) -> None:
        # The server's own headers first (``date``, kept current by uvicorn), as on every
        # other answer.
        own = b"".join(b"%s: %s\r\n" % header for header in self.server_state.default_headers)
        self.transport.write(REFUSED_STATUS + own + REFUSED_HEADERS)
        self.transport.close()
