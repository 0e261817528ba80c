"""Cursor connections: forwards and backwards, a complete ``pageInfo``, ``nodes`` beside
``edges``, ``totalCount``; for lists read by keyset from a table (institutions, accounts)
and for lists ordered in memory (a session's scores, by the blind-review rule)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.conftest import SCHOOLS, Api, World
from tests.flows import open_session, scores_for, submit

INSTITUTIONS = """query($first: Int, $after: String, $last: Int, $before: String) {
  institutions(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { code } }
    nodes { code }
  }
}"""

SCORES = """query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  reviewSession(id: $id) {
    scores(first: $first, after: $after, last: $last, before: $before) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id } }
      nodes { id }
    }
  }
}"""


def page(api: Api, document: str, path: tuple[str, ...], **arguments: Any) -> dict[str, Any]:
    found: Any = api(document, arguments)
    for key in path:
        found = found[key]
    # ``nodes`` is ``edges`` without the cursors, and the page's ends are its cursors.
    assert found["nodes"] == [edge["node"] for edge in found["edges"]]
    info = found["pageInfo"]
    cursors = [edge["cursor"] for edge in found["edges"]]
    assert (info["startCursor"], info["endCursor"]) == (
        (cursors[0], cursors[-1]) if cursors else (None, None)
    )
    return dict(found)


def forwards(api: Api, document: str, path: tuple[str, ...], size: int, **more: Any) -> list[Any]:
    """Every page from the start, checking each page's flags."""
    pages = [page(api, document, path, first=size, **more)]
    while pages[-1]["pageInfo"]["hasNextPage"]:
        after = pages[-1]["pageInfo"]["endCursor"]
        pages.append(page(api, document, path, first=size, after=after, **more))
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False] + [True] * (len(pages) - 1)
    assert all(len(p["nodes"]) == size for p in pages[:-1]) and 0 < len(pages[-1]["nodes"]) <= size
    return [node for p in pages for node in p["nodes"]]


def backwards(api: Api, document: str, path: tuple[str, ...], size: int, **more: Any) -> list[Any]:
    """Every page from the end, checking each page's flags."""
    pages = [page(api, document, path, last=size, **more)]
    while pages[-1]["pageInfo"]["hasPreviousPage"]:
        before = pages[-1]["pageInfo"]["startCursor"]
        pages.append(page(api, document, path, last=size, before=before, **more))
    assert [p["pageInfo"]["hasNextPage"] for p in pages] == [False] + [True] * (len(pages) - 1)
    return [node for p in reversed(pages) for node in p["nodes"]]


def test_institutions_page_forwards_and_backwards_to_the_same_list(world: World) -> None:
    viewer = world.api("viewer")
    path = ("institutions",)
    whole = page(viewer, INSTITUTIONS, path, first=200)
    codes = [n["code"] for n in whole["nodes"]]
    assert codes == sorted(codes) and len(codes) == whole["totalCount"] >= 92
    assert [n["code"] for n in forwards(viewer, INSTITUTIONS, path, 20)] == codes
    assert [n["code"] for n in backwards(viewer, INSTITUTIONS, path, 20)] == codes
    # A window between two cursors, read from either end.
    cursors = [edge["cursor"] for edge in whole["edges"]]
    window = {"after": cursors[9], "before": cursors[20]}
    assert [n["code"] for n in page(viewer, INSTITUTIONS, path, first=50, **window)["nodes"]] == (
        codes[10:20]
    )
    last = page(viewer, INSTITUTIONS, path, last=3, **window)
    assert [n["code"] for n in last["nodes"]] == codes[17:20]
    assert last["pageInfo"] | {"startCursor": None, "endCursor": None} == {
        "hasPreviousPage": True,
        "hasNextPage": True,
        "startCursor": None,
        "endCursor": None,
    }
    empty = page(viewer, INSTITUTIONS, path, first=0)
    assert (empty["nodes"], empty["totalCount"]) == ([], len(codes))


