"""Authentication and refusals (R22, R24): every request needs a token, a switched-off
account is refused, and a refusal leaks nothing. Who may do what, by role and relation, is
the table of test_authorisation_matrix.py."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import Any
from unittest.mock import ANY

import pytest
from sqlalchemy.orm import Session

from sanquan.auth.tokens import authenticate, hash_token, revoke_token
from tests.conftest import SCHOOLS, Api, World
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


@pytest.mark.parametrize("scheme", ["Basic", "Token", "Bearer:"])
def test_a_real_token_under_another_scheme_is_unauthenticated(world: World, scheme: str) -> None:
    response = world.client.post(
        "/graphql",
        json={"query": "{ viewer { name } }"},
        headers={"Authorization": f"{scheme} {world.tokens['admin']}"},
    )
    assert response.status_code == 401


def unknown_token(wanted: Callable[[str], bool]) -> str:
    """A token that was never issued, whose hash ``wanted`` accepts."""
    return next(t for n in count() if wanted(hash_token(t := f"sq_unknown-{n}")))


def test_revoking_an_unknown_or_revoked_token_revokes_nothing(world: World, db: Session) -> None:
    # Unknown tokens hashing below and above every issued one, and a token revoked twice.
    assert not revoke_token(db, unknown_token(lambda h: h.startswith("000")))
    assert not revoke_token(db, unknown_token(lambda h: h.startswith("fff")))
    assert revoke_token(db, world.tokens["expert1"])
    assert not revoke_token(db, world.tokens["expert1"])
    db.commit()
    working = {who for who, t in world.tokens.items() if authenticate(db, f"Bearer {t}")}
    assert working == set(world.tokens) - {"expert1"}


CREATE_ACCOUNT = """mutation($i: CreateAccountInput!) { createAccount(input: $i) {
  token userErrors { field code } } }"""


def create_account(world: World, **fields: str) -> Any:
    return world.api("admin")(CREATE_ACCOUNT, {"i": fields})["createAccount"]


@pytest.mark.parametrize("name", ["", " \u3000 "])
def test_an_account_needs_a_name(world: World, name: str) -> None:
    created = create_account(world, name=name, role="VIEWER")
    assert created == {"token": None, "userErrors": [{"field": ["name"], "code": "INVALID_VALUE"}]}


@pytest.mark.parametrize("unit", [{"unitName": "市教委"}, {"unitOwner": "北京科技大学"}])
def test_only_a_unit_account_names_a_unit(world: World, unit: dict[str, str]) -> None:
    created = create_account(world, name="某查看者", role="VIEWER", **unit)
    assert created == {"token": None, "userErrors": [{"field": ["unit"], "code": "INVALID_VALUE"}]}


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


def test_an_administrator_switches_off_an_older_administrator(world: World) -> None:
    token = create_account(world, name="admin2", role="ADMIN")["token"]
    second = Api(world.client, token)
    off = second(SET_ACTIVE, {"id": str(world.account_ids["admin"]), "on": False})
    assert off["setAccountActive"] == {
        "account": {"name": "admin", "active": False},
        "userErrors": [],
    }
    assert world.api("admin").post("{ viewer { name } }").status_code == 401


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
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": ANY}
    assert "SELECT" not in str(body)
    assert "Traceback" not in str(body)
    assert error["message"] == "服务器内部错误,请稍后重试"
