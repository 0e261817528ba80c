"""Finding drafts (R17 → R18): the diagnosis of a concluded session drafted into highlights
and rectification items, raised by the commission several at a time, all or none.

The drafting itself is tested on small hand-built diagnoses; the rest end to end through
GraphQL on both engines."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sanquan.findings.drafts import DraftBasis, draft_findings
from sanquan.findings.models import TITLE_LENGTH, Finding, FindingKind
from sanquan.limits import DRAFT_ITEMS
from sanquan.review.diagnostics import Diagnosis, SelfGap, Standout
from tests.conftest import SCHOOLS, World
from tests.flows import USER_ERRORS, open_session
from tests.test_conclusion import EVERYWHERE_76, concludes, scored_session
from tests.test_findings import NEXT, RAISE
from tests.test_review_flow import SESSION, run_full_session

DRAFTS = """
query($id: ID!, $code: String) {
  findingDrafts(sessionId: $id, institutionCode: $code) {
    institution { code } kind indicator title description bases raised raisedFinding { id }
  }
}"""
DIAGNOSTICS = """
query($id: ID!) {
  reviewSession(id: $id) {
    diagnostics {
      institution { code }
      highlights { indicator } weaknesses { indicator } selfGaps { indicator gap }
    }
  }
}"""
RAISE_DRAFTS = f"""
mutation($i: RaiseFindingsFromDraftsInput!) {{
  raiseFindingsFromDrafts(input: $i) {{
    findings {{
      id kind indicator title description owner dueQuarter status institution {{ code }}
    }}
    {USER_ERRORS}
  }}
}}"""
FINDINGS = "query($id: ID!) { findings(sessionId: $id) { id kind indicator } }"


def drafts_of(world: World, session_id: str, school: str | None = None) -> Any:
    code = SCHOOLS[school] if school else None
    return world.api("admin")(DRAFTS, {"id": session_id, "code": code})["findingDrafts"]


def raise_drafts(world: World, session_id: str, school: str, *items: dict[str, Any]) -> Any:
    payload = {"sessionId": session_id, "institutionCode": SCHOOLS[school], "items": list(items)}
    return world.api("admin")(RAISE_DRAFTS, {"i": payload})["raiseFindingsFromDrafts"]


def rectification(indicator: str, **changes: Any) -> dict[str, Any]:
    return {
        "kind": "RECTIFICATION",
        "indicator": indicator,
        "owner": "党委宣传部",
        "dueQuarter": NEXT,
        **changes,
    }


def stored_findings(db: Session) -> int:
    count = db.scalar(select(func.count()).select_from(Finding)) or 0
    db.rollback()  # end the read, so the next count sees what was committed since
    return count


# The drafting, on hand-built diagnoses


def diagnosis(
    highlights: tuple[Standout, ...] = (),
    weaknesses: tuple[Standout, ...] = (),
    self_gaps: tuple[SelfGap, ...] = (),
) -> Diagnosis:
    return Diagnosis(1, highlights, weaknesses, self_gaps, mean_self_gap=None)


def test_a_draft_states_its_figures_rounded_half_up() -> None:
    [draft] = draft_findings(diagnosis(weaknesses=(Standout("T02", 60.25, 66.0),)), {})
    assert (draft.kind, draft.indicator, draft.bases) == (
        FindingKind.RECTIFICATION,
        "T02",
        (DraftBasis.WEAKNESS,),
    )
    assert draft.title == "T02：明显低于本次点评平均水平"
    assert draft.description.startswith("综合得分 60.3，本次点评各校平均 66.0，低 5.7 分。")
    # (0.3 × 82 + 0.5 × 76) / 0.8 is 78.24999… in floats, 78.25 on paper
    [gap] = draft_findings(
        diagnosis(self_gaps=(SelfGap("T01", 90.0, (0.3 * 82 + 0.5 * 76) / 0.8),)), {}
    )
    assert "78.3，自评高出 11.7 分" in gap.description


def test_a_weak_and_over_rated_indicator_gives_one_item_stating_both() -> None:
    drafts = draft_findings(
        diagnosis(
            weaknesses=(Standout("T05", 60.0, 70.0),),
            self_gaps=(SelfGap("T07", 95.0, 70.0), SelfGap("T05", 85.0, 62.5)),
        ),
        {"T05": "志愿服务"},
    )
    assert [(d.indicator, d.bases) for d in drafts] == [
        ("T05", (DraftBasis.WEAKNESS, DraftBasis.SELF_GAP)),
        ("T07", (DraftBasis.SELF_GAP,)),
    ]
    assert drafts[0].title == (
        "志愿服务（T05）：明显低于本次点评平均水平，自评明显高于同行与专家评价"
    )
    assert drafts[0].description == (
        "综合得分 60.0，本次点评各校平均 70.0，低 10.0 分。"
        "自评 85.0，同行与专家评价（按本次点评权重折算）62.5，自评高出 22.5 分。"
        "请分析原因，制定整改措施。请核实自评依据，提高自评准确性。"
    )


def test_a_school_rating_itself_lower_gets_no_draft() -> None:
    assert draft_findings(diagnosis(self_gaps=(SelfGap("T03", 60.0, 75.0),)), {}) == []


def test_highlights_come_first_and_raised_drafts_are_marked() -> None:
    drafts = draft_findings(
        diagnosis(
            highlights=(Standout("T09", 90.0, 80.0),),
            weaknesses=(Standout("T01", 60.0, 70.0),),
        ),
        {},
        {(FindingKind.RECTIFICATION, "T01"): 41, (FindingKind.HIGHLIGHT, "T01"): 42},
    )
    assert [(d.kind, d.indicator, d.raised_finding_id) for d in drafts] == [
        (FindingKind.HIGHLIGHT, "T09", None),
        (FindingKind.RECTIFICATION, "T01", 41),
    ]


def test_a_long_indicator_title_is_shortened_to_fit_a_finding() -> None:
    long_title = {"T01": "长" * 300}
    [draft] = draft_findings(diagnosis(highlights=(Standout("T01", 90.0, 80.0),)), long_title)
    assert len(draft.title) == TITLE_LENGTH
    assert draft.title.endswith("…（T01）：明显高于本次点评平均水平")


# End to end


def test_drafts_follow_the_diagnostics(world: World) -> None:
    session_id = run_full_session(world)
    diagnosed = world.api("admin")(DIAGNOSTICS, {"id": session_id})["reviewSession"]
    drafts = drafts_of(world, session_id)
    for found in diagnosed["diagnostics"]:
        code = found["institution"]["code"]
        mine = [d for d in drafts if d["institution"]["code"] == code]
        expected = (
            [("HIGHLIGHT", s["indicator"], ["HIGHLIGHT"]) for s in found["highlights"]]
            + [("RECTIFICATION", s["indicator"], ["WEAKNESS"]) for s in found["weaknesses"]]
            + [("RECTIFICATION", g["indicator"], ["SELF_GAP"]) for g in found["selfGaps"]]
        )
        assert [(d["kind"], d["indicator"], d["bases"]) for d in mine] == expected
    # the session has a school with highlights and over-rated indicators, one with neither,
    # and one with weaknesses only (R17 test data); nothing is raised yet
    counts = [sum(d["institution"]["code"] == SCHOOLS[s] for d in drafts) for s in SESSION]
    assert counts == [20 + 19, 0, 20]
    assert not any(d["raised"] or d["raisedFinding"] for d in drafts)
    by_key = {(d["institution"]["code"], d["kind"], d["indicator"]): d for d in drafts}
    highlight = by_key[(SCHOOLS["thu"], "HIGHLIGHT", "T01")]
    assert highlight["title"] == "充分发挥北京作为首都的政治优势（T01）：明显高于本次点评平均水平"
    # (80.6 + 75.1 + 65.9) / 3 = 73.87
    assert highlight["description"] == (
        "综合得分 80.6，本次点评各校平均 73.9，高出 6.7 分。可总结经验，示范推广。"
    )
    over_rated = by_key[(SCHOOLS["thu"], "RECTIFICATION", "T01")]
    # self 90 against (0.3 × 82 + 0.5 × 76) / 0.8 = 78.25
    assert (
        "自评 90.0，同行与专家评价（按本次点评权重折算）78.3，自评高出 11.7 分"
        in (over_rated["description"])
    )
    weak = by_key[(SCHOOLS["ustb"], "RECTIFICATION", "T01")]
    assert weak["description"].startswith("综合得分 65.9，本次点评各校平均 73.9，低 8.0 分。")
    assert drafts_of(world, session_id, "ustb") == [
        d for d in drafts if d["institution"]["code"] == SCHOOLS["ustb"]
    ]


def test_drafts_are_null_until_the_session_is_concluded(world: World) -> None:
    session_id = open_session(world, [SCHOOLS[s] for s in SESSION])
    assert drafts_of(world, session_id) is None


def test_raised_drafts_become_findings_and_are_not_offered_twice(world: World, db: Session) -> None:
    session_id = run_full_session(world)
    drafts = {(d["kind"], d["indicator"]): d for d in drafts_of(world, session_id, "thu")}
    raised = raise_drafts(
        world,
        session_id,
        "thu",
        {"kind": "HIGHLIGHT", "indicator": "T20"},
        rectification("T01"),
        rectification("T02", title="自评依据不充分", description="请补充佐证材料"),
    )
    assert raised["userErrors"] == []
    findings = raised["findings"]
    assert [(f["kind"], f["indicator"], f["institution"]["code"]) for f in findings] == [
        ("HIGHLIGHT", "T20", SCHOOLS["thu"]),
        ("RECTIFICATION", "T01", SCHOOLS["thu"]),
        ("RECTIFICATION", "T02", SCHOOLS["thu"]),
    ]
    for finding in findings[:2]:
        draft = drafts[(finding["kind"], finding["indicator"])]
        assert (finding["title"], finding["description"]) == (draft["title"], draft["description"])
    assert (findings[0]["status"], findings[0]["dueQuarter"]) == (None, None)
    assert (findings[1]["status"], findings[1]["owner"], findings[1]["dueQuarter"]) == (
        "OPEN",
        "党委宣传部",
        NEXT,
    )
    own_words = (findings[2]["title"], findings[2]["description"])
    assert own_words == ("自评依据不充分", "请补充佐证材料")

    after = {(d["kind"], d["indicator"]): d for d in drafts_of(world, session_id, "thu")}
    assert {key for key, d in after.items() if d["raised"]} == {
        ("HIGHLIGHT", "T20"),
        ("RECTIFICATION", "T01"),
        ("RECTIFICATION", "T02"),
    }
    assert after[("HIGHLIGHT", "T20")]["raisedFinding"] == {"id": findings[0]["id"]}

    count = stored_findings(db)
    again = raise_drafts(world, session_id, "thu", rectification("T03"), rectification("T01"))
    assert [(e["code"], e["field"]) for e in again["userErrors"]] == [
        ("DRAFT_ALREADY_RAISED", ["items", "1", "indicator"])
    ]
    assert findings[1]["id"] in again["userErrors"][0]["message"]
    assert again["findings"] == []
    assert stored_findings(db) == count


def test_a_finding_typed_in_by_hand_marks_its_draft_raised(world: World) -> None:
    session_id = run_full_session(world)
    typed = world.api("admin")(
        RAISE,
        {
            "i": {
                "sessionId": session_id,
                "institutionCode": SCHOOLS["ustb"],
                "kind": "RECTIFICATION",
                "indicator": "T05",
                "title": "志愿服务长效机制不健全",
                "owner": "校团委",
                "dueQuarter": NEXT,
            }
        },
    )["raiseFinding"]["finding"]
    [draft] = [d for d in drafts_of(world, session_id, "ustb") if d["indicator"] == "T05"]
    assert (draft["raised"], draft["raisedFinding"]) == (True, {"id": typed["id"]})
    refused = raise_drafts(world, session_id, "ustb", rectification("T05"))
    assert [e["code"] for e in refused["userErrors"]] == ["DRAFT_ALREADY_RAISED"]


def test_a_bad_item_rejects_the_whole_batch_with_every_error(world: World, db: Session) -> None:
    session_id = run_full_session(world)
    before = stored_findings(db)
    refused = raise_drafts(
        world,
        session_id,
        "thu",
        {"kind": "HIGHLIGHT", "indicator": "T01"},
        rectification("T01", owner=" ", dueQuarter="2026Q1"),
        rectification("T99"),
        rectification("T20"),  # thu's T20 is a highlight, and its self gap (3) is small
        {"kind": "HIGHLIGHT", "indicator": "T01", "title": ""},
        rectification("T02", dueQuarter=None),
    )
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("INVALID_VALUE", ["items", "1", "owner"]),
        ("DUE_IN_PAST", ["items", "1", "dueQuarter"]),
        ("UNKNOWN_INDICATOR", ["items", "2", "indicator"]),
        ("NOT_A_DRAFT", ["items", "3", "indicator"]),
        ("DUPLICATE_INDICATOR", ["items", "4", "indicator"]),
        ("INVALID_VALUE", ["items", "4", "title"]),
        ("INVALID_VALUE", ["items", "5", "dueQuarter"]),
    ]
    messages = [e["message"] for e in refused["userErrors"]]
    assert "2026Q1" in messages[1]
    assert "T99" in messages[2]
    assert "T20" in messages[3] and "整改事项" in messages[3]
    assert refused["findings"] == []
    assert stored_findings(db) == before
    assert world.api("admin")(FINDINGS, {"id": session_id})["findings"] == []
    assert not any(d["raised"] for d in drafts_of(world, session_id, "thu"))

    english = world.api("admin", "en")(
        RAISE_DRAFTS,
        {
            "i": {
                "sessionId": session_id,
                "institutionCode": SCHOOLS["thu"],
                "items": [rectification("T20")],
            }
        },
    )["raiseFindingsFromDrafts"]
    assert english["userErrors"][0]["message"] == (
        "the session's diagnosis gives no rectification item draft for indicator T20 "
        "(drafts come only from its highlights, weaknesses and over-rated self-evaluations)"
    )


def test_a_batch_is_for_one_school_of_a_concluded_session(world: World) -> None:
    concluded = run_full_session(world)
    outsider = raise_drafts(world, concluded, "pku", {"kind": "HIGHLIGHT", "indicator": "T01"})
    assert [(e["code"], e["field"]) for e in outsider["userErrors"]] == [
        ("NOT_IN_SESSION", ["institutionCode"])
    ]
    empty = raise_drafts(world, concluded, "thu")
    assert [(e["code"], e["field"]) for e in empty["userErrors"]] == [("INVALID_VALUE", ["items"])]
    later = open_session(world, [SCHOOLS[s] for s in ("pku", "bnu", "buaa")])
    early = raise_drafts(world, later, "pku", {"kind": "HIGHLIGHT", "indicator": "T01"})
    assert [(e["code"], e["field"]) for e in early["userErrors"]] == [
        ("SESSION_NOT_CONCLUDED", ["sessionId"])
    ]


def test_only_the_commission_sees_and_raises_drafts(world: World) -> None:
    session_id = run_full_session(world)
    batch = {
        "sessionId": session_id,
        "institutionCode": SCHOOLS["thu"],
        "items": [{"kind": "HIGHLIGHT", "indicator": "T20"}],
    }
    for who in ("viewer", "thu", "expert1", "unit"):
        api = world.api(who)
        listed = api.raw(DRAFTS, {"id": session_id})
        assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        raised = api.raw(RAISE_DRAFTS, {"i": batch})
        assert raised["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert world.api("admin")(FINDINGS, {"id": session_id})["findings"] == []


def test_a_draft_raised_in_one_session_stays_open_in_another(world: World) -> None:
    # The same schools scored alike in two quarters give the same drafts; raising one in
    # either session marks it raised there only.
    first = scored_session(world, {"expert1": EVERYWHERE_76}, min_experts=1)
    second = scored_session(world, {"expert1": EVERYWHERE_76}, min_experts=1, quarter="2027Q2")
    concludes(world, first)
    concludes(world, second)
    # 清华大学 rated itself 90 on every indicator, its peers and expert some 78: each
    # indicator gives a rectification draft. T01 is raised in the second session, T02 in
    # the first.
    assert raise_drafts(world, second, "thu", rectification("T01"))["userErrors"] == []
    assert raise_drafts(world, first, "thu", rectification("T02"))["userErrors"] == []
    raised = {
        (session, d["indicator"])
        for session in (first, second)
        for d in drafts_of(world, session, "thu")
        if d["raised"]
    }
    assert raised == {(second, "T01"), (first, "T02")}


def test_a_batch_takes_up_to_the_limit_of_drafts(world: World) -> None:
    # At the limit the items are checked one by one (all but the first repeat it); one more
    # and the batch is refused whole for its size.
    session_id = run_full_session(world)
    highlight = {"kind": "HIGHLIGHT", "indicator": "T20"}
    full = raise_drafts(world, session_id, "thu", *[highlight] * DRAFT_ITEMS)
    assert [(e["code"], e["field"]) for e in full["userErrors"]] == [
        ("DUPLICATE_INDICATOR", ["items", str(n), "indicator"]) for n in range(1, DRAFT_ITEMS)
    ]
    over = raise_drafts(world, session_id, "thu", *[highlight] * (DRAFT_ITEMS + 1))
    assert [(e["code"], e["field"]) for e in over["userErrors"]] == [("INVALID_VALUE", ["items"])]
    assert world.api("admin")(FINDINGS, {"id": session_id})["findings"] == []
