"""Live progress during the meeting: ``Subscription.sessionProgress`` over graphql-transport-ws,
on a real server on loopback and a real WebSocket client, on each engine. A submission over
HTTP shows within 2 s; a refused one shows nothing; the commission alone may follow; no
token, no connection; the conclusion is the last message."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from sanquan.app import create_app
from sanquan.auth.models import Role
from sanquan.auth.tokens import create_account, issue_token, revoke_token
from sanquan.config import Settings
from sanquan.plugins.host import PluginHost
from tests.conftest import SCHOOLS, World
from tests.flows import CONCLUDE, SUBMIT, open_session, scores_for
from tests.live import Closed, LiveClient
from tests.loopback import served
from tests.serving import CLIENTS, free_port, graphql, node_or_skip, start
from tests.test_conclusion import EVERYWHERE_76, scored_session

SESSION = ("thu", "ruc", "ustb")
N = 20
"""Indicators of the Beijing set, each scored by every source."""


@dataclass
class Server:
    """A real server on loopback, serving the world's database."""

    base: str
    app: Any

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    def submit(
        self, token: str, session_id: str, school: str, source: str, scores: list[Any]
    ) -> dict[str, Any]:
        """A submission over HTTP, as a school's client sends it."""
        variables = {
            "input": {
                "sessionId": session_id,
                "institutionCode": SCHOOLS[school],
                "source": source,
                "scores": scores,
            }
        }
        body = graphql(self.port, token, SUBMIT, variables)
        payload: dict[str, Any] = body["data"]["submitScores"]  # type: ignore[index]
        return payload


@contextmanager
def serving(settings: Settings, host: PluginHost) -> Iterator[Server]:
    app = create_app(settings, host)
    with served(app) as base:
        yield Server(base, app)


@pytest.fixture
def server(world: World, settings: Settings, host: PluginHost) -> Iterator[Server]:
    with serving(settings, host) as running:
        yield running


def follow(server: Server, world: World, session_id: str, who: str = "admin") -> LiveClient:
    client = LiveClient(server.base)
    assert client.init(world.tokens[who]) == {"type": "connection_ack"}
    client.subscribe({"id": session_id})
    return client


def source_of(progress: dict[str, Any], school: str, source: str) -> dict[str, Any]:
    subject = next(
        i for i in progress["institutions"] if i["institution"]["code"] == SCHOOLS[school]
    )
    found: dict[str, Any] = next(s for s in subject["sources"] if s["source"] == source)
    return found


def test_a_submission_shows_within_two_seconds(world: World, server: Server) -> None:
    session_id = open_session(world, [SCHOOLS[s] for s in SESSION])
    with follow(server, world, session_id) as client:
        first = client.progress()
        assert first["status"] == "OPEN"
        assert (first["submitted"], first["drafted"]) == (0, 0)
        assert source_of(first, "thu", "SELF")["submitted"] == 0

        started = time.monotonic()
        submitted = server.submit(
            world.tokens["thu"], session_id, "thu", "SELF", scores_for("SELF", 80)
        )
        assert submitted["userErrors"] == []
        answered = time.monotonic() - started
        latest = client.progress(timeout=2)
        latency = time.monotonic() - started
        print(f"submission to message {latency * 1e3:.0f} ms (answered in {answered * 1e3:.0f} ms)")
        assert latency < 2
        assert source_of(latest, "thu", "SELF")["submitted"] == N
        assert latest["submitted"] == N


def test_a_refused_submission_sends_nothing(world: World, server: Server) -> None:
    """Nothing of a refused submission is stored (R12), so nothing is announced: the
    subscriber hears nothing, and the next accepted one shows alone."""
    session_id = open_session(world, [SCHOOLS[s] for s in SESSION])
    with follow(server, world, session_id) as client:
        client.progress()
        bad = [*scores_for("PEER", 70)[:19], {"indicator": "T20", "value": 1000}]
        refused = server.submit(world.tokens["ruc"], session_id, "thu", "PEER", bad)
        assert [e["code"] for e in refused["userErrors"]] == ["OUT_OF_SCALE"]
        assert client.quiet(1.0)
        good = server.submit(world.tokens["ruc"], session_id, "thu", "PEER", scores_for("PEER", 70))
        assert good["userErrors"] == []
        latest = client.progress(timeout=2)
        assert latest["submitted"] == N
        peers = source_of(latest, "thu", "PEER")["reviewers"]
        assert [r["submitted"] for r in peers] == [N, 0]  # ruc, then ustb


@pytest.mark.parametrize("who", ["thu", "expert1", "viewer", "unit"])
def test_only_the_commission_follows_progress(world: World, server: Server, who: str) -> None:
    """R14: the view names the experts and who scored what."""
    session_id = open_session(world, [SCHOOLS[s] for s in SESSION])
    with follow(server, world, session_id, who) as client:
        message = client.receive()
    assert message["type"] == "error"
    assert [e["extensions"]["code"] for e in message["payload"]] == ["FORBIDDEN"]


