"""The real thing: the ``sanquan`` command serving on loopback with uvicorn, a real HTTP
client, and a server killed with SIGKILL that comes back with every acknowledged score."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.flows import SUBMIT, scores_for

SANQUAN = [sys.executable, "-m", "sanquan"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SANQUAN_DATABASE_URL": database_url,
        "SANQUAN_DATA_DIR": str(tmp_path),
    }


def start(env: dict[str, str], port: int, log: Path | None = None) -> subprocess.Popen[bytes]:
    output = log.open("wb") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        [*SANQUAN, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=output,
        stderr=output,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("server did not start within 30 s")


@pytest.fixture
def demo_tokens(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    done = subprocess.run(
        [*SANQUAN, "demo", "--yes"], env=env, capture_output=True, text=True, check=True
    )
    assert "(concluded)" in done.stdout
    lines = (tmp_path / "demo-tokens.env").read_text().split()
    return dict(line.split("=", 1) for line in lines)


@pytest.fixture
def server(env: dict[str, str]) -> Iterator[tuple[dict[str, str], int]]:
    port = free_port()
    process = start(env, port)
    yield env, port
    process.kill()
    process.wait()


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


def test_acknowledged_scores_survive_a_killed_server(
    env: dict[str, str], demo_tokens: dict[str, str]
) -> None:
    port = free_port()
    process = start(env, port)
    school = demo_tokens["SANQUAN_INSTITUTION_TOKEN"]  # 北京大学, in the open session 2
    body = graphql(
        port,
        school,
        SUBMIT,
        {
            "input": {
                "sessionId": "2",
                "institutionCode": "4111010001",
                "source": "SELF",
                "scores": scores_for("SELF", 88.5),
            }
        },
    )
    assert body["data"]["submitScores"]["changedCount"] == 20  # type: ignore[index]
    process.send_signal(signal.SIGKILL)
    process.wait()

    port = free_port()
    process = start(env, port)
    try:
        data = graphql(
            port,
            demo_tokens["SANQUAN_ADMIN_TOKEN"],
            'query { reviewSession(id: "2") { scores(institutionCode: "4111010001", '
            "source: SELF) { value status } } }",
            {},
        )["data"]
        scores = data["reviewSession"]["scores"]  # type: ignore[index]
        assert len(scores) == 20
        assert {(s["value"], s["status"]) for s in scores} == {(88.5, "SUBMITTED")}
    finally:
        process.kill()
        process.wait()


def test_demo_serves_concluded_results(env: dict[str, str], demo_tokens: dict[str, str]) -> None:
    port = free_port()
    process = start(env, port)
    try:
        data = graphql(
            port,
            demo_tokens["SANQUAN_VIEWER_TOKEN"],
            'query { reviewSession(id: "1") { status results { rank overallIndex '
            "institution { name } } } }",
            {},
        )["data"]
    finally:
        process.kill()
        process.wait()
    session = data["reviewSession"]  # type: ignore[index]
    assert session["status"] == "CONCLUDED"
    assert sorted(r["rank"] for r in session["results"]) == [1, 2, 3, 4, 5]
    assert all(50 <= r["overallIndex"] <= 100 for r in session["results"])


def test_an_export_link_downloads_over_loopback_as_the_cli_writes_it(
    env: dict[str, str], demo_tokens: dict[str, str], tmp_path: Path
) -> None:
    written = tmp_path / "results.csv"
    subprocess.run(
        [*SANQUAN, "export", "results", "--session", "1", "--format", "csv", "--output", written],
        env=env,
        capture_output=True,
        check=True,
    )
    port = free_port()
    log = tmp_path / "server.log"
    process = start(env, port, log)
    try:
        made = graphql(
            port,
            demo_tokens["SANQUAN_VIEWER_TOKEN"],
            "mutation($i: ExportInput!) { createExportLink(input: $i) { link { url } } }",
            {"i": {"kind": "SESSION_RESULTS", "sessionId": "1", "format": "CSV"}},
        )["data"]
        url = made["createExportLink"]["link"]["url"]  # type: ignore[index]
        assert url.startswith(f"http://127.0.0.1:{port}/exports/sqx_")
        token = demo_tokens["SANQUAN_VIEWER_TOKEN"]
        downloaded = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    finally:
        process.kill()
        process.wait()
    assert downloaded.status_code == 200
    assert downloaded.content == written.read_bytes()
    assert downloaded.content.decode("utf-8-sig").count("\r\n") == 1 + 5 * 20
    logged = log.read_text()
    assert '"GET /exports/<secret> HTTP/1.1" 200' in logged
    assert url.rsplit("/", 1)[1] not in logged, "the access log keeps no live link"


def test_cli_token_create_and_no_graphiql_by_default(server: tuple[dict[str, str], int]) -> None:
    env, port = server
    made = subprocess.run(
        [*SANQUAN, "token", "create", "--role", "viewer", "--name", "观察员"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    token = made.stdout.strip()
    assert token.startswith("sq_")
    data = graphql(port, token, "{ viewer { name role } }", {})["data"]
    assert data == {"viewer": {"name": "观察员", "role": "VIEWER"}}
    page = httpx.get(f"http://127.0.0.1:{port}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 401, "GraphiQL is off unless switched on"
    assert "server" not in page.headers
    refused = subprocess.run(
        [*SANQUAN, "token", "create", "--role", "INSTITUTION", "--name", "x"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2
    assert "必须指定所代表的高校" in refused.stdout


def test_demo_will_not_wipe_a_server_database_unasked(env: dict[str, str]) -> None:
    if env["SANQUAN_DATABASE_URL"].startswith("sqlite"):
        env = {**env, "SANQUAN_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    refused = subprocess.run(
        [*SANQUAN, "demo"], env=env, capture_output=True, text=True, check=False
    )
    assert refused.returncode == 2
    assert "add --yes" in refused.stdout


def test_a_revoked_token_is_refused(server: tuple[dict[str, str], int]) -> None:
    env, port = server
    made = subprocess.run(
        [*SANQUAN, "token", "create", "--role", "VIEWER", "--name", "临时"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    token = made.stdout.strip()
    assert graphql(port, token, "{ viewer { name } }", {})["data"] == {"viewer": {"name": "临时"}}
    subprocess.run([*SANQUAN, "token", "revoke", token], env=env, check=True, capture_output=True)
    refused = httpx.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": "{ viewer { name } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 401
    again = subprocess.run(
        [*SANQUAN, "token", "revoke", token], env=env, capture_output=True, text=True, check=False
    )
    assert again.returncode == 2
