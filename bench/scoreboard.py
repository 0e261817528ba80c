"""Benchmark: what the GraphQL layer costs when reading a concluded session's scoreboard,
and how many score submissions per second the service takes on SQLite.

Why: the scoreboard (``reviewSession { results { indicators { … } } }``) is the largest read
of the service, 250 indicator results for a session of five schools on a 50-indicator set.
The targets are that GraphQL costs less than twice a hand-written endpoint reading the same
rows, that its number of SQL statements does not grow with the session (no N+1), and that
one reviewer's 50-indicator submission runs at 300 or more per second on durable SQLite.

What it does, all in one process:

1. Registers a synthetic set (5 dimensions x 10 indicators, weight 2 each, scale 0-100, all
   sources, no evidence) through ``PluginHost.discover(extra=[...])``.
2. Builds a fresh migrated SQLite database with the Beijing pool and, through the service
   functions, a concluded session of 5 schools (1 self + 4 peer + 7 expert reviewers per
   school: 3000 scores), a concluded session of 3 schools (to show the statement count is
   constant) and an open session for the submission measurement.
3. Serves ``create_app(settings, host)`` and a bare Starlette endpoint side by side with
   uvicorn on a free loopback port (in a background thread). The bare endpoint
   authenticates the bearer token with ``sanquan.auth.tokens.authenticate``, reads the same
   rows with the same SQLAlchemy ORM models and returns the same JSON; both answers are
   checked equal before anything is timed.
4. Times both over HTTP with one keep-alive ``httpx.Client``, in alternating blocks (with
   ``GET /healthz`` as the floor of one round trip), and counts SQL statements per request
   with a ``before_cursor_execute`` listener on each app's engine.
5. Times sequential ``submitScores`` mutations (one expert, 50 indicators, values
   alternating so that every request really changes 50 scores and writes 50 revisions).

Nothing is asserted about time; the figures are printed. ``--profile`` also runs the
GraphQL scoreboard in-process under cProfile and prints the top functions.

Run: ``.venv/bin/python bench/scoreboard.py`` (``make bench``).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import platform
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from sanquan.api.ids import global_id
from sanquan.app import create_app
from sanquan.auth.models import Account, Role
from sanquan.auth.tokens import Principal, authenticate, create_account, issue_token
from sanquan.config import Settings, sqlite_url
from sanquan.db import make_engine, make_session_factory
from sanquan.institutions.service import load_beijing
from sanquan.migrate import upgrade
from sanquan.plugins.host import PluginHost
from sanquan.quarter import Quarter
from sanquan.review.conclusion import conclude_session
from sanquan.review.models import (
    IndicatorOutcome,
    InstitutionOutcome,
    ReviewSession,
    SessionInstitution,
    SessionStatus,
)
from sanquan.review.scoring import ScoreEntry, Submission, submit_scores
from sanquan.review.sessions import SessionSpec, appoint_experts, create_session, open_session
from sanquan.timeutil import beijing_today
from sanquan_sdk import Dimension, Indicator, IndicatorSet, NumericScale, Source, hookimpl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests/
from tests import loopback

SET_KEY = "bench-scoreboard"
SET_VERSION = "1"
DIMENSIONS = 5
PER_DIMENSION = 10

LARGE = ("4111010003", "4111010002", "4111010008", "4111010027", "4111010005")
"""The five schools of the measured session (and their representatives)."""
SMALL = LARGE[:3]
"""A three-school session, to show that the statement count does not depend on size."""
OPEN = LARGE[2:]
"""The open session that the submission measurement writes to."""
EXPERTS = 7
SEED = 20260101

SCOREBOARD = """
query Scoreboard($id: ID!) {
  reviewSession(id: $id) {
    id quarter status
    aggregation { method weights { self peer expert } }
    results {
      institution { code name }
      overallIndex rank
      indicators {
        indicator title selfValue peerMean expertMean combined peerCount expertCount
      }
    }
  }
}"""

SUBMIT = """
mutation Submit($input: SubmitScoresInput!) {
  submitScores(input: $input) { changedCount userErrors { field code message } }
}"""


# --- the indicator set, as a plugin object ------------------------------------------------


def bench_indicator_set() -> IndicatorSet:
    weight = 100.0 / (DIMENSIONS * PER_DIMENSION)
    return IndicatorSet(
        key=SET_KEY,
        version=SET_VERSION,
        title="基准测试指标体系",
        dimensions=tuple(
            Dimension(
                code=f"D{d}",
                title=f"维度 {d}",
                indicators=tuple(
                    Indicator(
                        code=f"D{d}-{i:02d}",
                        title=f"维度 {d} 指标 {i}",
                        weight=weight,
                        scale=NumericScale(0.0, 100.0),
                    )
                    for i in range(1, PER_DIMENSION + 1)
                ),
            )
            for d in range(1, DIMENSIONS + 1)
        ),
    )


class BenchPlugin:
    """Provides the bench's set without packaging: ``PluginHost.discover(extra=[...])``."""

    @hookimpl
    def sanquan_indicator_sets(self) -> list[IndicatorSet]:
        return [bench_indicator_set()]


