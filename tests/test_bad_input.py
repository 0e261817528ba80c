"""Every bad input gets a typed, human-readable error naming the field, and changes nothing
(R3 of the interface contract, R10–R12, R15)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from sanquan.api.ids import global_id, parse_id
from sanquan.app import create_app
from sanquan.auth.models import Account
from sanquan.config import Settings
from sanquan.institutions.models import Institution
from sanquan.plugins.host import PluginHost
from sanquan.review.models import ReviewSession, Score, ScoreRevision
from sanquan.timeutil import beijing_today
from tests.conftest import SCHOOLS, Api, World
from tests.flows import (
    APPOINT,
    CONCLUDE,
    CREATE,
    OPEN,
    SET,
    create_session,
    open_session,
    scores_for,
    submit,
)
from tests.test_blind_review_and_audit import CORRECT, scores_seen
from tests.test_review_flow import run_full_session

THREE = [SCHOOLS["thu"], SCHOOLS["ruc"], SCHOOLS["ustb"]]


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


def count(db: Session, model: type) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("quarter", ["2027Q5", "27Q1", "2027q1x", "2027-Q1", ""])
@pytest.mark.engine_independent
def test_malformed_quarter_is_an_input_error(world: World, quarter: str) -> None:
    body = world.api("admin").raw(
        CREATE,
        {"input": {"quarter": quarter, "institutionCodes": THREE, "indicatorSet": SET}},
    )
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INVALID_QUARTER"
    assert "2027Q1" in error["message"]
    assert body.get("data") is None


@pytest.mark.engine_independent
def test_malformed_quarter_message_in_english(world: World) -> None:
    body = world.api("admin", "en").raw(
        CREATE, {"input": {"quarter": "2027Q5", "institutionCodes": THREE, "indicatorSet": SET}}
    )
    assert body["errors"][0]["message"] == (
        "'2027Q5' is not a quarter; write the year and quarter, e.g. 2027Q1"
    )


@pytest.mark.parametrize(
    ("institutions", "expected", "field"),
    [
        (THREE[:2], "SESSION_SIZE", ["institutionCodes"]),
        (
            [*THREE, SCHOOLS["pku"], SCHOOLS["bnu"], SCHOOLS["buaa"]],
            "SESSION_SIZE",
            ["institutionCodes"],
        ),
        ([*THREE[:2], THREE[0]], "DUPLICATE_IN_SESSION", ["institutionCodes", "2"]),
        ([*THREE[:2], "4111099999"], "UNKNOWN_INSTITUTION", ["institutionCodes", "2"]),
        ([*THREE[:2], "12345"], "INVALID_INSTITUTION_CODE", ["institutionCodes", "2"]),
    ],
)
def test_bad_session_composition_is_refused(
    world: World, db: Session, institutions: list[str], expected: str, field: list[str]
) -> None:
    payload = create_session(world.api("admin"), institutions)
    assert payload["reviewSession"] is None
    [error] = payload["userErrors"]
    assert (error["code"], error["field"]) == (expected, field)
    assert error["message"]
    assert count(db, ReviewSession) == 0


def test_session_size_message_states_the_numbers(world: World) -> None:
    payload = create_session(world.api("admin", "en"), THREE[:2])
    assert payload["userErrors"][0]["message"] == ("a review session takes 3–5 institutions; got 2")


def test_unknown_indicator_set_is_refused(world: World) -> None:
    payload = world.api("admin")(
        CREATE,
        {
            "input": {
                "quarter": "2027Q1",
                "institutionCodes": THREE,
                "indicatorSet": {"key": "no-such-set"},
            }
        },
    )["createReviewSession"]
    assert codes(payload) == ["UNKNOWN_INDICATOR_SET"]


def test_a_session_takes_four_or_five_institutions(world: World) -> None:
    admin = world.api("admin")
    four = [SCHOOLS["pku"], *THREE]
    assert create_session(admin, four)["userErrors"] == []
    five = [*four, SCHOOLS["bnu"]]
    assert create_session(admin, five, quarter="2027Q2")["userErrors"] == []


def test_every_problem_of_a_session_request_is_reported_at_once(world: World, db: Session) -> None:
    """A repeated code does not end the check of the codes after it, and an unknown version
    of a known set is named in the message."""
    payload = create_session(
        world.api("admin", "en"),
        [THREE[0], THREE[0], "4111099999"],
        indicatorSet={"key": SET["key"], "version": "2099.1"},
    )
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("DUPLICATE_IN_SESSION", ["institutionCodes", "1"]),
        ("UNKNOWN_INSTITUTION", ["institutionCodes", "2"]),
        ("UNKNOWN_INDICATOR_SET", ["indicatorSet"]),
    ]
    assert payload["userErrors"][2]["message"] == (
        "indicator set 'beijing-sanquan' 2099.1 is not installed"
    )
    assert count(db, ReviewSession) == 0


def test_deadlines_on_the_first_and_the_last_day_allowed_are_accepted(world: World) -> None:
    """From today to the end of the fourth quarter after the session's (2027Q1: 2028-03-31)."""
    today = beijing_today().isoformat()
    deadlines = {"self": today, "peer": today, "expert": "2028-03-31"}
    payload = create_session(world.api("admin"), THREE, deadlines=deadlines)
    assert payload["userErrors"] == []


