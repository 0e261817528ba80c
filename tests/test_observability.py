"""What an operator reads of a real server: one JSON access-log line per request, its id
also in the answer's ``X-Request-Id`` and in its errors' ``extensions``, and no token
anywhere in the log; the Prometheus metrics at ``/metrics`` for ADMIN only, or on their
own address; settings that cannot be used stop ``sanquan serve`` naming the setting."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from sanquan.auth.tokens import PREFIX
from sanquan.config import default_execution_threads
from sanquan.observability.operations import LEARNT_NAMES
from sanquan.observability.requests import TOKEN_PREFIX
from tests.commands import in_process
from tests.conftest import migrated_database
from tests.serving import SANQUAN, free_port, start

pytestmark = pytest.mark.engine_independent

FOUND_WITHIN = 30
"""Seconds to wait for a request's log line: it is written just after the answer is sent.
A bound on a wait, not a timed assertion."""


class Server:
    """``sanquan serve`` with JSON logs, a port for the metrics alone, and two accounts."""

    def __init__(self, env: dict[str, str], directory: Path) -> None:
        self.metrics_port = free_port()
        self.env = {
            **env,
            "SANQUAN_LOG_FORMAT": "json",
            "SANQUAN_METRICS_ADDRESS": f"127.0.0.1:{self.metrics_port}",
        }
        self.admin, self.admin_id = account(env, "ADMIN", "运维")
        self.viewer, _ = account(env, "VIEWER", "观察员")
        self.log = directory / "server.log"
        self.port = free_port()
        self.process = start(self.env, self.port, self.log)
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)

    def post(self, body: dict[str, Any], token: str | None, **headers: str) -> httpx.Response:
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.post("/graphql", json=body, headers=headers)

    def lines(self) -> list[dict[str, Any]]:
        """Every complete line of the log, each of which must be a JSON object: all but the
        lines ``sanquan serve`` prints on stdout (its results: where it serves), which the
        test's server writes to the same file."""
        text = self.log.read_text()
        complete = text.splitlines()[: text.count("\n")]
        return [json.loads(line) for line in complete[len(self.announced()) :]]

    def announced(self) -> list[str]:
        """The lines ``sanquan serve`` printed on stdout, before any log line."""
        lines = self.log.read_text().splitlines()
        return [line for line in lines[:2] if not line.startswith("{")]

    def logged(self, request_id: str) -> dict[str, Any]:
        """The access-log line of the request ``request_id``."""
        deadline = time.monotonic() + FOUND_WITHIN
        while time.monotonic() < deadline:
            for line in self.lines():
                if line.get("logger") == "sanquan.access" and line["requestId"] == request_id:
                    return line
            time.sleep(0.05)
        raise AssertionError(f"no access-log line for {request_id}")

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait()


