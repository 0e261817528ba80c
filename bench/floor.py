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
from dataclasses import dataclass
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
import scoreboard as board  # noqa: E402  (the bench's database and bare object endpoint)

from sanquan.api.ids import global_id  # noqa: E402
from sanquan.app import create_app  # noqa: E402
from sanquan.auth.tokens import Principal, authenticate  # noqa: E402
from sanquan.db import make_engine, make_session_factory  # noqa: E402
from sanquan.errors import DomainError, DomainErrors  # noqa: E402
from sanquan.plugins.host import PluginHost  # noqa: E402
from sanquan.review.models import ReviewSession, Score  # noqa: E402
from sanquan.review.results import Scoreboard, session_scoreboard  # noqa: E402
from sanquan.review.scoring import ScoreEntry, Submission, reviewer_key, submit_scores  # noqa: E402
from sanquan.review.sessions import get_session  # noqa: E402
from sanquan.timeutil import beijing_today, utcnow  # noqa: E402
from sanquan_sdk import Source  # noqa: E402
from tests import loopback  # noqa: E402

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
            weights = session.aggregation_weights or {}
            answer = {
                "id": global_id("ReviewSession", session.id),
                "quarter": session.quarter,
                "status": session.status.value,
                "aggregation": {
                    "method": session.aggregation_method or "",
                    "weights": {
                        "self": weights["SELF"],
                        "peer": weights["PEER"],
                        "expert": weights["EXPERT"],
                    },
                }
                if weights
                else None,
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

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

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
                started = time.perf_counter()
                call()
                timings[name].seconds.append(time.perf_counter() - started)
    return list(timings.values())


@dataclass
class Run:
    reads: list[Timing]
    read_statements: dict[str, tuple[int, int]]
    writes: list[Timing]
    write_statements: dict[str, int]


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
    viewer = {"Authorization": f"Bearer {world.viewer_token}"}
    expert = {"Authorization": f"Bearer {world.expert_token}"}
    codes = [i.code for i in board.bench_indicator_set().indicators]
    rng = random.Random(board.SEED + 2)
    base_values = [round(rng.uniform(55.0, 95.0) * 2) / 2 for _ in codes]
    turn = iter(range(10**9))

    def values() -> list[float]:
        shift = (next(turn) % 2) * 0.5  # every submission changes all 50 scores
        return [value + shift for value in base_values]

    def vector_body() -> dict[str, Any]:
        return {
            "query": SUBMIT,
            "variables": {
                "input": {
                    "sessionId": str(world.open_id),
                    "institutionCode": board.OPEN[0],
                    "source": "EXPERT",
                    "vector": {"indicators": codes, "values": values()},
                }
            },
        }

    def list_body() -> dict[str, Any]:
        body = vector_body()
        given = body["variables"]["input"]
        vector = given.pop("vector")
        given["scores"] = [
            {"indicator": c, "value": v}
            for c, v in zip(vector["indicators"], vector["values"], strict=True)
        ]
        return body

    with loopback.served(app) as base, httpx.Client(timeout=30) as client:

        def post(path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
            response = client.post(f"{base}{path}", json=body, headers=headers)
            response.raise_for_status()
            return response.json()

        def graphql_read(query: str, session_id: int) -> Callable[[], Any]:
            body = {"query": query, "variables": {"id": global_id("ReviewSession", session_id)}}
            return lambda: post("/graphql", body, viewer)

        def bare_read(path: str, session_id: int) -> Callable[[], Any]:
            url = f"{base}/bare/{path}/{session_id}"
            if path == "review-sessions":
                url += "/scoreboard"
            return lambda: client.get(url, headers=viewer).json()

        for session_id in (world.large_id, world.small_id):
            if graphql_read(COMPACT, session_id)() != bare_read("compact", session_id)():
                raise RuntimeError("the bare compact scoreboard differs from GraphQL's")
            if (
                graphql_read(board.SCOREBOARD, session_id)()
                != bare_read("review-sessions", session_id)()
            ):
                raise RuntimeError("the bare object scoreboard differs from GraphQL's")
        read_calls = {
            "GraphQL scoreboard (vectors)": graphql_read(COMPACT, world.large_id),
            "bare scoreboard (vectors)": bare_read("compact", world.large_id),
            "GraphQL results (objects)": graphql_read(board.SCOREBOARD, world.large_id),
            "bare results (objects)": bare_read("review-sessions", world.large_id),
            "healthz (HTTP floor)": lambda: client.get(f"{base}/healthz"),
        }
        read_statements = {}
        for name, counter, make in (
            ("GraphQL scoreboard (vectors)", service_counter, lambda i: graphql_read(COMPACT, i)),
            ("bare scoreboard (vectors)", bare_counter, lambda i: bare_read("compact", i)),
            (
                "GraphQL results (objects)",
                service_counter,
                lambda i: graphql_read(board.SCOREBOARD, i),
            ),
            ("bare results (objects)", bare_counter, lambda i: bare_read("review-sessions", i)),
        ):
            counts = []
            for session_id in (world.large_id, world.small_id):
                before = counter.count
                make(session_id)()
                counts.append(counter.count - before)
            read_statements[name] = (counts[0], counts[1])
        reads = alternate(read_calls, args.rounds, args.block)

        def checked(answer: Any) -> None:
            payload = answer["data"]["submitScores"]
            if answer.get("errors") or payload["userErrors"] or payload["changedCount"] != 50:
                raise RuntimeError(f"submission not stored as expected: {answer}")

        write_calls: dict[str, Callable[[], object]] = {
            "GraphQL submitScores (vector)": lambda: checked(
                post("/graphql", vector_body(), expert)
            ),
            "GraphQL submitScores (ScoreInput list)": lambda: checked(
                post("/graphql", list_body(), expert)
            ),
            "bare endpoint (same JSON, same domain function)": lambda: checked(
                post("/bare/submit", vector_body(), expert)
            ),
        }
        in_process = in_process_calls(world, bare_sessions, bare_engine, values)
        write_calls |= in_process
        checked(post("/graphql", list_body(), expert))  # the scores exist from here on
        write_statements = {}
        for name, call, counter in (
            (
                "GraphQL submitScores (vector)",
                write_calls["GraphQL submitScores (vector)"],
                service_counter,
            ),
            (
                "bare endpoint (same JSON, same domain function)",
                write_calls["bare endpoint (same JSON, same domain function)"],
                bare_counter,
            ),
        ):
            before = counter.count
            call()
            write_statements[name] = counter.count - before
        writes = alternate(write_calls, args.rounds, args.block)
    service.state.engine.dispose()
    bare_engine.dispose()
    return Run(reads, read_statements, writes, write_statements)


def in_process_calls(
    world: board.World,
    sessions: sessionmaker[Session],
    engine: Engine,
    values: Callable[[], list[float]],
) -> dict[str, Callable[[], object]]:
    """The domain function and the plain-SQL floor, called without HTTP."""
    codes = [i.code for i in board.bench_indicator_set().indicators]
    with sessions() as db:
        actor = authenticate(db, f"Bearer {world.expert_token}")
        assert actor is not None
        session = db.get(ReviewSession, world.open_id)
        assert session is not None
        subject_id = next(
            m.institution_id for m in session.members if m.institution.code == board.OPEN[0]
        )
        key = reviewer_key(Source.EXPERT, actor)
        if db.scalar(select(Score.id).where(Score.reviewer_key == key).limit(1)) is None:
            raise RuntimeError("the floor updates existing scores: submit once first")

    def submission() -> Submission:
        entries = [ScoreEntry(c, v) for c, v in zip(codes, values(), strict=True)]
        return Submission(world.open_id, board.OPEN[0], Source.EXPERT, entries)

    def domain() -> None:
        with sessions() as db:
            outcome = submit_scores(db, world.host, actor, submission(), today=beijing_today())
            db.commit()
        if outcome.changed != len(codes):
            raise RuntimeError("the domain function did not change every score")

    def floor() -> None:
        if floor_submit(engine, submission(), actor, subject_id) != len(codes):
            raise RuntimeError("the floor did not change every score")

    return {"domain function, in-process": domain, "plain-SQL floor, in-process": floor}


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
    for column in ("path", "median ms", "per second", "SQL"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for timing in result.writes:
        count = result.write_statements.get(timing.name)
        table.add_row(
            timing.name,
            f"{timing.median_ms:.2f}",
            f"{timing.per_second:.0f}",
            "" if count is None else str(count),
        )
    console.print(table)
    gql = writes["GraphQL submitScores (vector)"].median_ms
    gql_list = writes["GraphQL submitScores (ScoreInput list)"].median_ms
    bare = writes["bare endpoint (same JSON, same domain function)"].median_ms
    domain = writes["domain function, in-process"].median_ms
    floor = writes["plain-SQL floor, in-process"].median_ms
    console.print(
        f"GraphQL (vector) / bare {gql / bare:.2f}x, GraphQL (list) / bare {gql_list / bare:.2f}x "
        f"(target 1.5x); domain / floor {domain / floor:.2f}x (target 3x); "
        f"GraphQL (vector) {1000 / gql:.0f} submissions/s (target 300)",
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