PLUGIN = BenchPlugin()
"""The plugin object the entry point of a served benchmark names (``throughput.py``)."""


# --- the database -------------------------------------------------------------------------


@dataclass
class World:
    settings: Settings
    host: PluginHost
    viewer_token: str
    expert_token: str
    large_id: int
    small_id: int
    open_id: int


def principal(account: Account) -> Principal:
    return Principal(account.id, account.name, account.role, account.institution_id)


def build_world(directory: Path, host: PluginHost) -> World:
    """A migrated database with the Beijing pool, the accounts and three sessions."""
    settings = Settings(
        database_url=sqlite_url(directory / "bench.sqlite3"),
        data_dir=directory,
        graphiql=False,
    )
    engine = make_engine(settings.database_url)
    upgrade(engine)
    rng = random.Random(SEED)
    with make_session_factory(engine)() as db:
        load_beijing(db)
        reps = {
            code: create_account(
                db, name=f"{code} 联络人", role=Role.INSTITUTION, institution_code=code
            )
            for code in LARGE
        }
        experts = [
            create_account(db, name=f"专家 {n}", role=Role.EXPERT) for n in range(1, EXPERTS + 1)
        ]
        create_account(db, name="管理员", role=Role.ADMIN)
        viewer = create_account(db, name="观察员", role=Role.VIEWER)
        large = staffed_session(db, host, Quarter(2026, 1), LARGE, experts)
        score_session(db, host, large, LARGE, reps, experts, rng)
        conclude_session(db, host, large.id)
        small = staffed_session(db, host, Quarter(2026, 2), SMALL, experts)
        score_session(db, host, small, SMALL, reps, experts, rng)
        conclude_session(db, host, small.id)
        running = staffed_session(db, host, Quarter(2026, 3), OPEN, experts)
        world = World(
            settings=settings,
            host=host,
            viewer_token=issue_token(db, viewer),
            expert_token=issue_token(db, experts[0]),
            large_id=large.id,
            small_id=small.id,
            open_id=running.id,
        )
        db.commit()
    engine.dispose()
    return world


def staffed_session(
    db: Session, host: PluginHost, quarter: Quarter, codes: Sequence[str], experts: list[Account]
) -> ReviewSession:
    spec = SessionSpec(
        quarter=quarter,
        institution_codes=codes,
        indicator_set_key=SET_KEY,
        indicator_set_version=SET_VERSION,
        min_experts=EXPERTS,
    )
    session = create_session(db, host, spec, today=beijing_today())
    appoint_experts(db, session.id, [e.id for e in experts])
    return open_session(db, session.id)


