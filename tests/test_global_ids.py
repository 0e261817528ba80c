"""Global object identification: every entity's id is unique across types, opaque, and
reads the object back through ``node``; arguments take only ids of their own type.

Who may read what through ``node`` is a row of the authorisation matrix
(``tests/test_authorisation_matrix.py``); this file checks the ids themselves."""

from __future__ import annotations

import base64
from typing import Any

from graphql import GraphQLInterfaceType

from sanquan.api.ids import global_id
from sanquan.api.node_query import NODE_TYPES
from sanquan.api.schema import build_schema
from tests.conftest import SCHOOLS, World
from tests.flows import CONCLUDE, is_blind_id, open_session, read_all, scores_for, submit

PLAN_KEY = "jingjiaozufa-2019-3"

# One object of each Node type, with a field that tells it apart, as ADMIN reads them.
EVERY_KIND = """query($session: ID!) {
  institutions(first: 2) { nodes { id code } }
  reviewSession(id: $session) {
    id quarter
    scores(first: 2) { nodes { id indicator source reviewerInstitution { code } } }
    findings(first: 1) { nodes { id title session { id } } }
  }
  accounts(first: 2) { nodes { id name } }
  plans { id key tasks { id number units { id name } } }
}"""

REFETCH = """query($id: ID!) { node(id: $id) {
  __typename id
  ... on Institution { code }
  ... on ReviewSession { quarter }
  ... on Score { indicator }
  ... on Finding { title }
  ... on Account { name }
  ... on WorkPlan { key }
  ... on Task { number }
  ... on ResponsibleUnit { name }
  ... on RotationPlan { status }
} }"""

RAISE = """mutation($input: RaiseFindingInput!) {
  raiseFinding(input: $input) { finding { id } userErrors { code } } }"""
PLAN = "mutation($input: PlanRotationInput!) { planRotation(input: $input) { plan { id status } } }"


def concluded_session_with_a_finding(world: World) -> str:
    session_id = open_session(world, [SCHOOLS[s] for s in ("thu", "ruc", "ustb")], None, 1)
    for school in ("thu", "ruc", "ustb"):
        api = world.api(school)
        assert submit(api, session_id, school, "SELF", scores_for("SELF", 80))["userErrors"] == []
        for subject in {"thu", "ruc", "ustb"} - {school}:
            entries = scores_for("PEER", 75)
            assert submit(api, session_id, subject, "PEER", entries)["userErrors"] == []
        entries = scores_for("EXPERT", 70)
        expert = world.api("expert1")
        assert submit(expert, session_id, school, "EXPERT", entries)["userErrors"] == []
    admin = world.api("admin")
    assert admin(CONCLUDE, {"id": session_id})["concludeReviewSession"]["userErrors"] == []
    raised = admin(
        RAISE,
        {
            "input": {
                "sessionId": session_id,
                "institutionCode": SCHOOLS["thu"],
                "kind": "HIGHLIGHT",
                "title": "网络育人平台建设有特色",
            }
        },
    )["raiseFinding"]
    assert raised["userErrors"] == []
    return session_id


def test_node_lists_every_type_that_implements_it() -> None:
    schema = build_schema()._schema
    node = schema.get_type("Node")
    assert isinstance(node, GraphQLInterfaceType)
    implementing = {kind.name for kind in schema.get_possible_types(node)}
    assert implementing == set(NODE_TYPES)


def shown_objects(
    data: dict[str, Any], plan: dict[str, Any]
) -> list[tuple[str, Any, dict[str, Any]]]:
    """Each object of :data:`EVERY_KIND` as (type, what tells it apart, the object)."""
    session = data["reviewSession"]
    found = [("ReviewSession", session["quarter"], session)]
    found += [("Institution", i["code"], i) for i in data["institutions"]["nodes"]]
    found += [
        ("Score", (s["indicator"], s["source"], repr(s["reviewerInstitution"])), s)
        for s in session["scores"]["nodes"]
    ]
    found += [("Finding", f["title"], f) for f in session["findings"]["nodes"]]
    found += [("Account", a["name"], a) for a in data["accounts"]["nodes"]]
    for work_plan in data["plans"]:
        found.append(("WorkPlan", work_plan["key"], work_plan))
        for task in work_plan["tasks"]:
            found.append(("Task", (work_plan["key"], task["number"]), task))
            found += [("ResponsibleUnit", u["name"], u) for u in task["units"]]
    found.append(("RotationPlan", plan["status"], plan))
    return found


