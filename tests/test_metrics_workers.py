"""``/metrics`` of ``sanquan serve --workers 2`` counts every worker's
requests, whichever worker answers the scrape (prometheus-client's multiprocess mode, in a
directory ``serve`` makes and removes itself); a worker that dies and is replaced keeps
its counts but leaves the gauges of live processes; an operator's
``PROMETHEUS_MULTIPROC_DIR`` is emptied of an earlier run's counts at start. Every line
the command writes is JSON with ``SANQUAN_LOG_FORMAT=json``. Real servers on loopback,
requests on connections whose accepting worker is read from the server's own sockets."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.parser import text_string_to_metric_families

from sanquan.config import SQLITE_THREADS
from sanquan.observability.metrics import REQUESTS
from tests.commands import in_process
from tests.serving import SANQUAN, START_WITHIN, cli_token, free_port
from tests.sockets import server_side

WAIT = 60
"""Seconds to wait for something the test caused (a bound on a wait, not a timed assertion)."""
VIEWER = json.dumps({"query": "query Viewer { viewer { role } }"})
POOL = SQLITE_THREADS + 2
"""Connections each worker's pool keeps on SQLite: the execution threads and two more."""


@dataclass
class Served:
    """A ``sanquan serve`` command, its output in two files."""

    process: subprocess.Popen[bytes]
    port: int
    metrics_port: int
    stdout: Path
    stderr: Path
    admin: str

    def lines(self) -> list[dict[str, Any]]:
        """Every line the command wrote, on stdout then stderr, each parsed as JSON."""
        return [
            json.loads(line)
            for path in (self.stdout, self.stderr)
            for line in path.read_text(encoding="utf-8").splitlines()
        ]

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=WAIT)


