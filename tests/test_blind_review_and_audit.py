"""Blind review (R14), idempotent resubmission and the audit trail (R13), and audited
corrections after conclusion (R15)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from sanquan.api.ids import decode_id, global_id, parse_id
from sanquan.app import create_app
from sanquan.config import Settings
from sanquan.plugins.host import PluginHost
from sanquan.review import visibility
from sanquan.review.models import ReviewSession, Score, ScoreRevision
from sanquan_sdk import Aggregation, IndicatorSet, ScoreValue, SourceWeights, hookimpl
from sanquan_sdk.scoring import default_aggregate
from tests.conftest import SCHOOLS, Api, World
from tests.flows import (
    CONCLUDE,
    INDICATORS,
    is_blind_id,
    open_session,
    read_all,
    scores_for,
    submit,
)
from tests.test_exports import fetch, xlsx_rows
from tests.test_review_flow import PEER, SELF, SESSION, run_full_session

THREE = [SCHOOLS["thu"], SCHOOLS["ruc"], SCHOOLS["ustb"]]
SCORES = """
query($id: ID!, $code: String, $after: String) {
  reviewSession(id: $id) {
    scores(institutionCode: $code, first: 200, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id indicator value source
        institution { code }
        reviewerInstitution { code }
        reviewerExpert { name }
        history { oldValue newValue changedBy reason }
      }
    }
  }
}"""


def scores_seen(world: World, who: str, session_id: str, code: str | None = None) -> Any:
    variables = {"id": session_id, "code": code}
    return read_all(world.api(who), SCORES, variables, "reviewSession", "scores")


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


def test_while_open_each_expert_sees_only_their_own_scores(world: World) -> None:
    session_id = open_session(world, THREE)
    experts = {"expert1": 60.0, "expert2": 65.0, "expert3": 70.0}
    for expert, value in experts.items():
        submit(world.api(expert), session_id, "ruc", "EXPERT", scores_for("EXPERT", value))
    for expert, value in experts.items():
        seen = scores_seen(world, expert, session_id)
        assert len(seen) == 20
        assert {(s["value"], s["reviewerExpert"]["name"]) for s in seen} == {(value, expert)}


def test_an_expert_off_the_panel_cannot_read_scores(world: World) -> None:
    # expert1's account is older than the whole panel's, expert6's younger.
    panel = [str(world.account_ids[e]) for e in ("expert2", "expert3")]
    session_id = open_session(world, THREE, panel, min_experts=2)
    for who in ("expert1", "expert6"):
        body = world.api(who).raw(SCORES, {"id": session_id})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_a_sessions_scores_are_its_own(world: World) -> None:
    # The same schools in two quarters: ruc scored by thu 70 in the first, 80 in the second,
    # then 75 in the first again.
    first = open_session(world, THREE)
    second = open_session(world, THREE, quarter="2027Q2")
    for session_id, value in ((first, 70), (second, 80), (first, 75)):
        given = submit(world.api("thu"), session_id, "ruc", "PEER", scores_for("PEER", value))
        assert given["userErrors"] == []
    for session_id, value in ((first, 75.0), (second, 80.0)):
        for who in ("admin", "thu"):
            seen = scores_seen(world, who, session_id)
            assert [s["value"] for s in seen] == [value] * 20


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


def test_after_conclusion_a_school_reads_no_other_schools_history(world: World) -> None:
    # R14 with R13: the audit trail of a score is its reviewer's and the commission's.
    session_id = run_full_session(world)
    history = {
        (s["reviewerInstitution"]["code"], s["institution"]["code"]): s["history"]
        for s in scores_seen(world, "thu", session_id)
        if s["indicator"] == "T01" and s["source"] != "EXPERT"
    }

    def created(value: float) -> list[dict[str, Any]]:
        return [{"oldValue": None, "newValue": value, "changedBy": "thu", "reason": ""}]

    thu, ruc, ustb = (SCHOOLS[s] for s in ("thu", "ruc", "ustb"))
    assert history == {
        # Its own self-evaluation and the peer scores it gave, with their history …
        (thu, thu): created(90.0),
        (thu, ruc): created(70.0),
        (thu, ustb): created(60.0),
        # … but not the peer scores that 中国人民大学 and 北京科技大学 gave it.
        (ruc, thu): None,
        (ustb, thu): None,
    }


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
        "query($id: ID!) { reviewSession(id: $id) { scores(source: SELF) { nodes { indicator "
        "history { oldValue newValue oldComment newComment oldEvidence newEvidence } } } } }",
        {"id": session_id},
    )["reviewSession"]["scores"]["nodes"]
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


# Issue: blind review could be linked. Seven experts score three schools; expert3 keeps a
# draft (with a comment) about 清华大学. About 清华大学 the experts' values rotate, so
# that no expert ranks the same among the others on two indicators in a row; about 中国人民
# 大学 every expert gives the same 75 everywhere, so that only ids, times or order could
# tell the experts apart there.
EXPERT_KEYS = ["expert1", "expert2", "expert3", "expert4", "expert5", "expert6", "expert_pku"]
DRAFTING = "expert3"
DRAFT_COMMENT = "草稿:材料尚未核实"
PEER_DRAFT_COMMENT = "互评草稿:待校内讨论"
FULL_SCORE = """
query($id: ID!, $code: String, $source: Source, $after: String) {
  reviewSession(id: $id) {
    scores(institutionCode: $code, source: $source, first: 200, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id indicator source value reported comment evidence status updatedAt
        institution { code }
        reviewerInstitution { code }
        reviewerExpert { id name }
        history { changedAt changedBy oldValue newValue oldStatus newStatus reason }
      }
    }
  }
}"""


def rotating_value(expert: int, indicator: int) -> float:
    return 70.0 + 2 * ((expert + indicator) % 7)


def expert_values(school: str, expert: int) -> dict[str, float]:
    if school == "thu":
        return {code: rotating_value(expert, n) for n, code in enumerate(INDICATORS, start=1)}
    return dict.fromkeys(INDICATORS, 75.0 if school == "ruc" else 65.0)


def blind_session(world: World) -> str:
    """An open session of 清华大学, 中国人民大学 and 北京科技大学, fully scored except for
    two drafts: expert3's about 清华大学 and 北京科技大学's peer evaluation of it."""
    session_id = open_session(world, [SCHOOLS[s] for s in SESSION])
    for school in SESSION:
        api = world.api(school)
        self_scores = scores_for("SELF", SELF[school])
        assert submit(api, session_id, school, "SELF", self_scores)["userErrors"] == []
        for subject, value in PEER[school].items():
            entries = scores_for("PEER", value)
            final = (school, subject) != ("ustb", "thu")
            if not final:
                entries[0]["comment"] = PEER_DRAFT_COMMENT
            assert submit(api, session_id, subject, "PEER", entries, final)["userErrors"] == []
    # Each expert submits in its own requests, at its own times, one school after another.
    for index, expert in enumerate(EXPERT_KEYS):
        for school in SESSION:
            entries = scores_for("EXPERT", expert_values(school, index))
            final = (expert, school) != (DRAFTING, "thu")
            if not final:
                entries = [{**e, "comment": DRAFT_COMMENT} for e in entries]
            result = submit(world.api(expert), session_id, school, "EXPERT", entries, final)
            assert result["userErrors"] == []
    return session_id


def conclude(world: World, session_id: str) -> None:
    """Submit 北京科技大学's peer draft (peer evaluations must be complete), then conclude;
    expert3's draft stays a draft, the other six experts are enough."""
    final = scores_for("PEER", PEER["ustb"]["thu"])
    assert submit(world.api("ustb"), session_id, "thu", "PEER", final)["userErrors"] == []
    concluded = world.api("admin")(CONCLUDE, {"id": session_id})["concludeReviewSession"]
    assert concluded["userErrors"] == []


