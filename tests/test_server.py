"""The real thing: the ``sanquan`` command serving on loopback with uvicorn, a real HTTP
client, and a server killed with SIGKILL that comes back with every acknowledged score."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.commands import in_process
from tests.flows import SUBMIT, scores_for
from tests.serving import SANQUAN, cli_token, free_port, graphql, start


@pytest.fixture
def server(env: dict[str, str]) -> Iterator[tuple[dict[str, str], int]]:
    port = free_port()
    process = start(env, port)
    yield env, port
    process.kill()
    process.wait()


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
            "source: SELF) { nodes { value status } } } }",
            {},
        )["data"]
        scores = data["reviewSession"]["scores"]["nodes"]  # type: ignore[index]
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
        # SIGTERM, not SIGKILL: the access line is written once the answer has gone, and a
        # graceful stop lets it reach the log before the server exits.
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
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
        [*SANQUAN, "token", "create", "--role", "viewer", "--name", "观察员", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    token = json.loads(made.stdout)["token"]
    assert token.startswith("sq_")
    data = graphql(port, token, "{ viewer { name role } }", {})["data"]
    assert data == {"viewer": {"name": "观察员", "role": "VIEWER"}}
    page = httpx.get(f"http://127.0.0.1:{port}/graphql", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.status_code == 401, "GraphiQL is off unless switched on"
    assert "server" not in page.headers
    refused = in_process(["token", "create", "--role", "INSTITUTION", "--name", "x"], env)
    assert refused.returncode == 2
    assert "--institution:INSTITUTION 账号必须指定所代表的高校" in refused.stderr


@pytest.mark.engine_independent  # refused by the URL's scheme, before any connection
def test_demo_will_not_wipe_a_server_database_unasked(env: dict[str, str]) -> None:
    if env["SANQUAN_DATABASE_URL"].startswith("sqlite"):
        env = {**env, "SANQUAN_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    refused = subprocess.run(
        [*SANQUAN, "demo"], env=env, capture_output=True, text=True, check=False
    )
    assert refused.returncode == 2
    assert "确需清空请加 --yes" in refused.stderr


def test_an_oversized_header_block_is_refused_before_the_service(
    server: tuple[dict[str, str], int],
) -> None:
    """Headers are read whole before any authentication: without a bound, anyone could make
    the server hold megabytes a connection. httptools alone has none; the service's
    protocol refuses a head over 32 KB with 431 (sanquan.http_protocol). The server goes on
    serving."""
    _, port = server
    for size, refused in ((8 * 1024, False), (40 * 1024, True), (4 * 2**20, True)):
        with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
            request = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {'a' * size}\r\n\r\n"
            try:
                connection.sendall(request.encode())
                status_line = connection.makefile("rb").readline().decode()
            except (BrokenPipeError, ConnectionResetError):
                # refused mid-send: a server that closes with bytes unread resets the
                # connection, which may throw away the answer it sent first
                assert refused, size
                continue
        assert status_line.split()[1] == ("431" if refused else "200"), (size, status_line)
    assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30).status_code == 200


def test_a_revoked_token_is_refused(server: tuple[dict[str, str], int]) -> None:
    env, port = server
    token = cli_token(env, "VIEWER", "临时")
    assert graphql(port, token, "{ viewer { name } }", {})["data"] == {"viewer": {"name": "临时"}}
    subprocess.run([*SANQUAN, "token", "revoke", token], env=env, check=True, capture_output=True)
    refused = httpx.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": "{ viewer { name } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 401
    again = in_process(["token", "revoke", token], env)
    assert again.returncode == 2


def test_demo_refuses_while_its_port_is_served_and_keeps_the_running_demo(
    env: dict[str, str], demo_tokens: dict[str, str], tmp_path: Path
) -> None:
    """A second ``make demo`` while the first still serves: nothing is wiped, the tokens the
    first printed still work, and the message says what to do."""
    tokens_file = tmp_path / "demo-tokens.env"
    before = tokens_file.read_text()
    port = free_port()
    process = start(env, port)
    try:
        refused = subprocess.run(
            [*SANQUAN, "demo", "--yes", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert refused.returncode == 2
        assert f"端口 127.0.0.1:{port} 已被占用" in refused.stderr
        assert "Ctrl-C" in refused.stderr
        assert tokens_file.read_text() == before
        answer = graphql(port, demo_tokens["SANQUAN_VIEWER_TOKEN"], "{ viewer { name } }", {})
        assert answer == {"data": {"viewer": {"name": "督导室 观察员"}}}
    finally:
        process.kill()
        process.wait()


def test_a_client_gone_before_its_body_arrived_is_no_server_fault(
    env: dict[str, str], tmp_path: Path
) -> None:
    """A POST to ``/graphql`` whose client closes after 8 of the 100 bytes it declared:
    nobody is left to answer, nothing runs, and the log shows no traceback (it was
    Starlette's ``ClientDisconnect`` escaping, logged as an ASGI failure with a 500)."""
    port, log = free_port(), tmp_path / "serve.log"
    process = start(env, port, log=log)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
            connection.sendall(
                b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                b'\r\nContent-Length: 100\r\n\r\n{"query"'
            )
        # answered after the server has seen the first connection go
        statuses = [httpx.get(f"http://127.0.0.1:{port}/healthz").status_code for _ in range(3)]
        assert statuses == [200] * 3
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    written = log.read_text()
    assert "Traceback" not in written, written
