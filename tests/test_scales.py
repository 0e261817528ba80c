"""Indicators beyond 0–100 through GraphQL: ordered levels and quantitative targets scored
from a reported figure by the plugin's own function (the ideology-responsibility set)."""

from __future__ import annotations

from typing import Any

import pytest

from sanquan.plugins.host import PluginError, PluginHost
from sanquan.review.scoring import evaluate
from sanquan_ideology.scales import RULE
from sanquan_sdk import (
    Comparison,
    Dimension,
    Indicator,
    IndicatorSet,
    Reported,
    ScoreValue,
    Source,
    Target,
    TargetScale,
    hookimpl,
)
from tests.conftest import SCHOOLS, World
from tests.flows import APPOINT, OPEN, SUBMIT

IDEOLOGY = {"key": "ideology-responsibility"}
THREE = [SCHOOLS["thu"], SCHOOLS["ruc"], SCHOOLS["ustb"]]


def open_ideology_session(world: World) -> str:
    admin = world.api("admin")
    created = admin(
        "mutation($i: CreateReviewSessionInput!) { createReviewSession(input: $i) "
        "{ reviewSession { id indicatorSetVersion } userErrors { code } } }",
        {"i": {"quarter": "2027Q2", "institutionCodes": THREE, "indicatorSet": IDEOLOGY}},
    )["createReviewSession"]
    session_id: str = created["reviewSession"]["id"]
    assert created["reviewSession"]["indicatorSetVersion"] == "2023.1"
    admin(APPOINT, {"input": {"sessionId": session_id, "expertIds": world.expert_ids}})
    admin(OPEN, {"id": session_id})
    return session_id


def submit(world: World, who: str, session_id: str, source: str, scores: list[Any]) -> Any:
    return world.api(who)(
        SUBMIT.replace(
            "scores { id indicator value status", "scores { id indicator value reported status"
        ),
        {
            "input": {
                "sessionId": session_id,
                "institutionCode": SCHOOLS["thu"],
                "source": source,
                "scores": scores,
            }
        },
    )["submitScores"]


def test_indicator_sets_describe_targets_and_levels(world: World) -> None:
    data = world.api("viewer")(
        '{ indicatorSets(key: "ideology-responsibility") { dimensions { indicators { code '
        "scale { kind minimum maximum levels { code label value } "
        "target { comparison threshold unit description scoring } } } } } }"
    )
    indicators = {
        i["code"]: i["scale"]
        for d in data["indicatorSets"][0]["dimensions"]
        for i in d["indicators"]
    }
    assert indicators["M01"]["kind"] == "TARGET"
    assert indicators["M01"]["target"] == {
        "comparison": "AT_LEAST",
        "threshold": 6.0,
        "unit": "次/年",
        "description": "≥ 6 次/年",
        "scoring": RULE,  # the plugin's own scorer, in its own words for reviewers
    }
    assert indicators["M03"]["kind"] == "LEVELS"
    assert [lv["code"] for lv in indicators["M03"]["levels"]] == ["A", "B", "C", "D"]
    assert (indicators["M03"]["minimum"], indicators["M03"]["maximum"]) == (50.0, 95.0)


def test_figures_and_levels_are_scored_by_the_plugin(world: World) -> None:
    session_id = open_ideology_session(world)
    result = submit(
        world,
        "thu",
        session_id,
        "SELF",
        [
            {"indicator": "M01", "figure": 7, "evidence": "2027 年中心组学习记录"},
            {"indicator": "M02", "figure": 0.5, "evidence": "宣讲团活动记录"},
            {"indicator": "M03", "level": "B", "evidence": "专项课题清单"},
        ],
    )
    assert result["userErrors"] == []
    scored = {s["indicator"]: (s["value"], s["reported"]) for s in result["scores"]}
    assert scored["M01"] == (100.0, "7")  # target met
    assert scored["M02"] == (25.0, "0.5")  # half of "≥ 1 次/年": 50 × 0.5
    assert scored["M03"] == (85.0, "B")


def test_wrong_kind_of_report_and_unknown_level_are_refused(world: World) -> None:
    session_id = open_ideology_session(world)
    result = submit(
        world,
        "thu",
        session_id,
        "SELF",
        [
            {"indicator": "M01", "value": 90, "evidence": "x"},
            {"indicator": "M03", "level": "E", "evidence": "x"},
            {"indicator": "M14", "figure": -1, "evidence": "x"},
        ],
    )
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("WRONG_INPUT", ["scores", "0", "figure"]),
        ("UNKNOWN_LEVEL", ["scores", "1", "level"]),
        ("INVALID_FIGURE", ["scores", "2", "figure"]),
    ]
    assert result["userErrors"][1]["message"] == "“E”不是指标 M03 的等级,可选:A、B、C、D"
    assert result["scores"] == []


def test_peers_do_not_report_figures(world: World) -> None:
    session_id = open_ideology_session(world)
    result = world.api("ruc")(
        SUBMIT,
        {
            "input": {
                "sessionId": session_id,
                "institutionCode": SCHOOLS["thu"],
                "source": "PEER",
                "scores": [{"indicator": "M01", "figure": 6}],
            }
        },
    )["submitScores"]
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("SOURCE_NOT_ALLOWED", ["scores", "0", "source"])
    ]


def broken(figure: float, target: Target) -> float:
    return figure / 0


class BrokenScorer:
    @hookimpl
    def sanquan_indicator_sets(self) -> list[IndicatorSet]:
        scale = TargetScale(Target(Comparison.AT_LEAST, 1, "次"), broken)
        indicator = Indicator("X", "x", 100, scale)
        return [IndicatorSet("broken-scorer", "1", "t", (Dimension("D", "d", (indicator,)),))]


def test_a_scorer_that_fails_is_the_plugins_fault() -> None:
    host = PluginHost.discover(extra=[BrokenScorer()])
    indicator_set = host.indicator_set("broken-scorer")
    assert indicator_set is not None
    template = ScoreValue("4111010003", "X", Source.EXPERT, 0.0)
    with pytest.raises(PluginError) as failed:
        evaluate(host, indicator_set, template, Reported(figure=2), ("scores", 0))
    assert failed.value.plugin == "BrokenScorer"  # the set's provider: the scorer is its code


HISTORY = """query($id: ID!, $code: String) { reviewSession(id: $id) {
  scores(institutionCode: $code) { nodes { indicator history {
    oldValue newValue oldReported newReported oldComment newComment } } } } }"""


def test_a_changed_figure_is_in_the_history(world: World) -> None:
    session_id = open_ideology_session(world)
    for figure, comment in ((7, "初报"), (3, "更正")):
        entry = {"indicator": "M01", "figure": figure, "evidence": "记录", "comment": comment}
        assert submit(world, "thu", session_id, "SELF", [entry])["userErrors"] == []
    scores = world.api("admin")(HISTORY, {"id": session_id, "code": SCHOOLS["thu"]})
    [m01] = scores["reviewSession"]["scores"]["nodes"]
    # "≥ 6 次/年": 7 meets it (100), 3 is half of it (50 × 3 / 6 = 25)
    assert m01["history"] == [
        {
            "oldValue": None,
            "newValue": 100.0,
            "oldReported": None,
            "newReported": "7",
            "oldComment": None,
            "newComment": "初报",
        },
        {
            "oldValue": 100.0,
            "newValue": 25.0,
            "oldReported": "7",
            "newReported": "3",
            "oldComment": "初报",
            "newComment": "更正",
        },
    ]