def full_scores(
    world: World, who: str, session_id: str, school: str | None = None, source: str | None = None
) -> list[dict[str, Any]]:
    code = SCHOOLS[school] if school else None
    variables = {"id": session_id, "code": code, "source": source}
    return read_all(world.api(who), FULL_SCORE, variables, "reviewSession", "scores")


Groups = list[frozenset[int]]


def id_order(row: dict[str, Any]) -> tuple[int, str]:
    """How a client would sort ids: numerically when they are numbers."""
    found = decode_id(row["id"])
    shown = found[1] if found else row["id"]
    return (int(shown), "") if shown.isdigit() else (0, shown)


def chunks(positions: list[int], size: int) -> Groups:
    return [frozenset(positions[i : i + size]) for i in range(0, len(positions), size)]


def ranks_within_indicator(rows: list[dict[str, Any]], positions: list[int]) -> Groups:
    """The first score of each indicator together, the second together, and so on."""
    rank: dict[int, int] = {}
    seen: Counter[str] = Counter()
    for position in positions:
        indicator = rows[position]["indicator"]
        rank[position] = seen[indicator]
        seen[indicator] += 1
    return group_by(range(len(rows)), rank.__getitem__)


def group_by(positions: Iterable[int], key: Callable[[int], Any]) -> Groups:
    groups: dict[str, set[int]] = defaultdict(set)
    for position in positions:
        groups[json.dumps(key(position), sort_keys=True)].add(position)
    return [frozenset(g) for g in groups.values()]