def test_deadline_in_the_past_is_refused(world: World) -> None:
    payload = create_session(world.api("admin"), THREE, deadlines={"peer": "2020-01-01"})
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("DEADLINE_IN_PAST", ["deadlines", "peer"])
    ]


def test_expert_conflict_that_leaves_too_few_is_refused(world: World, db: Session) -> None:
    admin = world.api("admin")
    session_id = create_session(admin, [SCHOOLS["pku"], *THREE[:2]], min_experts=7)[
        "reviewSession"
    ]["id"]
    # Seven experts, one affiliated with 北京大学: only six may score it, seven are needed.
    payload = admin(APPOINT, {"input": {"sessionId": session_id, "expertIds": world.expert_ids}})[
        "appointExperts"
    ]
    [error] = payload["userErrors"]
    assert (error["code"], error["field"]) == ("PANEL_TOO_SMALL", ["expertIds"])
    assert "北京大学" in error["message"]
    assert "6" in error["message"]
    db.expire_all()
    assert db.get(ReviewSession, parse_id(session_id, "ReviewSession")).panel == []  # type: ignore[union-attr]


PANEL = "query($id: ID!) { reviewSession(id: $id) { status panel { name } } }"


def test_an_expert_who_has_scored_cannot_leave_the_panel(world: World) -> None:
    session_id = open_session(world, THREE)
    # expert1 has saved a draft: that is scoring already.
    draft = [{"indicator": "T01", "value": 80}]
    assert (
        submit(world.api("expert1"), session_id, "thu", "EXPERT", draft, final=False)["userErrors"]
        == []
    )
    admin = world.api("admin", "en")
    without = [e for e in world.expert_ids if e != str(world.account_ids["expert1"])]
    payload = admin(APPOINT, {"input": {"sessionId": session_id, "expertIds": without}})
    assert payload["appointExperts"]["userErrors"] == [
        {
            "field": ["expertIds"],
            "code": "EXPERT_HAS_SCORES",
            "message": "expert expert1 has already scored and cannot leave the panel",
        }
    ]
    panel = admin(PANEL, {"id": session_id})["reviewSession"]["panel"]
    assert len(panel) == 7
    # An expert who has not scored may leave.
    without = [e for e in world.expert_ids if e != str(world.account_ids["expert2"])]
    payload = admin(APPOINT, {"input": {"sessionId": session_id, "expertIds": without}})
    assert payload["appointExperts"]["userErrors"] == []
    assert "expert2" not in {
        m["name"] for m in admin(PANEL, {"id": session_id})["reviewSession"]["panel"]
    }


def draft_with_panel(world: World, admin: Api) -> str:
    """A draft session of three schools with the first five experts appointed (R11 holds)."""
    session_id: str = create_session(admin, THREE)["reviewSession"]["id"]
    panel = world.expert_ids[:5]
    appointed = admin(APPOINT, {"input": {"sessionId": session_id, "expertIds": panel}})
    assert appointed["appointExperts"]["userErrors"] == []
    return session_id


