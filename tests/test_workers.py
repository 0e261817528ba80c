"""Several server processes on one database, PostgreSQL or an SQLite file (``sanquan serve
--workers N``, and separate ``serve`` commands as behind a load balancer): every connection
without Nagle's delay, the invariants of ``test_concurrency.py`` across processes, and a
stop that lets the requests in flight finish."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from statistics import mean
from typing import Any

import psutil
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from sanquan.api.ids import parse_id
from sanquan.auth.models import Role
from sanquan.auth.tokens import create_account, issue_token
from sanquan.institutions.models import Institution
from sanquan.review.models import IndicatorOutcome, Score, ScoreRevision
from sanquan_sdk import Source
from tests.conftest import SCHOOLS, World
from tests.flows import CONCLUDE, SUBMIT, scores_for
from tests.live import Closed, LiveClient
from tests.serving import SANQUAN, START_WITHIN, free_port, graphql, start
from tests.sockets import ServerSide, delivered, server_side
from tests.test_review_flow import run_full_session

WAIT = 60
"""Seconds to wait for something the test caused (a bound on a wait, not a timed assertion)."""

SCORES = """query($id: ID!, $code: String!) { reviewSession(id: $id) {
  scores(institutionCode: $code, source: SELF, first: 200) { nodes { indicator value } } } }"""


@contextmanager
def serving(env: dict[str, str], *options: str) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = free_port()
    process = start(env, port, options=options)
    try:
        yield port, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def submission(session_id: str, school: str, source: str, value: float) -> dict[str, Any]:
    scores = scores_for(source, value)
    return {
        "input": {
            "sessionId": session_id,
            "institutionCode": SCHOOLS[school],
            "source": source,
            "scores": scores,
        }
    }


def submit(port: int, token: str, session_id: str, school: str, source: str, value: float) -> Any:
    body = graphql(port, token, SUBMIT, submission(session_id, school, source, value))
    assert "errors" not in body, body
    return body["data"]["submitScores"]  # type: ignore[index]


def add_representative(db: Session, school: str, name: str) -> str:
    """A second account of ``school``: two people editing one self-evaluation."""
    account = create_account(db, name=name, role=Role.INSTITUTION, institution_code=SCHOOLS[school])
    token = issue_token(db, account)
    db.commit()
    return token


@pytest.mark.engine_independent
@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///file::memory:?uri=true", "sqlite:///x.db?mode=memory"]
)
def test_several_workers_are_refused_on_a_database_in_memory(
    env: dict[str, str], url: str, tmp_path: Path
) -> None:
    """Each worker would have an SQLite database in memory of its own, in whichever way
    the URL names one (a URI's ``file::memory:`` or ``mode=memory`` too)."""
    port = free_port()
    done = subprocess.run(  # noqa: PLW1510 - the status is what is tested
        [*SANQUAN, "--lang", "en", "serve", "--workers", "2", "--port", str(port)],
        env={**env, "SANQUAN_DATABASE_URL": url},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert done.returncode == 2
    assert "--workers above 1 needs a database file" in done.stderr
    assert "SANQUAN_DATABASE_URL" in done.stderr
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "it listened before refusing"
    assert list(tmp_path.glob("*-writers")) == []


def request_on_new_connection(port: int) -> socket.socket:
    """A keep-alive connection that has had one answer, so a worker has accepted it."""
    client = socket.create_connection(("127.0.0.1", port))
    client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    answer = b""
    while b'"ok"' not in answer:
        chunk = client.recv(4096)
        assert chunk, answer
        answer += chunk
    return client


def test_every_worker_answers_without_nagle(env: dict[str, str]) -> None:
    """The regression that removed ``--workers`` once: uvicorn's own socket for several
    workers leaves ``TCP_NODELAY`` off on every connection (about 40 ms a response).
    Read back from the server's sockets, in each worker."""
    with serving(env, "--workers", "2") as (port, process):
        checked: dict[int, list[int]] = {}
        deadline = time.monotonic() + START_WITHIN  # the second worker may start later
        while len(checked) < 2 or min(map(len, checked.values())) < 2:
            assert time.monotonic() < deadline, f"connections reached only {sorted(checked)}"
            with request_on_new_connection(port) as client:
                side = server_side(process.pid, port, client)
                assert side is not None
                if len(checked.get(side.pid, [])) < 2:
                    option = side.option(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                    checked.setdefault(side.pid, []).append(option)
    assert process.pid not in checked, "the supervisor itself accepted a connection"
    assert all(all(options) for options in checked.values()), checked


def affinities(pid: int) -> set[frozenset[int]]:
    """The CPU sets of every thread of process ``pid``."""
    found = set()
    for thread in psutil.Process(pid).threads():
        with suppress(OSError):  # the thread ended meanwhile
            found.add(frozenset(os.sched_getaffinity(thread.id)))
    return found


def workers_of(supervisor: psutil.Process, count: int) -> dict[int, set[frozenset[int]]]:
    """The supervisor's ``count`` workers, once each has started threads of its own
    (within ``WAIT`` seconds), and their threads' CPU sets."""
    deadline = time.monotonic() + WAIT
    while True:
        with suppress(psutil.Error):  # a worker killed is a zombie until reaped, or gone
            workers = [
                child.pid
                for child in supervisor.children()
                if child.status() != psutil.STATUS_ZOMBIE
                and "resource_tracker" not in " ".join(child.cmdline())
            ]
            if len(workers) == count and all(psutil.Process(p).num_threads() > 1 for p in workers):
                return {pid: affinities(pid) for pid in workers}
        assert time.monotonic() < deadline, f"workers: {workers}"
        time.sleep(0.2)


def workers_pinned(supervisor: psutil.Process, count: int) -> dict[int, int]:
    """Each of the supervisor's ``count`` workers and the one CPU all its threads run on,
    once the supervisor has pinned them all (within ``WAIT`` seconds)."""
    deadline = time.monotonic() + WAIT
    while True:
        found = workers_of(supervisor, count)
        if all(len(s) == 1 and len(next(iter(s))) == 1 for s in found.values()):
            return {pid: min(next(iter(s))) for pid, s in found.items()}
        assert time.monotonic() < deadline, f"not pinned: {found}"
        time.sleep(0.2)


@pytest.mark.engine_independent
@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to tell them apart")
def test_pinned_workers_each_keep_a_cpu_of_their_own_and_a_replacement_takes_it(
    env: dict[str, str],
) -> None:
    """``SANQUAN_PIN_WORKERS=on``: every thread of each worker on one CPU, not the other's;
    a worker killed is replaced on the CPU it had. Off (the default), nothing is pinned."""
    everywhere = frozenset(os.sched_getaffinity(0))
    with serving(env, "--workers", "2") as (_, process):
        found = workers_of(psutil.Process(process.pid), 2)
        assert all(sets == {everywhere} for sets in found.values()), found
    with serving({**env, "SANQUAN_PIN_WORKERS": "on"}, "--workers", "2") as (_, process):
        supervisor = psutil.Process(process.pid)
        pinned = workers_pinned(supervisor, 2)
        assert len(set(pinned.values())) == 2, pinned
        killed, cpu = next(iter(pinned.items()))
        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + WAIT
        while killed in (again := workers_pinned(supervisor, 2)):
            assert time.monotonic() < deadline, "the killed worker was not replaced"
            time.sleep(0.2)
        assert sorted(again.values()) == sorted(pinned.values()), (pinned, again)
        replacement = next(pid for pid in again if pid not in pinned)
        assert again[replacement] == cpu


def running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (a zombie has)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_workers_stop_when_their_supervisor_is_killed(env: dict[str, str]) -> None:
    """A supervisor killed with SIGKILL cannot pass a signal on: its workers notice they
    were handed to another parent and stop as on SIGTERM, instead of serving the port and
    holding their database connections with nothing left to stop them."""
    with serving(env, "--workers", "2") as (port, process):
        workers: set[int] = set()
        deadline = time.monotonic() + START_WITHIN  # the second worker may start later
        while len(workers) < 2:
            assert time.monotonic() < deadline, f"connections reached only {sorted(workers)}"
            with request_on_new_connection(port) as client:
                side = server_side(process.pid, port, client)
                assert side is not None
                workers.add(side.pid)
        assert process.pid not in workers
        process.kill()
        process.wait()
        deadline = time.monotonic() + WAIT
        while any(map(running, workers)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(map(running, workers)), "a worker outlived its killed supervisor"
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the port is still served"


@dataclass
class Writer:
    """One reviewer resubmitting through one process until the session is concluded."""

    token: str
    school: str
    source: str
    port: int
    seed: int
    acknowledged: list[tuple[float, int]] = field(default_factory=list)
    refused: list[list[str]] = field(default_factory=list)
    after_refusal: list[float] = field(default_factory=list)
    warmed: threading.Event = field(default_factory=threading.Event)

    def run(self, session_id: str) -> None:
        for round_ in range(1000):
            value = float(10 + (7 * round_ + 13 * self.seed) % 80)
            payload = submit(self.port, self.token, session_id, self.school, self.source, value)
            codes = [error["code"] for error in payload["userErrors"]]
            if codes:
                self.refused.append(codes)
                if len(self.refused) == 2:
                    return
            elif self.refused:
                self.after_refusal.append(value)
            else:
                self.acknowledged.append((value, payload["changedCount"]))
            if len(self.acknowledged) >= 2:
                self.warmed.set()


def test_writers_on_different_processes_keep_the_invariants(
    world: World, env: dict[str, str], db: Session
) -> None:
    session_id = run_full_session(world, conclude=False)
    session_key = parse_id(session_id, "ReviewSession")
    second = add_representative(db, "thu", "thu-2")
    tokens = world.tokens
    with serving(env, "--workers", "2") as (a, _), serving(env) as (b, _):
        # A score written through one process is read at once through another.
        for round_, (into, reader) in enumerate([(a, b), (b, a)] * 3):
            value = 50.0 + round_
            written = submit(into, tokens["thu"], session_id, "thu", "SELF", value)
            assert written["userErrors"] == []
            variables: dict[str, object] = {"id": session_id, "code": SCHOOLS["thu"]}
            read = graphql(reader, tokens["admin"], SCORES, variables)
            nodes = read["data"]["reviewSession"]["scores"]["nodes"]  # type: ignore[index]
            assert {node["value"] for node in nodes} == {value}
        revisions_before = db.scalar(text("SELECT count(*) FROM score_revisions"))

        writers = [
            Writer(tokens["thu"], "thu", "SELF", a, 0),
            Writer(second, "thu", "SELF", b, 1),  # one score, two people, two processes
            Writer(tokens["ruc"], "thu", "PEER", b, 2),
            Writer(tokens["ustb"], "ruc", "PEER", a, 3),
            Writer(tokens["expert1"], "ruc", "EXPERT", a, 4),
            Writer(tokens["expert2"], "ustb", "EXPERT", b, 5),
        ]
        threads = [threading.Thread(target=w.run, args=(session_id,)) for w in writers]
        for thread in threads:
            thread.start()
        try:
            for writer in writers:
                assert writer.warmed.wait(WAIT), "a writer made no progress"
            concluded = graphql(b, tokens["admin"], CONCLUDE, {"id": session_id})
        finally:
            for thread in threads:
                thread.join(WAIT)
    payload = concluded["data"]["concludeReviewSession"]  # type: ignore[index]
    assert payload["userErrors"] == []
    assert payload["reviewSession"]["status"] == "CONCLUDED"

    for writer in writers:
        # every score after the conclusion refused with its code, and none accepted later
        assert writer.refused == [["SESSION_CONCLUDED"]] * 2
        assert writer.after_refusal == []

    db.expire_all()
    changed = sum(count for w in writers for _, count in w.acknowledged)
    revisions_after = db.scalar(text("SELECT count(*) FROM score_revisions"))
    assert revisions_after - revisions_before == changed  # every acknowledged change kept
    assert_revisions_chained(db, session_key)
    assert_acknowledged_in_results(db, world, session_key, writers)


def assert_revisions_chained(db: Session, session_key: int) -> None:
    """No lost update: each revision of a score continues from the one before, and the
    last one is the score's value."""
    for score in db.scalars(select(Score).where(Score.session_id == session_key)):
        chain = db.scalars(
            select(ScoreRevision)
            .where(ScoreRevision.score_id == score.id)
            .order_by(ScoreRevision.id)
        ).all()
        assert all(later.old_value == earlier.new_value for earlier, later in pairwise(chain))
        assert chain[-1].new_value == score.value


def assert_acknowledged_in_results(
    db: Session, world: World, session_key: int, writers: list[Writer]
) -> None:
    """Every acknowledged score is in the concluded result: each writer's last
    acknowledged value is the stored one, and the results are the means of the stored
    scores."""
    ids = {
        s: db.scalar(select(Institution.id).where(Institution.code == SCHOOLS[s])) for s in SCHOOLS
    }

    def stored(subject: str, source: str, key: str) -> set[float]:
        return set(
            db.scalars(
                select(Score.value).where(
                    Score.session_id == session_key,
                    Score.subject_id == ids[subject],
                    Score.source == Source(source),
                    Score.reviewer_key == key,
                )
            )
        )

    thu_last = {writers[0].acknowledged[-1][0], writers[1].acknowledged[-1][0]}
    assert len(stored("thu", "SELF", f"institution:{ids['thu']}") & thu_last) == 1
    assert stored("thu", "PEER", f"institution:{ids['ruc']}") == {writers[2].acknowledged[-1][0]}
    assert stored("ruc", "PEER", f"institution:{ids['ustb']}") == {writers[3].acknowledged[-1][0]}
    expert1, expert2 = world.account_ids["expert1"], world.account_ids["expert2"]
    assert stored("ruc", "EXPERT", f"expert:{expert1}") == {writers[4].acknowledged[-1][0]}
    assert stored("ustb", "EXPERT", f"expert:{expert2}") == {writers[5].acknowledged[-1][0]}
    outcomes = db.scalars(
        select(IndicatorOutcome).where(IndicatorOutcome.session_id == session_key)
    )
    checked = 0
    for outcome in outcomes:
        rows = db.scalars(
            select(Score).where(
                Score.session_id == session_key,
                Score.subject_id == outcome.institution_id,
                Score.indicator_code == outcome.indicator_code,
            )
        ).all()
        by_source = {s: [r.value for r in rows if r.source is s] for s in Source}
        assert outcome.self_value == by_source[Source.SELF][0]
        assert outcome.peer_mean == pytest.approx(mean(by_source[Source.PEER]))
        assert outcome.expert_mean == pytest.approx(mean(by_source[Source.EXPERT]))
        checked += 1
    assert checked == 3 * 20


@contextmanager
def session_locked(database_url: str, session_key: int) -> Iterator[None]:
    """Hold what a submission must take: the session's row on PostgreSQL, the write lock on
    SQLite. Submissions wait for it, so they are in flight for as long as the test wants."""
    if database_url.startswith("sqlite"):
        path = make_url(database_url).database
        assert path is not None
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        return
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            connection.execute(
                text("SELECT id FROM review_sessions WHERE id = :id FOR UPDATE"),
                {"id": session_key},
            )
            yield
            connection.rollback()
    finally:
        engine.dispose()


def read_by_server(process: subprocess.Popen[bytes], port: int, client: socket.socket) -> bool:
    """Whether the server has read all that ``client`` sent: the server's machine has
    acknowledged every byte, and none is left in the server socket's queue."""
    if not delivered(port, client):
        return False
    side: ServerSide | None = server_side(process.pid, port, client)
    return side is not None and side.unread == 0


def refused(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


CLOSE_SERVICE_RESTART = 1012
"""The WebSocket close code a stopping server sends (RFC 6455, IANA registry)."""


def closing_code(follower: LiveClient) -> int | None:
    """The code the server closes ``follower``'s socket with, after any messages before."""
    while True:
        try:
            follower.receive(WAIT)
        except Closed as closed:
            return closed.code


def post(client: socket.socket, token: str, variables: dict[str, Any]) -> None:
    body = json.dumps({"query": SUBMIT, "variables": variables}).encode()
    head = (
        "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    client.sendall(head.encode() + body)


def answer(client: socket.socket) -> tuple[int, Any]:
    """The status and JSON body of the last answer on ``client``, read to the end: a
    stopping server closes each connection after its answer."""
    client.settimeout(WAIT)
    received = b""
    while chunk := client.recv(65536):
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_lets_the_requests_in_flight_finish(
    world: World, env: dict[str, str], database_url: str, db: Session, workers: int
) -> None:
    """SIGTERM while submissions are in flight (held by a lock the test takes): new
    connections are refused at once, every submission held completes with 200 and is
    stored, and the server exits with status 0."""
    session_id = run_full_session(world, conclude=False)
    session_key = parse_id(session_id, "ReviewSession")
    reviewers = [("thu", "thu", "SELF"), ("ruc", "thu", "PEER"), ("expert1", "ruc", "EXPERT")]
    reviewers.append(("expert2", "ustb", "EXPERT"))
    env = {**env, "SANQUAN_REQUEST_TIMEOUT": str(WAIT)}
    with serving(env, "--workers", str(workers)) as (port, process):
        clients = [request_on_new_connection(port) for _ in reviewers]
        follower = LiveClient(f"http://127.0.0.1:{port}")
        try:
            assert follower.init(world.tokens["admin"]) == {"type": "connection_ack"}
            follower.subscribe({"id": session_id})
            assert follower.progress()["status"] == "OPEN"
            with session_locked(database_url, session_key):
                for client, (who, school, source) in zip(clients, reviewers, strict=True):
                    post(client, world.tokens[who], submission(session_id, school, source, 33.0))
                deadline = time.monotonic() + WAIT
                while not all(read_by_server(process, port, client) for client in clients):
                    assert time.monotonic() < deadline, "the server did not read the requests"
                    time.sleep(0.05)
                process.send_signal(signal.SIGTERM)
                while not refused(port):
                    assert time.monotonic() < deadline + WAIT, "new connections still accepted"
                    time.sleep(0.05)
                assert process.poll() is None, "the server exited with requests in flight"
            answers = [answer(client) for client in clients]
            assert closing_code(follower) == CLOSE_SERVICE_RESTART
        finally:
            follower.socket.close()
            for client in clients:
                client.close()
        assert process.wait(WAIT) == 0
    for status, body in answers:
        assert status == 200, body
        assert body["data"]["submitScores"]["userErrors"] == []
        assert body["data"]["submitScores"]["changedCount"] == 20
    db.expire_all()
    values = db.scalars(
        select(Score.value)
        .join(ScoreRevision, ScoreRevision.score_id == Score.id)
        .where(Score.session_id == session_key, ScoreRevision.new_value == 33.0)
    ).all()
    assert values == [33.0] * 20 * len(reviewers)
