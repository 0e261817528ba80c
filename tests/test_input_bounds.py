"""Every input has a documented bound (``sanquan.limits``), and anything beyond it, or
anything no database can store, is a typed, localised error that changes nothing and logs
no traceback: texts, integers, lists, quarters, dates, ids (R12 and the interface contract's
"typed errors"; R24)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from unittest.mock import ANY

import pytest
from graphql import (
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from sanquan import limits
from sanquan.api.bounds import limit_of
from sanquan.api.schema import build_schema
from sanquan.db import Base
from sanquan.timeutil import current_quarter
from tests.conftest import SCHOOLS, World
from tests.flows import APPOINT, CREATE, SET, create_session, open_session, scores_for
from tests.test_findings import PROGRESS, raise_item
from tests.test_review_flow import run_full_session

THREE = [SCHOOLS["thu"], SCHOOLS["ruc"], SCHOOLS["ustb"]]
ERRORS = "userErrors { field code message }"


def send(
    world: World, who: str, query: str, variables: dict[str, Any], language: str = "zh"
) -> dict[str, Any]:
    return world.api(who, language).raw(query, variables)


def snapshot(db: Session) -> dict[str, list[Any]]:
    """Every row of every table, to prove that a refused request changed nothing."""
    db.expire_all()
    return {
        table.name: sorted(map(repr, db.execute(select(table)).all()))
        for table in Base.metadata.sorted_tables
    }


@pytest.fixture
def unchanged(db: Session, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """The test's requests leave the database as it was and log no error."""
    before = snapshot(db)
    with caplog.at_level(logging.ERROR):
        yield
    assert snapshot(db) == before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text


def mutation(name: str, input_type: str) -> str:
    return f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ {ERRORS} }} }}"


def refused(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    assert "errors" not in body, body
    errors: list[dict[str, Any]] = body["data"][name]["userErrors"]
    return errors


def only_error(body: dict[str, Any], name: str) -> tuple[str, list[str], str]:
    [error] = refused(body, name)
    return error["code"], error["field"], error["message"]


# Text inputs: (mutation, input type, who, input, field path, maximum length).
TEXT_CASES: list[tuple[str, str, str, dict[str, Any], list[str], int]] = [
    (
        "createInstitution",
        "CreateInstitutionInput",
        "admin",
        {"code": "4111014999", "name": "{}"},
        ["name"],
        limits.NAME_LENGTH,
    ),
    (
        "updateInstitution",
        "UpdateInstitutionInput",
        "admin",
        {"code": SCHOOLS["thu"], "aliases": ["清华学堂", "{}"]},
        ["aliases", "1"],
        limits.NAME_LENGTH,
    ),
    ("importInstitutions", "ImportInstitutionsInput", "admin", {"csv": "{}"}, ["csv"], 0),
    (
        "createReviewSession",
        "CreateReviewSessionInput",
        "admin",
        {"quarter": "2027Q1", "institutionCodes": THREE, "indicatorSet": SET, "title": "{}"},
        ["title"],
        limits.NAME_LENGTH,
    ),
    (
        "createAccount",
        "CreateAccountInput",
        "admin",
        {"name": "{}", "role": "VIEWER"},
        ["name"],
        limits.NAME_LENGTH,
    ),
    (
        "setRotationConstraint",
        "SetRotationConstraintInput",
        "admin",
        {"institutionCode": SCHOOLS["thu"], "quarter": "2027Q2", "kind": "PIN", "note": "{}"},
        ["note"],
        limits.NOTE_LENGTH,
    ),
    (
        "reportTaskProgress",
        "ReportTaskProgressInput",
        "unit",
        {
            "plan": "jingjiaozufa-2019-3",
            "taskNumber": 1,
            "quarter": str(current_quarter()),
            "status": "ON_TRACK",
            "text": "{}",
        },
        ["text"],
        limits.TEXT_LENGTH,
    ),
]
BAD_TEXTS = {
    "lone surrogate": "北京\ud800大学",
    "NUL": "北京\x00大学",
    "ESC": "北京\x1b大学",
    "SOH": "\x01北京大学",
    "too long": None,
}


def fill(value: Any, text: str) -> Any:
    if isinstance(value, dict):
        return {k: fill(v, text) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, text) for v in value]
    return text if value == "{}" else value


