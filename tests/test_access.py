"""Authentication and refusals (R22, R24): every request needs a token, a switched-off
account is refused, and a refusal leaks nothing. Who may do what, by role and relation, is
the table of test_authorisation_matrix.py."""

from __future__ import annotations

import pytest

from tests.conftest import SCHOOLS, World
from tests.flows import (
    OPEN,
    SUBMIT,
    create_session,
    open_session,
    scores_for,
)

THREE = [SCHOOLS["thu"], SCHOOLS["ruc"], SCHOOLS["ustb"]]


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
    listed = world.api("admin")("{ accounts(role: INSTITUTION) { nodes { name active } } }")
    listed = listed["accounts"]["nodes"]
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
