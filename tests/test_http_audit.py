"""The GraphQL-over-HTTP audit of the ``graphql-http`` package, run under Node against the
live server: every one of its checks must pass, warnings included.

Node and the package come from Debian and the npm registry (``.ci/run`` installs them;
``make test`` runs ``npm ci`` in ``tests/js`` where npm is present). Without them the test
is skipped, except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from tests.serving import CLIENTS, cli_token, free_port, node_or_skip, start


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


@pytest.mark.engine_independent  # HTTP only: one engine
def test_the_graphql_over_http_audit_passes_without_a_warning(
    audited: tuple[int, str],
) -> None:
    node = node_or_skip("graphql-http")
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