@pytest.mark.parametrize("bad", BAD_TEXTS)
@pytest.mark.parametrize("case", TEXT_CASES, ids=lambda case: f"{case[0]}.{case[4][0]}")
def test_every_text_is_clean_and_bounded(
    world: World, unchanged: None, case: tuple[Any, ...], bad: str
) -> None:
    name, input_type, who, template, field, maximum = case
    # An over-long CSV in ASCII, so that its JSON stays under the request body limit.
    text = BAD_TEXTS[bad] or ("长" * (maximum + 1) if maximum else "x" * (limits.CSV_LENGTH + 1))
    body = send(world, who, mutation(name, input_type), {"i": fill(template, text)}, "en")
    code, path, message = only_error(body, name)
    assert (code, path) == ("INVALID_VALUE", field)
    expected = {
        "lone surrogate": "lone UTF-16 surrogate",
        "too long": f"at most {maximum or limits.CSV_LENGTH:,} characters",
    }.get(bad, "control characters")
    assert expected in message


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("comment", "好" * (limits.COMMENT_LENGTH + 1)),
        ("comment", "x" * 200_000),
        ("evidence", "见附件\x00"),
        ("evidence", "见附件\x1b[31m"),
        ("evidence", "\x01"),
        ("comment", "\udc80"),
    ],
    ids=[
        "comment-2001",
        "comment-200k",
        "evidence-NUL",
        "evidence-ESC",
        "evidence-SOH",
        "surrogate",
    ],
)
def test_score_comment_and_evidence_are_bounded_and_clean(
    world: World, db: Session, caplog: pytest.LogCaptureFixture, field: str, text: str
) -> None:
    session_id = open_session(world, THREE)
    entries = scores_for("PEER", 80)
    entries[3][field] = text
    before = snapshot(db)
    with caplog.at_level(logging.ERROR):
        body = send(
            world,
            "thu",
            mutation("submitScores", "SubmitScoresInput"),
            {
                "i": {
                    "sessionId": session_id,
                    "institutionCode": SCHOOLS["ruc"],
                    "source": "PEER",
                    "scores": entries,
                }
            },
        )
    code, path, message = only_error(body, "submitScores")
    assert (code, path) == ("INVALID_VALUE", ["scores", "3", field])
    assert message.startswith(f"scores.3.{field}:")
    assert snapshot(db) == before
    assert not caplog.records


def test_query_arguments_are_clean_and_bounded(world: World, unchanged: None) -> None:
    for search in ("\ud800", "\x00", "长" * (limits.SEARCH_LENGTH + 1)):
        body = send(
            world,
            "viewer",
            "query($s: String) { institutions(search: $s) { totalCount } }",
            {"s": search},
        )
        [error] = body["errors"]
        assert error["extensions"] == {
            "code": "INVALID_VALUE",
            "field": ["search"],
            "requestId": ANY,
        }
        assert error["message"].startswith("search:")
    body = send(world, "viewer", '{ institution(code: "\\u0000") { name } }', {})
    assert body["errors"][0]["extensions"]["field"] == ["code"]


def test_a_quarter_with_a_lone_surrogate_is_an_input_error(world: World, unchanged: None) -> None:
    body = send(
        world,
        "admin",
        CREATE,
        {"input": {"quarter": "2027Q\ud800", "institutionCodes": THREE, "indicatorSet": SET}},
    )
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INVALID_QUARTER"
    assert "2027Q\ufffd" in error["message"]


PLAN = mutation("planRotation", "PlanRotationInput")
CREATE_SESSION = mutation("createReviewSession", "CreateReviewSessionInput")


def session_input(**fields: Any) -> dict[str, Any]:
    return {"i": {"quarter": "2027Q1", "institutionCodes": THREE, "indicatorSet": SET, **fields}}


