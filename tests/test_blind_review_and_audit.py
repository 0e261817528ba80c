"""Blind review (R14), idempotent resubmission and the audit trail (R13), and audited
corrections after conclusion (R15)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from sanquan.app import create_app
from sanquan.config import Settings
from sanquan.plugins.host import PluginHost
from sanquan.review.models import ScoreRevision
from sanquan_sdk import Aggregation, IndicatorSet, ScoreValue, SourceWeights, hookimpl
from sanquan_sdk.scoring import default_aggregate
from tests.conftest import SCHOOLS, Api, World
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


def test_comment_and_evidence_changes_are_audited(world: World) -> None:
    session_id = open_session(world, THREE)
    thu = world.api("thu")
    entries = scores_for("SELF", 88)
    submit(thu, session_id, "thu", "SELF", entries)
    entries[10] = {**entries[10], "evidence": "2026 年党建工作报告(修订版)", "comment": "补充材料"}
    assert submit(thu, session_id, "thu", "SELF", entries)["changedCount"] == 1
    history = world.api("admin")(
        "query($id: ID!) { reviewSession(id: $id) { scores(source: SELF) { indicator "
        "history { oldValue newValue oldComment newComment oldEvidence newEvidence } } } }",
        {"id": session_id},
    )["reviewSession"]["scores"]
    [t11] = [s for s in history if s["indicator"] == "T11"]
    assert t11["history"][-1] == {
        "oldValue": 88.0,
        "newValue": 88.0,
        "oldComment": "",
        "newComment": "补充材料",
        "oldEvidence": "T11 佐证材料",
        "newEvidence": "2026 年党建工作报告(修订版)",
    }


class NewerAggregation:
    """Stands for a later plugin release that aggregates differently."""

    @hookimpl
    def sanquan_aggregate(
        self,
        indicator_set: IndicatorSet,
        scores: Sequence[ScoreValue],
        weights: SourceWeights | None,
    ) -> Aggregation:
        return default_aggregate(
            indicator_set, [replace(s, value=s.value / 2) for s in scores], weights
        )


def test_a_correction_never_changes_the_other_schools_results(
    world: World, settings: Settings
) -> None:
    session_id = run_full_session(world)
    [score] = [
        s
        for s in scores_seen(world, "admin", session_id, SCHOOLS["thu"])
        if s["source"] == "SELF" and s["indicator"] == "T01"
    ]
    host = PluginHost.discover(extra=[NewerAggregation()])
    with TestClient(create_app(settings, host)) as client:
        admin = Api(client, world.tokens["admin"])
        admin(CORRECT, {"input": {"scoreId": score["id"], "value": 80, "reason": "核实"}})
        results = admin(
            "query($id: ID!) { reviewSession(id: $id) { results { institution { code } "
            "overallIndex rank } } }",
            {"id": session_id},
        )["reviewSession"]["results"]
    overall = {r["institution"]["code"]: (r["overallIndex"], r["rank"]) for r in results}
    assert overall[SCHOOLS["ruc"]] == (pytest.approx(75.1), 1)
    assert overall[SCHOOLS["ustb"]] == (pytest.approx(65.9), 2)
    assert overall[SCHOOLS["thu"]][1] == 3  # recomputed (by the newer plugin), re-ranked
