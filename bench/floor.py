"""Benchmark: how close the GraphQL layer and the domain come to their floors, in ratios
measured in one run.

Why: a machine shared with other work moves absolute figures by a factor of two or more
between runs; a ratio of two paths timed in alternating blocks in the same run does not.
Two chains are measured:

* **Scoreboard** (a concluded session of 5 schools x 50 indicators, ``bench/scoreboard.py``'s
  database): ``reviewSession { scoreboard { … } }`` through GraphQL against a bare Starlette
  endpoint that authenticates the same token, calls the same domain function
  (``session_scoreboard``) and returns the same JSON (checked equal first); the object
  form (``results { indicators { … } }``) and its bare twin for reference; SQL statements
  per request for 5 and 3 schools. Target: GraphQL within 2x bare (1.5x stretch).
* **Submission** (one expert resubmitting 50 changed scores): ``submitScores`` through
  GraphQL, with the scores as ``vector`` and as a list of ``ScoreInput``, against a bare
  endpoint that parses the same JSON and calls the same domain function
  (``submit_scores``, committed); that domain function called in-process; and the floor:
  the same upserts and audit rows written with plain SQL (the sqlite3 module, no ORM) in
  one transaction on the same durable database (WAL, ``synchronous=FULL``). Targets:
  GraphQL within 1.5x bare, domain within 3x floor, 300 submissions/s.

Nothing is asserted about time. Run: ``.venv/bin/python bench/floor.py``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scoreboard as board

from sanquan.api.ids import global_id
from sanquan.app import create_app
from sanquan.auth.tokens import Principal, authenticate
from sanquan.db import make_engine, make_session_factory
from sanquan.errors import DomainError, DomainErrors
from sanquan.plugins.host import PluginHost
from sanquan.review.models import ReviewSession, Score
from sanquan.review.results import Scoreboard, session_scoreboard
from sanquan.review.scoring import ScoreEntry, Submission, reviewer_key, submit_scores
from sanquan.review.sessions import get_session
from sanquan.timeutil import beijing_today, utcnow
from sanquan_sdk import Source
from tests import loopback

COMPACT = """
query Scoreboard($id: ID!) {
  reviewSession(id: $id) {
    id quarter status
    aggregation { method weights { self peer expert } }
    scoreboard {
      indicators titles
      rows {
        institution { code name }
        overallIndex rank
        selfValues peerMeans expertMeans combined peerCounts expertCounts
      }
    }
  }
}"""

SUBMIT = board.SUBMIT


# --- the bare endpoints -------------------------------------------------------------------


def scoreboard_json(found: Scoreboard | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "indicators": list(found.indicators),
        "titles": list(found.titles),
        "rows": [
            {
                "institution": {"code": r.institution.code, "name": r.institution.name},
                "overallIndex": r.overall_index,
                "rank": r.rank,
                "selfValues": list(r.self_values),
                "peerMeans": list(r.peer_means),
                "expertMeans": list(r.expert_means),
                "combined": list(r.combined),
                "peerCounts": list(r.peer_counts),
                "expertCounts": list(r.expert_counts),
            }
            for r in found.rows
        ],
    }


def bare_compact(sessions: sessionmaker[Session], host: PluginHost) -> Route:
    """``GET /compact/{id}``: the compact query's answer, from the same domain function."""

    def endpoint(request: Request) -> Response:
        with sessions() as db:
            if authenticate(db, request.headers.get("authorization")) is None:
                return JSONResponse({"errors": [{"message": "unauthenticated"}]}, status_code=401)
            db.rollback()
            try:
                session = get_session(db, request.path_params["id"])
            except DomainError:
                return JSONResponse({"data": {"reviewSession": None}})
            answer = {
                **board.session_header(session, with_aggregation=True),
                "scoreboard": scoreboard_json(session_scoreboard(db, host, session)),
            }
            return JSONResponse({"data": {"reviewSession": answer}})

    return Route("/compact/{id:int}", endpoint, methods=["GET"])


