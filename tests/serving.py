"""The ``sanquan`` command as a subprocess: serving on a free loopback port, a GraphQL call to
it over real HTTP, and the Node clients that drive it."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from sanquan.config import sqlite_url
from tests.required import unavailable

SANQUAN = [sys.executable, "-m", "sanquan"]
CLIENTS = Path(__file__).parent / "js"
"""The JavaScript clients: ``npm ci --prefix tests/js`` installs them."""


def node_or_skip(package: str) -> str:
    """The ``node`` executable, with ``package`` installed in :data:`CLIENTS`; a skip where
    either is missing, except under ``CI=true``, where that is a failure."""
    node = shutil.which("node")
    if node and (CLIENTS / "node_modules" / package).is_dir():
        return node
    unavailable("Node and tests/js/node_modules are needed: npm ci --prefix tests/js")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


START_WITHIN = 90
"""Seconds a server may take to answer its health check: about two on an idle machine, but
over thirty were seen on the 2-core machine with three test suites beside it. A bound on a
wait, not a timed assertion."""


def start(
    env: dict[str, str], port: int, log: Path | None = None, options: Sequence[str] = ()
) -> subprocess.Popen[bytes]:
    """``sanquan serve`` on ``port`` (with more ``options``), returned once its health check
    answers."""
    output = log.open("wb") if log else None
    try:
        process = subprocess.Popen(
            [*SANQUAN, "serve", "--host", "127.0.0.1", "--port", str(port), *options],
            env=env,
            stdout=output or subprocess.DEVNULL,
            stderr=output or subprocess.DEVNULL,
        )
    finally:
        if output is not None:
            output.close()  # the server writes through its own copy of the descriptor
    deadline = time.monotonic() + START_WITHIN
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with status {process.returncode} at start")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"server did not start within {START_WITHIN} s")


def demo_database(shared: Path) -> Path:
    """``sanquan demo`` loaded once in ``shared`` (``sanquan.sqlite3``, ``demo-tokens.env``
    and what the command printed, ``demo.out``) for all of a run's workers: the first to come
    loads it (seconds of planning), the others wait for it and copy it."""
    shared.mkdir(exist_ok=True)
    ready = shared / "ready"
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            load_demo(sqlite_url(shared / "sanquan.sqlite3"), shared)
            ready.touch()
    return shared


def load_demo(database_url: str, directory: Path) -> str:
    """``sanquan demo --yes`` into ``database_url``, its tokens written to ``directory``;
    what it printed, also kept in ``demo.out`` there."""
    env = {**os.environ, "SANQUAN_DATA_DIR": str(directory), "SANQUAN_DATABASE_URL": database_url}
    done = subprocess.run(
        [*SANQUAN, "demo", "--yes"], env=env, capture_output=True, text=True, check=True
    )
    (directory / "demo.out").write_text(done.stdout)
    return done.stdout


def cli_token(env: dict[str, str], role: str, name: str) -> str:
    """A new account's token, made with ``sanquan token create`` as an operator would (in
    this process, :mod:`tests.commands`: ``test_server.py`` runs it as a process)."""
    from tests.commands import in_process  # it imports the command line, this module not

    made = in_process(["token", "create", "--role", role, "--name", name, "--json"], env)
    assert made.returncode == 0, made.stderr
    token: str = json.loads(made.stdout)["token"]
    return token


def graphql(port: int, token: str, query: str, variables: dict[str, object]) -> dict[str, object]:
    response = httpx.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    response.raise_for_status()
    body: dict[str, object] = response.json()
    return body