def linking_attempts(rows: list[dict[str, Any]]) -> dict[str, Groups]:
    """Every way a school might split the expert scores it reads into experts: by each
    field it is shown, by all of them but the indicator's own, by runs of one profile's
    length in response order or in id order, and by rank within each indicator."""
    everything = range(len(rows))
    attempts = {
        f"same {field}": group_by(everything, lambda p, f=field: rows[p][f]) for field in rows[0]
    }
    attempts["same fields but id, indicator, value"] = group_by(
        everything,
        lambda p: {k: v for k, v in rows[p].items() if k not in {"id", "indicator", "value"}},
    )
    by_id = sorted(everything, key=lambda p: id_order(rows[p]))
    profile = len(INDICATORS)
    attempts["runs in response order"] = chunks(list(everything), profile)
    attempts["runs in id order"] = chunks(by_id, profile)
    attempts["rank in response order"] = ranks_within_indicator(rows, list(everything))
    attempts["rank in id order"] = ranks_within_indicator(rows, by_id)
    return attempts


def true_experts(db: Session, session_id: str, rows: list[dict[str, Any]]) -> Groups:
    """Which rows each expert gave, from the database: the id a reader is shown is either
    the row id or the session's keyed hash of it."""
    db.expire_all()
    session = db.get(ReviewSession, parse_id(session_id, "ReviewSession"))
    assert session is not None
    expert_of: dict[str, int | None] = {}
    for score in db.scalars(select(Score).where(Score.session_id == session.id)):
        expert_of[global_id("Score", score.id)] = score.reviewer_account_id
        blind = f"{session.id}/{visibility.blind_id(session, score)}"
        expert_of[global_id("Score", blind)] = score.reviewer_account_id
    return group_by(range(len(rows)), lambda p: expert_of[rows[p]["id"]])


@pytest.mark.parametrize("school", ["thu", "ruc"])
def test_a_school_cannot_group_the_expert_scores_about_it_by_expert(
    world: World, db: Session, school: str
) -> None:
    session_id = blind_session(world)
    conclude(world, session_id)
    rows = full_scores(world, school, session_id, school, "EXPERT")
    experts = true_experts(db, session_id, rows)
    found = {
        how: sum(1 for g in groups if g in experts)
        for how, groups in linking_attempts(rows).items()
    }
    assert {how: n for how, n in found.items() if n} == {}, "ways that find an expert's scores"
    # Six experts (expert3's draft is not shown) about 清华大学, seven about 中国人民大学.
    assert sorted(len(g) for g in experts) == [len(INDICATORS)] * (6 if school == "thu" else 7)
    assert {r["status"] for r in rows} == {"SUBMITTED"}
    assert DRAFT_COMMENT not in {r["comment"] for r in rows}