def bare_submit(sessions: sessionmaker[Session], host: PluginHost) -> Route:
    """``POST /submit``: the mutation's JSON body (either form of scores), parsed by hand
    and given to the same domain function in one committed transaction."""

    def endpoint(request_body: dict[str, Any], authorization: str | None) -> Response:
        with sessions() as db:
            actor = authenticate(db, authorization)
            if actor is None:
                return JSONResponse({"errors": [{"message": "unauthenticated"}]}, status_code=401)
            db.rollback()
            given = request_body["variables"]["input"]
            if "vector" in given:
                vector = given["vector"]
                count = len(vector["indicators"])
                entries = [
                    ScoreEntry(code, value)
                    for code, value in zip(
                        vector["indicators"], vector.get("values") or [None] * count, strict=True
                    )
                ]
            else:
                entries = [ScoreEntry(s["indicator"], s.get("value")) for s in given["scores"]]
            submission = Submission(
                int(given["sessionId"]),
                given["institutionCode"],
                Source(given["source"]),
                entries,
                given.get("final", True),
            )
            try:
                outcome = submit_scores(db, host, actor, submission, today=beijing_today())
                db.commit()
            except (DomainError, DomainErrors):
                db.rollback()
                raise
            payload = {"changedCount": outcome.changed, "userErrors": []}
            return JSONResponse({"data": {"submitScores": payload}})

    async def receive(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        body = json.loads(await request.body())
        return await run_in_threadpool(endpoint, body, request.headers.get("authorization"))

    return Route("/submit", receive, methods=["POST"])


# --- the plain-SQL floor ------------------------------------------------------------------


FLOOR_STATEMENTS = 4
"""What :func:`floor_submit` sends (it bypasses the engine's statement counter): the lock,
the read, the upserts, the audit rows."""


def floor_submit(engine: Engine, submission: Submission, actor: Principal, subject_id: int) -> int:
    """The same rows as ``submit_scores`` for a resubmission, in plain SQL through the
    sqlite3 module on one of the engine's (durable) connections: read the reviewer's
    scores, upsert every score in one ``executemany``, write one audit row per changed
    score in another, commit. Returns the number of scores changed."""
    key = reviewer_key(submission.source, actor)
    now = utcnow().replace(tzinfo=None)
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(
            "UPDATE review_sessions SET id = id WHERE id = ?", (submission.session_id,)
        )  # the same write lock the service takes first
        old = {
            row[1]: row
            for row in cursor.execute(
                "SELECT id, indicator_code, value, status, reported, comment, evidence "
                "FROM scores WHERE session_id = ? AND subject_id = ? AND source = ? "
                "AND reviewer_key = ?",
                (submission.session_id, subject_id, submission.source.value, key),
            )
        }
        changed = [e for e in submission.entries if old[e.indicator][2] != e.value]
        cursor.executemany(
            "INSERT INTO scores (session_id, subject_id, indicator_code, source, reviewer_key, "
            "reviewer_account_id, value, reported, comment, evidence, status, submitted_by_id, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, '', '', '', 'SUBMITTED', ?, ?) "
            "ON CONFLICT (session_id, subject_id, indicator_code, source, reviewer_key) "
            "DO UPDATE SET value = excluded.value, status = excluded.status, "
            "submitted_by_id = excluded.submitted_by_id, updated_at = excluded.updated_at",
            [
                (
                    submission.session_id,
                    subject_id,
                    e.indicator,
                    submission.source.value,
                    key,
                    actor.account_id,
                    e.value,
                    actor.account_id,
                    now,
                )
                for e in changed
            ],
        )
        cursor.executemany(
            "INSERT INTO score_revisions (score_id, changed_by_id, changed_at, old_value, "
            "new_value, old_status, new_status, old_reported, new_reported, old_comment, "
            "new_comment, old_evidence, new_evidence, reason) "
            "VALUES (?, ?, ?, ?, ?, ?, 'SUBMITTED', ?, '', ?, '', ?, '', '')",
            [
                (
                    old[e.indicator][0],
                    actor.account_id,
                    now,
                    old[e.indicator][2],
                    e.value,
                    old[e.indicator][3],
                    old[e.indicator][4],
                    old[e.indicator][5],
                    old[e.indicator][6],
                )
                for e in changed
            ],
        )
        connection.commit()
    finally:
        connection.close()
    return len(changed)


# --- measuring ----------------------------------------------------------------------------


@dataclass
class Timing:
    name: str
    seconds: list[float]
    cpu: list[float] = field(default_factory=list)
    """The process's CPU seconds per call (every thread: the server's and the client's),
    which a machine shared with other work moves much less than the wall clock."""

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def cpu_ms(self) -> float:
        return statistics.median(self.cpu) * 1000

    @property
    def per_second(self) -> float:
        return len(self.seconds) / sum(self.seconds)


def alternate(calls: dict[str, Callable[[], object]], rounds: int, block: int) -> list[Timing]:
    """Every call ``rounds`` x ``block`` times, in alternating blocks."""
    timings = {name: Timing(name, []) for name in calls}
    for call in calls.values():
        for _ in range(5):
            call()
    for _ in range(rounds):
        for name, call in calls.items():
            for _ in range(block):
                started, used = time.perf_counter(), time.process_time()
                call()
                timings[name].seconds.append(time.perf_counter() - started)
                timings[name].cpu.append(time.process_time() - used)
    return list(timings.values())


@dataclass
class Run:
    reads: list[Timing]
    read_statements: dict[str, tuple[int, int]]
    writes: list[Timing]
    write_statements: dict[str, int]


@dataclass
class Bench:
    """The served app, a keep-alive client on it, and what the paths need."""

    world: board.World
    base: str
    client: httpx.Client
    service_counter: board.StatementCounter
    bare_counter: board.StatementCounter
    bare_sessions: sessionmaker[Session]
    bare_engine: Engine
    codes: list[str]
    base_values: list[float]
    turn: int = 0

    def post(self, path: str, body: dict[str, Any], token: str) -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        response = self.client.post(f"{self.base}{path}", json=body, headers=headers)
        response.raise_for_status()
        return response.json()

    def values(self) -> list[float]:
        """50 values, each different from the previous call's: every submission changes
        all 50 scores."""
        self.turn += 1
        shift = (self.turn % 2) * 0.5
        return [value + shift for value in self.base_values]

    def vector_body(self) -> dict[str, Any]:
        return {
            "query": SUBMIT,
            "variables": {
                "input": {
                    "sessionId": str(self.world.open_id),
                    "institutionCode": board.OPEN[0],
                    "source": "EXPERT",
                    "vector": {"indicators": self.codes, "values": self.values()},
                }
            },
        }

    def list_body(self) -> dict[str, Any]:
        body = self.vector_body()
        given = body["variables"]["input"]
        vector = given.pop("vector")
        given["scores"] = [
            {"indicator": c, "value": v}
            for c, v in zip(vector["indicators"], vector["values"], strict=True)
        ]
        return body


def run(world: board.World, args: argparse.Namespace) -> Run:
    service = create_app(world.settings, world.host)
    bare_engine = make_engine(world.settings.database_url)
    bare_sessions = make_session_factory(bare_engine)
    service_counter, bare_counter = board.StatementCounter(), board.StatementCounter()
    service_counter.attach(service.state.engine)
    bare_counter.attach(bare_engine)
    bare = Starlette(
        routes=[
            board.bare_scoreboard(bare_sessions, world.host),
            bare_compact(bare_sessions, world.host),
            bare_submit(bare_sessions, world.host),
        ]
    )
    app = Starlette(routes=[Mount("/bare", bare), Mount("", service)])
    codes = [i.code for i in board.bench_indicator_set().indicators]
    rng = random.Random(board.SEED + 2)
    base_values = [round(rng.uniform(55.0, 95.0) * 2) / 2 for _ in codes]
    with loopback.served(app) as base, httpx.Client(timeout=30) as client:
        bench = Bench(
            world,
            base,
            client,
            service_counter,
            bare_counter,
            bare_sessions,
            bare_engine,
            codes,
            base_values,
        )
        reads, read_statements = measure_reads(bench, args)
        writes, write_statements = measure_writes(bench, args)
    service.state.engine.dispose()
    bare_engine.dispose()
    return Run(reads, read_statements, writes, write_statements)


def measure_reads(
    bench: Bench, args: argparse.Namespace
) -> tuple[list[Timing], dict[str, tuple[int, int]]]:
    """The scoreboard's paths: checked equal, statements counted, then timed."""
    world, token = bench.world, bench.world.viewer_token

    def graphql(query: str) -> Callable[[int], Callable[[], Any]]:
        def at(session_id: int) -> Callable[[], Any]:
            body = {"query": query, "variables": {"id": global_id("ReviewSession", session_id)}}
            return lambda: bench.post("/graphql", body, token)

        return at

    def bare(path: str) -> Callable[[int], Callable[[], Any]]:
        def at(session_id: int) -> Callable[[], Any]:
            url = f"{bench.base}/bare/{path.format(session_id)}"
            headers = {"Authorization": f"Bearer {token}"}
            return lambda: bench.client.get(url, headers=headers).json()

        return at

    paths = {
        "GraphQL scoreboard (vectors)": (graphql(COMPACT), bench.service_counter),
        "bare scoreboard (vectors)": (bare("compact/{}"), bench.bare_counter),
        "GraphQL results (objects)": (graphql(board.SCOREBOARD), bench.service_counter),
        "bare results (objects)": (bare("review-sessions/{}/scoreboard"), bench.bare_counter),
    }
    names = list(paths)
    for session_id in (world.large_id, world.small_id):
        answers = [paths[name][0](session_id)() for name in names]
        if answers[0] != answers[1] or answers[2] != answers[3]:
            raise RuntimeError("a bare endpoint's JSON differs from GraphQL's")
    statements = {}
    for name, (path, counter) in paths.items():
        counts = []
        for session_id in (world.large_id, world.small_id):
            before = counter.count
            path(session_id)()
            counts.append(counter.count - before)
        statements[name] = (counts[0], counts[1])
    calls: dict[str, Callable[[], object]] = {
        name: path(world.large_id) for name, (path, _) in paths.items()
    }
    calls["healthz (HTTP floor)"] = lambda: bench.client.get(f"{bench.base}/healthz")
    return alternate(calls, args.rounds, args.block), statements


def measure_writes(bench: Bench, args: argparse.Namespace) -> tuple[list[Timing], dict[str, int]]:
    """The submission's paths, from GraphQL down to the plain-SQL floor."""
    token = bench.world.expert_token

    def checked(answer: Any) -> None:
        payload = answer["data"]["submitScores"]
        if answer.get("errors") or payload["userErrors"] or payload["changedCount"] != 50:
            raise RuntimeError(f"submission not stored as expected: {answer}")

    checked(bench.post("/graphql", bench.list_body(), token))  # the scores exist from here on
    calls: dict[str, Callable[[], object]] = {
        GRAPHQL_VECTOR: lambda: checked(bench.post("/graphql", bench.vector_body(), token)),
        GRAPHQL_LIST: lambda: checked(bench.post("/graphql", bench.list_body(), token)),
        BARE_SUBMIT: lambda: checked(bench.post("/bare/submit", bench.vector_body(), token)),
        **in_process_calls(bench),
    }
    statements = {}
    for name, counter in (
        (GRAPHQL_VECTOR, bench.service_counter),
        (GRAPHQL_LIST, bench.service_counter),
        (BARE_SUBMIT, bench.bare_counter),
    ):
        before = counter.count
        calls[name]()
        statements[name] = counter.count - before
    before = bench.bare_counter.count
    calls[DOMAIN]()
    statements[DOMAIN] = bench.bare_counter.count - before
    statements[FLOOR] = FLOOR_STATEMENTS
    return alternate(calls, args.rounds, args.block), statements


GRAPHQL_VECTOR = "GraphQL submitScores (vector)"
GRAPHQL_LIST = "GraphQL submitScores (ScoreInput list)"
BARE_SUBMIT = "bare endpoint (same JSON, same domain function)"
DOMAIN = "domain function, in-process"
FLOOR = "plain-SQL floor, in-process"


def in_process_calls(bench: Bench) -> dict[str, Callable[[], object]]:
    """The domain function and the plain-SQL floor, called without HTTP, on the bare
    engine (whose statements are counted, and whose connections are as durable)."""
    world, sessions, codes = bench.world, bench.bare_sessions, bench.codes
    with sessions() as db:
        actor = authenticate(db, f"Bearer {world.expert_token}")
        assert actor is not None
        session = db.get(ReviewSession, world.open_id)
        assert session is not None
        subject_id = next(
            m.institution_id for m in session.members if m.institution.code == board.OPEN[0]
        )
        key = reviewer_key(Source.EXPERT, actor)
        stored = db.scalars(
            select(Score.id).where(
                Score.session_id == world.open_id,
                Score.subject_id == subject_id,
                Score.reviewer_key == key,
            )
        ).all()
        if len(stored) != len(codes):
            raise RuntimeError("the floor updates existing scores: submit once first")

    def submission() -> Submission:
        entries = [ScoreEntry(c, v) for c, v in zip(codes, bench.values(), strict=True)]
        return Submission(world.open_id, board.OPEN[0], Source.EXPERT, entries)

    def domain() -> None:
        with sessions() as db:
            outcome = submit_scores(db, world.host, actor, submission(), today=beijing_today())
            db.commit()
        if outcome.changed != len(codes):
            raise RuntimeError("the domain function did not change every score")

    def floor() -> None:
        if floor_submit(bench.bare_engine, submission(), actor, subject_id) != len(codes):
            raise RuntimeError("the floor did not change every score")

    return {DOMAIN: domain, FLOOR: floor}


# --- the report ---------------------------------------------------------------------------


def report(console: Console, result: Run) -> None:
    reads = {t.name: t for t in result.reads}
    table = Table(title="scoreboard, 5 schools x 50 indicators (HTTP, keep-alive)")
    for column in ("path", "median ms", "req/s", "SQL 5x50", "SQL 3x50"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for timing in result.reads:
        counts = result.read_statements.get(timing.name)
        table.add_row(
            timing.name,
            f"{timing.median_ms:.2f}",
            f"{timing.per_second:.0f}",
            *(map(str, counts) if counts else ("", "")),
        )
    console.print(table)
    vectors = (
        reads["GraphQL scoreboard (vectors)"].median_ms
        / reads["bare scoreboard (vectors)"].median_ms
    )
    objects = (
        reads["GraphQL results (objects)"].median_ms / reads["bare results (objects)"].median_ms
    )
    against_old_bare = (
        reads["GraphQL scoreboard (vectors)"].median_ms / reads["bare results (objects)"].median_ms
    )
    console.print(
        f"GraphQL / bare: vectors {vectors:.2f}x (target 2x, stretch 1.5x); "
        f"objects {objects:.2f}x; GraphQL vectors / bare objects {against_old_bare:.2f}x",
        highlight=False,
    )

    writes = {t.name: t for t in result.writes}
    table = Table(title="submission: one expert, 50 changed scores, sequential, SQLite WAL+FULL")
    for column in ("path", "median ms", "per second", "CPU ms", "SQL"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for timing in result.writes:
        count = result.write_statements.get(timing.name)
        table.add_row(
            timing.name,
            f"{timing.median_ms:.2f}",
            f"{timing.per_second:.0f}",
            f"{timing.cpu_ms:.2f}",
            "" if count is None else str(count),
        )
    console.print(table)
    gql = writes[GRAPHQL_VECTOR].median_ms
    gql_list = writes[GRAPHQL_LIST].median_ms
    bare = writes[BARE_SUBMIT].median_ms
    domain = writes[DOMAIN].median_ms
    floor = writes[FLOOR].median_ms
    console.print(
        f"GraphQL (vector) / bare {gql / bare:.2f}x, GraphQL (list) / bare {gql_list / bare:.2f}x "
        f"(target 1.5x); domain / floor {domain / floor:.2f}x (target 3x); "
        f"GraphQL (vector) {1000 / gql:.0f} submissions/s (target 300)",
        highlight=False,
    )
    waiting = writes[FLOOR].median_ms - writes[FLOOR].cpu_ms
    console.print(
        f"CPU per submission: GraphQL (vector) {writes[GRAPHQL_VECTOR].cpu_ms:.2f} ms "
        f"(server and client), domain {writes[DOMAIN].cpu_ms:.2f} ms, floor "
        f"{writes[FLOOR].cpu_ms:.2f} ms; the floor's wall time beyond its CPU (the durable "
        f"commit, and waiting for a core): {waiting:.2f} ms",
        highlight=False,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=10, help="alternating blocks per path")
    parser.add_argument("--block", type=int, default=20, help="requests per block")
    args = parser.parse_args(argv)
    console = Console()
    console.print(board.machine(), highlight=False, soft_wrap=True)
    host = PluginHost.discover(extra=[board.BenchPlugin()])
    with tempfile.TemporaryDirectory(prefix="sanquan-floor-") as tmp:
        world = board.build_world(Path(tmp), host)
        report(console, run(world, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
