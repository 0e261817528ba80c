"""A graphql-transport-ws client on a real WebSocket, as the dashboard's would be: it answers
the server's pings, and reads the messages of one subscription at a time."""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.testclient import TestClient
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

PROTOCOL = "graphql-transport-ws"
PROGRESS = """
subscription($id: ID!) {
  sessionProgress(sessionId: $id) {
    status canConclude submitted drafted required
    institutions {
      institution { code }
      sources { source submitted drafted required complete
                reviewers { reviewerInstitution { code } reviewerExpert { name } submitted } }
    }
  }
}"""


class Closed(AssertionError):
    """The server closed the socket: its code and reason."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed {code}: {reason}")
        self.code = code
        self.reason = reason


class LiveClient:
    """One socket to ``/graphql`` of the server at ``base`` (``http://127.0.0.1:port``)."""

    def __init__(self, base: str, language: str = "zh", answer_pings: bool = True) -> None:
        self.socket: ClientConnection = connect(
            base.replace("http://", "ws://") + "/graphql",
            subprotocols=[PROTOCOL],  # type: ignore[list-item]
            additional_headers={"Accept-Language": language},
            open_timeout=10,
        ).__enter__()  # kept open across calls, closed by __exit__
        self.answer_pings = answer_pings
        self.pings = 0

    def __enter__(self) -> LiveClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.socket.close()

    def send(self, message: dict[str, Any]) -> None:
        self.socket.send(json.dumps(message))

    def init(self, token: str | None) -> dict[str, Any]:
        """``connection_init`` with the token, as Apollo and urql send it; the answer."""
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        self.send({"type": "connection_init", "payload": payload})
        return self.receive()

    def subscribe(
        self, variables: dict[str, Any], query: str = PROGRESS, identifier: str = "1"
    ) -> None:
        self.send(
            {
                "id": identifier,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables},
            }
        )

    def receive(self, timeout: float = 10) -> dict[str, Any]:
        """The next message but pings (answered); :class:`Closed` if the server closed,
        ``TimeoutError`` if nothing came within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                text = self.socket.recv(timeout=max(0.0, deadline - time.monotonic()))
            except ConnectionClosed as closed:
                received = closed.rcvd
                raise Closed(
                    received.code if received else None, received.reason if received else ""
                ) from None
            message: dict[str, Any] = json.loads(text)
            if message["type"] != "ping":
                return message
            self.pings += 1
            if self.answer_pings:
                self.send({"type": "pong"})

    def progress(self, timeout: float = 10) -> dict[str, Any]:
        """The data of the next ``next`` message."""
        message = self.receive(timeout)
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        data: dict[str, Any] = message["payload"]["data"]["sessionProgress"]
        return data

    def quiet(self, seconds: float) -> bool:
        """Whether nothing but pings came for ``seconds``."""
        try:
            message = self.receive(seconds)
        except TimeoutError:
            return True
        raise AssertionError(f"expected silence, got {message}")


def first_result(
    client: TestClient, token: str, document: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """The first result of a subscription through Starlette's test client, shaped as an
    HTTP response body: an ``error`` message is ``{"data": None, "errors": [...]}``."""
    with client.websocket_connect("/graphql", subprotocols=[PROTOCOL]) as socket:
        socket.send_json(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        )
        assert socket.receive_json() == {"type": "connection_ack"}
        socket.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": document, "variables": variables}}
        )
        message: dict[str, Any] = socket.receive_json()
        socket.send_json({"id": "1", "type": "complete"})
    if message["type"] == "error":
        return {"data": None, "errors": message["payload"]}
    assert message["type"] == "next", message
    body: dict[str, Any] = message["payload"]
    return body
