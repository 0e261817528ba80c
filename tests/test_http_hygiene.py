"""HTTP hygiene: the service answers only to its own host names, sends the headers that
keep browsers from sniffing, framing or caching what it says, keeps GraphiQL and
introspection off unless asked, and refuses malformed requests with JSON GraphQL errors
in the caller's language, never framework plain text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from starlette.testclient import TestClient

from sanquan.app import create_app
from sanquan.config import Settings
from sanquan.plugins.host import PluginHost
from tests.conftest import World
from tests.serving import cli_token, free_port, start

DELETE = 'mutation { deleteInstitution(input: {code: "4111010001"}) { userErrors { code } } }'
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
"""What a browser asks for when it opens a page."""
EXPORT = """mutation { createExportLink(input: {kind: RECTIFICATION_LIST}) {
  link { url } userErrors { code } } }"""


def headers_of(world: World, token: str = "viewer", **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[token]}", **extra}


@pytest.mark.engine_independent
def test_every_answer_carries_the_security_headers(world: World) -> None:
    answers = [
        world.client.post(
            "/graphql", json={"query": "{ viewer { name } }"}, headers=headers_of(world)
        ),
        world.client.post("/graphql", json={"query": "{ viewer { name } }"}),
        world.client.get("/healthz"),
    ]
    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["content-security-policy"].startswith("default-src 'none'")


def test_a_foreign_host_is_refused_and_never_reaches_a_link(world: World) -> None:
    forged = headers_of(world, Host="evil.example", **{"Accept-Language": "en"})
    answer = world.client.post("/graphql", json={"query": EXPORT}, headers=forged)
    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["extensions"]["code"] == "DISALLOWED_HOST"
    assert "evil.example" in error["message"]
    honest = world.client.post("/graphql", json={"query": EXPORT}, headers=headers_of(world))
    url = honest.json()["data"]["createExportLink"]["link"]["url"]
    assert url.startswith("http://testserver/exports/")
    assert world.client.get("/healthz", headers={"Host": "10.0.0.7"}).status_code == 200


def test_links_come_from_the_public_url_when_it_is_set(
    settings: Settings, host: PluginHost, world: World
) -> None:
    public = replace(settings, public_url="https://review.example.cn", allowed_hosts=())
    with TestClient(create_app(public, host), base_url="https://review.example.cn") as client:
        answer = client.post("/graphql", json={"query": EXPORT}, headers=headers_of(world))
        url = answer.json()["data"]["createExportLink"]["link"]["url"]
        assert url.startswith("https://review.example.cn/exports/")
        other = client.post(
            "/graphql", json={"query": EXPORT}, headers=headers_of(world, Host="testserver")
        )
        assert other.json()["errors"][0]["extensions"]["code"] == "DISALLOWED_HOST"


@pytest.mark.engine_independent
def test_graphiql_is_off_unless_switched_on_and_keeps_no_headers(
    settings: Settings, host: PluginHost, world: World
) -> None:
    page = world.client.get("/graphql", headers={"Accept": BROWSER})
    assert page.status_code == 401, "no page: an ordinary request without a token"
    shown = replace(settings, graphiql=True)
    with TestClient(create_app(shown, host)) as client:
        page = client.get("/graphql", headers={"Accept": BROWSER})
        start = client.get("/static/graphiql/start.js")
    assert page.status_code == 200
    assert 'src="static/graphiql/start.js"' in page.text
    assert "shouldPersistHeaders: false" in start.text
    assert "shouldPersistHeaders: true" not in start.text
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert policy.startswith("default-src 'self';")
    assert "script-src" not in policy, "no inline script: start-up is a served file"


@pytest.mark.parametrize(
    ("send", "status", "code", "zh", "en"),
    [
        (
            {"method": "PUT", "json": {"query": "{ viewer { name } }"}},
            405,
            "METHOD_NOT_ALLOWED",
            "只接受 GET 和 POST",
            "takes GET and POST",
        ),
        (
            {"method": "POST", "content": b"{ viewer { name } }", "ctype": "text/plain"},
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            "application/json",
            "application/json",
        ),
        (
            {"method": "POST", "json": [{"query": "{ viewer { name } }"}] * 2},
            400,
            "BATCHING_NOT_SUPPORTED",
            "不支持批量请求",
            "batched requests are not supported",
        ),
        (
            {
                "method": "GET",
                "params": {"query": DELETE},
            },
            405,
            "MUTATION_VIA_GET",
            "须用 POST",
            "must be sent with POST",
        ),
        (
            {"method": "POST", "json": {"variables": {}}},
            400,
            "INVALID_REQUEST",
            "query",
            "query",
        ),
        (
            {"method": "GET", "params": {"query": "{ viewer { name } }", "variables": "{oops"}},
            400,
            "INVALID_BODY",
            "variables",
            "variables",
        ),
    ],
    ids=["put", "text-plain", "batch", "mutation-over-get", "no-query", "bad-variables"],
)
@pytest.mark.engine_independent
def test_malformed_requests_get_json_errors_in_the_callers_language(
    world: World, send: dict[str, object], status: int, code: str, zh: str, en: str
) -> None:
    for language, words in (("zh", zh), ("en", en)):
        headers = headers_of(world, "admin", **{"Accept-Language": language})
        if "ctype" in send:
            headers["Content-Type"] = str(send["ctype"])
        answer = world.client.request(
            str(send["method"]),
            "/graphql",
            json=send.get("json"),
            content=send.get("content"),  # type: ignore[arg-type]
            params=send.get("params"),  # type: ignore[arg-type]
            headers=headers,
        )
        assert answer.status_code == status
        assert answer.headers["content-type"].startswith("application/json")
        [error] = answer.json()["errors"]
        assert error["extensions"]["code"] == code
        assert words in error["message"]
    assert world.api("viewer")('{ institution(code: "4111010001") { name } }')["institution"]


@pytest.fixture
def served(env: dict[str, str]) -> Iterator[int]:
    port = free_port()
    process = start(env, port)
    yield port
    process.kill()
    process.wait()


@pytest.mark.engine_independent
def test_forwarded_headers_are_believed_only_from_trusted_proxies(
    env: dict[str, str], served: int
) -> None:
    token = cli_token(env, "viewer", "观察员")
    answer = httpx.post(
        f"http://127.0.0.1:{served}/graphql",
        json={"query": EXPORT},
        headers={
            "Authorization": f"Bearer {token}",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-For": "203.0.113.9",
        },
    )
    assert "server" not in answer.headers, "no software named"
    url = answer.json()["data"]["createExportLink"]["link"]["url"]
    assert url.startswith(f"http://127.0.0.1:{served}/exports/")
