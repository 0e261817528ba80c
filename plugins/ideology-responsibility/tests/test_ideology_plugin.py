"""The ideology-work responsibility set against the hook contract and its scoring rules,
with the SDK's test kit: no service needed."""

import pytest

from sanquan_ideology import plugin
from sanquan_ideology.scales import score_figure
from sanquan_sdk import Comparison, ScoreProblem, Source, Target, TargetScale
from sanquan_sdk.testing import check_plugin, score

KEY = "ideology-responsibility"
EVIDENCE = "党委理论学习中心组2023年学习记录"


def codes(problems: list[ScoreProblem]) -> list[str]:
    return [problem.code for problem in problems]


def test_plugin_keeps_the_hook_contract() -> None:
    [indicator_set] = check_plugin(plugin)
    assert (indicator_set.key, indicator_set.version) == (KEY, "2023.1")


def test_one_indicator_per_measure_in_six_parts() -> None:
    indicator_set = plugin.indicator_set()
    assert [i.code for i in indicator_set.indicators] == [f"M{n:02d}" for n in range(1, 23)]
    assert [len(d.indicators) for d in indicator_set.dimensions] == [3, 2, 5, 6, 3, 3]
    titles = {i.code: i.title for i in indicator_set.indicators}
    assert (titles["M01"], titles["M22"]) == ("加强学习研讨", "专项督查机制")


def test_quantitative_measures_carry_the_documents_targets() -> None:
    indicator_set = plugin.indicator_set()
    targets = {
        i.code: i.scale.target.describe()
        for i in indicator_set.indicators
        if isinstance(i.scale, TargetScale)
    }
    assert targets == {
        "M01": "≥ 6 次/年",
        "M02": "≥ 1 次/年",
        "M14": "≥ 1 次/年",
        "M15": "≥ 1 次/年",
        "M16": "≥ 1 名/社团",
        "M17": "≥ 2 次/年",
        "M18": "≥ 10 % 在编人数",
        "M20": "≥ 1 次/年",
        "M21": "≥ 1 次/季度",
        "M22": "≥ 1 次/年",
    }


@pytest.mark.parametrize(
    ("indicator", "figure", "expected"),
    [
        ("M01", 6, 100.0),
        ("M01", 9, 100.0),
        ("M01", 3, 25.0),
        ("M01", 0, 0.0),
        ("M18", 7.5, 37.5),
        ("M16", 0, 0.0),
        ("M16", 1, 100.0),
        ("M17", 1, 25.0),
    ],
)
def test_a_figure_scores_full_when_met_and_at_most_the_failing_grade_when_not(
    indicator: str, figure: float, expected: float
) -> None:
    scored = score(plugin, KEY, indicator, figure=figure, source=Source.SELF, evidence=EVIDENCE)
    assert scored.ok
    assert scored.value == pytest.approx(expected)


def test_a_missed_target_never_outscores_the_failing_grade() -> None:
    six = Target(Comparison.AT_LEAST, 6, "次/年")
    assert max(score_figure(tenth / 10, six) for tenth in range(60)) < 50


def test_graded_measures_take_the_four_grades() -> None:
    assert score(plugin, KEY, "M03", level="A").value == 95
    assert score(plugin, KEY, "M03", level="D").value == 50


def test_an_unknown_grade_is_refused() -> None:
    assert codes(score(plugin, KEY, "M03", level="E").problems) == ["UNKNOWN_LEVEL"]


def test_a_target_measure_takes_a_figure_not_a_value_or_grade() -> None:
    assert codes(score(plugin, KEY, "M01", value=80).problems) == ["WRONG_INPUT"]
    assert codes(score(plugin, KEY, "M01", level="A").problems) == ["WRONG_INPUT"]
    assert codes(score(plugin, KEY, "M01", figure=-1).problems) == ["INVALID_FIGURE"]


def test_a_graded_measure_takes_a_grade_not_a_figure() -> None:
    assert codes(score(plugin, KEY, "M03", figure=6).problems) == ["WRONG_INPUT"]


def test_peers_do_not_report_figures() -> None:
    scored = score(plugin, KEY, "M01", figure=6, source=Source.PEER)
    assert codes(scored.problems) == ["SOURCE_NOT_ALLOWED"]
    assert score(plugin, KEY, "M03", level="B", source=Source.PEER).ok


def test_the_schools_own_report_needs_evidence() -> None:
    assert codes(score(plugin, KEY, "M01", figure=6, source=Source.SELF).problems) == [
        "EVIDENCE_REQUIRED"
    ]
    assert codes(score(plugin, KEY, "M03", level="A", source=Source.SELF).problems) == [
        "EVIDENCE_REQUIRED"
    ]
    assert score(plugin, KEY, "M01", figure=6, source=Source.EXPERT).ok