# (who, document, variables, GraphQL field, field path) for integers out of range.
INTEGER_CASES: list[tuple[str, str, dict[str, Any], str, list[str]]] = [
    (
        "admin",
        CREATE_SESSION,
        session_input(minExperts=2147483647),
        "createReviewSession",
        ["minExperts"],
    ),
    (
        "admin",
        mutation("createInstitution", "CreateInstitutionInput"),
        {"i": {"code": "4111014999", "name": "新大学", "pilotBatch": 3}},
        "createInstitution",
        ["pilotBatch"],
    ),
    (
        "unit",
        mutation("reportTaskProgress", "ReportTaskProgressInput"),
        {
            "i": {
                "plan": "jingjiaozufa-2019-3",
                "taskNumber": -2147483648,
                "quarter": "2027Q1",
                "status": "ON_TRACK",
                "text": "进展",
            }
        },
        "reportTaskProgress",
        ["taskNumber"],
    ),
    (
        "admin",
        PLAN,
        {"i": {"start": "2027Q1", "sessionsPerQuarter": 0}},
        "planRotation",
        ["sessionsPerQuarter"],
    ),
    ("admin", PLAN, {"i": {"start": "2027Q1", "maxGap": 2147483647}}, "planRotation", ["maxGap"]),
    ("admin", PLAN, {"i": {"start": "2027Q1", "panelSize": -1}}, "planRotation", ["panelSize"]),
    (
        "admin",
        PLAN,
        {"i": {"start": "2027Q1", "maxSessionsPerYear": 13}},
        "planRotation",
        ["maxSessionsPerYear"],
    ),
]


@pytest.mark.parametrize("case", INTEGER_CASES, ids=lambda case: ".".join(case[4]))
def test_every_integer_has_a_range(world: World, unchanged: None, case: tuple[Any, ...]) -> None:
    who, document, variables, name, field = case
    code, path, message = only_error(send(world, who, document, variables), name)
    assert (code, path) == ("INVALID_VALUE", field)
    assert "之间" in message


def test_overdue_gap_is_bounded(world: World, unchanged: None) -> None:
    body = send(world, "viewer", "{ overdueInstitutions(maxGap: -2147483648) { dueBy } }", {}, "en")
    [error] = body["errors"]
    assert error["extensions"] == {"code": "INVALID_VALUE", "field": ["maxGap"], "requestId": ANY}
    assert error["message"] == "maxGap: must be from 1 to 48; got -2,147,483,648"
    assert body["data"] is None


def test_every_list_has_a_maximum(world: World, unchanged: None) -> None:
    many_aliases = [f"旧名{n}" for n in range(limits.ALIASES + 1)]
    body = send(
        world,
        "admin",
        mutation("updateInstitution", "UpdateInstitutionInput"),
        {"i": {"code": SCHOOLS["thu"], "aliases": many_aliases}},
        "en",
    )
    assert only_error(body, "updateInstitution") == (
        "INVALID_VALUE",
        ["aliases"],
        f"aliases: at most {limits.ALIASES} entries; got {limits.ALIASES + 1}",
    )
    body = send(
        world,
        "admin",
        APPOINT,
        {"input": {"sessionId": "1", "expertIds": ["1"] * (limits.PANEL + 1)}},
    )
    assert only_error(body, "appointExperts")[:2] == ("INVALID_VALUE", ["expertIds"])
    body = send(world, "admin", PLAN, {"i": {"start": "2027Q1", "priorities": ["x"] * 5001}})
    assert only_error(body, "planRotation")[:2] == ("INVALID_VALUE", ["priorities"])


# (document, variables, payload field, path) for quarters outside their windows.
QUARTER_CASES: list[tuple[str, dict[str, Any], str, list[str]]] = [
    (CREATE_SESSION, session_input(quarter="2199Q4"), "createReviewSession", ["quarter"]),
    (CREATE_SESSION, session_input(quarter="2000Q1"), "createReviewSession", ["quarter"]),
    (PLAN, {"i": {"start": "2199Q4"}}, "planRotation", ["start"]),
    (
        mutation("setRotationConstraint", "SetRotationConstraintInput"),
        {"i": {"institutionCode": SCHOOLS["thu"], "quarter": "2199Q4", "kind": "BLACKOUT"}},
        "setRotationConstraint",
        ["quarter"],
    ),
]


@pytest.mark.parametrize("case", QUARTER_CASES, ids=lambda case: f"{case[2]}-{case[1]}")
def test_quarters_stay_in_a_window_around_today(
    world: World, unchanged: None, case: tuple[Any, ...]
) -> None:
    document, variables, name, field = case
    code, path, message = only_error(send(world, "admin", document, variables, "en"), name)
    first, last = limits.SCHEDULE.bounds(current_quarter())
    if name == "planRotation":
        first, last = limits.CYCLE_START.bounds(current_quarter())
    quarter = variables["i"].get("quarter") or variables["i"]["start"]
    assert (code, path) == ("QUARTER_OUT_OF_RANGE", field)
    assert message == f"quarter {quarter} is outside the range {first}–{last}"


