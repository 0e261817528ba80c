"""Benchmark: does any one request keep the service from answering the others (R23)?

Why: GraphQL execution used to run on the event loop, so one costly query (32.9 s for a
viewer's plan → tasks → units cycle), one 30 MB submission (170 s, 948 MB) or 10 MB of
comments held up every client, the health check included. Now execution runs in worker
threads under a deadline, and oversized or over-costly requests are refused before they
are parsed. This script serves the demo with ``sanquan serve`` on loopback and, for each
attack and each legitimately heavy call, measures while it runs:

- how long the request took and what it was answered;
- the latency of ``GET /healthz`` and of a small authorised query, polled meanwhile,
  against the same polls on an idle server (the baseline, same process, same run);
- the server's resident memory before and after.

Targets (issue "Armour"): ``/healthz`` within 100 ms and a small query within 250 ms while
any request runs; every attack refused or finished within 1 s, memory back within 50 MB.

Run: ``.venv/bin/python bench/stall.py`` (``make bench``).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from sanquan.api.ids import global_id

SANQUAN = [sys.executable, "-m", "sanquan"]
PAUSE = 0.02
"""Seconds between polls of the health check and the small query."""
REPEAT_FOR = 3.0
"""Seconds each request is sent for, again and again, so that the polls have numbers."""


@dataclass
class Attack:
    name: str
    token: str
    body: bytes


@dataclass
class Measured:
    name: str
    seconds: float = 0.0
    answer: str = ""
    health_ms: list[float] = field(default_factory=list)
    small_ms: list[float] = field(default_factory=list)
    rss_before: float = 0.0
    rss_after: float = 0.0
    sent: int = 0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def demo_server(directory: Path) -> Iterator[tuple[str, dict[str, str], int]]:
    env = {**os.environ, "SANQUAN_DATA_DIR": str(directory)}
    env.pop("SANQUAN_DATABASE_URL", None)
    subprocess.run([*SANQUAN, "demo"], env=env, check=True, capture_output=True)
    tokens = dict(
        line.split("=", 1) for line in (directory / "demo-tokens.env").read_text().split()
    )
    port = free_port()
    process = subprocess.Popen(
        [*SANQUAN, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the server did not start")
        time.sleep(0.1)
    try:
        yield base, tokens, process.pid
    finally:
        process.kill()
        process.wait()


def document(query: str, variables: dict[str, object] | None = None) -> bytes:
    return json.dumps({"query": query, "variables": variables or {}}).encode()


def attacks(tokens: dict[str, str]) -> list[Attack]:
    viewer = tokens["SANQUAN_VIEWER_TOKEN"]
    school = tokens["SANQUAN_INSTITUTION_TOKEN"]
    admin = tokens["SANQUAN_ADMIN_TOKEN"]
    cycle = "{ plans { tasks { units { tasks { units { tasks { units { name } } } } } } } }"
    plan_cycle = (
        "{ plans { tasks { plan { tasks { plan { tasks { plan { tasks { title } } } } } } } } }"
    )
    submit = (
        "mutation($in: SubmitScoresInput!) { submitScores(input: $in) { changedCount "
        "userErrors { code } } }"
    )

    def entries(count: int) -> bytes:
        scores = [{"indicator": "T01", "value": 80}] * count
        return document(
            submit,
            {
                "in": {
                    "sessionId": global_id("ReviewSession", 2),
                    "institutionCode": "4111010001",
                    "source": "SELF",
                    "scores": scores,
                }
            },
        )

    board = (
        "results { institution { code name } overallIndex rank indicators { indicator title "
        "selfValue peerMean expertMean combined peerCount expertCount } }"
    )
    comments = "#" + "x" * 99 + "\n"
    plan = (
        'mutation { planRotation(input: {start: "2027Q1", sessionsPerQuarter: 2, '
        "panelSize: 0}) { plan { id } userErrors { code } } }"
    )
    bomb = ["fragment F0 on Query { __typename }"] + [
        f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 23)
    ]
    return [
        Attack("viewer: units cycle, depth 8", viewer, document(cycle)),
        Attack(
            "viewer: 22 fragments each spread twice",
            viewer,
            document("query { ...F22 } " + " ".join(bomb)),
        ),
        Attack("viewer: plan cycle, depth 9", viewer, document(plan_cycle)),
        Attack("school: 200,000 scores (6 MB)", school, entries(200_000)),
        Attack("school: 1,000,000 scores (30 MB)", school, entries(1_000_000)),
        Attack(
            "viewer: 10 MB of comments", viewer, document(comments * 100_000 + "{ viewer { id } }")
        ),
        Attack(
            "viewer: 30 aliases of results",
            viewer,
            document(
                "{ "
                + " ".join(f'r{i}: reviewSession(id: "1") {{ {board} }}' for i in range(30))
                + " }"
            ),
        ),
        Attack(
            "viewer: 10 aliases of results (allowed)",
            viewer,
            document(
                "{ "
                + " ".join(f'r{i}: reviewSession(id: "1") {{ {board} }}' for i in range(10))
                + " }"
            ),
        ),
        Attack("admin: planRotation, 92 schools (allowed)", admin, document(plan)),
    ]


def poll(base: str, viewer: str, until: Callable[[], bool], into: Measured) -> None:
    """The health check and a small query, again and again until ``until()`` (at least
    once, so that a request refused at once still shows the server answering after it)."""
    small = document("{ viewer { name } }")
    headers = {"Authorization": f"Bearer {viewer}", "Content-Type": "application/json"}
    with httpx.Client(base_url=base, timeout=60) as client:
        while True:
            started = time.perf_counter()
            client.get("/healthz").raise_for_status()
            into.health_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            client.post("/graphql", content=small, headers=headers).raise_for_status()
            into.small_ms.append((time.perf_counter() - started) * 1000)
            if until():
                return
            time.sleep(PAUSE)


def answer_of(response: httpx.Response) -> str:
    """The status and the first error code (top-level, else a payload's userErrors)."""
    body = response.json()
    errors = body.get("errors") or []
    if errors:
        return f"{response.status_code} {errors[0].get('extensions', {}).get('code')}"
    payloads = body.get("data") or {}
    refused = [e["code"] for v in payloads.values() for e in (v or {}).get("userErrors", [])]
    return f"{response.status_code} {refused[0] if refused else 'data'}"


def run(base: str, pid: int, viewer: str, attack: Attack) -> Measured:
    """Send ``attack`` again and again for at least ``REPEAT_FOR`` seconds, polling."""
    measured = Measured(attack.name, rss_before=rss_mb(pid))
    done = threading.Event()
    took: list[float] = []

    def send() -> None:
        headers = {"Authorization": f"Bearer {attack.token}", "Content-Type": "application/json"}
        until = time.monotonic() + REPEAT_FOR
        with httpx.Client(timeout=300) as client:
            while not took or time.monotonic() < until:
                started = time.perf_counter()
                try:
                    response = client.post(f"{base}/graphql", content=attack.body, headers=headers)
                    measured.answer = answer_of(response)
                except httpx.HTTPError as error:
                    measured.answer = type(error).__name__
                took.append(time.perf_counter() - started)
        done.set()

    sender = threading.Thread(target=send)
    sender.start()
    time.sleep(0.01)
    poll(base, viewer, done.is_set, measured)
    sender.join()
    measured.seconds = statistics.median(took)
    measured.sent = len(took)
    time.sleep(0.5)  # let the allocator hand back what it can
    measured.rss_after = rss_mb(pid)
    return measured


def p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def spread(values: list[float]) -> str:
    return f"{p(values, 0.5):.1f} / {p(values, 0.95):.1f} / {max(values):.1f}"


def main() -> None:
    console = Console(width=170)
    console.print(
        f"[bold]stall[/bold]: Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"{platform.machine()}"
    )
    with tempfile.TemporaryDirectory() as directory, demo_server(Path(directory)) as served:
        base, tokens, pid = served
        viewer = tokens["SANQUAN_VIEWER_TOKEN"]
        idle = Measured("idle server (baseline)", rss_before=rss_mb(pid))
        stop = time.monotonic() + 2
        poll(base, viewer, lambda: time.monotonic() > stop, idle)
        idle.rss_after = rss_mb(pid)
        results = [idle] + [run(base, pid, viewer, a) for a in attacks(tokens)]
    base_health = statistics.median(idle.health_ms)
    table = Table(title="one request at a time, with /healthz and a small query polled meanwhile")
    for column in (
        "request",
        "answer",
        "sent",
        "took s (median)",
        "polls",
        "healthz p50 / p95 / max ms",
        "healthz max / idle p50",
        "small query p50 / p95 / max ms",
        "RSS before → after MB",
    ):
        table.add_column(column, justify="left" if column in ("request", "answer") else "right")
    for m in results:
        table.add_row(
            m.name,
            m.answer or "-",
            str(m.sent or "-"),
            f"{m.seconds:.3f}" if m.seconds else "-",
            str(len(m.health_ms)),
            spread(m.health_ms),
            f"{max(m.health_ms) / base_health:.1f}×",
            spread(m.small_ms),
            f"{m.rss_before:.0f} → {m.rss_after:.0f}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
