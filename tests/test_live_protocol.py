"""The WebSocket endpoint keeps the protocol (graphql-transport-ws) and the request limits:
documents priced and validated as over HTTP, only subscriptions, bounded connections and
subscriptions, pings, and every resource freed when a socket closes. None of it depends on
the storage engine."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from strawberry.extensions import ParserCache, ValidationCache
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from sanquan.api.ids import parse_id
from sanquan.api.schema import CACHE_SIZE
from sanquan.auth.tokens import authenticate
from sanquan.config import Settings
from sanquan.events import INTERVAL
from sanquan.plugins.host import PluginHost
from sanquan.review.scoring import ScoreEntry, Submission, submit_scores
from sanquan.timeutil import beijing_today
from sanquan_sdk import Source
from tests.conftest import SCHOOLS, World
from tests.flows import INDICATORS, open_session
from tests.live import PROGRESS, Closed, LiveClient
from tests.test_live_progress import SESSION, Server, follow, serving

pytestmark = pytest.mark.engine_independent

Serve = Callable[..., Server]


@pytest.fixture
def serve(world: World, settings: Settings, host: PluginHost) -> Iterator[Serve]:
    """Serves the world's database with ``settings`` changed as asked."""
    running: list[Any] = []

    def start(**changes: Any) -> Server:
        context = serving(dataclasses.replace(settings, **changes), host)
        running.append(context)
        return context.__enter__()

    yield start
    for context in reversed(running):
        context.__exit__(None, None, None)


def errors_of(message: dict[str, Any]) -> list[str]:
    assert message["type"] == "error", message
    return [e["extensions"]["code"] for e in message["payload"]]