def test_progress_quarter_and_rotation_start_are_what_the_user_sent(
    world: World, unchanged: None
) -> None:
    body = send(world, "viewer", '{ rotation(start: "2199Q4") { end } }', {}, "en")
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "QUARTER_OUT_OF_RANGE",
        "field": ["start"],
        "requestId": ANY,
    }
    assert "2199Q4" in error["message"]
    assert "2200Q1" not in error["message"]
    body = send(
        world,
        "unit",
        mutation("reportTaskProgress", "ReportTaskProgressInput"),
        {
            "i": {
                "plan": "jingjiaozufa-2019-3",
                "taskNumber": 1,
                "quarter": "2000Q1",
                "status": "ON_TRACK",
                "text": "进展",
            }
        },
    )
    code, path, message = only_error(body, "reportTaskProgress")
    assert (code, path) == ("QUARTER_OUT_OF_RANGE", ["quarter"])
    assert "2000Q1" in message


def test_deadline_years_ahead_is_refused(world: World, unchanged: None) -> None:
    body = send(
        world,
        "admin",
        CREATE_SESSION,
        session_input(deadlines={"expert": "9999-12-31"}),
        "en",
    )
    assert only_error(body, "createReviewSession") == (
        "DEADLINE_TOO_LATE",
        ["deadlines", "expert"],
        "deadline 9999-12-31 is too late: the session is in 2027Q1, so 2028-03-31 at the latest",
    )


def test_csv_field_beyond_the_reader_limit_is_a_csv_error(world: World, unchanged: None) -> None:
    csv = "code,name\n4111014999," + "长" * 140_000 + "\n"
    body = send(
        world,
        "admin",
        mutation("importInstitutions", "ImportInstitutionsInput"),
        {"i": {"csv": csv}},
        "en",
    )
    assert only_error(body, "importInstitutions") == (
        "CSV_INVALID",
        ["csv"],
        "CSV line 2: a field is longer than 131,072 characters",
    )


@pytest.mark.parametrize(
    ("name", "input_type", "field", "code", "extra"),
    [
        (
            "reportRectificationProgress",
            "ReportProgressInput",
            "findingId",
            "UNKNOWN_FINDING",
            {"text": "x"},
        ),
        ("verifyRectificationItem", "VerifyItemInput", "findingId", "UNKNOWN_FINDING", {}),
        ("adoptRotationPlan", "AdoptRotationPlanInput", "planId", "UNKNOWN_PLAN", {}),
        (
            "setAccountActive",
            "SetAccountActiveInput",
            "accountId",
            "UNKNOWN_ACCOUNT",
            {"active": False},
        ),
        ("openReviewSession", "SessionInput", "sessionId", "UNKNOWN_SESSION", {}),
    ],
)
@pytest.mark.parametrize("bad", ["2147483648", "9223372036854775807", "-1", "abc"])
def test_ids_that_cannot_be_rows_answer_as_unknown_ids(
    world: World,
    unchanged: None,
    name: str,
    input_type: str,
    field: str,
    code: str,
    extra: dict[str, Any],
    bad: str,
) -> None:
    who = "thu" if name == "reportRectificationProgress" else "admin"
    body = send(world, who, mutation(name, input_type), {"i": {field: bad, **extra}})
    assert only_error(body, name)[:2] == (code, [field])


def test_an_institution_is_reviewed_once_a_quarter(world: World, db: Session) -> None:
    admin = world.api("admin", "en")
    first = admin(
        CREATE,
        {
            "input": {
                "quarter": "2027Q1",
                "institutionCodes": THREE,
                "indicatorSet": SET,
                "title": "第一次",
            }
        },
    )
    session_id = first["createReviewSession"]["reviewSession"]["id"]
    before = snapshot(db)
    again = [SCHOOLS["pku"], SCHOOLS["ruc"], SCHOOLS["bnu"]]
    body = send(world, "admin", CREATE_SESSION, session_input(institutionCodes=again), "en")
    assert only_error(body, "createReviewSession") == (
        "ALREADY_IN_SESSION",
        ["institutionCodes", "1"],
        f"中国人民大学 is already in the 2027Q1 session '第一次' (id {session_id}); "
        "a school is reviewed at most once a quarter",
    )
    assert snapshot(db) == before
    later = admin(
        CREATE, {"input": {"quarter": "2027Q2", "institutionCodes": again, "indicatorSet": SET}}
    )
    assert later["createReviewSession"]["userErrors"] == []