@pytest.mark.parametrize("token", [None, "sq_not-a-token"])
def test_no_valid_token_no_connection(server: Server, token: str | None) -> None:
    with LiveClient(server.base) as client, pytest.raises(Closed) as closed:
        client.init(token)
    assert closed.value.code == 4403


def test_the_conclusion_is_the_last_message(world: World, server: Server) -> None:
    session_id = scored_session(world, {"expert1": EVERYWHERE_76, "expert2": EVERYWHERE_76})
    with follow(server, world, session_id) as client:
        first = client.progress()
        assert (first["status"], first["canConclude"]) == ("OPEN", True)
        body = graphql(server.port, world.tokens["admin"], CONCLUDE, {"id": session_id})
        assert body["data"]["concludeReviewSession"]["userErrors"] == []  # type: ignore[index]
        last = client.progress(timeout=2)
        assert (last["status"], last["canConclude"]) == ("CONCLUDED", False)
        assert client.receive() == {"id": "1", "type": "complete"}


def test_two_processes_hear_each_other(world: World, env: dict[str, str]) -> None:
    """Several processes behind a load balancer: a subscriber of one hears of a submission
    made through the other, by LISTEN/NOTIFY on PostgreSQL, by watching the file's change
    counters on SQLite."""
    session_id = open_session(world, [SCHOOLS[s] for s in SESSION])
    ports = free_port(), free_port()
    processes = [start(env, port) for port in ports]
    try:
        one, other = (Server(f"http://127.0.0.1:{port}", None) for port in ports)
        with follow(one, world, session_id) as client:
            assert client.progress()["submitted"] == 0
            started = time.monotonic()
            scores = scores_for("EXPERT", 75)
            answer = other.submit(world.tokens["expert1"], session_id, "ruc", "EXPERT", scores)
            assert answer["userErrors"] == []
            latest = client.progress(timeout=2)
            latency = time.monotonic() - started
            print(
                f"submission through one process to message from the other {latency * 1e3:.0f} ms"
            )
            assert source_of(latest, "ruc", "EXPERT")["submitted"] == N
    finally:
        for process in processes:
            process.kill()
            process.wait()


def copy_into(database_url: str, folder: Path) -> None:
    """The test's SQLite database copied into ``folder`` by SQLite's backup (the source's
    WAL included), as ``sanquan.sqlite3``, the name the service gives it there."""
    source = make_url(database_url).database
    assert source is not None
    folder.mkdir()
    with (
        closing(sqlite3.connect(source)) as reader,
        closing(sqlite3.connect(folder / "sanquan.sqlite3")) as written,
    ):
        reader.backup(written)


@pytest.mark.engine_independent
def test_two_processes_on_a_data_folder_of_any_name_hear_each_other(
    world: World, env: dict[str, str], tmp_path: Path
) -> None:
    """A data folder named with a space, ``#``, ``?`` and ``%``, as an operator may name
    one: both processes serve the database inside it, not a file named after the folder's
    name cut at the ``?``, and each one's watcher finds it through a ``file:`` URI."""
    session_id = open_session(world, [SCHOOLS[s] for s in SESSION])
    folder = tmp_path / "评审 #2?q=1%41"
    copy_into(env["SANQUAN_DATABASE_URL"], folder)
    env = {k: v for k, v in env.items() if k != "SANQUAN_DATABASE_URL"}
    env["SANQUAN_DATA_DIR"] = str(folder)
    ports = free_port(), free_port()
    processes = [start(env, port, options=("--workers", "2")) for port in ports]
    try:
        one, other = (Server(f"http://127.0.0.1:{port}", None) for port in ports)
        with follow(one, world, session_id) as client:
            assert client.progress()["submitted"] == 0
            scores = scores_for("EXPERT", 75)
            answer = other.submit(world.tokens["expert1"], session_id, "ruc", "EXPERT", scores)
            assert answer["userErrors"] == []
            assert source_of(client.progress(timeout=2), "ruc", "EXPERT")["submitted"] == N
    finally:
        for process in processes:
            process.kill()
            process.wait()
    assert not (tmp_path / "评审 #2").exists()  # the name cut at the "?"
    assert (folder / "sanquan.sqlite3-writers").is_file()  # their turn, beside the database


