"""Real GraphQL clients through a reviewer's whole flow against ``sanquan serve`` with the demo
loaded and introspection off, as in production: Python's ``gql``, which builds its schema
from the shipped ``schema.graphql`` and validates every document against it before sending,
and ``graphql-request`` under Node (``tests/js/reviewer-flow.mjs``). Both send the operations
of ``tests/js/reviewer-flow.graphql`` and must tell the same story, :data:`EXPECTED`.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXTransport
from graphql import GraphQLError

from tests.serving import CLIENTS, free_port, node_or_skip, start

SCHEMA = (Path(__file__).parent.parent / "schema.graphql").read_text()
FLOW = gql((CLIENTS / "reviewer-flow.graphql").read_text())
RUC = "4111010002"  # 中国人民大学, reviewed in the demo's last concluded session
PKU, BUAA = (
    "4111010001",
    "4111010006",
)  # 北京大学 (the INSTITUTION token's school), 北京航空航天大学

EXPECTED: dict[str, Any] = {
    "indicatorSet": "beijing-sanquan 2019.1",
    "indicators": 20,
    "draft": {"changedCount": 20, "statuses": ["DRAFT"]},
    "final": {"changedCount": 20, "statuses": ["SUBMITTED"]},
    "unchanged": {"changedCount": 0, "statuses": ["SUBMITTED"]},
    "readBack": {
        "scores": 20,
        "values": [86],
        "evidenceWhereRequired": 7,
        "history": [[None, "DRAFT"], ["DRAFT", "SUBMITTED"]],
    },
    "refused": {
        "changedCount": 0,
        "userErrors": [{"field": ["scores", "0", "value"], "code": "OUT_OF_SCALE"}],
    },
    "peer": {"changedCount": 20, "statuses": ["SUBMITTED"]},
    "expert": {"changedCount": 20, "statuses": ["SUBMITTED"]},
    "forbidden": ["FORBIDDEN"],
    "missingEvaluations": {"closed": 3, "opened": 1},
    "results": {"status": "CONCLUDED", "ranks": [1, 2, 3, 4, 5]},
}


@pytest.fixture
def demo_server(env: dict[str, str], demo_tokens: dict[str, str]) -> Iterator[str]:
    """The URL of ``/graphql`` on a live server with the demo loaded, introspection off."""
    port = free_port()
    process = start({**env, "SANQUAN_INTROSPECTION": "off"}, port)
    yield f"http://127.0.0.1:{port}/graphql"
    process.kill()
    process.wait()


class Reviewer:
    """A ``gql`` client holding one token; documents are checked against ``schema.graphql``."""

    def __init__(self, url: str, token: str) -> None:
        transport = HTTPXTransport(url=url, headers={"Authorization": f"Bearer {token}"})
        self.client = Client(schema=SCHEMA, transport=transport)

    def __call__(self, operation: str, **variables: Any) -> dict[str, Any]:
        request = GraphQLRequest(FLOW, operation_name=operation, variable_values=variables)
        return self.client.execute(request)


def entries(indicators: list[dict[str, Any]], source: str, value: float) -> list[dict[str, Any]]:
    """A score for each indicator the source rates, with evidence where the set wants it."""
    return [
        {"indicator": i["code"], "value": value}
        | ({"evidence": "2026 年工作报告"} if source in i["evidenceRequiredFor"] else {})
        for i in indicators
        if source in i["sources"]
    ]


def outcome(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["userErrors"] == []
    return {
        "changedCount": payload["changedCount"],
        "statuses": sorted({s["status"] for s in payload["scores"]}),
    }


def changes(before: list[str], after: list[str]) -> dict[str, int]:
    """How many gaps a flow closed, and how many it opened (a panel's count that moved)."""
    return {"closed": len(set(before) - set(after)), "opened": len(set(after) - set(before))}


@pytest.mark.engine_independent  # HTTP only: one engine
def test_gql_runs_a_reviewers_flow_with_documents_checked_against_schema_graphql(
    demo_server: str, demo_tokens: dict[str, str]
) -> None:
    def reviewer(role: str) -> Reviewer:
        return Reviewer(demo_server, demo_tokens[f"SANQUAN_{role}_TOKEN"])

    school, expert, admin, viewer = map(reviewer, ["INSTITUTION", "EXPERT", "ADMIN", "VIEWER"])
    summary: dict[str, Any] = {}
    sessions = school("Sessions", school=RUC)
    open_id = sessions["reviewSessions"]["nodes"][0]["id"]
    concluded_id = sessions["institutionReviews"]["lastReview"]["id"]
    missing_before = admin("MissingEvaluations", session=open_id)["reviewSession"]

    indicator_set = school("IndicatorSet", session=open_id)["reviewSession"]["indicatorSet"]
    indicators = [i for d in indicator_set["dimensions"] for i in d["indicators"]]
    summary["indicatorSet"] = f"{indicator_set['key']} {indicator_set['version']}"
    summary["indicators"] = len(indicators)

    def submit(who: Reviewer, code: str, source: str, scores: Any, final: bool = True) -> Any:
        evaluation = {"sessionId": open_id, "institutionCode": code, "source": source}
        payload = who("SubmitScores", input=evaluation | {"scores": scores, "final": final})
        return payload["submitScores"]

    own = entries(indicators, "SELF", 86)
    summary["draft"] = outcome(submit(school, PKU, "SELF", own, final=False))
    summary["final"] = outcome(submit(school, PKU, "SELF", own))
    summary["unchanged"] = outcome(submit(school, PKU, "SELF", own))
    mine = school("MyScores", session=open_id, institution=PKU, source="SELF")
    scores = mine["reviewSession"]["scores"]["nodes"]
    summary["readBack"] = {
        "scores": mine["reviewSession"]["scores"]["totalCount"],
        "values": sorted({s["value"] for s in scores}),
        "evidenceWhereRequired": sum(1 for s in scores if s["evidence"]),
        "history": [[r["oldStatus"], r["newStatus"]] for r in scores[0]["history"]],
    }
    refused = submit(school, PKU, "SELF", [{"indicator": "T01", "value": 150}])
    summary["refused"] = {
        "changedCount": refused["changedCount"],
        "userErrors": [{"field": e["field"], "code": e["code"]} for e in refused["userErrors"]],
    }
    summary["peer"] = outcome(submit(school, BUAA, "PEER", entries(indicators, "PEER", 80)))
    summary["expert"] = outcome(submit(expert, BUAA, "EXPERT", entries(indicators, "EXPERT", 82)))
    with pytest.raises(TransportQueryError) as forbidden:
        submit(viewer, PKU, "SELF", own)
    summary["forbidden"] = [e["extensions"]["code"] for e in forbidden.value.errors or []]

    missing_after = admin("MissingEvaluations", session=open_id)["reviewSession"]
    summary["missingEvaluations"] = changes(
        missing_before["missingEvaluations"], missing_after["missingEvaluations"]
    )
    results = admin("Results", session=concluded_id)["reviewSession"]
    summary["results"] = {
        "status": results["status"],
        "ranks": sorted(r["rank"] for r in results["results"]),
    }
    assert summary == EXPECTED


def test_gql_refuses_a_document_the_schema_does_not_have_before_sending_it() -> None:
    nowhere = Reviewer("http://127.0.0.1:1/graphql", "no token")  # never reached
    with pytest.raises(GraphQLError, match="Cannot query field 'myScores'"):
        nowhere.client.execute(gql('{ myScores(sessionId: "2") { value } }'))


@pytest.mark.engine_independent  # HTTP only: one engine
def test_graphql_request_under_node_runs_the_same_flow(
    demo_server: str, demo_tokens: dict[str, str], env: dict[str, str]
) -> None:
    node = node_or_skip("graphql-request")
    done = subprocess.run(
        [node, "reviewer-flow.mjs", demo_server],
        cwd=CLIENTS,
        env={**env, **demo_tokens},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    summary = json.loads(done.stdout)
    ranks = [1, 2, 3, 4, 5]
    assert summary.pop("graphqlResponseJson") == {
        "status": 200,
        "contentType": "application/graphql-response+json",
        "ranks": ranks,
        "neverRan": {"status": 400, "dataKey": False, "codes": ["GRAPHQL_VALIDATION_FAILED"]},
    }
    assert summary.pop("persistedQuery") == {
        "hashOnly": ["PERSISTED_QUERY_NOT_FOUND"],
        "withText": ranks,
        "hashOnlyAgain": ranks,
    }
    assert summary == EXPECTED
