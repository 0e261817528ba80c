"""Concluding a session (R15–R16): only when every evaluation is submitted and complete,
with drafts counting for nothing; results aggregated by the set's plugin with the weights
stored at conclusion, also when a correction recomputes them; tied schools share a rank."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

import pytest
from starlette.testclient import TestClient

from sanquan.app import create_app
from sanquan.config import Settings
from sanquan.plugins.host import PluginHost
from sanquan_sdk import Aggregation, IndicatorSet, ScoreValue, SourceWeights, hookimpl
from sanquan_sdk.scoring import default_aggregate
from tests.conftest import SCHOOLS, Api, World
from tests.flows import CONCLUDE, INDICATORS, RESULTS, open_session, scores_for, submit
from tests.test_blind_review_and_audit import CORRECT, scores_seen
from tests.test_review_flow import PEER, SELF, SESSION

EXPERTS = ("expert1", "expert2")
Drafts = AbstractSet[tuple[str, str, str]]
"""(reviewer, school scored, source) of the evaluations left as drafts."""


def scored_session(
    world: World,
    expert_values: Mapping[str, Mapping[str, float]],
    *,
    min_experts: int = 2,
    drafts: Drafts = frozenset(),
    self_values: Mapping[str, float] = SELF,
    peer_values: Mapping[str, Mapping[str, float]] = PEER,
    quarter: str = "2027Q1",
) -> str:
    """An open session of thu, ruc and ustb in ``quarter`` with expert1 and expert2 as
    panel, every self and peer evaluation given in full (``self_values``,
    ``peer_values[reviewer][school]``) and ``expert_values[expert][school]`` on every
    indicator; all submitted but ``drafts``."""
    panel = [str(world.account_ids[e]) for e in EXPERTS]
    codes = [SCHOOLS[s] for s in SESSION]
    session_id = open_session(world, codes, panel, min_experts, quarter)
    given: list[tuple[str, str, str, float]] = []
    for school in SESSION:
        given.append((school, school, "SELF", self_values[school]))
        given.extend((school, subject, "PEER", v) for subject, v in peer_values[school].items())
    for expert, values in expert_values.items():
        given.extend((expert, school, "EXPERT", value) for school, value in values.items())
    for reviewer, school, source, value in given:
        final = (reviewer, school, source) not in drafts
        result = submit(
            world.api(reviewer), session_id, school, source, scores_for(source, value), final
        )
        assert result["userErrors"] == []
    return session_id


EVERYWHERE_76 = dict.fromkeys(SESSION, 76.0)
ALL_CODES = ", ".join(INDICATORS)


def conclude(api: Api, session_id: str) -> dict[str, Any]:
    payload: dict[str, Any] = api(CONCLUDE, {"id": session_id})["concludeReviewSession"]
    return payload


def refusal(world: World, session_id: str) -> list[tuple[str, str]]:
    """The (code, English message) of each reason the session cannot conclude yet."""
    payload = conclude(world.api("admin", "en"), session_id)
    assert payload["reviewSession"] is None
    return [(e["code"], e["message"]) for e in payload["userErrors"]]


def incomplete(*messages: str) -> list[tuple[str, str]]:
    return [("INCOMPLETE", m) for m in messages]


def concludes(world: World, session_id: str) -> None:
    payload = conclude(world.api("admin"), session_id)
    assert payload["userErrors"] == []
    assert payload["reviewSession"]["status"] == "CONCLUDED"


def test_a_draft_never_counts_toward_completeness(world: World) -> None:
    drafts = {
        ("thu", "thu", "SELF"): SELF["thu"],
        ("thu", "ruc", "PEER"): PEER["thu"]["ruc"],
        ("expert2", "ustb", "EXPERT"): 76.0,
    }
    session_id = scored_session(world, dict.fromkeys(EXPERTS, EVERYWHERE_76), drafts=drafts.keys())
    assert refusal(world, session_id) == incomplete(
        f"清华大学: self-evaluation lacks 20 indicators ({ALL_CODES})",
        f"中国人民大学: peer evaluation by 清华大学 lacks 20 indicators ({ALL_CODES})",
        "北京科技大学: 1 experts have scored every indicator, 2 are needed",
    )
    # Submitting the three drafts is all that was missing.
    for (reviewer, school, source), value in drafts.items():
        done = submit(world.api(reviewer), session_id, school, source, scores_for(source, value))
        assert done["userErrors"] == []
    concludes(world, session_id)


def test_a_draft_never_enters_the_results(world: World) -> None:
    # expert2 leaves a draft of 0 everywhere about 清华大学; expert1 alone is enough.
    expert_values = {"expert1": EVERYWHERE_76, "expert2": {"thu": 0.0}}
    drafts = {("expert2", "thu", "EXPERT")}
    session_id = scored_session(world, expert_values, min_experts=1, drafts=drafts)
    concludes(world, session_id)
    results = world.api("viewer")(RESULTS, {"id": session_id})["reviewSession"]["results"]
    thu = next(r for r in results if r["institution"]["code"] == SCHOOLS["thu"])
    t01 = thu["indicators"][0]
    # 0.2 × 90 + 0.3 × mean(80, 84) + 0.5 × 76 = 18 + 24.6 + 38 = 80.6 (with the draft's 0
    # the expert mean would be 38 and the combined value 61.6)
    assert (t01["expertMean"], t01["expertCount"], t01["peerCount"]) == (76.0, 1, 2)
    assert t01["combined"] == pytest.approx(80.6)
    assert thu["overallIndex"] == pytest.approx(80.6)


def expert2_on_thu(world: World, indicators: Sequence[str]) -> str:
    """min_experts 2: expert1 scores every school in full, expert2 ruc and ustb in full and
    清华大学 on ``indicators`` only."""
    expert_values = {"expert1": EVERYWHERE_76, "expert2": {"ruc": 76.0, "ustb": 76.0}}
    session_id = scored_session(world, expert_values)
    if indicators:
        some = [e for e in scores_for("EXPERT", 76) if e["indicator"] in indicators]
        assert submit(world.api("expert2"), session_id, "thu", "EXPERT", some)["userErrors"] == []
    return session_id


ONE_SHORT = incomplete("清华大学: 1 experts have scored every indicator, 2 are needed")


def test_a_school_needs_the_full_minimum_of_complete_experts(world: World) -> None:
    session_id = expert2_on_thu(world, [])
    assert refusal(world, session_id) == ONE_SHORT
    entries = scores_for("EXPERT", 76)
    assert submit(world.api("expert2"), session_id, "thu", "EXPERT", entries)["userErrors"] == []
    concludes(world, session_id)


def test_an_expert_who_scored_some_indicators_is_not_complete(world: World) -> None:
    session_id = expert2_on_thu(world, INDICATORS[:-1])
    assert refusal(world, session_id) == ONE_SHORT
    last = [e for e in scores_for("EXPERT", 76) if e["indicator"] == INDICATORS[-1]]
    assert submit(world.api("expert2"), session_id, "thu", "EXPERT", last)["userErrors"] == []
    concludes(world, session_id)


class Weighted:
    """The Beijing set aggregated the default way, but with the plugin's own weights
    unless it is given the stored ones (as ``sanquan_aggregate``'s contract asks)."""

    def __init__(self, weights: SourceWeights) -> None:
        self.weights = weights

    @hookimpl
    def sanquan_aggregate(
        self,
        indicator_set: IndicatorSet,
        scores: Sequence[ScoreValue],
        weights: SourceWeights | None,
    ) -> Aggregation | None:
        if indicator_set.key != "beijing-sanquan":
            return None
        return default_aggregate(indicator_set, scores, weights or self.weights)


def served(settings: Settings, plugin: object) -> TestClient:
    return TestClient(create_app(settings, PluginHost.discover(extra=[plugin])))


def test_a_correction_is_recomputed_with_the_weights_stored_at_conclusion(
    world: World, settings: Settings
) -> None:
    # One expert (76 on everything) is enough; thu's self 90, peers 80 and 84.
    expert_values = {"expert1": EVERYWHERE_76}
    session_id = scored_session(world, expert_values, min_experts=1)
    with served(settings, Weighted(SourceWeights(0.1, 0.3, 0.6))) as client:
        concluded = conclude(Api(client, world.tokens["admin"]), session_id)
    assert concluded["reviewSession"]["aggregation"] == {
        "method": "weighted-mean",
        "weights": {"self": 0.1, "peer": 0.3, "expert": 0.6},
    }
    # 0.1 × 90 + 0.3 × 82 + 0.6 × 76 = 9 + 24.6 + 45.6 = 79.2 on every indicator
    assert thu_combined(world.api("viewer"), session_id) == pytest.approx([79.2, 79.2])
    [score] = [
        s
        for s in scores_seen(world, "admin", session_id, SCHOOLS["thu"])
        if s["source"] == "SELF" and s["indicator"] == "T01"
    ]
    correction = {"input": {"scoreId": score["id"], "value": 80, "reason": "核实"}}
    # A later release of the plugin weighs 0.4 / 0.3 / 0.3 unless told otherwise.
    with served(settings, Weighted(SourceWeights(0.4, 0.3, 0.3))) as client:
        corrected = Api(client, world.tokens["admin"])(CORRECT, correction)["correctScore"]
    assert corrected["userErrors"] == []
    # T01: 0.1 × 80 + 24.6 + 45.6 = 78.2 (0.2 / 0.3 / 0.5 would give 78.6, 0.4 / 0.3 / 0.3
    # 79.4); overall (78.2 + 19 × 79.2) / 20 = 79.15
    assert thu_combined(world.api("viewer"), session_id) == pytest.approx([78.2, 79.15])


def test_a_correction_may_raise_a_score(world: World) -> None:
    session_id = scored_session(world, {"expert1": EVERYWHERE_76}, min_experts=1)
    concludes(world, session_id)
    [score] = [
        s
        for s in scores_seen(world, "admin", session_id, SCHOOLS["thu"])
        if s["source"] == "SELF" and s["indicator"] == "T01"
    ]
    correction = {"input": {"scoreId": score["id"], "value": 95, "reason": "核实"}}
    assert world.api("admin")(CORRECT, correction)["correctScore"]["userErrors"] == []
    # T01: 0.2 × 95 + 0.3 × 82 + 0.5 × 76 = 19 + 24.6 + 38 = 81.6 (80.6 before);
    # overall (81.6 + 19 × 80.6) / 20 = 80.65
    assert thu_combined(world.api("viewer"), session_id) == pytest.approx([81.6, 80.65])


def thu_combined(api: Api, session_id: str) -> list[float]:
    """清华大学's combined T01 and its overall index."""
    results = api(RESULTS, {"id": session_id})["reviewSession"]["results"]
    thu = next(r for r in results if r["institution"]["code"] == SCHOOLS["thu"])
    return [thu["indicators"][0]["combined"], thu["overallIndex"]]


def test_tied_schools_share_a_rank_and_the_next_rank_is_skipped(world: World) -> None:
    # thu and ruc get exactly the same scores: self 80, peers 75 and 75, expert 70, so
    # 16 + 22.5 + 35 = 73.5 each; ustb: self 70, expert 60, 14 + 22.5 + 30 = 66.5.
    peers = {school: {s: 75.0 for s in SESSION if s != school} for school in SESSION}
    session_id = scored_session(
        world,
        {"expert1": {"thu": 70.0, "ruc": 70.0, "ustb": 60.0}},
        min_experts=1,
        self_values={"thu": 80.0, "ruc": 80.0, "ustb": 70.0},
        peer_values=peers,
    )
    concludes(world, session_id)
    results = world.api("viewer")(RESULTS, {"id": session_id})["reviewSession"]["results"]
    ranked = [(r["institution"]["code"], r["overallIndex"], r["rank"]) for r in results]
    assert ranked == [
        (SCHOOLS["thu"], pytest.approx(73.5), 1),
        (SCHOOLS["ruc"], pytest.approx(73.5), 1),
        (SCHOOLS["ustb"], pytest.approx(66.5), 3),
    ]


def test_each_session_has_only_its_own_results(world: World) -> None:
    # The same three schools reviewed in two quarters, the experts giving 76 in the first
    # and 56 in the second; each session's results are the outcomes stored for it alone,
    # also after a correction to the first rewrites its outcomes for 清华大学.
    first = scored_session(world, {"expert1": EVERYWHERE_76}, min_experts=1)
    everywhere_56 = dict.fromkeys(SESSION, 56.0)
    second = scored_session(world, {"expert1": everywhere_56}, min_experts=1, quarter="2027Q2")
    concludes(world, first)
    concludes(world, second)
    # 清华大学: 0.2 × 90 + 0.3 × mean(80, 84) + 0.5 × expert = 18 + 24.6 + 0.5 × expert,
    # ahead of 中国人民大学 (16 + 21.6 + 0.5 × expert) and 北京科技大学 (14 + 18.9 + …) in both
    assert thu_figures(world, first) == ([80.6] * 20, 80.6, 76.0)
    assert thu_figures(world, second) == ([70.6] * 20, 70.6, 56.0)
    [score] = [
        s
        for s in scores_seen(world, "admin", first, SCHOOLS["thu"])
        if s["source"] == "SELF" and s["indicator"] == "T01"
    ]
    correction = {"input": {"scoreId": score["id"], "value": 80, "reason": "核实"}}
    assert world.api("admin")(CORRECT, correction)["correctScore"]["userErrors"] == []
    # T01: 0.2 × 80 + 24.6 + 38 = 78.6; overall (78.6 + 19 × 80.6) / 20 = 80.5
    assert thu_figures(world, first) == ([78.6] + [80.6] * 19, 80.5, 76.0)
    assert thu_figures(world, second) == ([70.6] * 20, 70.6, 56.0)


def test_another_sessions_scores_never_complete_a_session(world: World) -> None:
    # The same schools in three quarters, the second scored in full, the first and third not.
    panel = [str(world.account_ids[e]) for e in EXPERTS]
    codes = [SCHOOLS[s] for s in SESSION]
    first = open_session(world, codes, panel, 1)
    second = scored_session(world, {"expert1": EVERYWHERE_76}, min_experts=1, quarter="2027Q2")
    third = open_session(world, codes, panel, 1, quarter="2027Q3")
    # Each school's self-evaluation, the six peer evaluations, each school's one expert.
    for unscored in (first, third):
        assert [code for code, _ in refusal(world, unscored)] == ["INCOMPLETE"] * (3 + 6 + 3)
    concludes(world, second)


def thu_figures(world: World, session_id: str) -> tuple[Any, Any, float]:
    """清华大学's combined values by indicator, its overall index and its one expert mean,
    after checking that the results list the session's schools in order, ranked 1, 2, 3,
    each with every indicator, and the set's indicators in order."""
    results = world.api("viewer")(RESULTS, {"id": session_id})["reviewSession"]["results"]
    assert [r["institution"]["code"] for r in results] == [SCHOOLS[s] for s in SESSION]
    assert [(r["rank"], len(r["indicators"])) for r in results] == [(1, 20), (2, 20), (3, 20)]
    indicators = results[0]["indicators"]
    assert [i["indicator"] for i in indicators] == INDICATORS
    [expert_mean] = {i["expertMean"] for i in indicators}
    assert {i["expertCount"] for i in indicators} == {1}
    combined = [round(i["combined"], 6) for i in indicators]
    return combined, round(results[0]["overallIndex"], 6), expert_mean
