"""The institution pool: the shipped Beijing list, CRUD, CSV import all or nothing."""

from __future__ import annotations

from typing import Any
from unittest.mock import ANY

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sanquan.institutions.models import Institution
from tests.conftest import SCHOOLS, World
from tests.flows import open_session

ONE = """
query($code: String!) {
  institution(code: $code) {
    code name authority level category categoryInferred pilotBatch active aliases
  }
}"""
PAGE = """
query($first: Int, $after: String, $search: String) {
  institutions(first: $first, after: $after, search: $search) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { code name } }
  }
}"""
CREATE = """
mutation($i: CreateInstitutionInput!) {
  createInstitution(input: $i) { institution { code name category categoryInferred }
                                 userErrors { field code message } }
}"""
UPDATE = """
mutation($i: UpdateInstitutionInput!) {
  updateInstitution(input: $i) { institution { code name category categoryInferred active }
                                 userErrors { field code message } }
}"""
DELETE = """
mutation($code: String!) {
  deleteInstitution(input: {code: $code}) { deletedCode userErrors { field code message } }
}"""
IMPORT = """
mutation($csv: String!) {
  importInstitutions(input: {csv: $csv}) { created updated userErrors { field code message } }
}"""


def total(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Institution)) or 0


def test_the_92_beijing_institutions_ship_with_pilots_and_aliases(world: World) -> None:
    api = world.api("viewer")
    assert api(PAGE, {"first": 0})["institutions"]["totalCount"] == 92
    thu = api(ONE, {"code": SCHOOLS["thu"]})["institution"]
    assert thu["name"] == "清华大学"
    assert thu["authority"] == "教育部"
    assert thu["pilotBatch"] == 1
    assert thu["categoryInferred"] is True
    renamed = api(ONE, {"code": "4111010858"})["institution"]
    assert renamed["name"] == "北京科技职业大学"
    assert renamed["aliases"] == ["北京电子科技职业学院"]
    pilots = [
        c
        for c in ("4111010001", "4111010002", "4111010003", "4111010008")
        if api(ONE, {"code": c})["institution"]["pilotBatch"] == 1
    ]
    assert pilots == ["4111010002", "4111010003", "4111010008"]


def test_search_finds_former_names(world: World) -> None:
    found = world.api("viewer")(PAGE, {"search": "北京社会管理职业学院"})["institutions"]
    assert [e["node"]["code"] for e in found["edges"]] == ["4111014139"]


