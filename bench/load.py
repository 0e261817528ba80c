"""Load test: ``sanquan serve`` (one process or ``--workers N``) under Locust's users of
``bench/locustfile.py`` on loopback, bounded in time and in users, then a check that no
acknowledged submission was lost.

Why: the figures that say whether the service holds a review quarter's traffic are the
latency percentiles of each kind of request at 50 users, the throughput, the errors, that
every submission the service acknowledged is in the database afterwards, and that the
server's memory stays flat over a long run (the soak).

What it does:

1. Loads ``sanquan demo`` into a fresh database (SQLite in a temporary directory, or the
   PostgreSQL database named by ``--database-url``, which it empties), adds five schools'
   representatives and seven experts with their tokens, and serves it with
   ``sanquan serve --workers N`` on a free loopback port.
2. Creates and opens a session of those five schools with those experts (60 reviewer
   slots: 5 self-evaluations, 20 peer and 35 expert evaluations).
3. Runs Locust headless (``--users``, ``--duration``) and samples the resident memory of
   every server process every ``--sample`` seconds.
4. Stops the server with SIGTERM and compares every reviewer's last acknowledged submission
   with what the database holds.

Nothing is asserted about time; the figures are printed (and the targets beside them).

Run: ``.venv/bin/python bench/load.py`` (SQLite, one process),
``.venv/bin/python bench/load.py --database-url postgresql+psycopg://…/loadtest --workers 2``;
``--duration 600 --sample 30`` for the soak.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import select

from sanquan.timeutil import current_quarter

SANQUAN = [sys.executable, "-m", "sanquan"]
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
QUARTER = "2031Q1"
"""The load test's session: a quarter after the demo's adopted rotation."""
SCHOOLS = 5
EXPERTS = 7
PERCENTILES = (0.50, 0.95, 0.99)
TARGETS = {"submit final": 100.0, "resubmit": 100.0, "submit draft": 100.0, "results": 150.0}
"""p95 targets in ms: a submission under 100, the scoreboard under 150, at 50 users."""

CREATE = """mutation($input: CreateReviewSessionInput!) { createReviewSession(input: $input) {
  reviewSession { id } userErrors { field code message } } }"""
APPOINT = """mutation($input: AppointExpertsInput!) { appointExperts(input: $input) {
  userErrors { field code message } } }"""
OPEN = """mutation($id: ID!) { openReviewSession(input: {sessionId: $id}) {
  userErrors { field code message } } }"""
CONCLUDED = """{ reviewSessions(status: CONCLUDED, first: 20) { nodes { id } } }"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def arrival_window(spawn_rate: float) -> float:
    """Seconds between Locust's batches of users at ``spawn_rate`` (1 s at 10/s, 0.8 s at
    2.5/s, 2 s at 0.5/s): each user of a batch makes its first request at a moment drawn
    from that window (``locustfile.py``)."""
    return max(1, math.floor(spawn_rate)) / spawn_rate


def prepare(url: str) -> dict[str, Any]:
    """Five schools' representatives and seven experts, with tokens, in the demo database."""
    from sanquan.auth.models import Role
    from sanquan.auth.tokens import create_account, issue_token
    from sanquan.db import make_engine, make_session_factory
    from sanquan.institutions.models import Institution

    engine = make_engine(url)
    with make_session_factory(engine)() as db:
        rows = db.execute(select(Institution.id, Institution.code).order_by(Institution.code))
        schools = list(rows)[-SCHOOLS:]
        representatives = []
        for institution_id, code in schools:
            account = create_account(
                db, name=f"load-{code}", role=Role.INSTITUTION, institution_code=code
            )
            token = issue_token(db, account)
            representatives.append({"code": code, "id": institution_id, "token": token})
        experts = []
        for number in range(EXPERTS):
            account = create_account(db, name=f"load-expert-{number}", role=Role.EXPERT)
            experts.append({"id": account.id, "token": issue_token(db, account)})
        db.commit()
    engine.dispose()
    slots = []
    for school in representatives:
        key = f"institution:{school['id']}"
        slots.append({"token": school["token"], "school": school["code"], "source": "SELF"})
        slots[-1]["key"] = key
        for other in representatives:
            if other is not school:
                slots.append(
                    {
                        "token": school["token"],
                        "school": other["code"],
                        "source": "PEER",
                        "key": key,
                    }
                )
    for expert in experts:
        for school in representatives:
            slots.append(
                {
                    "token": expert["token"],
                    "school": school["code"],
                    "source": "EXPERT",
                    "key": f"expert:{expert['id']}",
                }
            )
    return {"schools": representatives, "experts": experts, "slots": slots}