def test_each_object_reads_back_by_its_id_which_no_other_object_shares(world: World) -> None:
    admin = world.api("admin")
    session_id = concluded_session_with_a_finding(world)
    data = admin(EVERY_KIND, {"session": session_id})
    plan = admin(PLAN, {"input": {"start": "2028Q1", "sessionsPerQuarter": 2, "panelSize": 0}})
    found = shown_objects(data, plan["planRotation"]["plan"])
    assert {kind for kind, _, _ in found} == set(NODE_TYPES)
    # One id per object, whatever its type: as many ids as distinct objects.
    identities = {(kind, key) for kind, key, _ in found}
    by_id = {shown["id"]: (kind, key) for kind, key, shown in found}
    assert len(by_id) == len(identities) > 40
    for shown_id, (kind, _) in by_id.items():
        shown = next(o for k, _, o in found if o["id"] == shown_id)
        node = admin(REFETCH, {"id": shown_id})["node"]
        assert node["__typename"] == kind
        common = {k: v for k, v in shown.items() if k in node and not isinstance(v, dict | list)}
        assert common == {k: node[k] for k in common}, (shown, node)
    # A finding's session is the session itself, not a copy with its own id.
    assert data["reviewSession"]["findings"]["nodes"][0]["session"]["id"] == session_id


def test_ids_are_opaque_and_name_their_type(world: World) -> None:
    session_id = open_session(world, [SCHOOLS[s] for s in ("thu", "ruc", "ustb")])
    assert not session_id.isdigit()
    assert base64.b64decode(session_id).decode().startswith("ReviewSession:")


def test_an_argument_refuses_an_id_of_another_type_as_unknown(world: World) -> None:
    admin = world.api("admin")
    session_id = open_session(world, [SCHOOLS[s] for s in ("thu", "ruc", "ustb")])
    row = base64.b64decode(session_id).decode().split(":")[1]
    same_row_other_type = global_id("Institution", int(row))
    asked = "query($id: ID!) { reviewSession(id: $id) { id } }"
    assert admin(asked, {"id": same_row_other_type}) == {"reviewSession": None}
    assert admin(asked, {"id": session_id})["reviewSession"]["id"] == session_id
    # A 0.1.0 client's plain row number still reads the session, deprecated until 0.3.0.
    assert admin(asked, {"id": row})["reviewSession"]["id"] == session_id
    # Ids that name nothing: null, no error, the same answer as for a missing row.
    for nothing in ("", "x", "!!!", global_id("ReviewSession", 999_999), "Zm9v"):
        assert admin(asked, {"id": nothing}) == {"reviewSession": None}, nothing
        assert admin("query($id: ID!) { node(id: $id) { id } }", {"id": nothing}) == {"node": None}


def test_nodes_answers_in_the_order_asked_with_null_for_what_it_cannot_read(
    world: World,
) -> None:
    session_id = open_session(world, [SCHOOLS[s] for s in ("thu", "ruc", "ustb")])
    expert = global_id("Account", world.account_ids["expert1"])
    asked = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
    ids = [expert, "junk", session_id, expert]
    read = world.api("expert1")(asked, {"ids": ids})["nodes"]
    assert read == [
        {"__typename": "Account", "id": expert},
        None,
        {"__typename": "ReviewSession", "id": session_id},
        {"__typename": "Account", "id": expert},
    ]
    # Another expert's account is not theirs to read.
    other = world.api("expert2")(asked, {"ids": ids})["nodes"]
    assert other == [None, None, {"__typename": "ReviewSession", "id": session_id}, None]
    too_many = world.api("admin").raw(asked, {"ids": [session_id] * 101})
    assert [e["extensions"]["code"] for e in too_many["errors"]] == ["INVALID_VALUE"]


def test_a_blind_score_reads_back_by_its_blind_id_only(world: World) -> None:
    """R14: thu reads the experts' scores about itself blind. Its blind id reads the
    score back; the id of the score's row, which a school could guess (rows are numbered
    as they are written), reads nothing, or it would tie the blind score to its expert."""
    session_id = concluded_session_with_a_finding(world)
    document = """query($id: ID!, $after: String) { reviewSession(id: $id) {
      scores(source: EXPERT, first: 200, after: $after) {
        pageInfo { hasNextPage endCursor } nodes { id indicator value } } } }"""
    seen = read_all(world.api("thu"), document, {"id": session_id}, "reviewSession", "scores")
    assert len(seen) == 20 and all(is_blind_id(s["id"]) for s in seen)
    by_admin = read_all(world.api("admin"), document, {"id": session_id}, "reviewSession", "scores")
    rows = [s for s in by_admin if not is_blind_id(s["id"])]
    refetch = "query($id: ID!) { node(id: $id) { id ... on Score { indicator value } } }"
    thu = world.api("thu")
    assert thu(refetch, {"id": seen[0]["id"]})["node"] == seen[0]
    for score in rows:
        assert thu(refetch, {"id": score["id"]})["node"] is None
    # The commission reads the rows by their own ids.
    assert world.api("admin")(refetch, {"id": rows[0]["id"]})["node"] == rows[0]
    # A blind id is accepted by no mutation.
    correct = """mutation($input: CorrectScoreInput!) {
      correctScore(input: $input) { userErrors { code } } }"""
    refused = world.api("admin")(
        correct, {"input": {"scoreId": seen[0]["id"], "value": 50, "reason": "试图更正"}}
    )
    assert refused["correctScore"]["userErrors"] == [{"code": "UNKNOWN_SCORE"}]
