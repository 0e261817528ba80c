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


# Rules each pinned by a test that fails on a mutant of findings/service.py that the tests
# above let through (tests/MUTATION.md).

THIS = str(current_quarter())
BY_STATUS = """query($status: RectificationStatus) {
  rectificationItems(status: $status) { edges { node { title status } } } }"""
SESSION_FINDINGS = "query($id: ID!) { findings(sessionId: $id) { id } }"


def item_titles(world: World, who: str, variables: dict[str, Any] | None = None) -> list[str]:
    items = world.api(who)(ITEMS, variables or {})["rectificationItems"]
    return [e["node"]["title"] for e in items["edges"]]


def test_a_finding_needs_a_title(world: World) -> None:
    session_id = run_full_session(world)
    for blank in ("", "  "):
        refused = raise_item(world, session_id, title=blank)
        assert (codes(refused), refused["finding"]) == ([("INVALID_VALUE", ["title"])], None)
    assert world.api("admin")(SESSION_FINDINGS, {"id": session_id})["findings"] == []


def test_an_item_due_this_quarter_is_accepted_and_not_yet_overdue(world: World) -> None:
    session_id = run_full_session(world)
    raised = raise_item(world, session_id, dueQuarter=THIS)
    assert raised["userErrors"] == []
    assert (raised["finding"]["dueQuarter"], raised["finding"]["overdue"]) == (THIS, False)
    assert item_titles(world, "viewer", {"overdue": True}) == []
    assert item_titles(world, "viewer") == ["志愿服务长效机制不健全"]


def test_a_highlight_is_no_rectification_item(world: World) -> None:
    # A highlight takes no due quarter even when one is given, has no status and is never
    # listed among the rectification items.
    session_id = run_full_session(world)
    highlight = raise_item(world, session_id, kind="HIGHLIGHT", title="志愿服务品牌突出")
    assert highlight["userErrors"] == []
    found = highlight["finding"]
    assert (found["kind"], found["dueQuarter"], found["status"], found["overdue"]) == (
        "HIGHLIGHT",
        None,
        None,
        False,
    )
    raise_item(world, session_id)
    assert item_titles(world, "viewer") == ["志愿服务长效机制不健全"]
    assert item_titles(world, "ustb") == ["志愿服务长效机制不健全"]


def test_each_school_reads_and_reports_on_its_own_items_only(world: World) -> None:
    # Both ways round, so that neither school's id sorting before the other's lets it in.
    session_id = run_full_session(world)
    items = {
        school: raise_item(world, session_id, school=school, title=f"{school} 的整改事项")
        for school in ("thu", "ustb")
    }
    for school, other in (("thu", "ustb"), ("ustb", "thu")):
        assert item_titles(world, school) == [f"{school} 的整改事项"]
        step = {"findingId": items[other]["finding"]["id"], "text": "不是我们的"}
        refused = world.api(school)(PROGRESS, {"i": step})["reportRectificationProgress"]
        assert codes(refused) == [("UNKNOWN_FINDING", ["findingId"])]
    assert item_titles(world, "viewer", {"code": SCHOOLS["ustb"]}) == ["ustb 的整改事项"]


def test_items_are_listed_by_their_exact_status(world: World) -> None:
    session_id = run_full_session(world)
    ids = {
        status: raise_item(world, session_id, title=status, indicator=None)["finding"]["id"]
        for status in ("OPEN", "IN_PROGRESS", "DONE", "VERIFIED")
    }
    ustb = world.api("ustb")
    for status, to in (("IN_PROGRESS", "IN_PROGRESS"), ("DONE", "DONE"), ("VERIFIED", "DONE")):
        step = ustb(PROGRESS, {"i": {"findingId": ids[status], "text": "已整改", "status": to}})
        assert step["reportRectificationProgress"]["userErrors"] == []
    verified = world.api("admin")(VERIFY, {"i": {"findingId": ids["VERIFIED"]}})
    assert verified["verifyRectificationItem"]["userErrors"] == []
    for status in ids:
        listed = world.api("viewer")(BY_STATUS, {"status": status})["rectificationItems"]
        assert [(e["node"]["title"], e["node"]["status"]) for e in listed["edges"]] == [
            (status, status)
        ]


def test_a_progress_report_needs_text(world: World) -> None:
    session_id = run_full_session(world)
    item = raise_item(world, session_id)["finding"]
    for blank in ("", " \n "):
        step = {"findingId": item["id"], "text": blank, "status": "DONE"}
        refused = world.api("ustb")(PROGRESS, {"i": step})["reportRectificationProgress"]
        assert (codes(refused), refused["finding"]) == ([("INVALID_VALUE", ["text"])], None)
    [node] = world.api("ustb")(ITEMS, {})["rectificationItems"]["edges"]
    assert node["node"]["status"] == "OPEN"


def test_verification_is_refused_before_done_and_at_an_earlier_review(world: World) -> None:
    session_id = run_full_session(world)  # 2027Q1
    item = raise_item(world, session_id)["finding"]
    admin = world.api("admin", "en")
    early = admin(VERIFY, {"i": {"findingId": item["id"]}})["verifyRectificationItem"]
    assert codes(early) == [("NOT_DONE", ["findingId"])]
    assert early["userErrors"][0]["message"] == (
        "the item is not done (it is OPEN); it cannot be verified"
    )
    step = {"findingId": item["id"], "text": "已制定管理办法"}
    assert world.api("ustb")(PROGRESS, {"i": step})["reportRectificationProgress"]["finding"]
    started = admin(VERIFY, {"i": {"findingId": item["id"]}})["verifyRectificationItem"]
    assert started["userErrors"][0]["message"] == (
        "the item is not done (it is IN_PROGRESS); it cannot be verified"
    )
    done = {"findingId": item["id"], "text": "已纳入年度考核", "status": "DONE"}
    assert world.api("ustb")(PROGRESS, {"i": done})["reportRectificationProgress"]["finding"]
    codes_of_ustb = [SCHOOLS["ustb"], SCHOOLS["pku"], SCHOOLS["bnu"]]
    earlier = admin(
        CREATE,
        {"input": {"quarter": "2026Q4", "institutionCodes": codes_of_ustb, "indicatorSet": SET}},
    )["createReviewSession"]["reviewSession"]["id"]
    before = admin(VERIFY, {"i": {"findingId": item["id"], "sessionId": earlier}})
    assert codes(before["verifyRectificationItem"]) == [("NOT_A_LATER_REVIEW", ["sessionId"])]
    [node] = world.api("viewer")(ITEMS, {})["rectificationItems"]["edges"]
    assert node["node"]["status"] == "DONE"


def test_a_verification_keeps_the_commissions_note_or_says_it_passed(world: World) -> None:
    session_id = run_full_session(world)
    notes = {}
    for note in ("现场核查属实", ""):
        item = raise_item(world, session_id, title=f"事项{note}", indicator=None)["finding"]
        done = {"findingId": item["id"], "text": "已整改", "status": "DONE"}
        assert world.api("ustb")(PROGRESS, {"i": done})["reportRectificationProgress"]["finding"]
        verify = {"findingId": item["id"], "note": note}
        finding = world.api("admin")(VERIFY, {"i": verify})["verifyRectificationItem"]["finding"]
        notes[note] = [(n["status"], n["text"]) for n in finding["notes"]]
    assert notes == {
        "现场核查属实": [("DONE", "已整改"), ("VERIFIED", "现场核查属实")],
        "": [("DONE", "已整改"), ("VERIFIED", "核查通过")],
    }