def graphql(base: str, token: str, query: str, variables: dict[str, Any]) -> Any:
    response = httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise SystemExit(f"setup failed: {body['errors']}")
    data = body["data"]
    payload = next(iter(data.values()))
    if isinstance(payload, dict) and payload.get("userErrors"):
        raise SystemExit(f"setup failed: {payload['userErrors']}")
    return data


def open_session(base: str, admin: str, made: dict[str, Any]) -> str:
    created = graphql(
        base,
        admin,
        CREATE,
        {
            "input": {
                "quarter": QUARTER,
                "institutionCodes": [s["code"] for s in made["schools"]],
                "indicatorSet": {"key": "beijing-sanquan", "version": "2019.1"},
                "minExperts": 5,
            }
        },
    )
    session_id: str = created["createReviewSession"]["reviewSession"]["id"]
    experts = [str(e["id"]) for e in made["experts"]]
    graphql(base, admin, APPOINT, {"input": {"sessionId": session_id, "expertIds": experts}})
    graphql(base, admin, OPEN, {"id": session_id})
    return session_id


def wait_healthy(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with status {server.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not answer within 120 s")


class Memory:
    """The resident memory of the server and its workers, sampled in a thread."""

    def __init__(self, pid: int, every: float) -> None:
        self.root = psutil.Process(pid)
        self.every = every
        self.samples: list[tuple[float, dict[int, float]]] = []
        self.roles: dict[int, str] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.started = time.monotonic()

    def sample(self) -> None:
        sizes: dict[int, float] = {}
        for process in [self.root, *self.root.children(recursive=True)]:
            try:
                sizes[process.pid] = process.memory_info().rss / 2**20
                if process.pid not in self.roles:
                    self.roles[process.pid] = self.role(process)
            except psutil.NoSuchProcess:
                continue
        self.samples.append((time.monotonic() - self.started, sizes))

    def role(self, process: psutil.Process) -> str:
        if process.pid == self.root.pid:
            return "server" if not self.root.children() else "supervisor"
        command = " ".join(process.cmdline())
        return "resource tracker" if "resource_tracker" in command else "worker"

    def run(self) -> None:
        while not self.stop.wait(self.every):
            self.sample()

    def __enter__(self) -> Memory:
        self.sample()
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()
        self.sample()

    def report(self) -> list[str]:
        pids = sorted({pid for _, sizes in self.samples for pid in sizes})
        lines = [
            "resident memory (MiB) per server process, sampled every "
            f"{self.every:g} s: first / max / last, then the series"
        ]
        for pid in pids:
            series = [sizes[pid] for _, sizes in self.samples if pid in sizes]
            lines.append(
                f"  {self.roles.get(pid, 'process')} {pid}: "
                f"{series[0]:.0f} / {max(series):.0f} / {series[-1]:.0f}  "
                + " ".join(f"{size:.0f}" for size in series)
            )
        return lines


def lost_writes(url: str, session_id: str, plan: dict[str, Any]) -> tuple[int, int, int]:
    """(acknowledged submissions, slots checked, slots whose last acknowledged submission
    is not what the database holds)."""
    from sanquan.api.ids import parse_id
    from sanquan.db import make_engine, make_session_factory
    from sanquan.institutions.models import Institution
    from sanquan.review.models import Score, ScoreStatus
    from sanquan_sdk import Source

    last: dict[int, dict[str, Any]] = {}
    acknowledged = 0
    for line in Path(plan["acknowledged"]).read_text().splitlines():
        ack = json.loads(line)
        acknowledged += 1
        if ack["round"] >= last.get(ack["slot"], {"round": -1})["round"]:
            last[ack["slot"]] = ack
    key = parse_id(session_id, "ReviewSession")
    lost = 0
    engine = make_engine(url)
    with make_session_factory(engine)() as db:
        for number, ack in last.items():
            slot = plan["slots"][number]
            stored = db.execute(
                select(Score.value, Score.status)
                .join(Institution, Institution.id == Score.subject_id)
                .where(
                    Score.session_id == key,
                    Institution.code == slot["school"],
                    Score.source == Source(slot["source"]),
                    Score.reviewer_key == slot["key"],
                )
            ).all()
            status = ScoreStatus.SUBMITTED if ack["final"] else ScoreStatus.DRAFT
            if len(stored) != 20 or set(stored) != {(ack["value"], status)}:
                lost += 1
    engine.dispose()
    return acknowledged, len(last), lost


@dataclass(frozen=True)
class Kind:
    """One kind of request's figures: Locust's (the client's, in ms) and the server's own
    time for the same requests (its access log's ``durationMs``), or none."""

    name: str
    count: int
    errors: int
    client: tuple[float, float, float]
    per_second: float
    server: tuple[float, float, float] | None


def locust_statistics(prefix: Path) -> dict[str, tuple[int, int, tuple[float, ...], float]]:
    """Per kind of request, then ``all``: count, failures, p50/p95/p99 ms and requests/s
    over the run, from Locust's final statistics (its JSON, written once every user has
    stopped; its CSV is written before the last requests in flight have ended, and misses
    them), the percentiles by Locust's own function over its histogram of response times."""
    # Imported here: importing Locust patches the standard library for gevent (threads,
    # sockets), which would break a server started from this process or one importing it
    # (bench/throughput.py reuses wait_healthy).
    from locust.stats import calculate_response_time_percentile

    entries = json.loads(Path(f"{prefix}.json").read_text(encoding="utf-8"))
    start = min(entry["start_time"] for entry in entries)
    seconds = max(entry["last_request_timestamp"] or start for entry in entries) - start
    histograms: dict[str, Counter[int]] = {}
    failures: Counter[str] = Counter()
    for entry in entries:
        for name in (entry["name"], "all"):
            times = histograms.setdefault(name, Counter())
            times.update({int(float(ms)): n for ms, n in entry["response_times"].items()})
            failures[name] += entry["num_failures"]
    found = {}
    for name, times in histograms.items():
        count = times.total()
        percentiles = tuple(
            float(calculate_response_time_percentile(dict(times), count, p)) for p in PERCENTILES
        )
        found[name] = (count, failures[name], percentiles, count / seconds if seconds else 0.0)
    return found


def server_times(log: Path) -> dict[str, tuple[float, float, float]]:
    """Per kind of request (the lead of its ``X-Request-Id``, set by the locustfile):
    p50/p95/p99 of the server's own ``durationMs`` in its JSON access log."""
    durations: dict[str, list[float]] = {}
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        kind, dot, _ = str(record.get("requestId", "")).partition(".")
        if record.get("logger") == "sanquan.access" and dot:
            for name in (kind.replace("_", " "), "all"):
                durations.setdefault(name, []).append(record["durationMs"])
    found = {}
    for kind, values in durations.items():
        if len(values) >= 2:
            cuts = statistics.quantiles(values, n=100, method="inclusive")
            found[kind] = (cuts[49], cuts[94], cuts[98])
    return found


def kinds(prefix: Path, log: Path) -> list[Kind]:
    server = server_times(log)
    return [
        Kind(name, count, errors, (p[0], p[1], p[2]), rate, server.get(name))
        for name, (count, errors, p, rate) in sorted(
            locust_statistics(prefix).items(), key=lambda item: (item[0] == "all", item[0])
        )
    ]


def report_rows(rows: list[Kind]) -> list[str]:
    lines = [
        f"{'request':<14}{'count':>8}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'req/s':>8}  {'server p50/p95/p99 ms':<24}p95 target"
    ]
    for row in rows:
        target = TARGETS.get(row.name)
        verdict = ""
        if target is not None and row.count:
            verdict = f"< {target:.0f}: {'met' if row.client[1] < target else 'MISSED'}"
        server = " / ".join(f"{ms:.0f}" for ms in row.server) if row.server else "-"
        p50, p95, p99 = row.client
        lines.append(
            f"{row.name:<14}{row.count:>8}{row.errors:>8}{p50:>9.0f}{p95:>9.0f}{p99:>9.0f}"
            f"{row.per_second:>8.1f}  {server:<24}{verdict}"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL database to empty and use")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument(
        "--arrival-window",
        type=float,
        help="seconds over which each batch of users makes its first requests "
        "(default: the interval between Locust's batches; 0: all at once, as Locust starts them)",
    )
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--sample", type=float, default=10, help="seconds between samples")
    parser.add_argument("--label", default="", help="conditions, printed with the figures")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="sanquan-load-") as scratch:
        directory = Path(scratch)
        url = args.database_url or f"sqlite:///{directory / 'sanquan.sqlite3'}"
        env = {
            **os.environ,
            "SANQUAN_DATABASE_URL": url,
            "SANQUAN_DATA_DIR": str(directory),
            "SANQUAN_LOG_FORMAT": "json",  # the access log gives the server's own times
        }
        subprocess.run([*SANQUAN, "demo", "--yes"], env=env, check=True, capture_output=True)
        demo = dict(
            line.split("=", 1) for line in (directory / "demo-tokens.env").read_text().split()
        )
        made = prepare(url)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = (directory / "server.log").open("wb")
        server = subprocess.Popen(
            [*SANQUAN, "serve", "--port", str(port), "--workers", str(args.workers)],
            env=env,
            stdout=log,
            stderr=log,
        )
        try:
            wait_healthy(base, server)
            admin = demo["SANQUAN_ADMIN_TOKEN"]
            session_id = open_session(base, admin, made)
            concluded = [
                n["id"] for n in graphql(base, admin, CONCLUDED, {})["reviewSessions"]["nodes"]
            ]
            plan = {
                "session": session_id,
                "concluded": concluded,
                "slots": made["slots"],
                "schools": made["schools"],
                "experts": [e["token"] for e in made["experts"]],
                "commission": [admin, demo["SANQUAN_VIEWER_TOKEN"]],
                "quarter": str(current_quarter()),
                # Locust starts floor(rate) users together every floor(rate)/rate seconds
                "arrival_window": (
                    arrival_window(args.spawn_rate)
                    if args.arrival_window is None
                    else args.arrival_window
                ),
                "acknowledged": str(directory / "acknowledged.jsonl"),
            }
            plan["cycle"] = plan["quarter"]
            (directory / "plan.json").write_text(json.dumps(plan))
            prefix = directory / "locust"
            with Memory(server.pid, args.sample) as memory:
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "locust",
                        "-f",
                        str(LOCUSTFILE),
                        "--headless",
                        "--users",
                        str(args.users),
                        "--spawn-rate",
                        str(args.spawn_rate),
                        "--run-time",
                        f"{args.duration}s",
                        "--stop-timeout",
                        "10",
                        "--host",
                        base,
                        "--json-file",
                        str(prefix),
                        "--only-summary",
                        "--loglevel",
                        "WARNING",
                    ],
                    env={**env, "SANQUAN_LOAD_PLAN": str(directory / "plan.json")},
                    check=False,
                )
        finally:
            server.send_signal(signal.SIGTERM)
            status = server.wait(120)
            log.close()
        acknowledged, slots, lost = lost_writes(url, session_id, plan)
        engine = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        print()
        print(
            f"load: {engine}, {args.workers} process(es), {args.users} users "
            f"(arriving {args.spawn_rate:g}/s, each batch over {plan['arrival_window']:g} s), "
            f"{args.duration} s, {psutil.cpu_count()} cores, load average "
            f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end {args.label}"
        )
        print("\n".join(report_rows(kinds(prefix, directory / "server.log"))))
        print(
            f"acknowledged submissions {acknowledged}, reviewer slots checked {slots}, "
            f"lost writes {lost}; server exited with status {status} after SIGTERM"
        )
        print("\n".join(memory.report()))


if __name__ == "__main__":
    main()
