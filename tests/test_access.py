"""Authentication and authorisation (R22, R24): every request needs a token; every mutation
is allowed by role and relation, and refused clearly otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import SCHOOLS, World
from tests.flows import (
    APPOINT,
    CONCLUDE,
    CREATE,
    OPEN,
    SET,
    SUBMIT,
    create_session,
    open_session,
    scores_for,
)

THREE = [SCHOOLS["thu"], SCHOOLS["ruc"], SCHOOLS["ustb"]]
ROLES = ["admin", "thu", "expert1", "unit", "viewer"]
ADMIN_ONLY = {
    "createReviewSession": (
        CREATE,
        lambda s: {"input": {"quarter": "2027Q2", "institutionCodes": THREE, "indicatorSet": SET}},
    ),
    "appointExperts": (APPOINT, lambda s: {"input": {"sessionId": s, "expertIds": []}}),
    "openReviewSession": (OPEN, lambda s: {"id": s}),
    "concludeReviewSession": (CONCLUDE, lambda s: {"id": s}),
    "createInstitution": (
        "mutation($i: CreateInstitutionInput!) { createInstitution(input: $i) "
        "{ userErrors { code } } }",
        lambda s: {"i": {"code": "4111099991", "name": "测试学院"}},
    ),
    "createAccount": (
        "mutation($i: CreateAccountInput!) { createAccount(input: $i) { userErrors { code } } }",
        lambda s: {"i": {"name": "x", "role": "VIEWER"}},
    ),
    "setAccountActive": (
        "mutation($i: SetAccountActiveInput!) { setAccountActive(input: $i) "
        "{ userErrors { code } } }",
        lambda s: {"i": {"accountId": "1", "active": False}},
    ),
}


def forbidden(body: dict[str, Any]) -> bool:
    return [e["extensions"]["code"] for e in body.get("errors", [])] == ["FORBIDDEN"]


def test_request_without_token_is_unauthenticated(world: World) -> None:
    response = world.anonymous().post("{ viewer { name } }")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("header", ["Bearer sq_not-a-real-token", "Basic YWRtaW46YWRtaW4=", ""])
def test_bad_token_is_unauthenticated(world: World, header: str) -> None:
    response = world.client.post(
        "/graphql",
        json={"query": "{ viewer { name } }"},
        headers={"Authorization": header, "Accept-Language": "en"},
    )
    assert response.status_code == 401
    assert "Bearer" in response.json()["errors"][0]["message"]


SET_ACTIVE = """mutation($id: ID!, $on: Boolean!) { setAccountActive(input:
  {accountId: $id, active: $on}) { account { name active } userErrors { field code message } } }"""


def test_an_account_switched_off_is_refused_until_switched_on(world: World) -> None:
    thu = str(world.account_ids["thu"])
    off = world.api("admin")(SET_ACTIVE, {"id": thu, "on": False})["setAccountActive"]
    assert off == {"account": {"name": "thu", "active": False}, "userErrors": []}
    assert world.api("thu").post("{ viewer { name } }").status_code == 401
    listed = world.api("admin")("{ accounts(role: INSTITUTION) { name active } }")["accounts"]
    assert {"name": "thu", "active": False} in listed
    on = world.api("admin")(SET_ACTIVE, {"id": thu, "on": True})["setAccountActive"]
    assert on["account"]["active"] is True
    assert world.api("thu")("{ viewer { name } }") == {"viewer": {"name": "thu"}}


def test_switching_off_oneself_or_no_account_is_refused(world: World) -> None:
    admin = world.api("admin", "en")
    own = admin(SET_ACTIVE, {"id": str(world.account_ids["admin"]), "on": False})
    assert [(e["code"], e["field"]) for e in own["setAccountActive"]["userErrors"]] == [
        ("OWN_ACCOUNT", ["accountId"])
    ]
    assert "another administrator" in own["setAccountActive"]["userErrors"][0]["message"]
    assert world.api("admin")("{ viewer { name } }") == {"viewer": {"name": "admin"}}
    missing = admin(SET_ACTIVE, {"id": "999999", "on": False})["setAccountActive"]
    assert [e["code"] for e in missing["userErrors"]] == ["UNKNOWN_ACCOUNT"]


def test_health_check_needs_no_token(world: World) -> None:
    assert world.client.get("/healthz").json() == {"status": "ok"}


def test_viewer_query_names_the_caller(world: World) -> None:
    data = world.api("thu")("{ viewer { name role institution { code } } }")
    assert data["viewer"] == {
        "name": "thu",
        "role": "INSTITUTION",
        "institution": {"code": SCHOOLS["thu"]},
    }


@pytest.mark.parametrize("mutation", sorted(ADMIN_ONLY))
@pytest.mark.parametrize("who", ROLES)
def test_admin_mutations_by_role(world: World, mutation: str, who: str) -> None:
    session_id = open_session(world, THREE) if mutation != "createReviewSession" else "0"
    document, variables = ADMIN_ONLY[mutation]
    body = world.api(who).raw(document, variables(session_id))
    if who == "admin":
        assert "errors" not in body, body
    else:
        assert forbidden(body), body
        assert body["data"] is None


@pytest.mark.parametrize(
    ("who", "subject", "source", "allowed"),
    [
        ("thu", "thu", "SELF", True),
        ("thu", "ruc", "PEER", True),
        ("expert1", "thu", "EXPERT", True),
        ("admin", "thu", "EXPERT", False),
        ("unit", "thu", "PEER", False),
        ("viewer", "thu", "PEER", False),
    ],
)
def test_submit_scores_by_role(
    world: World, who: str, subject: str, source: str, allowed: bool
) -> None:
    session_id = open_session(world, THREE)
    body = world.api(who).raw(
        SUBMIT,
        {
            "input": {
                "sessionId": session_id,
                "institutionCode": SCHOOLS[subject],
                "source": source,
                "scores": scores_for(source, 75),
            }
        },
    )
    if allowed:
        assert body["data"]["submitScores"]["userErrors"] == []
        assert body["data"]["submitScores"]["changedCount"] == 20
    else:
        assert forbidden(body)


def test_institution_cannot_speak_for_another_school(world: World) -> None:
    session_id = open_session(world, THREE)
    body = world.api("thu").raw(
        SUBMIT,
        {
            "input": {
                "sessionId": session_id,
                "institutionCode": SCHOOLS["ruc"],
                "source": "SELF",
                "scores": scores_for("SELF", 99),
            }
        },
    )
    assert body["data"]["submitScores"]["userErrors"][0]["code"] == "SELF_OTHER_SCHOOL"


def test_account_list_is_admin_only(world: World) -> None:
    assert forbidden(world.api("viewer").raw("{ accounts { id } }"))
    accounts = world.api("admin")("{ accounts(role: EXPERT) { id name } }")["accounts"]
    assert len(accounts) == 7


def test_panel_is_visible_to_admin_and_panel_only(world: World) -> None:
    session_id = open_session(world, THREE)
    query = "query($id: ID!) { reviewSession(id: $id) { panel { name } } }"
    assert len(world.api("admin")(query, {"id": session_id})["reviewSession"]["panel"]) == 7
    assert len(world.api("expert1")(query, {"id": session_id})["reviewSession"]["panel"]) == 7
    for who in ("thu", "viewer", "unit"):
        body = world.api(who).raw(query, {"id": session_id})
        assert forbidden(body)
        assert body["data"] == {"reviewSession": {"panel": None}}


def test_errors_never_leak_internals(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from sanquan.review import sessions

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("SELECT secret FROM accounts -- /srv/sanquan/db.py line 12")

    monkeypatch.setattr(sessions, "open_session", explode)
    session_id = create_session(world.api("admin"), THREE)["reviewSession"]["id"]
    body = world.api("admin").raw(OPEN, {"id": session_id})
    [error] = body["errors"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "SELECT" not in str(body)
    assert "Traceback" not in str(body)
    assert error["message"] == "服务器内部错误,请稍后重试"