def test_conflicts_of_interest_are_checked_again_when_the_session_opens(
    world: World, db: Session
) -> None:
    # R11 holds when the panel is appointed; then expert1 takes a post at 清华大学 (its
    # account's affiliation is updated), which leaves 清华大学 four eligible experts of five.
    admin = world.api("admin", "en")
    session_id = draft_with_panel(world, admin)
    expert1 = db.get(Account, world.account_ids["expert1"])
    thu = db.scalar(select(Institution).where(Institution.code == SCHOOLS["thu"]))
    assert expert1 is not None and thu is not None
    expert1.institution_id = thu.id
    db.commit()
    payload = admin(OPEN, {"id": session_id})["openReviewSession"]
    assert payload["userErrors"] == [
        {
            "field": ["expertIds"],
            "code": "PANEL_TOO_SMALL",
            "message": "the panel has only 4 active experts without a conflict of interest for "
            "清华大学; at least 5 are needed",
        }
    ]
    assert admin(PANEL, {"id": session_id})["reviewSession"]["status"] == "DRAFT"


def test_an_expert_switched_off_after_appointment_does_not_count_when_the_session_opens(
    world: World,
) -> None:
    # Five experts appointed; then expert2's account is switched off, so expert2 can no
    # longer sign in to score and every school has four experts who can.
    admin = world.api("admin", "en")
    session_id = draft_with_panel(world, admin)
    switch = """mutation($id: ID!) { setAccountActive(input: {accountId: $id, active: false}) {
      userErrors { code } } }"""
    expert2 = global_id("Account", world.account_ids["expert2"])
    assert admin(switch, {"id": expert2})["setAccountActive"]["userErrors"] == []
    payload = admin(OPEN, {"id": session_id})["openReviewSession"]
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("PANEL_TOO_SMALL", ["expertIds"])
    ] * len(THREE)
    assert "only 4 active experts" in payload["userErrors"][0]["message"]
    assert admin(PANEL, {"id": session_id})["reviewSession"]["status"] == "DRAFT"


def test_an_inactive_institution_is_refused_in_a_session(world: World, db: Session) -> None:
    admin = world.api("admin", "en")
    retire = """mutation($input: UpdateInstitutionInput!) {
      updateInstitution(input: $input) { userErrors { code } } }"""
    retired = admin(retire, {"input": {"code": SCHOOLS["pku"], "active": False}})
    assert retired["updateInstitution"]["userErrors"] == []
    payload = create_session(admin, [*THREE[:2], SCHOOLS["pku"]])
    assert payload["reviewSession"] is None
    assert payload["userErrors"] == [
        {
            "field": ["institutionCodes", "2"],
            "code": "INACTIVE_INSTITUTION",
            "message": "北京大学 is inactive and cannot be reviewed",
        }
    ]
    assert count(db, ReviewSession) == 0


def appointing_five_and(world: World, account: str) -> list[tuple[str, list[str]]]:
    """The errors of appointing five experts and ``account``'s holder to a new session."""
    admin = world.api("admin")
    session_id = create_session(admin, THREE)["reviewSession"]["id"]
    wanted = [*world.expert_ids[:5], str(world.account_ids[account])]
    payload = admin(APPOINT, {"input": {"sessionId": session_id, "expertIds": wanted}})
    return [(e["code"], e["field"]) for e in payload["appointExperts"]["userErrors"]]


def test_non_expert_cannot_be_appointed(world: World) -> None:
    assert appointing_five_and(world, "viewer") == [("UNKNOWN_EXPERT", ["expertIds", "5"])]


def test_an_administrator_cannot_be_appointed(world: World) -> None:
    """``ADMIN`` sorts before ``EXPERT`` as text, ``VIEWER`` after it."""
    assert appointing_five_and(world, "admin") == [("UNKNOWN_EXPERT", ["expertIds", "5"])]


def test_expert_cannot_score_affiliated_school(world: World, db: Session) -> None:
    session_id = open_session(world, [SCHOOLS["pku"], *THREE[:2]])
    result = submit(world.api("expert_pku"), session_id, "pku", "EXPERT", scores_for("EXPERT", 80))
    assert codes(result) == ["CONFLICT_OF_INTEREST"]
    assert count(db, Score) == 0


