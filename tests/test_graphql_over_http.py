"""GraphQL over HTTP as the ecosystem expects it: the ``application/graphql-response+json``
media type with its status codes, Apollo's automatic persisted queries, trusted documents
for a locked-down deployment, and CORS for configured origins."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from sanquan.api.errors import GRAPHQL_RESPONSE
from sanquan.api.http import answer_type
from sanquan.app import create_app
from sanquan.config import Settings
from sanquan.plugins.host import PluginHost
from tests.conftest import World

VIEWER = "query Me { viewer { name } }"


def sha(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def ask(
    client: TestClient, token: str, payload: dict[str, Any], accept: str | None = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if accept is not None:
        headers["Accept"] = accept
    return client.post("/graphql", json=payload, headers=headers)


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("", "application/json"),
        ("application/json", "application/json"),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", "application/json"),
        ("*/*", "application/json"),
        ("text/html", None),
        (f"{GRAPHQL_RESPONSE};q=0", None),
    ],
)
def test_the_answer_comes_in_the_type_the_client_accepts(accept: str, chosen: str | None) -> None:
    assert answer_type(accept) == chosen


@pytest.mark.engine_independent  # HTTP only: one engine
def test_graphql_response_json_says_a_request_that_never_ran_with_400(world: World) -> None:
    token = world.tokens["viewer"]
    ran = ask(world.client, token, {"query": VIEWER}, GRAPHQL_RESPONSE)
    assert ran.status_code == 200
    assert ran.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert ran.json() == {"data": {"viewer": {"name": "viewer"}}}
    for broken in ("{ viewer { nosuch } }", "{ viewer {", "query($n: Int!) { viewer { name } }"):
        answer = ask(world.client, token, {"query": broken}, GRAPHQL_RESPONSE)
        assert answer.status_code == 400, broken
        assert answer.headers["content-type"].startswith(GRAPHQL_RESPONSE)
        assert "data" not in answer.json(), "execution never started"
        legacy = ask(world.client, token, {"query": broken}, "application/json")
        assert legacy.status_code == 200, "plain JSON keeps the legacy status"
        assert "data" not in legacy.json()
    refused = ask(world.client, token, {"query": VIEWER}, "text/html")
    assert refused.status_code == 406
    assert refused.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


def test_a_refused_mutation_nulls_only_its_own_field(world: World) -> None:
    """Mutation fields are nullable: one refusal does not hide another's committed work."""
    document = """mutation {
      token: setAccountActive(input: {accountId: "999999", active: true}) { userErrors { code } }
      wipe: deleteInstitution(input: {code: "4111010001"}) { userErrors { code } }
    }"""
    body = world.api("thu").raw(document)
    assert body["data"] == {"token": None, "wipe": None}
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
    admin = world.api("admin").raw(document)
    assert admin["data"]["token"] == {"userErrors": [{"code": "UNKNOWN_ACCOUNT"}]}


@pytest.mark.engine_independent  # HTTP only: one engine
def test_automatic_persisted_queries_follow_apollos_protocol(world: World) -> None:
    token = world.tokens["viewer"]
    hashed = {"persistedQuery": {"version": 1, "sha256Hash": sha(VIEWER)}}
    first = ask(world.client, token, {"extensions": hashed})
    assert first.status_code == 200, "a miss is no client error: Apollo retries with the text"
    [miss] = first.json()["errors"]
    assert miss["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = ask(world.client, token, {"query": VIEWER, "extensions": hashed})
    assert registered.json() == {"data": {"viewer": {"name": "viewer"}}}
    again = ask(world.client, token, {"extensions": hashed})
    assert again.json() == {"data": {"viewer": {"name": "viewer"}}}
    by_get = world.client.get(
        "/graphql",
        params={"extensions": json.dumps(hashed)},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert by_get.json() == {"data": {"viewer": {"name": "viewer"}}}
    wrong = ask(world.client, token, {"query": "{ viewer { role } }", "extensions": hashed})
    assert (wrong.status_code, wrong.json()["errors"][0]["extensions"]["code"]) == (
        400,
        "PERSISTED_QUERY_MISMATCH",
    )
    newer = {"persistedQuery": {"version": 2, "sha256Hash": sha(VIEWER)}}
    unsupported = ask(world.client, token, {"extensions": newer})
    assert unsupported.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"


@pytest.mark.engine_independent  # HTTP only: one engine
def test_with_trusted_documents_only_registered_operations_run(
    settings: Settings, host: PluginHost, world: World, tmp_path: Path
) -> None:
    manifest = tmp_path / "trusted.json"
    operations = [{"id": sha(VIEWER), "name": "Me", "type": "query", "body": VIEWER}]
    manifest.write_text(
        json.dumps({"format": "apollo-persisted-query-manifest", "operations": operations})
    )
    locked = replace(settings, trusted_documents=manifest)
    token = world.tokens["admin"]
    with TestClient(create_app(locked, host)) as client:
        hashed = {"persistedQuery": {"version": 1, "sha256Hash": sha(VIEWER)}}
        assert ask(client, token, {"extensions": hashed}).json()["data"] == {
            "viewer": {"name": "admin"}
        }
        assert ask(client, token, {"query": VIEWER}).json()["data"] == {"viewer": {"name": "admin"}}
        for language, words in (("zh", "只执行登记过的操作"), ("en", "only registered operations")):
            other = client.post(
                "/graphql",
                json={"query": '{ institution(code: "4111010001") { name } }'},
                headers={"Authorization": f"Bearer {token}", "Accept-Language": language},
            )
            assert other.status_code == 400
            [error] = other.json()["errors"]
            assert error["extensions"]["code"] == "OPERATION_NOT_TRUSTED"
            assert words in error["message"]
        unknown = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
        missing = ask(client, token, {"extensions": unknown}).json()["errors"][0]
        assert missing["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.engine_independent  # HTTP only: one engine
def test_cors_answers_configured_origins_before_authentication(
    settings: Settings, host: PluginHost, world: World
) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    closed = world.client.options("/graphql", headers={"Origin": "https://a.example", **preflight})
    assert "access-control-allow-origin" not in closed.headers, "no origin by default"
    opened = replace(settings, cors_origins=("https://dashboard.example.cn",))
    with TestClient(create_app(opened, host)) as client:
        allowed = client.options(
            "/graphql", headers={"Origin": "https://dashboard.example.cn", **preflight}
        )
        assert allowed.status_code == 200, "no token needed for a preflight"
        assert allowed.headers["access-control-allow-origin"] == "https://dashboard.example.cn"
        assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
        other = client.options("/graphql", headers={"Origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in other.headers
        answer = client.post(
            "/graphql",
            json={"query": VIEWER},
            headers={
                "Origin": "https://dashboard.example.cn",
                "Authorization": f"Bearer {world.tokens['viewer']}",
            },
        )
        assert answer.headers["access-control-allow-origin"] == "https://dashboard.example.cn"