def score_session(
    db: Session,
    host: PluginHost,
    session: ReviewSession,
    codes: Sequence[str],
    reps: dict[str, Account],
    experts: list[Account],
    rng: random.Random,
) -> None:
    """Every school scores itself and the others, every expert scores every school."""
    indicators = [i.code for i in bench_indicator_set().indicators]
    today = beijing_today()

    def entries() -> list[ScoreEntry]:
        return [ScoreEntry(code, round(rng.uniform(55.0, 98.0) * 2) / 2) for code in indicators]

    for subject in codes:
        for reviewer in codes:
            source = Source.SELF if reviewer == subject else Source.PEER
            submission = Submission(session.id, subject, source, entries())
            submit_scores(db, host, principal(reps[reviewer]), submission, today=today)
        for expert in experts:
            submission = Submission(session.id, subject, Source.EXPERT, entries())
            submit_scores(db, host, principal(expert), submission, today=today)


# --- the bare endpoint --------------------------------------------------------------------


def bare_scoreboard(sessions: sessionmaker[Session], host: PluginHost) -> Route:
    """``GET /review-sessions/{id}/scoreboard``: the GraphQL query's answer, by hand."""

    async def endpoint(request: Request) -> Response:
        with sessions() as db:
            if authenticate(db, request.headers.get("authorization")) is None:
                return JSONResponse({"errors": [{"message": "unauthenticated"}]}, status_code=401)
            db.rollback()  # as the service does: end the token lookup's read transaction
            return JSONResponse({"data": {"reviewSession": read_scoreboard(db, host, request)}})

    return Route("/review-sessions/{id:int}/scoreboard", endpoint, methods=["GET"])


def read_scoreboard(db: Session, host: PluginHost, request: Request) -> dict[str, Any] | None:
    session_id: int = request.path_params["id"]
    session = db.get(ReviewSession, session_id)
    if session is None:
        return None
    concluded = session.status is SessionStatus.CONCLUDED
    members = db.scalars(
        select(SessionInstitution)
        .where(SessionInstitution.session_id == session_id)
        .order_by(SessionInstitution.position)
    ).all()
    results: list[dict[str, Any]] | None = None
    if concluded:
        found = host.indicator_set(session.indicator_set_key, session.indicator_set_version)
        titles = {i.code: i.title for i in found.indicators} if found else {}
        order = {code: position for position, code in enumerate(titles)}
        by_institution: dict[int, list[IndicatorOutcome]] = {}
        for outcome in db.scalars(
            select(IndicatorOutcome).where(IndicatorOutcome.session_id == session_id)
        ):
            by_institution.setdefault(outcome.institution_id, []).append(outcome)
        overall = {
            o.institution_id: o
            for o in db.scalars(
                select(InstitutionOutcome).where(InstitutionOutcome.session_id == session_id)
            )
        }
        results = []
        for member in members:
            summary = overall.get(member.institution_id)
            outcomes = sorted(
                by_institution.get(member.institution_id, ()),
                key=lambda o: order.get(o.indicator_code, len(order)),
            )
            results.append(
                {
                    "institution": {
                        "code": member.institution.code,
                        "name": member.institution.name,
                    },
                    "overallIndex": summary.overall if summary else None,
                    "rank": summary.rank if summary else None,
                    "indicators": [
                        {
                            "indicator": o.indicator_code,
                            "title": titles.get(o.indicator_code, o.indicator_code),
                            "selfValue": o.self_value,
                            "peerMean": o.peer_mean,
                            "expertMean": o.expert_mean,
                            "combined": o.combined,
                            "peerCount": o.peer_count,
                            "expertCount": o.expert_count,
                        }
                        for o in outcomes
                    ],
                }
            )
    return {**session_header(session, with_aggregation=concluded), "results": results}


def session_header(session: ReviewSession, *, with_aggregation: bool) -> dict[str, Any]:
    """The session's own fields as the scoreboard queries select them; the aggregation only
    when asked and stored (at conclusion)."""
    weights = session.aggregation_weights
    return {
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
        if with_aggregation and weights
        else None,
    }


