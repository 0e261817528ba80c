"""Blind review (R14), idempotent resubmission and the audit trail (R13), and audited
corrections after conclusion (R15)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sanquan.review.models import ScoreRevision
from tests.conftest import SCHOOLS, World
from tests.flows import open_session, scores_for, submit
from tests.test_review_flow import run_full_session

THREE = [SCHOOLS["thu"], SCHOOLS["ruc"], SCHOOLS["ustb"]]
SCORES = """
query($id: ID!, $code: String) {
  reviewSession(id: $id) {
    scores(institutionCode: $code) {
      id indicator value source
      institution { code }
      reviewerInstitution { code }
      reviewerExpert { name }
      history { oldValue newValue changedBy reason }
    }
  }
}"""


def scores_seen(world: World, who: str, session_id: str, code: str | None = None) -> Any:
    data = world.api(who)(SCORES, {"id": session_id, "code": code})
    return data["reviewSession"]["scores"]


def test_reviewers_see_only_their_own_scores_while_open(world: World) -> None:
    session_id = open_session(world, THREE)
    submit(world.api("thu"), session_id, "ruc", "PEER", scores_for("PEER", 70))
    submit(world.api("ustb"), session_id, "ruc", "PEER", scores_for("PEER", 80))
    submit(world.api("expert1"), session_id, "ruc", "EXPERT", scores_for("EXPERT", 60))
    submit(world.api("expert2"), session_id, "ruc", "EXPERT", scores_for("EXPERT", 65))

    thu = scores_seen(world, "thu", session_id)
    assert {s["value"] for s in thu} == {70.0}
    assert {s["reviewerInstitution"]["code"] for s in thu} == {SCHOOLS["thu"]}
    # ruc is scored by both, but sees none of it before conclusion.
    assert scores_seen(world, "ruc", session_id) == []
    expert1 = scores_seen(world, "expert1", session_id)
    assert {(s["value"], s["reviewerExpert"]["name"]) for s in expert1} == {(60.0, "expert1")}
    assert len(scores_seen(world, "admin", session_id)) == 80


def test_outsiders_cannot_read_scores(world: World) -> None:
    session_id = open_session(world, THREE)
    for who in ("pku", "viewer", "unit"):
        body = world.api(who).raw(SCORES, {"id": session_id})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_after_conclusion_schools_never_see_which_expert_scored(world: World) -> None:
    session_id = run_full_session(world)
    seen = scores_seen(world, "thu", session_id, SCHOOLS["thu"])
    experts = [s for s in seen if s["source"] == "EXPERT"]
    assert len(experts) == 7 * 20
    assert {s["reviewerExpert"] for s in experts} == {None}
    assert {s["history"] for s in experts} == {None}
    # Its own given scores and the scores about it, nothing about the others' peers.
    about_ruc = scores_seen(world, "thu", session_id, SCHOOLS["ruc"])
    assert {s["reviewerInstitution"]["code"] for s in about_ruc} == {SCHOOLS["thu"]}
    # The commission sees every expert's name.
    admin = scores_seen(world, "admin", session_id, SCHOOLS["thu"])
    names = {s["reviewerExpert"]["name"] for s in admin if s["source"] == "EXPERT"}
    assert len(names) == 7


def revisions(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(ScoreRevision)) or 0


def test_resubmitting_the_same_scores_is_harmless(world: World, db: Session) -> None:
    session_id = open_session(world, THREE)
    first = submit(world.api("thu"), session_id, "ruc", "PEER", scores_for("PEER", 70))
    assert first["changedCount"] == 20
    assert revisions(db) == 20
    again = submit(world.api("thu"), session_id, "ruc", "PEER", scores_for("PEER", 70))
    assert again["userErrors"] == []
    assert again["changedCount"] == 0
    assert [s["id"] for s in again["scores"]] == [s["id"] for s in first["scores"]]
    assert revisions(db) == 20


def test_every_change_is_in_the_history(world: World, db: Session) -> None:
    session_id = open_session(world, THREE)
    thu = world.api("thu")
    submit(thu, session_id, "ruc", "PEER", scores_for("PEER", 70), final=False)
    submit(thu, session_id, "ruc", "PEER", scores_for("PEER", 70))  # draft → submitted
    changed = scores_for("PEER", 70)
    changed[0]["value"] = 72.5
    result = submit(thu, session_id, "ruc", "PEER", changed)
    assert result["changedCount"] == 1
    [t01] = [s for s in scores_seen(world, "thu", session_id) if s["indicator"] == "T01"]
    assert [(h["oldValue"], h["newValue"], h["changedBy"]) for h in t01["history"]] == [
        (None, 70.0, "thu"),
        (70.0, 70.0, "thu"),
        (70.0, 72.5, "thu"),
    ]
    # A submitted score cannot go back to draft.
    back = submit(thu, session_id, "ruc", "PEER", changed, final=False)
    assert {e["code"] for e in back["userErrors"]} == {"ALREADY_SUBMITTED"}
    # Other reviewers never see this history.
    assert scores_seen(world, "ruc", session_id) == []


CORRECT = """
mutation($input: CorrectScoreInput!) {
  correctScore(input: $input) {
    score { value history { oldValue newValue reason changedBy } }
    userErrors { field code message }
  }
}"""


def test_admin_correction_after_conclusion_is_audited_and_recomputed(world: World) -> None:
    session_id = run_full_session(world)
    admin = world.api("admin")
    [score] = [
        s
        for s in scores_seen(world, "admin", session_id, SCHOOLS["thu"])
        if s["source"] == "SELF" and s["indicator"] == "T01"
    ]
    refused = admin(CORRECT, {"input": {"scoreId": score["id"], "value": 80, "reason": " "}})
    assert refused["correctScore"]["userErrors"][0]["code"] == "REASON_REQUIRED"
    out = admin(
        CORRECT,
        {"input": {"scoreId": score["id"], "value": 80, "reason": "自评报告笔误,经核实为 80"}},
    )["correctScore"]
    assert out["userErrors"] == []
    assert out["score"]["history"][-1] == {
        "oldValue": 90.0,
        "newValue": 80.0,
        "reason": "自评报告笔误,经核实为 80",
        "changedBy": "admin",
    }
    results = admin(
        "query($id: ID!) { reviewSession(id: $id) { results { institution { code } "
        "indicators { combined } } } }",
        {"id": session_id},
    )["reviewSession"]["results"]
    thu = next(r for r in results if r["institution"]["code"] == SCHOOLS["thu"])
    # 0.2 × 80 + 0.3 × 82 + 0.5 × 76 = 78.6 (was 80.6), with the weights stored at conclusion
    assert thu["indicators"][0]["combined"] == pytest.approx(78.6)


def test_only_admin_corrects(world: World) -> None:
    session_id = run_full_session(world)
    [score] = [
        s
        for s in scores_seen(world, "thu", session_id, SCHOOLS["thu"])
        if s["source"] == "SELF" and s["indicator"] == "T01"
    ]
    body = world.api("thu").raw(
        CORRECT, {"input": {"scoreId": score["id"], "value": 99, "reason": "x"}}
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
