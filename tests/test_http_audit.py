"""The GraphQL-over-HTTP audit of the ``graphql-http`` package, run under Node against the
live server: every one of its checks must pass, warnings included.

Node and the package come from Debian and the npm registry (``.ci/run`` installs them;
``make test`` runs ``npm ci`` in ``tests/js`` where npm is present). Without them the test
is skipped, except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving import cli_token, free_port, start

CLIENTS = Path(__file__).parent / "js"


def node_or_skip() -> str:
    node = shutil.which("node")
    if node and (CLIENTS / "node_modules" / "graphql-http").is_dir():
        return node
    message = "Node and tests/js/node_modules are needed: npm ci --prefix tests/js"
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{message} (CI=true: a failure, not a skip)", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def audited(env: dict[str, str]) -> Iterator[tuple[int, str]]:
    """The server as a demo runs it (introspection on: the audit asks for ``__type``)."""
    served = {**env, "SANQUAN_INTROSPECTION": "on"}
    token = cli_token(served, "viewer", "审计")
    port = free_port()
    process = start(served, port)
    yield port, token
    process.kill()
    process.wait()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # HTTP only: one engine
def test_the_graphql_over_http_audit_passes_without_a_warning(
    audited: tuple[int, str],
) -> None:
    node = node_or_skip()
    port, token = audited
    done = subprocess.run(
        [node, "audit.mjs", f"http://127.0.0.1:{port}/graphql", token],
        cwd=CLIENTS,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    results = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert len(results) >= 50, "the audit ran its checks"
    failing = [
        f"{r['status']}: {r['name']} — {r['reason']}" for r in results if r["status"] != "ok"
    ]
    assert failing == []