def until(condition: Callable[[], bool], seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_only_subscriptions_run_over_websocket(world: World, serve: Serve) -> None:
    server = serve()
    with LiveClient(server.base, language="en") as client:
        client.init(world.tokens["admin"])
        client.subscribe({}, query="{ viewer { name } }")
        message = client.receive()
    assert errors_of(message) == ["SUBSCRIPTIONS_ONLY"]
    assert "over HTTP" in message["payload"][0]["message"]


def test_subscription_documents_are_priced_and_validated_as_queries(
    world: World, serve: Serve
) -> None:
    """R23: the cost limit, validation and syntax, each an error of its own code."""
    server = serve(max_cost=50)
    session_id = open_session(world, [SCHOOLS[s] for s in SESSION])
    with LiveClient(server.base) as client:
        client.init(world.tokens["admin"])
        client.subscribe({"id": session_id}, identifier="costly")
        assert errors_of(client.receive()) == ["QUERY_TOO_COSTLY"]
        client.subscribe({"id": session_id}, "subscription { sessionProgress { nope } }", "bad")
        assert set(errors_of(client.receive())) == {"GRAPHQL_VALIDATION_FAILED"}
        client.subscribe({}, "subscription {", "broken")
        assert errors_of(client.receive()) == ["GRAPHQL_PARSE_FAILED"]


def test_an_unknown_session_is_an_error(world: World, serve: Serve) -> None:
    server = serve()
    with LiveClient(server.base) as client:
        client.init(world.tokens["admin"])
        client.subscribe({"id": "UmV2aWV3U2Vzc2lvbjo5OTk="})  # ReviewSession:999
        assert errors_of(client.receive()) == ["UNKNOWN_SESSION"]


def test_documents_are_validated_off_the_event_loop(world: World, serve: Serve) -> None:
    """The worker thread parses and validates the document once; strawberry's own parsing
    and validation on the loop then find it in their caches, so that a costly document
    never holds the loop."""
    server = serve()
    session_id = open_session(world, [SCHOOLS[s] for s in SESSION])
    validated = ValidationCache(maxsize=CACHE_SIZE).cached_validate_document
    parsed = ParserCache(maxsize=CACHE_SIZE).cached_parse_document
    fresh = PROGRESS.replace("status", "status canConclude missing", 1)
    before = validated.cache_info(), parsed.cache_info()
    with LiveClient(server.base) as client:
        client.init(world.tokens["admin"])
        client.subscribe({"id": session_id}, fresh)
        assert client.progress()["status"] == "OPEN"
    after = validated.cache_info(), parsed.cache_info()
    for was, now in zip(before, after, strict=True):
        assert now.misses - was.misses == 1, "done once, in the worker thread"
        assert now.hits - was.hits >= 1, "found again on the loop"


def test_the_protocol_is_kept(world: World, serve: Serve) -> None:
    server = serve()
    assert _offering_no_subprotocol(server.base) == 4406
    with LiveClient(server.base) as client, pytest.raises(Closed) as closed:
        client.send({"type": "subscribe", "id": "1", "payload": {"query": "subscription{x}"}})
        client.receive()
    assert closed.value.code == 4401  # subscribing before connection_init
    with LiveClient(server.base) as client, pytest.raises(Closed) as closed:
        client.init(world.tokens["admin"])
        client.send({"type": "subscribe", "id": ["not", "a", "string"]})
        client.receive()
    assert closed.value.code == 4400
    with LiveClient(server.base) as client:
        client.init(world.tokens["admin"])
        client.send({"type": "ping"})
        assert client.receive() == {"type": "pong"}


def _offering_no_subprotocol(base: str) -> int | None:
    """The close code a WebSocket gets that offers no subprotocol."""
    with connect(base.replace("http://", "ws://") + "/graphql", open_timeout=10) as socket:
        try:
            socket.recv(timeout=5)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
    return None


def test_connections_and_subscriptions_are_bounded_and_freed(world: World, serve: Serve) -> None:
    server = serve(live_connections_per_account=2)
    live, hub = server.app.state.live, server.app.state.hub
    session_id = open_session(world, [SCHOOLS[s] for s in SESSION])
    token = world.tokens["admin"]
    first, second = LiveClient(server.base), LiveClient(server.base)
    for client in (first, second):
        client.init(token)
    with LiveClient(server.base) as third, pytest.raises(Closed) as closed:
        third.init(token)
    assert closed.value.code == 4429
    for identifier in "abcde":
        first.subscribe({"id": session_id}, identifier=identifier)
        first.progress()
    first.subscribe({"id": session_id}, identifier="f")
    assert errors_of(first.receive()) == ["TOO_MANY_SUBSCRIPTIONS"]
    assert hub.subscriber_count == 5
    first.socket.close()
    assert until(lambda: hub.subscriber_count == 0), "a closed socket's subscriptions end"
    assert until(lambda: sum(live.connections.values()) == 1)
    with LiveClient(server.base) as again:
        assert again.init(token) == {"type": "connection_ack"}
    second.socket.close()
    assert until(lambda: not live.connections), "every slot is free again"


def test_the_server_pings_and_drops_a_client_that_stops_answering(
    world: World, serve: Serve
) -> None:
    server = serve(live_keepalive=0.2)
    with LiveClient(server.base) as alive, LiveClient(server.base, answer_pings=False) as mute:
        alive.init(world.tokens["admin"])
        mute.init(world.tokens["admin"])
        assert alive.quiet(1.0)
        assert alive.pings >= 3
        with pytest.raises(Closed) as closed:
            mute.receive(2)
    assert closed.value.code == 1001
    assert mute.pings == 1


def test_a_burst_of_submissions_costs_a_message_per_interval(world: World, serve: Serve) -> None:
    """Coalescing: 18 submissions committed as fast as the server's own database sessions
    take them (HTTP would pace them); the subscriber gets a message per interval at most,
    the last with everything."""
    server = serve()
    session_id = open_session(world, [SCHOOLS[s] for s in SESSION])
    key = parse_id(session_id, "ReviewSession")
    experts = [f"expert{i}" for i in range(1, 7)]
    entries = [ScoreEntry(indicator=code, value=70) for code in INDICATORS]
    sessions, host = server.app.state.sessions, server.app.state.host
    with follow(server, world, session_id) as client:
        client.progress()
        started = time.monotonic()
        for expert in experts:
            for school in SESSION:
                with sessions() as db:
                    actor = authenticate(db, f"Bearer {world.tokens[expert]}")
                    assert actor is not None
                    submission = Submission(key, SCHOOLS[school], Source.EXPERT, entries)
                    submit_scores(db, host, actor, submission, today=beijing_today())
                    db.commit()
        burst = time.monotonic() - started
        messages = []
        while not messages or messages[-1]["submitted"] < len(experts) * len(SESSION) * 20:
            messages.append(client.progress(timeout=2))
        elapsed = time.monotonic() - started
    submissions = len(experts) * len(SESSION)
    print(
        f"{submissions} submissions in {burst:.2f} s: {len(messages)} messages in {elapsed:.2f} s"
    )
    assert len(messages) <= 2 + elapsed / INTERVAL
    assert len(messages) < submissions