@pytest.mark.engine_independent
def test_graphql_ws_under_node_follows_a_session_to_its_conclusion(
    world: World, server: Server
) -> None:
    """The JavaScript client Apollo and urql use for subscriptions (``graphql-ws``), run by
    ``tests/js/live-progress.mjs``: it gets the progress, the conclusion, and its end."""
    node = node_or_skip("graphql-ws")
    session_id = scored_session(world, {"expert1": EVERYWHERE_76, "expert2": EVERYWHERE_76})
    url = server.base.replace("http://", "ws://") + "/graphql"

    def follow_under_node(who: str) -> subprocess.Popen[str]:
        script = str(CLIENTS / "live-progress.mjs")
        return subprocess.Popen(
            [node, script, url, world.tokens[who], session_id], stdout=subprocess.PIPE, text=True
        )

    refused = follow_under_node("thu")
    out, _ = refused.communicate(timeout=30)
    assert [e["extensions"]["code"] for e in json.loads(out)["error"]] == ["FORBIDDEN"]

    admin = follow_under_node("admin")
    watchdog = threading.Timer(60, admin.kill)  # a hung client must not hang the suite
    watchdog.start()
    try:
        assert admin.stdout is not None
        first = json.loads(admin.stdout.readline())["data"]["sessionProgress"]
        assert (first["status"], first["canConclude"]) == ("OPEN", True)
        body = graphql(server.port, world.tokens["admin"], CONCLUDE, {"id": session_id})
        assert body["data"]["concludeReviewSession"]["userErrors"] == []  # type: ignore[index]
        last = json.loads(admin.stdout.readline())["data"]["sessionProgress"]
        assert last["status"] == "CONCLUDED"
        assert admin.wait(timeout=30) == 0
        assert admin.stdout.read() == "", "nothing after the conclusion"
    finally:
        watchdog.cancel()
        admin.kill()
        admin.wait()


def test_a_token_revoked_during_the_meeting_ends_the_stream(
    world: World, server: Server, db: Session
) -> None:
    """Authorised like queries: every message is read with the token checked again."""
    account = create_account(db, name="第二位管理员", role=Role.ADMIN)
    token = issue_token(db, account)
    db.commit()
    session_id = open_session(world, [SCHOOLS[s] for s in SESSION])
    client = LiveClient(server.base)
    with client:
        assert client.init(token) == {"type": "connection_ack"}
        client.subscribe({"id": session_id})
        client.progress()
        assert revoke_token(db, token)
        db.commit()
        server.submit(world.tokens["thu"], session_id, "thu", "SELF", scores_for("SELF", 80))
        message = client.receive(timeout=2)
    assert message["type"] == "error"
    assert [e["extensions"]["code"] for e in message["payload"]] == ["UNAUTHENTICATED"]


@pytest.mark.engine_independent
def test_the_sqlite_watcher_outlives_a_failing_look(tmp_path: Path) -> None:
    """A look that fails (here the file has no sessions table yet, then an unexpected
    error) is logged and tried again; once it succeeds, a change made by another
    connection reaches the subscriber. A watcher that ended would leave the process deaf
    to the other processes until it restarts."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from sanquan.events import Hub, SqliteWatcher

    path = tmp_path / "watched.sqlite3"
    with closing(sqlite3.connect(path)) as other:
        other.execute("PRAGMA journal_mode=WAL")
        other.execute("CREATE TABLE unrelated (id INTEGER PRIMARY KEY)")
        other.commit()

    looks: list[str] = []

    async def scenario() -> list[str]:
        hub = Hub(interval=0.01)
        hub.bind(asyncio.get_running_loop())
        watcher = SqliteWatcher(str(path), hub)
        real_look = watcher.look

        def look(followed: tuple[int, ...]) -> list[int]:
            if len(looks) == 1:
                looks.append("unexpected")
                raise RuntimeError("an error of no known kind")
            try:
                found = real_look(followed)
            except sqlite3.Error:
                looks.append("no table")
                raise
            looks.append("looked")
            return found

        watcher.look = look  # type: ignore[method-assign]
        changes = hub.subscribe(7)
        watching = asyncio.create_task(watcher.run())
        try:
            while looks.count("unexpected") == 0:
                await asyncio.sleep(0.05)
            with closing(sqlite3.connect(path)) as other:
                other.execute("CREATE TABLE review_sessions (id INTEGER, change_serial INTEGER)")
                other.execute("INSERT INTO review_sessions VALUES (7, 0)")
                other.commit()
            await asyncio.wait_for(changes.wait(), WAIT_FOR_WATCHER)  # the first sight
            with closing(sqlite3.connect(path)) as other:
                other.execute("UPDATE review_sessions SET change_serial = 1 WHERE id = 7")
                other.commit()
            await asyncio.wait_for(changes.wait(), WAIT_FOR_WATCHER)  # the change
            assert not watching.done()
        finally:
            watching.cancel()
            with pytest.raises(asyncio.CancelledError):
                await watching
        return looks

    with ThreadPoolExecutor(1) as thread:  # a loop of its own, whatever runs in this one
        seen = thread.submit(asyncio.run, scenario()).result()
    assert seen[:2] == ["no table", "unexpected"]
    assert "looked" in seen


WAIT_FOR_WATCHER = 30
"""Seconds to wait for the watcher's next look, its pauses after failures included (a
bound on a wait, not a timed assertion)."""
