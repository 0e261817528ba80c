"""With ``SANQUAN_LOG_FORMAT=json`` a real ``sanquan serve`` writes nothing but JSON objects,
one a line, on stdout (its own start lines) and stderr (the logs), from start to a stop by
SIGTERM; and each WebSocket connection is one access-log line when it closes: its id (also
in the handshake's ``X-Request-Id``), the account's row id (never the token), how long it
was open, how many subscriptions ran on it, its close code and which side closed."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from tests.conftest import SCHOOLS, World
from tests.flows import open_session
from tests.live import PROGRESS, PROTOCOL
from tests.test_metrics_workers import Served, counted, serving

pytestmark = pytest.mark.engine_independent

FOUND_WITHIN = 30
"""Seconds to wait for a connection's line, written once the socket has closed. A bound
on a wait, not a timed assertion."""


def socket_to(served: Served, connection_id: str) -> ClientConnection:
    return connect(
        f"ws://127.0.0.1:{served.port}/graphql",
        subprotocols=[PROTOCOL],  # type: ignore[list-item]
        additional_headers={"X-Request-Id": connection_id},
        open_timeout=30,
    )


def received(socket: ClientConnection) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(socket.recv(timeout=30))
    return answer


def line_of(served: Served, connection_id: str) -> dict[str, Any]:
    """The access-log line of the WebSocket connection ``connection_id``: exactly one."""
    deadline = time.monotonic() + FOUND_WITHIN
    while time.monotonic() < deadline:
        found = [line for line in served.lines() if line.get("requestId") == connection_id]
        if found:
            [line] = found
            return line
        time.sleep(0.1)
    raise AssertionError(f"no access-log line for {connection_id}")


def account_row(served: Served) -> int:
    answer = httpx.post(
        f"http://127.0.0.1:{served.port}/graphql",
        json={"query": "{ viewer { id } }"},
        headers={"Authorization": f"Bearer {served.admin}"},
        timeout=30,
    )
    global_id = answer.json()["data"]["viewer"]["id"]
    kind, _, row = base64.b64decode(global_id).decode().partition(":")
    assert kind == "Account"
    return int(row)


def assert_refusals_and_counts(served: Served) -> None:
    """After the three sockets above: a handshake from another site's page is refused
    before the upgrade with its own access-log line (no socket, so no close code), and the
    scrape counts each socket by how it ended, none of them still open."""
    with pytest.raises(InvalidStatus) as foreign:
        connect(
            f"ws://127.0.0.1:{served.port}/graphql",
            subprotocols=[PROTOCOL],  # type: ignore[list-item]
            origin=Origin("https://elsewhere.example"),
            additional_headers={"X-Request-Id": "ws-foreign-00001"},
            open_timeout=30,
        )
    assert foreign.value.response.status_code == 403
    assert foreign.value.response.headers["X-Request-Id"] == "ws-foreign-00001"
    line = line_of(served, "ws-foreign-00001")
    assert (line["method"], line["status"], line["refusal"]) == (
        "WEBSOCKET",
        403,
        "FOREIGN_ORIGIN",
    )
    assert line["message"] == '127.0.0.1 - "WEBSOCKET /graphql" 403'

    scrape = httpx.get(f"http://127.0.0.1:{served.metrics_port}/metrics", timeout=30)
    sockets = {
        name: value
        for name, value in counted(scrape.text).items()
        if "websockets" in name and "_created" not in name
    }
    assert sockets == {
        "sanquan_websockets_total{outcome=closed,reason=client}": 1,
        "sanquan_websockets_total{outcome=closed,reason=server}": 2,
        "sanquan_websockets_total{outcome=refused,reason=FOREIGN_ORIGIN}": 1,
        "sanquan_websockets_open{}": 0,
    }


def test_each_websocket_is_one_json_line_and_every_line_is_json(
    world: World, env: dict[str, str], tmp_path: Path
) -> None:
    session_id = open_session(world, [SCHOOLS[s] for s in ("thu", "ruc", "ustb")])
    with serving(env, tmp_path) as served:
        with socket_to(served, "ws-follower-0001") as follower:
            assert follower.response is not None
            assert follower.response.headers["X-Request-Id"] == "ws-follower-0001"
            init = {"Authorization": f"Bearer {served.admin}"}
            follower.send(json.dumps({"type": "connection_init", "payload": init}))
            assert received(follower) == {"type": "connection_ack"}
            for identifier in ("a", "b"):
                payload = {"query": PROGRESS, "variables": {"id": session_id}}
                follower.send(
                    json.dumps({"id": identifier, "type": "subscribe", "payload": payload})
                )
                first = received(follower)
                assert (first["id"], first["type"]) == (identifier, "next")
        line = line_of(served, "ws-follower-0001")
        assert line["logger"] == "sanquan.access"
        assert (line["method"], line["path"]) == ("WEBSOCKET", "/graphql")
        assert line["account"] == account_row(served)
        assert line["subscriptions"] == 2
        assert (line["closeCode"], line["closedBy"]) == (1000, "client")
        assert line["durationMs"] > 0
        assert line["message"] == '127.0.0.1 - "WEBSOCKET /graphql" 1000'

        wrong = "sq_" + "W" * 43
        with socket_to(served, "ws-refused-00001") as refused:
            refused.send(
                json.dumps(
                    {"type": "connection_init", "payload": {"Authorization": f"Bearer {wrong}"}}
                )
            )
            with pytest.raises(ConnectionClosed, match="4403"):
                refused.recv(timeout=30)
        line = line_of(served, "ws-refused-00001")
        assert (line["account"], line["subscriptions"]) == (None, 0)
        assert (line["closeCode"], line["closedBy"]) == (4403, "server")

        with connect(f"ws://127.0.0.1:{served.port}/graphql", open_timeout=30) as bare:
            assert bare.response is not None
            unnamed = bare.response.headers["X-Request-Id"]
            with pytest.raises(ConnectionClosed, match="4406"):
                bare.recv(timeout=30)
        line = line_of(served, unnamed)
        assert len(unnamed) == 32, "an id of the server's own"
        assert (line["closeCode"], line["closedBy"]) == (4406, "server"), "no subprotocol"

        assert_refusals_and_counts(served)

        assert served.stop() == 0
    text = served.stdout.read_text() + served.stderr.read_text()
    for token in (served.admin, wrong):
        assert token[3:] not in text, "no token is logged"
    lines = served.lines()  # every line of stdout, then of stderr, parsed as JSON
    stdout = served.stdout.read_text().splitlines()
    assert [json.loads(line)["logger"] for line in stdout] == ["sanquan.serve", "sanquan.serve"]
    assert json.loads(stdout[0])["url"] == f"http://127.0.0.1:{served.port}/graphql"
    assert json.loads(stdout[1])["metricsUrl"] == f"http://127.0.0.1:{served.metrics_port}/metrics"
    messages = [line["message"] for line in lines if line["logger"] == "uvicorn.error"]
    assert "Application startup complete." in messages
    assert "Shutting down" in messages, "the stop is logged as JSON too"
    assert all(set(line) >= {"level", "logger", "message", "time"} for line in lines)
