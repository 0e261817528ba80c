"""Benchmark: submissions per second through GraphQL on durable SQLite, served by the real
``sanquan serve`` in its own process (``--workers N``: N processes on one file) and driven
by several keep-alive clients at once from this one.

Why: ``bench/floor.py`` times one request after another with client and server in one
process, which says what a submission costs but not how many the service takes per second
when reviewers submit together; a throughput is measured with concurrent connections
against a separate server, and the server's CPU per request says what the figure would be
on a machine with a core to spare. Every submission is one expert resubmitting 50 changed
scores (``vector`` form) of one school; each client owns its (expert, school) slots, so
every acknowledged submission must be what the database holds afterwards, which is checked.

Phases of ``--seconds`` alternate, ``--rounds`` times: ``GET /healthz`` (the baseline of
the same run: HTTP, the middleware and a ``SELECT 1``) and the submissions. For each, it
prints requests/s, p50/p95/p99, errors, and the server's CPU seconds per request
(``psutil``, user + system, every thread of the server and of its workers) and the
client's. The ratio of the
two rates and of the two CPU costs survives a machine shared with other work; the absolute
figures do not. Nothing is asserted about time.

Run: ``.venv/bin/python bench/throughput.py`` (``--clients``, ``--seconds``, ``--rounds``,
``--workers``). The server is ``sanquan serve`` itself (its access log, metrics, limits and
durable SQLite: WAL, ``synchronous=FULL``), given the benchmark's 50-indicator set beside
the installed plugins through an entry point of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scoreboard as board
from load import wait_healthy

from sanquan.api.ids import global_id
from sanquan.auth.models import Account, Role
from sanquan.auth.tokens import issue_token
from sanquan.config import sqlite_url
from sanquan.db import make_engine, make_session_factory
from sanquan.plugins.host import PluginHost

SHOWN = ("SANQUAN_EXECUTION_THREADS", "SANQUAN_PIN_WORKERS")
"""The server's settings the report names when they are set (the server inherits them)."""

TARGET = 300.0
"""Submissions per second aimed at (issue 13) on durable SQLite, on the 2-core machine."""


# --- the server, in its own process -------------------------------------------------------


LEVERS = {
    "writer-queue": "SQLite's writers queue on a lock of the process (sanquan.sqlite_writers)",
    "httptools": "HTTP parsed by httptools, bounded (sanquan.http_protocol); without: h11",
    "gc-thresholds": "the collector's raised thresholds (sanquan.app.GC_THRESHOLDS)",
    "short-switch": "threads switch after 1 ms (sanquan.app.SWITCH_INTERVAL); without: 5 ms",
    "worker-threads": "requests handed to threads by the event loop's executor "
    "(sanquan.api.threads); without: anyio's task group and to_thread",
}
"""What ``--without`` can take out of the served process, to measure each lever against
the code without it in the same run."""