# --- serving and counting -----------------------------------------------------------------


@dataclass
class StatementCounter:
    """Counts the SQL statements an engine sends (``before_cursor_execute``); keeps their
    text while ``recording`` is set."""

    count: int = 0
    recording: bool = False
    statements: list[str] = field(default_factory=list)

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        self.count += 1
        if self.recording:
            self.statements.append(" ".join(str(args[2]).split()))


@dataclass
class Served:
    app: Starlette
    service_counter: StatementCounter
    bare_counter: StatementCounter


def build_app(world: World) -> Served:
    """The service at ``/graphql`` and the bare endpoint under ``/bare``, in one app."""
    service = create_app(world.settings, world.host)
    bare_engine = make_engine(world.settings.database_url)
    service_counter, bare_counter = StatementCounter(), StatementCounter()
    service_counter.attach(service.state.engine)
    bare_counter.attach(bare_engine)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        service.state.engine.dispose()
        bare_engine.dispose()

    bare = Starlette(routes=[bare_scoreboard(make_session_factory(bare_engine), world.host)])
    app = Starlette(routes=[Mount("/bare", bare), Mount("", service)], lifespan=lifespan)
    return Served(app, service_counter, bare_counter)


# --- measuring ----------------------------------------------------------------------------


@dataclass
class Latencies:
    name: str
    seconds: list[float] = field(default_factory=list)
    response_bytes: int = 0

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def p90_ms(self) -> float:
        return statistics.quantiles(self.seconds, n=10)[8] * 1000

    @property
    def per_second(self) -> float:
        return len(self.seconds) / sum(self.seconds)


Call = Callable[[], httpx.Response]


def timed(call: Call, into: Latencies) -> httpx.Response:
    started = time.perf_counter()
    response = call()
    into.seconds.append(time.perf_counter() - started)
    return response


def statements_per_request(call: Call, counter: StatementCounter, repeats: int = 5) -> list[str]:
    """The SQL statements of one request, after checking that every repeat sends as many."""
    counts = []
    for _ in range(repeats):
        before = counter.count
        counter.statements.clear()
        counter.recording = True
        try:
            call().raise_for_status()
        finally:
            counter.recording = False
        counts.append(counter.count - before)
    if len(set(counts)) != 1 or counts[0] != len(counter.statements):
        raise RuntimeError(f"statement count varies between identical requests: {counts}")
    return list(counter.statements)


def compare_reads(
    calls: dict[str, Call], warmup: int, requests: int, block: int
) -> list[Latencies]:
    """Warm every path up, then time them in alternating blocks of ``block`` requests."""
    results = {name: Latencies(name) for name in calls}
    for call in calls.values():
        for _ in range(warmup):
            call().raise_for_status()
    done = 0
    while done < requests:
        size = min(block, requests - done)
        for name, call in calls.items():
            for _ in range(size):
                response = timed(call, results[name])
                response.raise_for_status()
                results[name].response_bytes = len(response.content)
        done += size
    return list(results.values())


@dataclass
class SubmissionRun:
    latencies: Latencies
    wall_seconds: float
    statements: int