def test_out_of_scale_and_unknown_indicator_reject_the_whole_submission(
    world: World, db: Session
) -> None:
    session_id = open_session(world, THREE)
    entries = scores_for("PEER", 80)
    entries[3]["value"] = 101
    entries[5]["indicator"] = "T99"
    result = submit(world.api("thu"), session_id, "ruc", "PEER", entries)
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("OUT_OF_SCALE", ["scores", "3", "value"]),
        ("UNKNOWN_INDICATOR", ["scores", "5", "indicator"]),
    ]
    assert "0–100" in result["userErrors"][0]["message"]
    assert result["scores"] == []
    assert count(db, Score) == 0
    assert count(db, ScoreRevision) == 0


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ({"value": 101}, ("OUT_OF_SCALE", ["scores", "2", "value"])),
        ({"comment": "长" * 2001}, ("INVALID_VALUE", ["scores", "2", "comment"])),
    ],
    ids=["out-of-scale", "overlong-comment"],
)
def test_a_refused_resubmission_changes_none_of_the_scores_already_given(
    world: World, db: Session, bad: dict[str, Any], error: tuple[str, list[str]]
) -> None:
    # R12 on a reviewer who already has scores: two valid changes beside a bad entry are
    # not stored either, and the history does not move.
    session_id = open_session(world, THREE)
    thu = world.api("thu")
    assert submit(thu, session_id, "ruc", "PEER", scores_for("PEER", 70))["userErrors"] == []
    before = scores_seen(world, "admin", session_id, SCHOOLS["ruc"])
    entries = scores_for("PEER", 70)
    entries[0]["value"], entries[1]["value"] = 75, 76
    entries[2].update(bad)
    result = submit(thu, session_id, "ruc", "PEER", entries)
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [error]
    assert (result["changedCount"], result["scores"]) == (0, [])
    assert scores_seen(world, "admin", session_id, SCHOOLS["ruc"]) == before
    assert {s["value"] for s in before} == {70.0}
    assert count(db, ScoreRevision) == 20


def test_missing_evidence_is_refused(world: World, db: Session) -> None:
    session_id = open_session(world, THREE)
    entries = scores_for("SELF", 85)
    del entries[10]["evidence"]  # T11 is school work: the self-evaluation must cite evidence
    result = submit(world.api("thu"), session_id, "thu", "SELF", entries)
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("EVIDENCE_REQUIRED", ["scores", "10", "evidence"])
    ]
    assert count(db, Score) == 0


def test_same_indicator_twice_in_one_submission(world: World) -> None:
    session_id = open_session(world, THREE)
    entries = scores_for("PEER", 80)
    entries.append({"indicator": "T01", "value": 70})
    result = submit(world.api("thu"), session_id, "ruc", "PEER", entries)
    assert codes(result) == ["DUPLICATE_INDICATOR"]


def test_an_empty_submission_is_refused(world: World, db: Session) -> None:
    session_id = open_session(world, THREE)
    result = submit(world.api("thu", "en"), session_id, "ruc", "PEER", [])
    assert result["userErrors"] == [
        {
            "field": ["scores"],
            "code": "EMPTY_SUBMISSION",
            "message": "the submission holds no scores",
        }
    ]
    assert count(db, Score) == 0


def test_a_submission_holds_no_more_scores_than_configured(
    world: World, db: Session, settings: Settings, host: PluginHost
) -> None:
    session_id = open_session(world, THREE)
    at_most_20 = replace(settings, max_scores_per_submission=20)
    with TestClient(create_app(at_most_20, host)) as client:
        thu = Api(client, world.tokens["thu"], "en")
        entries = scores_for("PEER", 70)
        over = submit(thu, session_id, "ruc", "PEER", [*entries, {"indicator": "T01", "value": 70}])
        assert over["userErrors"] == [
            {
                "field": ["scores"],
                "code": "TOO_MANY_SCORES",
                "message": "at most 20 scores per submission",
            }
        ]
        assert count(db, Score) == 0
        assert submit(thu, session_id, "ruc", "PEER", entries)["changedCount"] == 20


@pytest.mark.parametrize("score_id", ["999999", "abc"])
def test_correcting_an_unknown_score_is_refused(world: World, score_id: str) -> None:
    session_id = run_full_session(world)
    before = scores_seen(world, "admin", session_id, SCHOOLS["thu"])
    correction = {"scoreId": score_id, "value": 80, "reason": "核实"}
    payload = world.api("admin", "en")(CORRECT, {"input": correction})["correctScore"]
    assert payload == {
        "score": None,
        "userErrors": [{"field": ["scoreId"], "code": "UNKNOWN_SCORE", "message": "no such score"}],
    }
    assert scores_seen(world, "admin", session_id, SCHOOLS["thu"]) == before


def test_peer_never_scores_own_school(world: World, db: Session) -> None:
    session_id = open_session(world, THREE)
    result = submit(world.api("thu"), session_id, "thu", "PEER", scores_for("PEER", 99))
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("PEER_OWN_SCHOOL", ["institutionCode"])
    ]
    assert count(db, Score) == 0