def serve(port: int, without: set[str], workers: int) -> None:
    """In the child process: ``sanquan serve`` on ``port`` over the bench's database, in
    ``workers`` processes, less the levers named in ``without`` (in one process only: a
    lever is taken out of this process, and workers are fresh interpreters). The bench's
    indicator set is found through the entry point :func:`start_server` writes."""
    import sanquan.db
    from sanquan.cli import main

    if "writer-queue" in without:
        sanquan.db.queue_writers = lambda connection, database: None
    if "short-switch" in without:
        import sanquan.app

        sanquan.app.SWITCH_INTERVAL = 0.005
    if "gc-thresholds" in without:
        import gc

        import sanquan.app

        sanquan.app.GC_THRESHOLDS = gc.get_threshold()
    if "httptools" in without:
        from uvicorn.protocols.http.h11_impl import H11Protocol

        import sanquan.http_protocol

        sanquan.http_protocol.BoundedHttpToolsProtocol = H11Protocol  # type: ignore[misc]
    if "worker-threads" in without:
        import sanquan.api.http

        sanquan.api.http.GraphQLHTTP._off_loop = _anyio_off_loop  # type: ignore[method-assign]
    main(["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)])


async def _anyio_off_loop(
    self: Any, work: Callable[[], Any], deadline: Any, receive: Callable[[], Awaitable[Any]]
) -> Any:
    """The hand-off to a worker thread before ``sanquan.api.threads``: an anyio task group
    watching for the client hanging up, and ``anyio.to_thread`` under a capacity limiter."""
    import anyio
    import anyio.to_thread

    limiter = self.__dict__.setdefault("anyio_limiter", anyio.CapacityLimiter(self.workers.size))

    async def watch_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        deadline.cancelled.set()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(watch_disconnect)
        try:
            response = await anyio.to_thread.run_sync(work, limiter=limiter)
        finally:
            tasks.cancel_scope.cancel()
    return response


ENTRY_POINT = """[sanquan.plugins]
bench = scoreboard:PLUGIN
"""


def bench_distribution(directory: Path) -> Path:
    """A directory holding a distribution's metadata whose entry point offers the bench's
    set, so that every process of the server, workers included, discovers it as it
    discovers an installed plugin; on ``PYTHONPATH`` with this folder (``scoreboard``)."""
    info = directory / "entry" / "sanquan_bench_set-0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sanquan-bench-set\nVersion: 0\n")
    (info / "entry_points.txt").write_text(ENTRY_POINT)
    return info.parent


def start_server(
    directory: Path, port: int, log: Path, without: str, workers: int
) -> subprocess.Popen[bytes]:
    here = Path(__file__).resolve().parent
    env = {
        **os.environ,
        "SANQUAN_DATABASE_URL": sqlite_url(directory / "bench.sqlite3"),
        "SANQUAN_DATA_DIR": str(directory),
        "PYTHONPATH": os.pathsep.join([str(bench_distribution(directory)), str(here)]),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with log.open("ab") as output:
        return subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve",
                "--port",
                str(port),
                "--without",
                without,
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


# --- the clients --------------------------------------------------------------------------


@dataclass
class Slot:
    """One expert's scores of one school: owned by one client, so that its last
    acknowledged values are what the database must hold."""

    token: str
    key: str
    """The expert's reviewer key (``expert:<account id>``), as the scores are stored."""
    school: str
    turn: int = 0
    acknowledged: list[float] | None = None


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    changed: int = 0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    splits: list[str] = field(default_factory=list)
    """How the clients' connections fell on the server's processes, each round."""

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, q: int) -> float:
        if len(self.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies, n=100)[q - 1] * 1000

    def cpu_ms(self, cpu: float) -> float:
        return cpu / max(len(self.latencies), 1) * 1000


class Client:
    """One keep-alive connection to the server, as the drivers use it: a request's method,
    path, headers and body in, the status and the body out (``None`` for a connection that
    failed). Two kinds: ``httpx`` and a lean one that speaks HTTP/1.1 itself."""

    async def exchange(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, bytes] | None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    def local_port(self) -> int | None:
        """The connection's port on this side, by which the server's processes know it
        (``None`` where the client does not tell)."""
        return None


class HttpxClient(Client):
    """An ``httpx.AsyncClient`` limited to one connection: what a Python integrator would
    use. It costs this process about 2 ms of CPU a submission, which on two cores is
    taken from the server."""

    def __init__(self, base: str) -> None:
        self.base = base
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        self.client = httpx.AsyncClient(timeout=30, limits=limits)

    async def exchange(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, bytes] | None:
        try:
            response = await self.client.request(
                method, f"{self.base}{path}", headers=headers, content=body
            )
        except httpx.HTTPError:
            return None
        return response.status_code, response.content

    async def close(self) -> None:
        await self.client.aclose()


class LeanClient(Client):
    """HTTP/1.1 written and read by hand on one asyncio stream: a request is one write, an
    answer a status line, headers and a ``Content-Length`` body (what the service sends).
    Why: the load generator shares the two cores with the server, and what it spends is
    taken from the rate measured; this one costs a fraction of ``httpx``'s, as a load
    tool written for the purpose (``wrk``) would on a machine of its own."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def exchange(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, bytes] | None:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        request = ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")
        try:
            if self.streams is None:
                self.streams = await asyncio.open_connection(self.host, self.port)
            reader, writer = self.streams
            writer.write(request)
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            fields = dict(line.split(":", 1) for line in head[1:] if ":" in line)
            length = int(next(v for k, v in fields.items() if k.lower() == "content-length"))
            return int(head[0].split()[1]), await reader.readexactly(length)
        except (
            OSError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ValueError,
            StopIteration,
            IndexError,
        ):  # a connection lost, or an answer not HTTP
            await self.close()
            return None

    async def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None

    def local_port(self) -> int | None:
        if self.streams is None:
            return None
        return int(self.streams[1].get_extra_info("sockname")[1])


CLIENTS = {"lean": "HTTP/1.1 written by hand on asyncio streams", "httpx": "httpx.AsyncClient"}


class Driver:
    """The clients and what they send: ``--clients`` keep-alive connections, each a
    :class:`Client` of the kind ``--client`` names, on one event loop of this process."""

    def __init__(
        self,
        base: str,
        session_id: str,
        slots: list[Slot],
        codes: list[str],
        base_values: list[float],
        kind: str = "lean",
        spread: bool = True,
    ) -> None:
        self.base = base
        self.spread = spread
        self.session_id = session_id
        self.slots = slots
        self.codes = codes
        self.base_values = base_values
        self.kind = kind

    def connect(self) -> Client:
        if self.kind == "httpx":
            return HttpxClient(self.base)
        url = httpx.URL(self.base)
        return LeanClient(url.host, url.port or 80)

    def body(self, slot: Slot) -> tuple[bytes, list[float]]:
        shift = ((slot.turn + 1) % 2) * 0.5  # every submission changes all 50 scores
        values = [value + shift for value in self.base_values]
        variables = {
            "input": {
                "sessionId": self.session_id,
                "institutionCode": slot.school,
                "source": "EXPERT",
                "vector": {"indicators": self.codes, "values": values},
            }
        }
        return json.dumps({"query": board.SUBMIT, "variables": variables}).encode(), values

    async def submit(self, client: Client, slot: Slot, phase: Phase) -> None:
        body, values = self.body(slot)
        headers = {"Authorization": f"Bearer {slot.token}", "Content-Type": "application/json"}
        started = time.perf_counter()
        answered = await client.exchange("POST", "/graphql", headers, body)
        elapsed = time.perf_counter() - started
        try:
            answer = json.loads(answered[1]) if answered and answered[0] == 200 else {}
        except ValueError:
            answer = {}
        payload = (answer.get("data") or {}).get("submitScores") or {}
        if answer.get("errors") or payload.get("userErrors") or payload.get("changedCount") != 50:
            phase.errors += 1  # not stored (all or nothing): the slot keeps its values
            return
        slot.turn += 1
        slot.acknowledged = values
        phase.changed += payload["changedCount"]
        phase.latencies.append(elapsed)

    async def health(self, client: Client, slot: Slot, phase: Phase) -> None:
        started = time.perf_counter()
        answered = await client.exchange("GET", "/healthz", {}, None)
        elapsed = time.perf_counter() - started
        try:
            ok = answered is not None and answered[0] == 200
            ok = ok and json.loads(answered[1]) == {"status": "ok"}  # type: ignore[index]
        except ValueError:
            ok = False
        if ok:
            phase.latencies.append(elapsed)
        else:
            phase.errors += 1

    async def run(
        self,
        phase: Phase,
        request: Callable[[Client, Slot, Phase], Awaitable[None]],
        clients: int,
        seconds: float,
        server: psutil.Process,
    ) -> None:
        """``clients`` connections, each sending one request after another for
        ``seconds``; each client cycles through its own slots."""
        connections = [self.connect() for _ in range(clients)]
        try:
            for client in connections:  # connected before the clock starts
                await client.exchange("GET", "/healthz", {}, None)
            if self.spread:
                await self.spread_over(connections, server)
            phase.splits.append(split_of(server, httpx.URL(self.base).port or 80))
            cpu, used, started = cpu_of(server), time.process_time(), time.perf_counter()
            until = started + seconds

            async def loop(number: int, client: Client) -> None:
                mine = self.slots[number::clients]
                turn = 0
                while time.perf_counter() < until:
                    await request(client, mine[turn % len(mine)], phase)
                    turn += 1

            await asyncio.gather(*(loop(n, c) for n, c in enumerate(connections)))
            phase.seconds += time.perf_counter() - started
            phase.server_cpu += cpu_of(server) - cpu
            phase.client_cpu += time.process_time() - used
        finally:
            for client in connections:
                await client.close()

    async def spread_over(self, connections: list[Client], server: psutil.Process) -> None:
        """Connect again the clients of a process serving more than its share until each
        serves as many as the others, give or take one (at most 100 tries). Why: with
        ``--workers``, a process that finds several connections waiting accepts them all
        at once (asyncio accepts up to its backlog at each wake-up), and the bench's
        clients, connecting together, often all fell on one process while the others
        idled: a measure of one process, not of N. Many users connecting at their own
        times spread out; a few long-lived connections (a proxy's pool) may not."""
        port = httpx.URL(self.base).port or 80
        for _ in range(100):
            served = serving(server, port)
            processes = workers_of(server)
            share = -(-len(connections) // len(processes))
            counts = {pid: list(served.values()).count(pid) for pid in processes}
            crowded = [
                client
                for client in connections
                if counts.get(served.get(client.local_port() or -1, -1), 0) > share
            ]
            if not crowded or any(client.local_port() is None for client in connections):
                return
            client = crowded[0]
            await client.close()
            await client.exchange("GET", "/healthz", {}, None)


def workers_of(server: psutil.Process) -> list[int]:
    """The processes that serve requests: the workers, or the server itself alone."""
    children = [
        child.pid
        for child in server.children()
        if "resource_tracker" not in " ".join(child.cmdline())
    ]
    return children or [server.pid]


def serving(server: psutil.Process, port: int) -> dict[int, int]:
    """For each connection to ``port``, by its client's port, the process serving it."""
    found: dict[int, int] = {}
    for pid in workers_of(server):
        for connection in psutil.Process(pid).net_connections(kind="tcp"):
            if connection.status == psutil.CONN_ESTABLISHED and connection.laddr.port == port:
                found[connection.raddr.port] = pid
    return found


def split_of(server: psutil.Process, port: int) -> str:
    """The connections each serving process holds, as ``3/3``."""
    served = list(serving(server, port).values())
    return "/".join(str(served.count(pid)) for pid in workers_of(server))


def cpu_of(process: psutil.Process) -> float:
    """CPU seconds of the server: its process and its workers (alive through a phase)."""
    total = 0.0
    for each in (process, *process.children(recursive=True)):
        times = each.cpu_times()
        total += times.user + times.system
    return total


# --- the database -------------------------------------------------------------------------


def expert_tokens(url: str) -> list[tuple[str, str]]:
    """A token for each of the bench's experts (``build_world`` issues the first only),
    with the expert's reviewer key."""
    engine = make_engine(url)
    with make_session_factory(engine)() as db:
        experts = list(
            db.scalars(select(Account).where(Account.role == Role.EXPERT).order_by(Account.id))
        )
        tokens = [(issue_token(db, expert), f"expert:{expert.id}") for expert in experts]
        db.commit()
    engine.dispose()
    return tokens


def stored(path: Path, session_id: int) -> tuple[int, dict[tuple[str, str], list[float]]]:
    """(audit rows of the session's scores, each (token's expert key, school)'s values in
    indicator order), read with the sqlite3 module after the server has stopped."""
    with sqlite3.connect(path) as connection:
        revisions = connection.execute(
            "SELECT count(*) FROM score_revisions r JOIN scores s ON s.id = r.score_id "
            "WHERE s.session_id = ?",
            (session_id,),
        ).fetchone()[0]
        values: dict[tuple[str, str], list[float]] = {}
        for key, code, value in connection.execute(
            "SELECT s.reviewer_key, i.code, s.value FROM scores s "
            "JOIN institutions i ON i.id = s.subject_id "
            "WHERE s.session_id = ? AND s.source = 'EXPERT' ORDER BY s.indicator_code",
            (session_id,),
        ):
            values.setdefault((key, code), []).append(value)
    return int(revisions), values


# --- the run ------------------------------------------------------------------------------


@dataclass
class Variant:
    """The served code less some levers: its phases, summed over the rounds."""

    without: set[str]
    health: Phase = field(default_factory=lambda: Phase("GET /healthz"))
    submissions: Phase = field(default_factory=lambda: Phase("submitScores (vector, 50)"))
    statuses: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        return "without " + " and ".join(sorted(self.without)) if self.without else "as shipped"


def arguments(argv: list[str] | None) -> tuple[argparse.Namespace, list[Variant]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=6, help="concurrent connections")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds of each phase")
    parser.add_argument("--rounds", type=int, default=3, help="healthz/submit phase pairs")
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="LEVERS",
        help="also serve without these levers (comma-separated: "
        + ", ".join(LEVERS)
        + "), alternating with the code as shipped; repeatable",
    )
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument(
        "--client",
        choices=CLIENTS,
        default="lean",
        help="the clients' HTTP: " + "; ".join(f"{k}: {v}" for k, v in CLIENTS.items()),
    )
    parser.add_argument(
        "--as-accepted",
        action="store_true",
        help="leave the clients' connections on the processes that accepted them "
        "(by default they are spread evenly over --workers first)",
    )
    parser.add_argument("--label", default="", help="conditions, printed with the figures")
    parser.add_argument("--log", action="store_true", help="print the end of the server's log")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--without", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.compare and args.workers > 1:
        parser.error("--compare takes levers out of one process: leave out --workers")
    variants = [Variant(set())]
    for levers in args.compare:
        without = set(filter(None, levers.split(",")))
        if not without <= set(LEVERS):
            parser.error(f"--compare takes {', '.join(LEVERS)}")
        variants.append(Variant(without))
    return args, variants


def main(argv: list[str] | None = None) -> int:
    args, variants = arguments(argv)
    if args.serve:
        serve(args.port, set(filter(None, args.without.split(","))), args.workers)
        return 0

    host = PluginHost.discover(extra=[board.BenchPlugin()])
    with tempfile.TemporaryDirectory(prefix="sanquan-throughput-") as tmp:
        directory = Path(tmp)
        world = board.build_world(directory, host)
        tokens = expert_tokens(world.settings.database_url)
        slots = [Slot(token, key, school) for token, key in tokens for school in board.OPEN]
        if args.clients > len(slots):
            raise SystemExit(f"at most {len(slots)} clients: each owns one slot or more")
        codes = [i.code for i in board.bench_indicator_set().indicators]
        base_values = [60.0 + (n % 30) for n in range(len(codes))]
        session_id = global_id("ReviewSession", world.open_id)
        log = directory / "server.log"
        first = Phase("first submissions")
        try:
            for round_number in range(args.rounds):
                # each round starts with the next variant, so that a machine whose load
                # rises or falls during the run favours none of them
                turn = round_number % len(variants)
                for variant in variants[turn:] + variants[:turn]:
                    port = free_port()
                    driver = Driver(
                        f"http://127.0.0.1:{port}",
                        session_id,
                        slots,
                        codes,
                        base_values,
                        args.client,
                        spread=not args.as_accepted,
                    )
                    server = start_server(
                        directory, port, log, ",".join(variant.without), args.workers
                    )
                    try:
                        wait_healthy(driver.base, server)
                        measured = psutil.Process(server.pid)
                        if not first.latencies and not first.errors:
                            for slot in slots:  # every later submission changes its scores
                                asyncio.run(driver_once(driver, slot, first))
                        for phase, request in (
                            (variant.health, driver.health),
                            (variant.submissions, driver.submit),
                        ):
                            asyncio.run(
                                driver.run(phase, request, args.clients, args.seconds, measured)
                            )
                    finally:
                        server.send_signal(signal.SIGTERM)
                        variant.statuses.append(server.wait(60))
        finally:
            if args.log:
                print(log.read_text(errors="replace")[-4000:])
        revisions, values = stored(directory / "bench.sqlite3", world.open_id)
    summary(args, variants, first, slots, revisions, values)
    return 0


def summary(
    args: argparse.Namespace,
    variants: list[Variant],
    first: Phase,
    slots: list[Slot],
    revisions: int,
    values: dict[tuple[str, str], list[float]],
) -> None:
    lost = [s for s in slots if values.get((s.key, s.school)) != s.acknowledged]
    changes = [v.submissions for v in variants]
    acknowledged = len(slots) + sum(len(p.latencies) for p in changes)
    expected = first.changed + sum(p.changed for p in changes)
    print(board.machine(), args.label)
    settings = " ".join(
        f"{name}={value}" for name, value in sorted(os.environ.items()) if name in SHOWN
    )
    print(
        f"{settings + ' ' if settings else ''}"
        f"sanquan serve --workers {args.workers} (durable SQLite: WAL, synchronous=FULL), "
        f"{args.clients} keep-alive clients ({args.client}"
        f"{', as accepted' if args.as_accepted else ', spread over the processes'}) "
        "in one process, "
        f"{args.rounds} rounds of {args.seconds:g} s a phase, variants alternating; load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end"
    )
    for variant in variants:
        report(variant)
    if len(variants) > 1:
        shipped = variants[0].submissions
        for variant in variants[1:]:
            other = variant.submissions
            print(
                f"as shipped / {variant.name}: submissions/s "
                f"{shipped.rate / other.rate:.2f}x, server CPU per submission "
                f"{shipped.cpu_ms(shipped.server_cpu) / other.cpu_ms(other.server_cpu):.2f}x"
            )
    statuses = sorted({status for v in variants for status in v.statuses})
    print(
        f"acknowledged submissions {acknowledged}: audit rows {revisions} for "
        f"{expected} acknowledged changes, {len(lost)} of {len(slots)} slots not holding "
        f"their last acknowledged values; server exit statuses after SIGTERM {statuses}"
    )


def report(variant: Variant) -> None:
    health, submissions = variant.health, variant.submissions
    print(f"-- {variant.name}")
    print(
        f"{'phase':<28}{'requests':>9}{'errors':>7}{'per s':>8}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'p99 ms':>8}{'server CPU ms':>15}{'client CPU ms':>15}{'server cores':>14}"
    )
    for phase in (health, submissions):
        print(
            f"{phase.name:<28}{len(phase.latencies):>9}{phase.errors:>7}{phase.rate:>8.1f}"
            f"{phase.percentile(50):>8.2f}{phase.percentile(95):>8.2f}{phase.percentile(99):>8.2f}"
            f"{phase.cpu_ms(phase.server_cpu):>15.2f}{phase.cpu_ms(phase.client_cpu):>15.2f}"
            f"{phase.server_cpu / phase.seconds:>14.2f}"
        )
    print(
        "connections per serving process, each round: "
        f"/healthz {' '.join(health.splits)}; submissions {' '.join(submissions.splits)}"
    )
    server_ms = submissions.cpu_ms(submissions.server_cpu)
    print(
        f"submissions/s {submissions.rate:.1f} (target {TARGET:.0f}): "
        f"{'met' if submissions.rate >= TARGET else 'missed'}; "
        f"{submissions.rate / health.rate:.3f} of the /healthz rate; server CPU per "
        f"submission {server_ms:.2f} ms = {server_ms / health.cpu_ms(health.server_cpu):.2f} "
        f"x a /healthz; at most {1000 / server_ms:.0f}/s for each whole core the server gets "
        "(one process uses one at most)"
    )


async def driver_once(driver: Driver, slot: Slot, phase: Phase) -> None:
    client = driver.connect()
    try:
        await driver.submit(client, slot, phase)
    finally:
        await client.close()
    if slot.acknowledged is None:
        raise SystemExit("a first submission was refused: see the server's log (--log)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    raise SystemExit(main())