def measure_submissions(
    client: httpx.Client, base: str, world: World, counter: StatementCounter, seconds: float
) -> SubmissionRun:
    """One expert resubmits 50 indicators for one school, alternating values, for
    ``seconds``; every request must change all 50 scores."""
    rng = random.Random(SEED + 1)
    indicators = [i.code for i in bench_indicator_set().indicators]
    base_values = [round(rng.uniform(55.0, 95.0) * 2) / 2 for _ in indicators]
    headers = {"Authorization": f"Bearer {world.expert_token}"}

    def submit(n: int) -> int:
        payload = {
            "query": SUBMIT,
            "variables": {
                "input": {
                    "sessionId": str(world.open_id),
                    "institutionCode": OPEN[0],
                    "source": "EXPERT",
                    "scores": [
                        {"indicator": code, "value": value + (n % 2) * 0.5}
                        for code, value in zip(indicators, base_values, strict=True)
                    ],
                }
            },
        }
        response = client.post(f"{base}/graphql", json=payload, headers=headers)
        response.raise_for_status()
        body = response.json()
        if body.get("errors") or body["data"]["submitScores"]["userErrors"]:
            raise RuntimeError(f"submission refused: {body}")
        changed: int = body["data"]["submitScores"]["changedCount"]
        return changed

    for n in range(3):  # the first creates the scores, the next two update them
        submit(n)
    before = counter.count
    if submit(3) != len(indicators):
        raise RuntimeError("a resubmission with new values did not change every score")
    statements = counter.count - before

    latencies = Latencies("submitScores")
    n = 4
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        begun = time.perf_counter()
        changed = submit(n)
        latencies.seconds.append(time.perf_counter() - begun)
        if changed != len(indicators):
            raise RuntimeError(f"request {n} changed {changed} scores, not {len(indicators)}")
        n += 1
    return SubmissionRun(latencies, time.perf_counter() - started, statements)


def profile_graphql(world: World, requests: int) -> str:
    """The GraphQL scoreboard in-process (no sockets) under cProfile: top functions."""
    app = create_app(world.settings, world.host)
    payload = {"query": SCOREBOARD, "variables": {"id": global_id("ReviewSession", world.large_id)}}
    headers = {"Authorization": f"Bearer {world.viewer_token}"}

    async def run(count: int) -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            for _ in range(count):
                (await client.post("/graphql", json=payload, headers=headers)).raise_for_status()

    asyncio.run(run(10))
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(run(requests))
    profiler.disable()
    app.state.engine.dispose()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    return out.getvalue()


# --- the run and its report --------------------------------------------------------------


@dataclass
class Figures:
    reads: list[Latencies]
    statements: dict[tuple[str, str], list[str]]
    submissions: SubmissionRun


def check_equal(graphql: Call, bare: Call, schools: int) -> None:
    """Both paths must answer the same JSON, with every school and indicator."""
    answer, by_hand = graphql().json(), bare().json()
    session = (answer.get("data") or {}).get("reviewSession") or {}
    results = session.get("results")
    if answer.get("errors") or results is None or len(results) != schools:
        raise RuntimeError(f"unexpected GraphQL answer: {str(answer)[:500]}")
    if any(len(r["indicators"]) != DIMENSIONS * PER_DIMENSION for r in results):
        raise RuntimeError("a result lacks indicators")
    if answer != by_hand:
        raise RuntimeError("the bare endpoint's JSON differs from GraphQL's")


def run(world: World, args: argparse.Namespace) -> Figures:
    """Serve both paths, check them equal, count their SQL, time them; then submissions."""
    served = build_app(world)
    viewer = {"Authorization": f"Bearer {world.viewer_token}"}
    with loopback.served(served.app) as base, httpx.Client(timeout=30) as client:

        def graphql(session_id: int) -> Call:
            payload = {
                "query": SCOREBOARD,
                "variables": {"id": global_id("ReviewSession", session_id)},
            }
            return lambda: client.post(f"{base}/graphql", json=payload, headers=viewer)

        def bare(session_id: int) -> Call:
            url = f"{base}/bare/review-sessions/{session_id}/scoreboard"
            return lambda: client.get(url, headers=viewer)

        sizes = {"5x50": (world.large_id, LARGE), "3x50": (world.small_id, SMALL)}
        for session_id, schools in sizes.values():
            check_equal(graphql(session_id), bare(session_id), len(schools))
        statements = {
            (path, size): statements_per_request(call(session_id), counter)
            for path, call, counter in (
                ("GraphQL", graphql, served.service_counter),
                ("bare", bare, served.bare_counter),
            )
            for size, (session_id, _) in sizes.items()
        }
        reads = compare_reads(
            {
                "GraphQL": graphql(world.large_id),
                "bare": bare(world.large_id),
                "healthz (floor)": lambda: client.get(f"{base}/healthz"),
            },
            args.warmup,
            args.requests,
            args.block,
        )
        submissions = measure_submissions(
            client, base, world, served.service_counter, args.submit_seconds
        )
    return Figures(reads, statements, submissions)