@pytest.mark.parametrize("other", ["ruc", "ustb"])  # listed before 清华大学 and after it
def test_self_evaluation_only_of_own_school(world: World, other: str) -> None:
    session_id = open_session(world, THREE)
    result = submit(world.api("thu"), session_id, other, "SELF", scores_for("SELF", 99))
    assert codes(result) == ["SELF_OTHER_SCHOOL"]


@pytest.mark.parametrize("outsider", ["pku", "expert_pku"])
def test_reviewer_outside_the_session_cannot_score(
    world: World, db: Session, outsider: str
) -> None:
    session_id = open_session(world, THREE, experts=world.expert_ids[:6])
    source = "EXPERT" if outsider.startswith("expert") else "PEER"
    result = submit(world.api(outsider), session_id, "thu", source, scores_for(source, 80))
    assert codes(result) == ["NOT_A_REVIEWER"]
    assert count(db, Score) == 0


def test_school_outside_the_session_cannot_be_scored(world: World) -> None:
    session_id = open_session(world, THREE)
    result = submit(world.api("expert1"), session_id, "pku", "EXPERT", scores_for("EXPERT", 80))
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("NOT_IN_SESSION", ["institutionCode"])
    ]


def test_scoring_before_the_session_opens(world: World) -> None:
    session_id = create_session(world.api("admin"), THREE)["reviewSession"]["id"]
    result = submit(world.api("thu"), session_id, "ruc", "PEER", scores_for("PEER", 80))
    assert codes(result) == ["SESSION_NOT_OPEN"]


def test_scoring_after_the_deadline(world: World, db: Session) -> None:
    session_id = open_session(world, THREE)
    session = db.get(ReviewSession, parse_id(session_id, "ReviewSession"))
    assert session is not None
    session.peer_deadline = session.created_at.date().replace(year=2000)
    db.commit()
    result = submit(world.api("thu"), session_id, "ruc", "PEER", scores_for("PEER", 80))
    assert codes(result) == ["DEADLINE_PASSED"]
    assert "2000" in result["userErrors"][0]["message"]


@pytest.mark.parametrize("days_left", [0, 30])
def test_scoring_until_the_deadline_day(world: World, db: Session, days_left: int) -> None:
    session_id = open_session(world, THREE)
    session = db.get(ReviewSession, parse_id(session_id, "ReviewSession"))
    assert session is not None
    session.peer_deadline = beijing_today() + timedelta(days=days_left)
    db.commit()
    result = submit(world.api("thu"), session_id, "ruc", "PEER", scores_for("PEER", 80))
    assert result["userErrors"] == []


def test_every_problem_of_a_submission_is_reported_after_a_repeated_indicator(
    world: World,
) -> None:
    session_id = open_session(world, THREE)
    entries = [{"indicator": "T01", "value": 70}, {"indicator": "T01", "value": 80}]
    entries.append({"indicator": "T02", "value": 101})
    result = submit(world.api("thu"), session_id, "ruc", "PEER", entries)
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("DUPLICATE_INDICATOR", ["scores", "1", "indicator"]),
        ("OUT_OF_SCALE", ["scores", "2", "value"]),
    ]


def test_a_draft_over_submitted_scores_reports_every_problem_in_the_scores_order(
    world: World, db: Session
) -> None:
    # The order clients see: by score; within a score its scale and the plugins'
    # checks, then ALREADY_SUBMITTED; a repeated indicator only as a repeat.
    session_id = open_session(world, THREE)
    thu = world.api("thu")
    assert submit(thu, session_id, "ruc", "PEER", scores_for("PEER", 70))["userErrors"] == []
    entries: list[dict[str, Any]] = [
        {"indicator": "T01", "value": 101},
        {"indicator": "T01", "value": 80},
        {"indicator": "T99", "value": 80},
        {"indicator": "T02", "value": 71},
    ]
    result = submit(thu, session_id, "ruc", "PEER", entries, final=False)
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("OUT_OF_SCALE", ["scores", "0", "value"]),
        ("ALREADY_SUBMITTED", ["scores", "0", "indicator"]),
        ("DUPLICATE_INDICATOR", ["scores", "1", "indicator"]),
        ("UNKNOWN_INDICATOR", ["scores", "2", "indicator"]),
        ("ALREADY_SUBMITTED", ["scores", "3", "indicator"]),
    ]
    assert count(db, ScoreRevision) == 20