def test_a_page_stays_where_it_was_while_rows_are_added_before_it(world: World) -> None:
    admin = world.api("admin")
    path = ("institutions",)
    first = page(admin, INSTITUTIONS, path, first=10)
    create = """mutation($input: CreateInstitutionInput!) {
      createInstitution(input: $input) { userErrors { code } } }"""
    added = {"code": "4111000001", "name": "排在最前的学院", "active": False}
    assert admin(create, {"input": added})["createInstitution"]["userErrors"] == []
    after = first["pageInfo"]["endCursor"]
    following = page(admin, INSTITUTIONS, path, first=10, after=after)
    whole = [n["code"] for n in page(admin, INSTITUTIONS, path, first=200)["nodes"]]
    assert whole[0] == "4111000001"
    assert [n["code"] for n in following["nodes"]] == whole[11:21]


@pytest.mark.parametrize(
    ("arguments", "field", "code"),
    [
        ({"first": 5, "last": 5}, ["last"], "INVALID_VALUE"),
        ({"first": 201}, ["first"], "INVALID_VALUE"),
        ({"last": -1}, ["last"], "INVALID_VALUE"),
        ({"after": "not a cursor"}, ["after"], "INVALID_VALUE"),
        ({"before": base64.urlsafe_b64encode(b'["x", 1]').decode()}, ["before"], "INVALID_VALUE"),
    ],
)
def test_a_page_that_cannot_be_read_is_refused_naming_the_argument(
    world: World, arguments: dict[str, Any], field: list[str], code: str
) -> None:
    body = world.api("viewer").raw(INSTITUTIONS, arguments)
    [error] = body["errors"]
    assert body["data"] == {"institutions": None} or body["data"] is None
    assert (error["extensions"]["code"], error["extensions"].get("field")) == (code, field)


def test_accounts_page_in_the_order_they_were_created(world: World) -> None:
    document = """query($first: Int, $after: String, $last: Int, $before: String) {
      accounts(first: $first, after: $after, last: $last, before: $before) {
        totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { id name } } nodes { id name } } }"""
    admin = world.api("admin")
    whole = page(admin, document, ("accounts",), first=200)["nodes"]
    assert len(whole) == len(world.tokens)
    assert forwards(admin, document, ("accounts",), 4) == whole
    assert backwards(admin, document, ("accounts",), 4) == whole


def scored_session(world: World) -> str:
    """An open session whose schools have scored themselves and each other, and each of
    the seven experts every school: 3 × 20 + 6 × 20 + 7 × 60 scores."""
    session_id = open_session(world, [SCHOOLS[s] for s in ("thu", "ruc", "ustb")])
    for school in ("thu", "ruc", "ustb"):
        api = world.api(school)
        assert submit(api, session_id, school, "SELF", scores_for("SELF", 80))["userErrors"] == []
        for subject in sorted({"thu", "ruc", "ustb"} - {school}):
            assert (
                submit(api, session_id, subject, "PEER", scores_for("PEER", 75))["userErrors"] == []
            )
    for expert in [k for k in world.tokens if k.startswith("expert")]:
        for subject in ("thu", "ruc", "ustb"):
            entries = scores_for("EXPERT", 70)
            assert (
                submit(world.api(expert), session_id, subject, "EXPERT", entries)["userErrors"]
                == []
            )
    return session_id


def test_a_sessions_scores_page_both_ways_in_the_reading_order(world: World) -> None:
    session_id = scored_session(world)
    admin = world.api("admin")
    path = ("reviewSession", "scores")
    total = page(admin, SCORES, path, id=session_id, first=0)["totalCount"]
    whole = [n["id"] for n in forwards(admin, SCORES, path, 200, id=session_id)]
    assert len(whole) == total == len(set(whole)) == 3 * 20 + 6 * 20 + 7 * 60
    assert [n["id"] for n in forwards(admin, SCORES, path, 37, id=session_id)] == whole
    assert [n["id"] for n in backwards(admin, SCORES, path, 37, id=session_id)] == whole
    # A school's own scores, in one page; a cursor from another list is refused.
    thu = page(world.api("thu"), SCORES, path, id=session_id, first=200)
    assert thu["totalCount"] == 60 and not thu["pageInfo"]["hasNextPage"]
    foreign = base64.urlsafe_b64encode(json.dumps([whole[-1]]).encode()).decode()
    refused = world.api("thu").raw(SCORES, {"id": session_id, "after": foreign})
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["INVALID_VALUE"]
