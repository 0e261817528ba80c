"""A whole review session through GraphQL, creation to conclusion, with a hand-checked
result (R8–R16)."""

from __future__ import annotations

import pytest

from tests.conftest import SCHOOLS, World
from tests.flows import (
    CONCLUDE,
    RESULTS,
    open_session,
    scores_for,
    submit,
)

SESSION = ["thu", "ruc", "ustb"]
SELF = {"thu": 90.0, "ruc": 80.0, "ustb": 70.0}
# PEER[reviewer][subject]
PEER = {
    "thu": {"ruc": 70.0, "ustb": 60.0},
    "ruc": {"thu": 80.0, "ustb": 66.0},
    "ustb": {"thu": 84.0, "ruc": 74.0},
}
# Seven experts; thu's T20 gets 90 from everyone.
EXPERT = {
    "thu": [70.0, 72.0, 74.0, 76.0, 78.0, 80.0, 82.0],
    "ruc": [75.0] * 7,
    "ustb": [60.0, 62.0, 64.0, 66.0, 68.0, 70.0, 72.0],
}


def run_full_session(world: World, conclude: bool = True) -> str:
    session_id = open_session(world, [SCHOOLS[s] for s in SESSION])
    for school in SESSION:
        api = world.api(school)
        assert (
            submit(api, session_id, school, "SELF", scores_for("SELF", SELF[school]))["userErrors"]
            == []
        )
        for subject, value in PEER[school].items():
            result = submit(api, session_id, subject, "PEER", scores_for("PEER", value))
            assert result["userErrors"] == []
    experts = [k for k in world.tokens if k.startswith("expert")]
    for index, expert in enumerate(experts):
        api = world.api(expert)
        for subject in SESSION:
            value = EXPERT[subject][index]
            per_indicator = {f"T{n:02d}": value for n in range(1, 21)}
            if subject == "thu":
                per_indicator["T20"] = 90.0
            result = submit(api, session_id, subject, "EXPERT", scores_for("EXPERT", per_indicator))
            assert result["userErrors"] == [], result
    if not conclude:
        return session_id
    concluded = world.api("admin")(CONCLUDE, {"id": session_id})["concludeReviewSession"]
    assert concluded["userErrors"] == []
    assert concluded["reviewSession"]["status"] == "CONCLUDED"
    assert concluded["reviewSession"]["aggregation"] == {
        "method": "weighted-mean",
        "weights": {"self": 0.2, "peer": 0.3, "expert": 0.5},
    }
    return session_id


def test_full_session_gives_hand_checked_combined_values(world: World) -> None:
    session_id = run_full_session(world)
    data = world.api("viewer")(RESULTS, {"id": session_id})["reviewSession"]
    results = {r["institution"]["code"]: r for r in data["results"]}
    thu = results[SCHOOLS["thu"]]
    t01 = thu["indicators"][0]
    # 0.2 × 90 + 0.3 × mean(80, 84) + 0.5 × mean(70 … 82) = 18 + 24.6 + 38 = 80.6
    assert t01["indicator"] == "T01"
    assert t01["title"] == "充分发挥北京作为首都的政治优势"
    assert t01["selfValue"] == 90.0
    assert t01["peerMean"] == pytest.approx(82.0)
    assert t01["expertMean"] == pytest.approx(76.0)
    assert t01["combined"] == pytest.approx(80.6)
    assert (t01["peerCount"], t01["expertCount"]) == (2, 7)
    # T20: 18 + 24.6 + 0.5 × 90 = 87.6; overall (19 × 80.6 + 87.6) / 20 = 80.95
    assert thu["indicators"][19]["combined"] == pytest.approx(87.6)
    assert thu["overallIndex"] == pytest.approx(80.95)
    # ruc: 16 + 0.3 × 72 + 37.5 = 75.1; ustb: 14 + 0.3 × 63 + 33 = 65.9
    assert results[SCHOOLS["ruc"]]["overallIndex"] == pytest.approx(75.1)
    assert results[SCHOOLS["ustb"]]["overallIndex"] == pytest.approx(65.9)
    assert [results[SCHOOLS[s]]["rank"] for s in SESSION] == [1, 2, 3]


def test_results_are_null_until_concluded(world: World) -> None:
    session_id = open_session(world, [SCHOOLS[s] for s in SESSION])
    data = world.api("viewer")(RESULTS, {"id": session_id})["reviewSession"]
    assert data == {"status": "OPEN", "results": None}


def test_concluded_session_locks_scores(world: World) -> None:
    session_id = run_full_session(world)
    result = submit(world.api("thu"), session_id, "thu", "SELF", scores_for("SELF", 95.0))
    assert [e["code"] for e in result["userErrors"]] == ["SESSION_CONCLUDED"]


DIAGNOSTICS = """
query($id: ID!, $margin: Float, $gap: Float) {
  reviewSession(id: $id) {
    diagnostics(margin: $margin, gapThreshold: $gap) {
      institution { code }
      highlights { indicator value sessionMean delta }
      weaknesses { indicator delta }
      selfGaps { indicator selfValue consensus gap }
      meanSelfGap
    }
  }
}"""


def test_diagnostics_find_highlights_weaknesses_and_self_gaps(world: World) -> None:
    session_id = run_full_session(world)
    data = world.api("viewer")(DIAGNOSTICS, {"id": session_id, "margin": 5, "gap": 10})
    by_code = {d["institution"]["code"]: d for d in data["reviewSession"]["diagnostics"]}
    thu, ruc, ustb = (by_code[SCHOOLS[s]] for s in SESSION)
    # T01 session mean: (80.6 + 75.1 + 65.9) / 3 = 73.87; thu +6.73, ustb -7.97
    assert [h["indicator"] for h in thu["highlights"]] == [f"T{n:02d}" for n in range(1, 21)]
    assert thu["highlights"][0]["sessionMean"] == pytest.approx(73.8667, abs=1e-3)
    assert thu["highlights"][0]["delta"] == pytest.approx(6.7333, abs=1e-3)
    assert ruc["highlights"] == [] and ruc["weaknesses"] == []
    assert len(ustb["weaknesses"]) == 20
    # thu's self 90 against (0.3 × 82 + 0.5 × 76) / 0.8 = 78.25: gap 11.75, flagged;
    # on T20 the experts gave 90: consensus 87, gap 3, not flagged.
    assert [g["indicator"] for g in thu["selfGaps"]] == [f"T{n:02d}" for n in range(1, 20)]
    assert thu["selfGaps"][0]["gap"] == pytest.approx(11.75)
    assert thu["meanSelfGap"] == pytest.approx((19 * 11.75 + 3.0) / 20)
    # ruc: 80 against (0.3 × 72 + 0.5 × 75) / 0.8 = 73.875: 6.125, under the threshold
    assert ruc["selfGaps"] == []
    assert world.api("viewer")(DIAGNOSTICS, {"id": session_id, "margin": 5, "gap": 6})[
        "reviewSession"
    ]["diagnostics"][1]["selfGaps"][0]["gap"] == pytest.approx(6.125)
