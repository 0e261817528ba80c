"""Findings (R18) end to end through GraphQL: highlights and rectification items raised by
the commission, progress reported by the school, verification at a later review, overdue
items derived, and who may see what."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sanquan.api.ids import parse_id
from sanquan.findings.models import Finding
from sanquan.timeutil import current_quarter
from tests.conftest import SCHOOLS, World
from tests.flows import CREATE, SET
from tests.test_review_flow import run_full_session

ERRORS = "userErrors { field code message }"
FIELDS = (
    "id kind title owner dueQuarter status overdue institution { code } "
    "notes { text evidence status author }"
)


def mutation(name: str, input_type: str, extra: str = "") -> str:
    return (
        f"mutation($i: {input_type}!) {{ {name}(input: $i) "
        f"{{ finding {{ {FIELDS} {extra} }} {ERRORS} }} }}"
    )


RAISE = mutation("raiseFinding", "RaiseFindingInput")
PROGRESS = mutation("reportRectificationProgress", "ReportProgressInput")
VERIFY = mutation("verifyRectificationItem", "VerifyItemInput", "verifiedInSessionId")
ITEMS = """query($code: String, $overdue: Boolean, $for: ID) {
  rectificationItems(institutionCode: $code, overdue: $overdue, forSession: $for) {
    totalCount edges { node { id title status overdue institution { code } } } } }"""

NEXT = str(current_quarter().next())


def raise_item(world: World, session_id: str, school: str = "ustb", **changes: Any) -> Any:
    item = {
        "sessionId": session_id,
        "institutionCode": SCHOOLS[school],
        "kind": "RECTIFICATION",
        "indicator": "T05",
        "title": "志愿服务长效机制不健全",
        "description": "专家组认为学生志愿服务缺少常态化组织",
        "owner": "校团委",
        "dueQuarter": NEXT,
        **changes,
    }
    return world.api("admin")(RAISE, {"i": item})["raiseFinding"]


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


def test_a_rectification_item_from_raising_to_verification(world: World) -> None:
    session_id = run_full_session(world)
    highlight = world.api("admin")(
        RAISE,
        {
            "i": {
                "sessionId": session_id,
                "institutionCode": SCHOOLS["thu"],
                "kind": "HIGHLIGHT",
                "indicator": "T20",
                "title": "季度点评制度运行规范",
            }
        },
    )["raiseFinding"]["finding"]
    assert (highlight["status"], highlight["dueQuarter"]) == (None, None)
    item = raise_item(world, session_id)["finding"]
    assert (item["status"], item["overdue"], item["owner"]) == ("OPEN", False, "校团委")

    ustb = world.api("ustb")
    step = ustb(
        PROGRESS,
        {
            "i": {
                "findingId": item["id"],
                "text": "已制定志愿服务管理办法",
                "evidence": "https://example.edu/notice/1",
            }
        },
    )
    assert step["reportRectificationProgress"]["finding"]["status"] == "IN_PROGRESS"
    early = world.api("admin")(VERIFY, {"i": {"findingId": item["id"]}})["verifyRectificationItem"]
    assert codes(early) == [("NOT_DONE", ["findingId"])]
    done = ustb(
        PROGRESS, {"i": {"findingId": item["id"], "text": "已纳入年度考核", "status": "DONE"}}
    )
    assert done["reportRectificationProgress"]["finding"]["status"] == "DONE"

    same = world.api("admin")(VERIFY, {"i": {"findingId": item["id"], "sessionId": session_id}})
    assert codes(same["verifyRectificationItem"]) == [("NOT_A_LATER_REVIEW", ["sessionId"])]
    later = world.api("admin")(
        CREATE,
        {
            "input": {
                "quarter": "2027Q3",
                "institutionCodes": [SCHOOLS["ustb"], SCHOOLS["pku"], SCHOOLS["bnu"]],
                "indicatorSet": SET,
            }
        },
    )["createReviewSession"]["reviewSession"]["id"]
    verified = world.api("admin")(
        VERIFY, {"i": {"findingId": item["id"], "sessionId": later, "note": "现场核查属实"}}
    )
    finding = verified["verifyRectificationItem"]["finding"]
    assert finding["status"] == "VERIFIED"
    assert finding["verifiedInSessionId"] == later
    assert [(n["status"], n["author"]) for n in finding["notes"]] == [
        ("IN_PROGRESS", "ustb"),
        ("DONE", "ustb"),
        ("VERIFIED", "admin"),
    ]
    again = ustb(PROGRESS, {"i": {"findingId": item["id"], "text": "再次报告"}})
    assert codes(again["reportRectificationProgress"]) == [("INVALID_TRANSITION", ["status"])]
    on_highlight = world.api("thu")(PROGRESS, {"i": {"findingId": highlight["id"], "text": "x"}})
    assert codes(on_highlight["reportRectificationProgress"]) == [
        ("NOT_A_RECTIFICATION_ITEM", ["findingId"])
    ]


def test_bad_findings_are_refused(world: World) -> None:
    session_id = run_full_session(world)
    past = raise_item(world, session_id, dueQuarter="2026Q1")
    assert codes(past) == [("DUE_IN_PAST", ["dueQuarter"])]
    assert "2026Q1" in past["userErrors"][0]["message"]
    incomplete = raise_item(world, session_id, owner=" ", dueQuarter=None, indicator="T99")
    assert codes(incomplete) == [
        ("UNKNOWN_INDICATOR", ["indicator"]),
        ("INVALID_VALUE", ["owner"]),
        ("INVALID_VALUE", ["dueQuarter"]),
    ]
    outsider = raise_item(world, session_id, school="pku")
    assert codes(outsider) == [("NOT_IN_SESSION", ["institutionCode"])]


def test_a_school_reports_only_on_its_own_items(world: World) -> None:
    session_id = run_full_session(world)
    item = raise_item(world, session_id)["finding"]
    other = world.api("thu")(PROGRESS, {"i": {"findingId": item["id"], "text": "不是我们的"}})
    assert codes(other["reportRectificationProgress"]) == [("UNKNOWN_FINDING", ["findingId"])]
    for who in ("admin", "viewer", "expert1", "unit"):
        body = world.api(who).raw(PROGRESS, {"i": {"findingId": item["id"], "text": "x"}})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_overdue_is_derived_and_visibility_follows_the_school(world: World, db: Session) -> None:
    session_id = run_full_session(world)
    ustb_item = raise_item(world, session_id)["finding"]
    raise_item(world, session_id, school="thu", title="网络育人覆盖面不足")
    row = db.get(Finding, parse_id(ustb_item["id"], "Finding"))
    assert row is not None
    row.due_quarter = "2026Q1"  # as if its due quarter had passed
    db.commit()
    overdue = world.api("viewer")(ITEMS, {"overdue": True})["rectificationItems"]
    assert [e["node"]["institution"]["code"] for e in overdue["edges"]] == [SCHOOLS["ustb"]]
    assert overdue["edges"][0]["node"]["overdue"] is True
    assert world.api("viewer")(ITEMS, {})["rectificationItems"]["totalCount"] == 2
    own = world.api("thu")(ITEMS, {})["rectificationItems"]
    assert [e["node"]["institution"]["code"] for e in own["edges"]] == [SCHOOLS["thu"]]
    forbidden = world.api("thu").raw(ITEMS, {"code": SCHOOLS["ustb"]})
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert world.api("unit").raw(ITEMS, {})["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_open_items_are_shown_when_the_next_session_is_prepared(world: World) -> None:
    session_id = run_full_session(world)
    raise_item(world, session_id)
    later = world.api("admin")(
        CREATE,
        {
            "input": {
                "quarter": "2027Q3",
                "institutionCodes": [SCHOOLS["ustb"], SCHOOLS["pku"], SCHOOLS["bnu"]],
                "indicatorSet": SET,
            }
        },
    )["createReviewSession"]["reviewSession"]["id"]
    prepared = world.api("admin")(ITEMS, {"for": later})["rectificationItems"]
    assert [e["node"]["title"] for e in prepared["edges"]] == ["志愿服务长效机制不健全"]
    assert world.api("admin")(ITEMS, {"for": session_id})["rectificationItems"]["totalCount"] == 0