def account(env: dict[str, str], role: str, name: str) -> tuple[str, int]:
    """A new account's token and row id, made with ``sanquan token create`` (in this
    process: ``test_server.py`` runs it as one)."""
    made = in_process(["token", "create", "--role", role, "--name", name, "--json"], env)
    assert made.returncode == 0, made.stderr
    printed = json.loads(made.stdout)
    kind, _, row = base64.b64decode(printed["accountId"]).decode().partition(":")
    assert kind == "Account"
    return printed["token"], int(row)


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    """A server of the test's own, for a test that counts what the server has seen."""
    running = Server(env, tmp_path)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def shared_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One server for the module's tests that find their own requests' lines by id and
    read the log whole (a log of several tests' requests has more in it to leak): a
    server start each would cost seconds and prove nothing more."""
    directory = tmp_path_factory.mktemp("shared-server")
    with migrated_database(request, "sqlite", directory) as url:
        env = {**os.environ, "SANQUAN_DATABASE_URL": url, "SANQUAN_DATA_DIR": str(directory)}
        running = Server(env, directory)
        yield running
        running.stop()


VIEWER = "query Viewer { viewer { name role } }"


def test_each_request_is_one_json_line_with_its_id_account_and_statements(
    shared_server: Server,
) -> None:
    server = shared_server
    answer = server.post({"query": VIEWER}, server.admin, **{"X-Request-Id": "req-0001-abcdef"})
    assert answer.status_code == 200
    assert answer.headers["X-Request-Id"] == "req-0001-abcdef", "a well-formed id is kept"
    line = server.logged("req-0001-abcdef")
    assert line["level"] == "INFO"
    assert line["method"] == "POST"
    assert line["path"] == "/graphql"
    assert line["status"] == 200
    assert line["operation"] == "Viewer"
    assert line["operationType"] == "query"
    assert line["account"] == server.admin_id
    assert line["statements"] >= 2, "the token's lookup and the viewer's read"
    assert line["durationMs"] > 0
    assert line["errors"] == []
    assert "time" in line

    health = server.client.get("/healthz")
    line = server.logged(health.headers["X-Request-Id"])
    assert (line["path"], line["account"], line["operation"]) == ("/healthz", None, None)
    assert line["statements"] == 1


def test_error_extensions_carry_the_same_id_as_the_header_and_the_log(
    shared_server: Server,
) -> None:
    server = shared_server
    answer = server.post({"query": "{ accounts { totalCount } }"}, server.viewer)
    [error] = answer.json()["errors"]
    request_id = answer.headers["X-Request-Id"]
    assert error["extensions"]["requestId"] == request_id
    line = server.logged(request_id)
    assert line["errors"] == [error["extensions"]["code"]]

    malformed = server.post({"query": "{ viewer { name "}, server.admin)
    [error] = malformed.json()["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert error["extensions"]["requestId"] == malformed.headers["X-Request-Id"]
    assert server.logged(malformed.headers["X-Request-Id"])["operation"] is None


@pytest.mark.parametrize(
    "sent",
    [
        '"}, "account": 1, "x": "',
        "short",
        "x" * 65,
        "id with spaces in it",
        PREFIX + "T" * 43,  # a token pasted as the id is neither echoed nor logged
        "Bearer_" + PREFIX + "T" * 43,
    ],
)
def test_an_ill_formed_request_id_is_replaced_never_logged(
    shared_server: Server, sent: str
) -> None:
    server = shared_server
    answer = server.post({"query": VIEWER}, server.admin, **{"X-Request-Id": sent})
    request_id = answer.headers["X-Request-Id"]
    assert request_id != sent
    assert len(request_id) == 32
    server.logged(request_id)
    assert sent not in server.log.read_text()


def test_the_request_id_knows_the_token_prefix() -> None:
    assert TOKEN_PREFIX == PREFIX


def test_no_token_reaches_the_log_even_when_refused(shared_server: Server) -> None:
    server = shared_server
    wrong = "sq_" + "W" * 40
    refused = server.post({"query": VIEWER}, wrong)
    assert refused.status_code == 401
    [error] = refused.json()["errors"]
    assert error["extensions"] == {
        "code": "UNAUTHENTICATED",
        "requestId": refused.headers["X-Request-Id"],
    }
    line = server.logged(refused.headers["X-Request-Id"])
    assert (line["status"], line["account"], line["errors"]) == (401, None, ["UNAUTHENTICATED"])
    mangled = server.client.get("/metrics", headers={"Authorization": f"Basic {wrong}"})
    assert mangled.status_code == 401
    server.post({"query": VIEWER}, server.viewer)
    ok = server.post({"query": VIEWER}, server.admin)
    server.logged(ok.headers["X-Request-Id"])
    text = server.log.read_text()
    for token in (wrong, server.admin, server.viewer):
        assert token not in text
        assert token[3:] not in text
    assert all(isinstance(line, dict) for line in server.lines()), "every line is JSON"
    starts = [
        line["message"].split()[0] for line in server.lines() if line["logger"] == "sanquan.serve"
    ]
    assert starts == ["sanquan", "指标(无需令牌)在"], "serve's own lines are JSON too"
    loggers = {line["logger"] for line in server.lines()}
    assert "uvicorn.access" not in loggers, "uvicorn's access log is off"
    assert {"sanquan.access", "uvicorn.error"} <= loggers


def scrape(url: str, token: str | None = None) -> dict[str, list[Any]]:
    """The samples of each metric family at ``url``, parsed by prometheus-client."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = httpx.get(url, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {family.name: family.samples for family in text_string_to_metric_families(answer.text)}


def value(samples: list[Any], name: str, **labels: str) -> float:
    [found] = [s.value for s in samples if s.name == name and labels.items() <= s.labels.items()]
    return float(found)


def test_metrics_count_requests_latency_errors_and_the_pool(server: Server) -> None:
    base = f"http://127.0.0.1:{server.port}/metrics"
    assert httpx.get(base).status_code == 401
    forbidden = httpx.get(base, headers={"Authorization": f"Bearer {server.viewer}"})
    assert forbidden.status_code == 403
    assert forbidden.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for _ in range(3):
        server.post({"query": VIEWER}, server.admin)
    server.post({"query": "{ viewer { name } }"}, server.admin)
    server.post({"query": VIEWER}, "sq_" + "x" * 40)

    metrics = scrape(base, server.admin)
    requests = metrics["sanquan_http_requests"]
    ok = {"route": "/graphql", "operation": "Viewer", "status": "200"}
    assert value(requests, "sanquan_http_requests_total", **ok) == 3
    assert (
        value(requests, "sanquan_http_requests_total", route="/graphql", operation="anonymous") == 1
    )
    assert value(requests, "sanquan_http_requests_total", route="/graphql", status="401") == 1
    latency = metrics["sanquan_http_request_duration_seconds"]
    name = "sanquan_http_request_duration_seconds_count"
    assert value(latency, name, route="/graphql", operation="Viewer") == 3
    errors = metrics["sanquan_errors"]
    assert value(errors, "sanquan_errors_total", code="UNAUTHENTICATED", kind="graphql") >= 2
    assert value(errors, "sanquan_errors_total", code="FORBIDDEN", kind="graphql") == 1
    size = value(metrics["sanquan_db_pool_size"], "sanquan_db_pool_size")
    threads = default_execution_threads(server.env["SANQUAN_DATABASE_URL"])
    assert size == threads + 2, "the execution threads and two more"
    checked_out = value(metrics["sanquan_db_pool_checked_out"], "sanquan_db_pool_checked_out")
    assert 0 <= checked_out <= size

    separate = scrape(f"http://127.0.0.1:{server.metrics_port}/metrics")
    assert value(separate["sanquan_http_requests"], "sanquan_http_requests_total", **ok) == 3, (
        "the same counts, without a token, on the metrics' own address"
    )


def test_operation_labels_stay_bounded(server: Server) -> None:
    """Clients name operations as they like; past the first names learnt, the rest are
    counted together as ``other``."""
    for number in range(LEARNT_NAMES + 20):
        answer = server.post({"query": f"query Op{number} {{ viewer {{ role }} }}"}, server.admin)
        assert answer.status_code == 200
    metrics = scrape(f"http://127.0.0.1:{server.metrics_port}/metrics")
    operations = {
        s.labels["operation"]
        for s in metrics["sanquan_http_requests"]
        if s.name == "sanquan_http_requests_total"
    }
    assert len(operations - {"other", "none", "anonymous"}) == LEARNT_NAMES
    assert (
        value(metrics["sanquan_http_requests"], "sanquan_http_requests_total", operation="other")
        == 20
    )


@pytest.mark.parametrize(
    ("name", "bad", "words"),
    [
        ("SANQUAN_LOG_FORMAT", "xml", "use one of text, json"),
        ("SANQUAN_METRICS_ADDRESS", "9100", "must be host:port"),
        ("SANQUAN_METRICS_ADDRESS", "127.0.0.1:99999", "must be host:port"),
    ],
)
def test_unusable_settings_stop_serve_naming_them(
    env: dict[str, str], name: str, bad: str, words: str
) -> None:
    refused = subprocess.run(
        [*SANQUAN, "--lang", "en", "serve", "--port", str(free_port())],
        env={**env, name: bad},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 2
    assert f"{name}={bad!r}: {words}" in refused.stderr
