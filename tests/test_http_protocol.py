"""The service's HTTP protocol (sanquan.http_protocol) bounds a request's head and nothing
else: a large body, pipelined requests and a head just under the bound all pass; a head
over it is refused with 431, whether it arrives whole or a piece at a time."""

from __future__ import annotations

import logging
import select
import socket
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from sanquan.http_protocol import HEAD_BYTES
from tests.loopback import served

REFUSED = f"431 request head over {HEAD_BYTES} bytes"


async def echo(request: Request) -> PlainTextResponse:
    body = await request.body()
    return PlainTextResponse(f"{request.method} {len(body)}")


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    app = Starlette(routes=[Route("/echo", echo, methods=["GET", "POST"])])
    with served(app) as base:
        yield int(base.rsplit(":", 1)[1])


def request(method: str = "GET", *, header: int = 0, body: int = 0) -> bytes:
    """One request, with a header of ``header`` bytes and a body of ``body`` bytes."""
    big = f"X-Big: {'a' * header}\r\n" if header else ""
    head = f"{method} /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n{big}Content-Length: {body}\r\n\r\n"
    return head.encode() + b"b" * body


def answers(port: int, *pieces: bytes, expected: int = 1, paced: bool = False) -> list[str]:
    """The status code and body of each answer to ``pieces`` (each sent with one
    ``sendall``), read until ``expected`` answers came or the server closed. ``paced``:
    after each piece, wait a moment for an answer and send no more once one comes, since
    a server that closes with bytes unread resets the connection, and the reset throws
    away the answer it sent before."""
    found: list[str] = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        try:
            for piece in pieces:
                connection.sendall(piece)
                if paced and select.select([connection], [], [], 0.05)[0]:
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-send: what was answered is read below
        received = b""
        while len(found) < expected:
            while b"\r\n\r\n" not in received:
                chunk = connection.recv(65536)
                if not chunk:
                    return found
                received += chunk
            head, received = received.split(b"\r\n\r\n", 1)
            length = int(head.lower().split(b"content-length: ", 1)[1].split(b"\r\n")[0])
            while len(received) < length:
                chunk = connection.recv(65536)
                if not chunk:
                    return found
                received += chunk
            status = head.split(b" ", 2)[1].decode()
            found.append(f"{status} {received[:length].decode()}")
            received = received[length:]
        connection.settimeout(1)
        try:
            closed = connection.recv(1) == b""
        except TimeoutError:
            closed = False
    return [*found, "closed" if closed else "open"]


def test_a_large_body_in_the_same_read_as_its_head_is_not_taken_for_a_head(port: int) -> None:
    assert answers(port, request("POST", body=200_000)) == ["200 POST 200000", "open"]


def test_pipelined_requests_beyond_the_bound_in_one_read_are_all_answered(port: int) -> None:
    count = 2 * HEAD_BYTES // 1000
    burst = request(header=1000) * count
    assert len(burst) > HEAD_BYTES
    assert answers(port, burst, expected=count) == ["200 GET 0"] * count + ["open"]


def test_a_head_just_under_the_bound_passes(port: int) -> None:
    assert answers(port, request(header=HEAD_BYTES - 200)) == ["200 GET 0", "open"]


def test_a_head_over_the_bound_in_one_piece_is_refused_with_431(port: int) -> None:
    assert answers(port, request(header=HEAD_BYTES + 1)) == [REFUSED, "closed"]


def test_a_head_that_never_ends_is_refused_once_it_passes_the_bound(port: int) -> None:
    start = b"GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
    pieces = [start, *[b"a" * 4096] * (4 * 2**20 // 4096)]  # up to 4 MB, if never refused
    assert answers(port, *pieces, paced=True) == [REFUSED, "closed"]


def test_an_oversized_head_after_an_answered_request_closes_after_that_answer(
    port: int,
) -> None:
    assert answers(port, request(), request(header=HEAD_BYTES + 1), expected=2) == [
        "200 GET 0",
        REFUSED,
        "closed",
    ]


def chunked(body: bytes, size: int, trailer: bytes = b"") -> bytes:
    """A chunked POST of ``body`` in chunks of ``size`` bytes, ending with ``trailer``."""
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size])
        for i in range(0, len(body), size)
    )
    head = b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    return head + chunks + b"0\r\n" + trailer + b"\r\n"


def test_a_chunked_body_of_many_small_chunks_and_a_small_trailer_pass(port: int) -> None:
    """Chunk headers and a trailer are counted as a head is, each on its own: a body in
    thousands of chunks, whatever the pieces it comes in, is not taken for a long head."""
    whole = chunked(b"b" * 100_000, 10, trailer=b"X-Checksum: 1234\r\n")
    assert len(whole) > 4 * HEAD_BYTES
    pieces = [whole[i : i + 4093] for i in range(0, len(whole), 4093)]
    assert answers(port, whole) == ["200 POST 100000", "open"]
    assert answers(port, *pieces) == ["200 POST 100000", "open"]


def test_a_trailer_that_never_ends_is_refused_once_it_passes_the_bound(port: int) -> None:
    """A chunked body's trailer is headers after the body, which httptools gathers as it
    does a head: without a bound, 200 MB of trailer were held. Past the bound the request
    is answered 431 and the connection closes; the service never answers it. (A read that
    ends the body and starts the trailer is not counted, so the pieces outrun one read of
    256 KB.)"""
    start = chunked(b"hello", 5)[:-2] + b"X-Trailer: "
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(start)
        for _ in range((2**18 + HEAD_BYTES) // 4096 + 4):
            # Stop once answered: more sent to a closing server resets the connection.
            if select.select([connection], [], [], 0.01)[0]:
                break
            connection.sendall(b"a" * 4096)
        while chunk := connection.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 431 "), received
    assert received.endswith(b"\r\n\r\n" + REFUSED.split(" ", 1)[1].encode()), received


def test_an_oversized_websocket_upgrade_is_refused_without_an_error(
    port: int, caplog: pytest.LogCaptureFixture
) -> None:
    """An Upgrade request over the bound is refused like any other; it used to go on to the
    WebSocket handshake of a request never parsed (``KeyError: 'method'`` and a
    traceback in the log)."""
    upgrade = (
        b"GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        b"X-Big: " + b"a" * HEAD_BYTES + b"\r\n\r\n"
    )
    with caplog.at_level(logging.ERROR):
        assert answers(port, upgrade) == [REFUSED, "closed"]
        assert answers(port, request()) == ["200 GET 0", "open"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_the_refusal_carries_the_servers_date_as_every_answer_does(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request(header=HEAD_BYTES + 1))
        received = b""
        while b"\r\n\r\n" not in received and (chunk := connection.recv(65536)):
            received += chunk
    head = received.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
    assert head[0] == "HTTP/1.1 431 Request Header Fields Too Large"
    dates = [line for line in head if line.lower().startswith("date: ")]
    assert len(dates) == 1, head
    assert dates[0].endswith(" GMT"), dates