@contextmanager
def serving(env: dict[str, str], directory: Path, *options: str) -> Iterator[Served]:
    """``sanquan serve`` with JSON logs and a metrics address, once it answers."""
    port, metrics_port = free_port(), free_port()
    env = {
        **env,
        "SANQUAN_LOG_FORMAT": "json",
        "SANQUAN_METRICS_ADDRESS": f"127.0.0.1:{metrics_port}",
    }
    admin = cli_token(env, "ADMIN", "运维")
    stdout, stderr = directory / "stdout.log", directory / "stderr.log"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [*SANQUAN, "serve", "--port", str(port), *options], env=env, stdout=out, stderr=err
        )
    served = Served(process, port, metrics_port, stdout, stderr, admin)
    try:
        deadline = time.monotonic() + START_WITHIN
        while ask(port, "GET", "/healthz")[1] != 200:
            assert process.poll() is None, stderr.read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield served
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def ask(
    port: int, method: str, path: str, token: str | None = None, body: str = "", server: int = 0
) -> tuple[int | None, int, str]:
    """One request on a keep-alive connection of its own: which process of ``server`` (a
    pid; 0 to not look) accepted it, read while the connection is open, the status (0 when
    nothing answers) and the body."""
    headers = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if token:
        headers.append(f"Authorization: Bearer {token}")
    if body:
        headers += ["Content-Type: application/json", f"Content-Length: {len(body.encode())}"]
    try:
        client = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    except OSError:
        return None, 0, ""
    with client:
        client.sendall(("\r\n".join(headers) + "\r\n\r\n" + body).encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = client.recv(65536)
            if not chunk:
                return None, 0, ""
            answer += chunk
        head, _, content = answer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = next(
            int(line.split(":", 1)[1])
            for line in lines
            if line.lower().startswith("content-length:")
        )
        while len(content) < length:
            chunk = client.recv(65536)
            assert chunk, "the answer was cut short"
            content += chunk
        side = server_side(server, port, client) if server else None
    return side.pid if side else None, int(lines[0].split()[1]), content.decode()


def counted(text: str) -> dict[str, float]:
    """The samples of a scrape, by name and labels (``name{a=1,b=2}``)."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}"] = sample.value
    return found


VIEWER_OK = "sanquan_http_requests_total{operation=Viewer,route=/graphql,status=200}"
VIEWER_TIMED = "sanquan_http_request_duration_seconds_count{operation=Viewer,route=/graphql}"
POOL_SIZE = "sanquan_db_pool_size{}"


def send_viewer_queries(served: Served, each: int) -> dict[int, int]:
    """``Viewer`` queries on new connections until each of the two workers has answered
    ``each``: how many each answered."""
    answered: dict[int, int] = {}
    for _ in range(400):
        if len(answered) == 2 and min(answered.values()) >= each:
            return answered
        pid, status, _ = ask(
            served.port, "POST", "/graphql", served.admin, VIEWER, served.process.pid
        )
        assert status == 200
        assert pid is not None and pid != served.process.pid, "a worker answers, not the parent"
        answered[pid] = answered.get(pid, 0) + 1
    raise AssertionError(f"the connections reached only {answered}")


def scrapes_by_worker(served: Served) -> dict[int, dict[str, float]]:
    """``/metrics`` (ADMIN) on new connections until each worker has answered one."""
    scrapes: dict[int, dict[str, float]] = {}
    for _ in range(400):
        if len(scrapes) == 2:
            return scrapes
        pid, status, text = ask(
            served.port, "GET", "/metrics", served.admin, "", served.process.pid
        )
        assert status == 200, text
        assert pid is not None
        scrapes.setdefault(pid, counted(text))
    raise AssertionError(f"scrapes reached only {sorted(scrapes)}")


@pytest.mark.engine_independent  # the counts are the processes', whatever the database
def test_any_workers_scrape_counts_the_requests_of_both(
    env: dict[str, str], tmp_path: Path
) -> None:
    env = {k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    with serving(env, tmp_path, "--workers", "2") as served:
        [start] = [line for line in served.lines() if line["logger"] == "sanquan.serve"][:1]
        directory = Path(start["metricsDirectory"])
        assert start["workers"] == 2
        assert directory.is_dir(), "serve made the shared directory itself"

        answered = send_viewer_queries(served, each=3)
        sent = sum(answered.values())
        scrapes = scrapes_by_worker(served)
        assert set(scrapes) == set(answered)
        for pid, scrape in scrapes.items():
            assert scrape[VIEWER_OK] == sent, f"worker {pid} answered for {answered}"
            assert scrape[VIEWER_TIMED] == sent
            assert scrape[POOL_SIZE] == 2 * POOL, "the pool gauges add the live workers up"
        _, status, text = ask(served.metrics_port, "GET", "/metrics")
        assert status == 200
        assert counted(text)[VIEWER_OK] == sent, "the metrics' own address, in the supervisor"

        # A worker killed: the supervisor replaces it; its counts stay, its gauges go.
        killed = min(answered)
        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + WAIT
        while True:  # until a worker that was not there before answers
            assert time.monotonic() < deadline, "the killed worker was not replaced"
            new, status, _ = ask(
                served.port, "POST", "/graphql", served.admin, VIEWER, served.process.pid
            )
            assert status == 200 and new is not None and new != killed
            sent += 1
            if new not in answered:
                break
        _, _, text = ask(served.port, "GET", "/metrics", served.admin)
        after = counted(text)
        assert after[VIEWER_OK] == sent, "the dead worker's requests are still counted"
        assert after[POOL_SIZE] == 2 * POOL, "the dead worker's pool is no longer counted"

        assert served.stop() == 0
    assert not directory.exists(), "serve removed the directory it made"
    lines = served.lines()  # each parsed as JSON, or the test fails here
    assert {line["logger"] for line in lines} >= {"sanquan.serve", "uvicorn.error"}
    assert any("Started parent process" in line["message"] for line in lines)


def stale_counts(directory: Path, value: float) -> None:
    """A counter file as an earlier run's worker left it (prometheus-client's format)."""
    stale = MmapedDict(str(directory / "counter_999999.db"))  # type: ignore[no-untyped-call]
    key = mmap_key(
        "sanquan_http_requests",
        "sanquan_http_requests_total",
        ["route", "operation", "status"],
        ["/graphql", "Viewer", "200"],
        REQUESTS._documentation,
    )
    stale.write_value(key, value, 0.0)  # type: ignore[no-untyped-call]
    stale.close()  # type: ignore[no-untyped-call]


@pytest.mark.engine_independent
def test_an_operators_directory_is_emptied_of_an_earlier_run_at_start(
    env: dict[str, str], tmp_path: Path
) -> None:
    """One process with the setting counts through the directory too (a scrape reads the
    files); what an earlier run left there is not added to this run's counts, and files
    that are not prometheus-client's are left alone."""
    directory = tmp_path / "metrics"
    directory.mkdir()
    stale_counts(directory, 1000)
    (directory / "NOTES").write_text("the operator's own file\n")
    logs = tmp_path / "logs"
    logs.mkdir()
    with serving({**env, "PROMETHEUS_MULTIPROC_DIR": str(directory)}, logs) as served:
        assert not (directory / "counter_999999.db").exists()
        for _ in range(3):
            assert ask(served.port, "POST", "/graphql", served.admin, VIEWER)[1] == 200
        _, status, text = ask(served.port, "GET", "/metrics", served.admin)
        assert status == 200
        assert counted(text)[VIEWER_OK] == 3
        [start] = [line for line in served.lines() if line["logger"] == "sanquan.serve"][:1]
        assert start["metricsDirectory"] == str(directory)
        assert served.stop() == 0
    assert (directory / "NOTES").read_text() == "the operator's own file\n"
    assert any(directory.glob("counter_*.db")), "the operator's directory is kept"