def machine() -> str:
    packages = ", ".join(
        f"{name} {version(name)}"
        for name in ("strawberry-graphql", "graphql-core", "starlette", "uvicorn", "sqlalchemy")
    )
    return (
        f"{date.today().isoformat()}, {platform.machine()} x {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; {packages}"
    )


def report(console: Console, figures: Figures, requests: int, sql: bool) -> None:
    if sql:
        for (path, size), statements in figures.statements.items():
            console.print(f"{path} {size}:", highlight=False)
            for statement in statements:
                console.print(f"  {statement[:150]}", markup=False, highlight=False, soft_wrap=True)
    table = Table(title=f"scoreboard, 5 schools x 50 indicators: {requests} requests per path")
    for column in ("path", "median ms", "p90 ms", "req/s", "bytes", "SQL 5x50", "SQL 3x50"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for read in figures.reads:
        counts = [
            str(len(figures.statements[(read.name, size)]))
            if (read.name, size) in figures.statements
            else ""
            for size in ("5x50", "3x50")
        ]
        table.add_row(
            read.name,
            f"{read.median_ms:.2f}",
            f"{read.p90_ms:.2f}",
            f"{read.per_second:.0f}",
            str(read.response_bytes),
            *counts,
        )
    graphql, bare = figures.reads[0], figures.reads[1]
    table.add_row(
        "GraphQL / bare",
        f"{graphql.median_ms / bare.median_ms:.2f}x",
        f"{graphql.p90_ms / bare.p90_ms:.2f}x",
        *[""] * 4,
    )
    console.print(table)

    sub = figures.submissions
    table = Table(title="submitScores: one expert, 50 indicators, sequential, SQLite WAL+FULL")
    for column in ("submissions", "seconds", "submissions/s", "median ms", "p90 ms", "SQL"):
        table.add_column(column, justify="right")
    table.add_row(
        str(len(sub.latencies.seconds)),
        f"{sub.wall_seconds:.2f}",
        f"{len(sub.latencies.seconds) / sub.wall_seconds:.0f}",
        f"{sub.latencies.median_ms:.2f}",
        f"{sub.latencies.p90_ms:.2f}",
        str(sub.statements),
    )
    console.print(table)
    console.print(
        "targets: GraphQL/bare median < 2x; SQL count the same for 5x50 and 3x50; "
        "submitScores >= 300/s",
        highlight=False,
        soft_wrap=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--warmup", type=int, default=30, help="untimed requests per path")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per path")
    parser.add_argument("--block", type=int, default=20, help="requests per alternating block")
    parser.add_argument("--submit-seconds", type=float, default=5.0)
    parser.add_argument("--sql", action="store_true", help="print each path's SQL statements")
    parser.add_argument("--profile", action="store_true", help="also cProfile the GraphQL path")
    args = parser.parse_args(argv)
    console = Console()
    console.print(machine(), highlight=False, soft_wrap=True)
    host = PluginHost.discover(extra=[BenchPlugin()])
    with tempfile.TemporaryDirectory(prefix="sanquan-bench-") as tmp:
        started = time.perf_counter()
        world = build_world(Path(tmp), host)
        scores = sum(
            len(codes) * DIMENSIONS * PER_DIMENSION * (len(codes) + EXPERTS)
            for codes in (LARGE, SMALL)
        )
        console.print(
            f"setup: {scores} scores in two concluded sessions, "
            f"{time.perf_counter() - started:.1f} s",
            highlight=False,
        )
        figures = run(world, args)
        console.print("checked: GraphQL and bare answers are equal JSON for both sessions")
        report(console, figures, args.requests, args.sql)
        if args.profile:
            console.print(profile_graphql(world, 50), markup=False, highlight=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
