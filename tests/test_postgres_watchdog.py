"""A test run killed outright (SIGKILL: no fixture is torn down) leaves no PostgreSQL server
behind: the watchdog of :mod:`tests.postgres_server` stops the server it started and removes
its files."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.postgres_server import HOST, MISSING_BINARIES_MESSAGE, SUPERUSER, find_pg_bindir
from tests.required import unavailable
from tests.serving import START_WITHIN

ROOT = Path(__file__).resolve().parents[1]
RUN = """
import time
from tests.postgres_server import throwaway_server
with throwaway_server() as server:
    print(server.port, flush=True)
    time.sleep(600)
"""
"""A stand-in for a test run: a server started as the fixture starts it, then nothing."""
GONE_WITHIN = 60
"""Seconds the watchdog may take to stop the server once the run is killed: a bound on a
wait, not a timed assertion."""


def answers(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((HOST, port)) == 0


def data_directory(port: int) -> Path:
    """The server's data directory, asked once it takes connections (it may still be
    "starting up" when its port first answers)."""
    deadline = time.monotonic() + START_WITHIN
    while True:
        try:
            with psycopg.connect(host=HOST, port=port, user=SUPERUSER, dbname="postgres") as db:
                row = db.execute("SHOW data_directory").fetchone()
                assert row is not None
                return Path(row[0])
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.postgresql
def test_a_killed_run_leaves_no_server_behind() -> None:
    if find_pg_bindir() is None:
        unavailable(MISSING_BINARIES_MESSAGE)
    run = subprocess.Popen([sys.executable, "-c", RUN], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert run.stdout is not None
        port = int(run.stdout.readline())
        data = data_directory(port)
        assert data.is_dir()
    finally:
        run.kill()
        run.wait()
    deadline = time.monotonic() + GONE_WITHIN
    while answers(port) or data.parent.exists():
        assert time.monotonic() < deadline, f"the server on port {port} outlived its run"
        time.sleep(0.2)