def test_a_session_in_another_quarter_does_not_hold_a_school(world: World) -> None:
    """Once a quarter is per quarter: sessions of other quarters, created before or after,
    never hold a school (the earlier quarter's session created last, too)."""
    admin = world.api("admin")
    others = [SCHOOLS["pku"], SCHOOLS["bnu"], SCHOOLS["buaa"]]
    for quarter, schools in (
        ("2027Q1", THREE),
        ("2027Q2", others),
        ("2027Q2", THREE),
        ("2027Q1", others),
    ):
        created = admin(
            CREATE,
            {"input": {"quarter": quarter, "institutionCodes": schools, "indicatorSet": SET}},
        )
        assert created["createReviewSession"]["userErrors"] == [], (quarter, schools)


def test_another_schools_item_answers_as_an_unknown_id(world: World, db: Session) -> None:
    session_id = run_full_session(world)
    item = raise_item(world, session_id)["finding"]["id"]
    highlight = raise_item(world, session_id, kind="HIGHLIGHT", dueQuarter=None, owner="")
    probes = {"item": item, "highlight": highlight["finding"]["id"], "unknown": "999999"}
    before = snapshot(db)
    answers = {}
    for what, finding_id in probes.items():
        body = world.api("thu")(PROGRESS, {"i": {"findingId": finding_id, "text": "探测"}})
        payload = body["reportRectificationProgress"]
        answers[what] = {
            "finding": payload["finding"],
            "errors": [
                {**e, "message": e["message"].replace(finding_id, "N")}
                for e in payload["userErrors"]
            ],
        }
    assert answers["item"] == answers["highlight"] == answers["unknown"]
    assert answers["unknown"]["errors"][0]["code"] == "UNKNOWN_FINDING"
    assert snapshot(db) == before


def _unbounded(kind: Any, definition: Any) -> bool:
    listed = False
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        listed = listed or isinstance(kind, GraphQLList)
        kind = kind.of_type
    limit = limit_of(definition)
    if listed and (limit is None or limit.items is None):
        return True
    if kind is GraphQLString:
        return limit is None or limit.length is None
    if kind is GraphQLInt:
        return limit is None or limit.low is None or limit.high is None
    return False


def test_every_input_of_the_schema_is_bounded() -> None:
    """Every String, Int and list an input or argument takes declares its bound."""
    schema = build_schema()._schema
    missing = []
    for kind in schema.type_map.values():
        if kind.name.startswith("__"):
            continue
        if isinstance(kind, GraphQLObjectType):
            for name, field in kind.fields.items():
                missing += [
                    f"{kind.name}.{name}({arg})"
                    for arg, definition in field.args.items()
                    if _unbounded(definition.type, definition)
                ]
        if isinstance(kind, GraphQLInputObjectType):
            missing += [
                f"{kind.name}.{name}"
                for name, definition in kind.fields.items()
                if _unbounded(definition.type, definition)
            ]
    assert missing == []


def test_a_payload_argument_out_of_bounds_refuses_the_mutation_before_it_runs(
    world: World, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    """The payload is read after the mutation commits, so its arguments are checked first:
    a request answered with an error has changed nothing."""
    admin = world.api("admin", "en")
    session_id = create_session(admin, THREE, 1)["reviewSession"]["id"]
    appointed = admin(APPOINT, {"input": {"sessionId": session_id, "expertIds": world.expert_ids}})
    assert appointed["appointExperts"]["userErrors"] == []
    before = snapshot(db)
    document = """mutation($id: ID!, $code: String) {
      openReviewSession(input: {sessionId: $id}) {
        reviewSession {
          status ... on ReviewSession { scores(institutionCode: $code) { totalCount } } }
        userErrors { code } } }"""
    with caplog.at_level(logging.ERROR):
        body = admin.raw(document, {"id": session_id, "code": "长" * (limits.CODE_LENGTH + 1)})
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "INVALID_VALUE",
        "field": ["institutionCode"],
        "requestId": ANY,
    }
    assert snapshot(db) == before
    assert not caplog.records