def test_concluding_an_incomplete_session_lists_what_is_missing(world: World) -> None:
    session_id = open_session(world, THREE)
    submit(world.api("thu"), session_id, "thu", "SELF", scores_for("SELF", 90))
    submit(world.api("thu"), session_id, "ruc", "PEER", scores_for("PEER", 80)[:15])
    payload = world.api("admin")(CONCLUDE, {"id": session_id})["concludeReviewSession"]
    assert payload["reviewSession"] is None
    messages = [e["message"] for e in payload["userErrors"]]
    assert set(codes(payload)) == {"INCOMPLETE"}
    # Self: 2 missing (ruc, ustb). Peer: 6 ordered pairs, thu→ruc partly done, so 6 gaps.
    # Expert: 3 schools short of 5 complete experts.
    assert len(messages) == 2 + 6 + 3
    assert "清华大学 的同行互评缺 5 项指标(T16、T17、T18、T19、T20)" in "\n".join(messages)
    assert any(m.startswith("中国人民大学:学校自评缺 20 项") for m in messages)
    assert any("专家点评完整的专家 0 位,至少需要 5 位" in m for m in messages)


@pytest.mark.parametrize(("language", "words"), [("zh", "查询语法错误"), ("en", "syntax error")])
@pytest.mark.engine_independent
def test_malformed_graphql_document(world: World, language: str, words: str) -> None:
    response = world.api("admin", language).post("mutation { submitScores(input: {")
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert body["errors"][0]["message"].startswith(words)
    assert "Expected Name" in body["errors"][0]["message"]
    assert "Traceback" not in response.text


@pytest.mark.engine_independent
def test_unknown_field_is_a_validation_error(world: World) -> None:
    body = world.api("viewer").raw("{ institutions { edges { node { nosuch } } } }")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_missing_list_in_english(world: World) -> None:
    session_id = open_session(world, THREE)
    payload = world.api("admin", "en")(CONCLUDE, {"id": session_id})["concludeReviewSession"]
    messages = [e["message"] for e in payload["userErrors"]]
    codes = ", ".join(f"T{n:02d}" for n in range(1, 21))
    assert f"中国人民大学: self-evaluation lacks 20 indicators ({codes})" in messages
    assert "清华大学: 0 experts have scored every indicator, 5 are needed" in messages


def test_session_opens_once(world: World) -> None:
    session_id = open_session(world, THREE)
    payload = world.api("admin", "en")(OPEN, {"id": session_id})["openReviewSession"]
    assert payload["userErrors"] == [
        {
            "field": ["sessionId"],
            "code": "SESSION_NOT_DRAFT",
            "message": "the review session is already open",
        }
    ]


def test_draft_session_cannot_conclude(world: World) -> None:
    session_id = create_session(world.api("admin"), THREE)["reviewSession"]["id"]
    payload = world.api("admin")(CONCLUDE, {"id": session_id})["concludeReviewSession"]
    assert codes(payload) == ["SESSION_NOT_OPEN"]


def test_unknown_session(world: World) -> None:
    result = submit(world.api("thu"), "999", "ruc", "PEER", scores_for("PEER", 80))
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("UNKNOWN_SESSION", ["sessionId"])
    ]


def test_overlong_title_is_refused_on_every_engine(world: World, db: Session) -> None:
    payload = create_session(world.api("admin", "en"), THREE, title="长" * 201)
    assert payload["userErrors"] == [
        {
            "field": ["title"],
            "code": "INVALID_VALUE",
            "message": "title: at most 200 characters; got 201",
        }
    ]
    assert count(db, ReviewSession) == 0


@pytest.mark.parametrize(
    "bad", ["2147483648", "9223372036854775807", "99999999999999999999", "0", "-3", "x"]
)
def test_ids_that_cannot_be_rows_are_unknown_ids(
    world: World, bad: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Beyond PostgreSQL's integer, negative or not a number: the answer of an unknown id."""
    result = submit(world.api("thu"), bad, "ruc", "PEER", scores_for("PEER", 80))
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("UNKNOWN_SESSION", ["sessionId"])
    ]
    body = world.api("viewer").raw("query($id: ID!) { reviewSession(id: $id) { id } }", {"id": bad})
    assert body == {"data": {"reviewSession": None}}
    assert "Traceback" not in caplog.text