def test_pages_follow_the_cursor_to_the_end(world: World) -> None:
    api = world.api("viewer")
    seen: list[str] = []
    after = None
    while True:
        page = api(PAGE, {"first": 40, "after": after})["institutions"]
        seen += [e["node"]["code"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == 92
    assert seen == sorted(seen)


def test_page_size_is_capped(world: World) -> None:
    body = world.api("viewer").raw(PAGE, {"first": 10_000})
    assert body["errors"][0]["extensions"]["code"] == "INVALID_VALUE"
    assert body["errors"][0]["extensions"]["field"] == ["first"]


def test_create_update_delete(world: World, db: Session) -> None:
    admin = world.api("admin")
    created = admin(CREATE, {"i": {"code": "4111099991", "name": "北京测试师范学院"}})
    assert created["createInstitution"] == {
        "institution": {
            "code": "4111099991",
            "name": "北京测试师范学院",
            "category": "师范",
            "categoryInferred": True,
        },
        "userErrors": [],
    }
    updated = admin(UPDATE, {"i": {"code": "4111099991", "category": "综合", "active": False}})
    assert updated["updateInstitution"]["institution"]["category"] == "综合"
    assert updated["updateInstitution"]["institution"]["categoryInferred"] is False
    assert updated["updateInstitution"]["institution"]["active"] is False
    deleted = admin(DELETE, {"code": "4111099991"})["deleteInstitution"]
    assert deleted == {"deletedCode": "4111099991", "userErrors": []}
    assert total(db) == 92


def error_of(payload: dict[str, Any]) -> tuple[str, list[str]]:
    [error] = payload["userErrors"]
    return error["code"], error["field"]


def test_create_refuses_bad_and_duplicate_codes(world: World, db: Session) -> None:
    admin = world.api("admin")
    bad = admin(CREATE, {"i": {"code": "41110", "name": "x"}})["createInstitution"]
    assert error_of(bad) == ("INVALID_INSTITUTION_CODE", ["code"])
    dup = admin(CREATE, {"i": {"code": SCHOOLS["thu"], "name": "x"}})["createInstitution"]
    assert error_of(dup) == ("DUPLICATE_INSTITUTION", ["code"])
    assert "清华大学" in dup["userErrors"][0]["message"]
    assert total(db) == 92


def test_reviewed_institution_cannot_be_deleted(world: World, db: Session) -> None:
    open_session(world, [SCHOOLS["thu"], SCHOOLS["ruc"], SCHOOLS["ustb"]])
    payload = world.api("admin")(DELETE, {"code": SCHOOLS["thu"]})["deleteInstitution"]
    assert error_of(payload) == ("INSTITUTION_IN_USE", ["code"])
    assert total(db) == 92


def test_csv_import_creates_and_updates(world: World, db: Session) -> None:
    csv = (
        "code,name,authority,level,category\n"
        "4111099991,北京测试学院,北京市,本科,\n"
        "4111010003,清华大学,教育部,本科,综合\n"
    )
    payload = world.api("admin")(IMPORT, {"csv": csv})["importInstitutions"]
    assert payload == {"created": ["4111099991"], "updated": ["4111010003"], "userErrors": []}
    thu = world.api("admin")(ONE, {"code": SCHOOLS["thu"]})["institution"]
    assert (thu["category"], thu["categoryInferred"]) == ("综合", False)
    assert total(db) == 93


def test_csv_import_is_all_or_nothing_and_reports_every_bad_line(world: World, db: Session) -> None:
    csv = (
        "code,name,authority,level,category\n"
        "4111099991,北京测试学院,北京市,本科,\n"
        "12345,坏代码学院,,,\n"
        "4111099992,,,,\n"
        "4111099991,重复学院,,,\n"
    )
    payload = world.api("admin")(IMPORT, {"csv": csv})["importInstitutions"]
    assert payload["created"] == []
    assert [e["message"] for e in payload["userErrors"]] == [
        "CSV 第 3 行:学校标识码“12345”无效",
        "CSV 第 4 行:校名为空",
        "CSV 第 5 行:学校标识码 4111099991 与第 2 行重复",
    ]
    assert total(db) == 92


def test_responses_carry_chinese_as_utf8(world: World) -> None:
    response = world.api("viewer").post(ONE, {"code": SCHOOLS["thu"]})
    assert "清华大学" in response.text
    assert response.headers["content-type"].startswith("application/json")


def test_a_former_name_belongs_to_one_institution(world: World) -> None:
    payload = world.api("admin", "en")(
        UPDATE, {"i": {"code": SCHOOLS["thu"], "aliases": ["北京社会管理职业学院"]}}
    )["updateInstitution"]
    assert payload["userErrors"] == [
        {
            "field": ["aliases", "0"],
            "code": "INVALID_VALUE",
            "message": "aliases.0: the former name '北京社会管理职业学院' already belongs to "
            "民政职业大学",
        }
    ]


def test_overlong_name_is_refused(world: World, db: Session) -> None:
    payload = world.api("admin")(CREATE, {"i": {"code": "4111099991", "name": "学" * 201}})
    assert error_of(payload["createInstitution"]) == ("INVALID_VALUE", ["name"])
    assert total(db) == 92


def test_forged_cursor_is_an_input_error(world: World) -> None:
    import base64
    import json

    forged = base64.urlsafe_b64encode(json.dumps(["2027Q1", "x"]).encode()).decode()
    body = world.api("viewer").raw(
        "query($after: String) { reviewSessions(after: $after) { totalCount } }", {"after": forged}
    )
    assert body["errors"][0]["extensions"] == {
        "code": "INVALID_VALUE",
        "field": ["after"],
        "requestId": ANY,
    }