def serve_refused(env: dict[str, str], directory: Path, port: int) -> CompletedProcess[str]:
    """``sanquan serve`` with ``directory`` for the metrics and JSON logs, which must stop
    at start with status 2."""
    refused = subprocess.run(
        [*SANQUAN, "--lang", "en", "serve", "--port", str(port)],
        env={**env, "PROMETHEUS_MULTIPROC_DIR": str(directory), "SANQUAN_LOG_FORMAT": "json"},
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert refused.returncode == 2
    return refused


def setting_refusal(directory: Path, problem: str) -> dict[str, str]:
    return {
        "code": "SETTING",
        "message": f"PROMETHEUS_MULTIPROC_DIR={str(directory)!r}: {problem}",
        "option": "PROMETHEUS_MULTIPROC_DIR",
    }


@pytest.mark.engine_independent
@pytest.mark.parametrize("kind", ["file", "foreign .db"])
def test_a_directory_that_cannot_hold_the_metrics_stops_serve_naming_it(
    env: dict[str, str], tmp_path: Path, kind: str
) -> None:
    """A file where the directory should be, or a directory holding another program's
    ``.db`` file (a scrape would read it as counts and fail): refused, the file kept."""
    if kind == "file":
        taken = tmp_path / "a-file"
        taken.write_text("")
        problem = "not a directory"
    else:
        taken = tmp_path / "shared"
        taken.mkdir()
        (taken / "archive.db").write_bytes(b"another program's database")
        problem = (
            "holds archive.db, which is not prometheus-client's, and a scrape reads every "
            "*.db file there: give the metrics a directory of their own"
        )
    port = free_port()
    refused = serve_refused(env, taken, port)
    assert refused.stdout == ""
    assert json.loads(refused.stderr) == {"errors": [setting_refusal(taken, problem)]}
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "it listened before refusing"
    if kind != "file":
        assert (taken / "archive.db").read_bytes() == b"another program's database"


@pytest.mark.engine_independent
@pytest.mark.parametrize(
    ("lang", "problem"),
    [
        ("zh", "含有不属于 prometheus-client 的文件 archive.db,而抓取会读取其中每个 *.db 文件;"),
        ("en", "holds archive.db, which is not prometheus-client's, and a scrape reads every"),
    ],
)
def test_the_refusal_of_a_metrics_directory_speaks_the_commands_language(
    env: dict[str, str], tmp_path: Path, lang: str, problem: str
) -> None:
    """The directory's problem is worded by the command line in its language, the setting
    and the directory named as they were given, whatever the language."""
    taken = tmp_path / "shared"
    taken.mkdir()
    (taken / "archive.db").write_bytes(b"another program's database")
    refused = in_process(
        ["--lang", lang, "serve", "--port", str(free_port())],
        {**env, "PROMETHEUS_MULTIPROC_DIR": str(taken)},
    )
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert f"PROMETHEUS_MULTIPROC_DIR={str(taken)!r}: {problem}" in refused.stderr
    assert (taken / "archive.db").read_bytes() == b"another program's database"


@pytest.mark.engine_independent
def test_a_second_serve_on_the_same_directory_is_refused_and_wipes_nothing(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Emptying the directory at start would wipe a running server's counts (even for a
    start then refused its port): a second ``serve`` is refused before touching it."""
    directory = tmp_path / "metrics"
    logs = tmp_path / "logs"
    logs.mkdir()
    with serving({**env, "PROMETHEUS_MULTIPROC_DIR": str(directory)}, logs) as served:
        for _ in range(2):
            assert ask(served.port, "POST", "/graphql", served.admin, VIEWER)[1] == 200
        files = sorted(f.name for f in directory.glob("*.db"))
        assert files, "the running server counts through the directory"
        refused = serve_refused(env, directory, served.port)
        assert json.loads(refused.stderr)["errors"] == [
            setting_refusal(
                directory,
                "in use by another sanquan serve: give each serve command a directory of its own",
            )
        ]
        assert sorted(f.name for f in directory.glob("*.db")) == files
        assert ask(served.port, "POST", "/graphql", served.admin, VIEWER)[1] == 200
        _, status, text = ask(served.port, "GET", "/metrics", served.admin)
        assert status == 200
        assert counted(text)[VIEWER_OK] == 3, "the running server's counts were kept"
        assert served.stop() == 0