def test_an_experts_draft_is_its_own_and_the_commissions_only(world: World) -> None:
    session_id = blind_session(world)

    def drafts_seen(who: str) -> set[tuple[str, str, str]]:
        """(source, subject, status) of every draft, or score with a draft's comment."""
        return {
            (s["source"], s["institution"]["code"], s["status"])
            for s in full_scores(world, who, session_id)
            if s["status"] == "DRAFT" or s["comment"] in {DRAFT_COMMENT, PEER_DRAFT_COMMENT}
        }

    expert_draft = ("EXPERT", SCHOOLS["thu"], "DRAFT")
    peer_draft = ("PEER", SCHOOLS["thu"], "DRAFT")
    # The school scored, a peer school, another expert, an expert from outside the schools.
    others = ["thu", "ruc", "expert1", "expert_pku"]
    for who in others:
        assert drafts_seen(who) == set(), who
    assert drafts_seen("ustb") == {peer_draft}
    assert drafts_seen(DRAFTING) == {expert_draft}
    assert drafts_seen("admin") == {peer_draft, expert_draft}
    conclude(world, session_id)
    for who in [*others, "ustb"]:
        assert drafts_seen(who) == set(), who
    assert drafts_seen(DRAFTING) == {expert_draft}
    assert drafts_seen("admin") == {expert_draft}


def test_after_conclusion_an_expert_learns_no_other_experts_name(world: World) -> None:
    session_id = blind_session(world)
    conclude(world, session_id)
    seen = full_scores(world, "expert1", session_id, source="EXPERT")
    assert {(s["reviewerExpert"] or {}).get("name") for s in seen} == {"expert1", None}
    t01 = [
        (s["value"], (s["reviewerExpert"] or {}).get("name"), s["updatedAt"] is None)
        for s in seen
        if s["institution"]["code"] == SCHOOLS["thu"] and s["indicator"] == "T01"
    ]
    # Its own score first, then the five other submitted ones by value, with no time.
    assert t01 == [
        (72.0, "expert1", False),
        (70.0, None, True),
        (74.0, None, True),
        (78.0, None, True),
        (80.0, None, True),
        (82.0, None, True),
    ]
    others = [s for s in seen if s["reviewerExpert"] is None]
    assert {(s["history"], is_blind_id(s["id"])) for s in others} == {(None, True)}


def test_a_school_reads_its_expert_scores_in_content_order_in_graphql_and_export(
    world: World,
) -> None:
    session_id = blind_session(world)
    conclude(world, session_id)
    shown = [
        (
            s["source"],
            (s["reviewerInstitution"] or {}).get("code"),
            s["reviewerExpert"],
            s["value"],
            s["status"],
            s["updatedAt"] is None,
        )
        for s in full_scores(world, "thu", session_id, "thu")
        if s["indicator"] == "T01"
    ]
    anonymous = ("EXPERT", None, None)
    assert shown == [
        ("SELF", SCHOOLS["thu"], None, 90.0, "SUBMITTED", False),
        ("PEER", SCHOOLS["ruc"], None, 80.0, "SUBMITTED", False),
        ("PEER", SCHOOLS["ustb"], None, 84.0, "SUBMITTED", False),
        *((*anonymous, v, "SUBMITTED", True) for v in (70.0, 72.0, 74.0, 78.0, 80.0, 82.0)),
    ]
    sheet = xlsx_rows(fetch(world, "thu", kind="SCORE_SHEET", sessionId=session_id).content)
    t01 = [r for r in sheet[1:] if r[0] == SCHOOLS["thu"] and r[2] == "T01"]
    title = "充分发挥北京作为首都的政治优势"
    head = (SCHOOLS["thu"], "清华大学", "T01", title)
    assert [r[:4] for r in t01] == [head] * 9
    assert [r[4:] for r in t01] == [
        ("学校自评", "清华大学", 90.0, None, None, None, "已提交", t01[0][11]),
        ("同行互评", "中国人民大学", 80.0, None, None, None, "已提交", t01[1][11]),
        ("同行互评", "北京科技大学", 84.0, None, None, None, "已提交", t01[2][11]),
        *(
            ("专家点评", "专家(匿名)", v, None, None, None, "已提交", None)
            for v in (70.0, 72.0, 74.0, 78.0, 80.0, 82.0)
        ),
    ]
    assert all(r[11] for r in t01[:3])
    assert {r[10] for r in sheet[1:]} == {"已提交"}
    assert not {r[5] for r in sheet[1:]} & set(EXPERT_KEYS)
