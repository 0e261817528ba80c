"""The SDK's data classes refuse malformed indicator sets with a message naming the set
and the field; the default aggregation follows R16."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from sanquan_sdk import (
    Aggregation,
    Comparison,
    Dimension,
    Indicator,
    IndicatorSet,
    IndicatorSetError,
    Level,
    LevelScale,
    NumericScale,
    ScoreProblem,
    ScoreValue,
    Source,
    SourceWeights,
    Target,
    TargetScale,
    hookimpl,
)
from sanquan_sdk.scoring import default_aggregate, standard_problems
from sanquan_sdk.testing import PluginCheckError, Sample, check_plugin, score
from tests import fake_plugins


def one_set(*indicators: Indicator, key: str = "t") -> IndicatorSet:
    return IndicatorSet(
        key=key, version="1", title="T", dimensions=(Dimension("D", "D", indicators),)
    )


def test_duplicate_indicator_codes_are_refused() -> None:
    with pytest.raises(IndicatorSetError, match=r"indicator set 't' '1': indicators: duplicate"):
        one_set(Indicator("A", "a", 50), Indicator("A", "b", 50))


def test_weights_must_add_up_to_100() -> None:
    with pytest.raises(IndicatorSetError, match="add up to 90"):
        one_set(Indicator("A", "a", 50), Indicator("B", "b", 40))


def test_evidence_rule_must_name_an_allowed_source() -> None:
    with pytest.raises(IndicatorSetError, match="evidence_required"):
        Indicator(
            "A",
            "a",
            100,
            sources=frozenset({Source.EXPERT}),
            evidence_required=frozenset({Source.SELF}),
        )


def test_scale_must_be_a_range() -> None:
    with pytest.raises(IndicatorSetError, match="maximum"):
        NumericScale(10, 10)


def test_standard_checks_name_the_field() -> None:
    indicator_set = one_set(
        Indicator(
            "A",
            "a",
            100,
            sources=frozenset({Source.EXPERT, Source.SELF}),
            evidence_required=frozenset({Source.SELF}),
        )
    )
    assert [
        p.field for p in standard_problems(indicator_set, ScoreValue("x", "A", Source.PEER, 101))
    ] == [
        "source",
        "value",
    ]
    assert [
        p.code for p in standard_problems(indicator_set, ScoreValue("x", "A", Source.SELF, 50))
    ] == ["EVIDENCE_REQUIRED"]
    assert [
        p.code for p in standard_problems(indicator_set, ScoreValue("x", "Z", Source.SELF, 50))
    ] == ["UNKNOWN_INDICATOR"]


def test_default_aggregation_shares_out_a_missing_source() -> None:
    indicator_set = one_set(
        Indicator("A", "a", 60), Indicator("B", "b", 40, sources=frozenset({Source.EXPERT}))
    )
    scores = [
        ScoreValue("x", "A", Source.SELF, 90),
        ScoreValue("x", "A", Source.PEER, 80, "p1"),
        ScoreValue("x", "A", Source.PEER, 70, "p2"),
        ScoreValue("x", "A", Source.EXPERT, 60, "e1"),
        ScoreValue("x", "B", Source.EXPERT, 50, "e1"),
        ScoreValue("x", "B", Source.EXPERT, 70, "e2"),
    ]
    [subject] = default_aggregate(indicator_set, scores).subjects
    a, b = subject.indicators
    assert a.combined == pytest.approx(0.2 * 90 + 0.3 * 75 + 0.5 * 60)  # 70.5
    assert b.combined == pytest.approx(60)  # experts alone: their mean
    assert subject.overall == pytest.approx(0.6 * 70.5 + 0.4 * 60)


def test_source_weights_must_add_up_to_one() -> None:
    with pytest.raises(ValueError, match="add up to 1"):
        SourceWeights(0.5, 0.5, 0.5)


def test_every_hook_is_documented_with_an_example_and_in_the_guide() -> None:
    import inspect
    from pathlib import Path

    from sanquan_sdk import hookspecs

    guide = (Path(__file__).resolve().parent.parent / "sdk" / "README.md").read_text()
    hooks = [name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction)]
    assert hooks == ["sanquan_aggregate", "sanquan_indicator_sets", "sanquan_validate_score"]
    for name in hooks:
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert "Example::" in doc, name
        assert f"@hookimpl\n    def {name}(" in doc.replace("\n\n", "\n"), name
        assert f"`{name}(" in guide, name


def kit_set() -> IndicatorSet:
    """One indicator on 0–100, any source."""
    return one_set(Indicator("A", "a", 100))


class Offers:
    """A plugin that offers :func:`kit_set` and keeps to the contract; the broken plugins
    below each break it in one way."""

    @hookimpl
    def sanquan_indicator_sets(self) -> list[object]:
        return [kit_set()]


class ValidationRaises(Offers):
    @hookimpl
    def sanquan_validate_score(self, indicator_set: IndicatorSet, score: ScoreValue) -> None:
        raise ZeroDivisionError("bug in a plugin")


class RefusesItsOwnSamples(Offers):
    @hookimpl
    def sanquan_validate_score(
        self, indicator_set: IndicatorSet, score: ScoreValue
    ) -> Sequence[ScoreProblem] | None:
        if score.value > 50:
            return [ScoreProblem("value", "TOO_HIGH", "at most 50")]
        return None


class AggregationRaises(Offers):
    @hookimpl
    def sanquan_aggregate(self, indicator_set: IndicatorSet) -> Aggregation | None:
        raise KeyError("bug in a plugin")


class AggregationReturnsADict(Offers):
    @hookimpl
    def sanquan_aggregate(self, indicator_set: IndicatorSet) -> object:
        return {"overall": 100}


class SetsAreNotSets:
    @hookimpl
    def sanquan_indicator_sets(self) -> list[object]:
        return ["beijing-sanquan"]


class OffersTwice:
    @hookimpl
    def sanquan_indicator_sets(self) -> list[object]:
        return [kit_set(), kit_set()]


class OffersNoSet:
    @hookimpl
    def sanquan_validate_score(self, indicator_set: IndicatorSet, score: ScoreValue) -> None:
        return None


BROKEN = {
    "invalid set": (fake_plugins.invalid_set, "sanquan_indicator_sets: raised IndicatorSetError"),
    "sets of the wrong type": (SetsAreNotSets(), "sanquan_indicator_sets: returned str"),
    "a set offered twice": (OffersTwice(), "t 1: offered twice"),
    "no set": (OffersNoSet(), "sanquan_indicator_sets: not implemented"),
    "validation raises": (ValidationRaises(), "t 1 A: validation raised ZeroDivisionError"),
    "validation refuses valid samples": (
        RefusesItsOwnSamples(),
        "t 1 A: sample Reported(value=100",
    ),
    "aggregation raises": (AggregationRaises(), "t 1: aggregation raised KeyError"),
    "aggregation of the wrong type": (AggregationReturnsADict(), "t 1: aggregation returned dict"),
    "unknown hook argument": (fake_plugins.unknown_argument, "contract: "),
    "newer contract": (fake_plugins.newer_contract, "contract: written for hook contract 99"),
}


@pytest.mark.parametrize(("plugin", "says"), BROKEN.values(), ids=BROKEN.keys())
def test_the_test_kit_reports_a_broken_plugin(plugin: object, says: str) -> None:
    with pytest.raises(PluginCheckError) as failed:
        check_plugin(plugin)
    assert any(problem.startswith(says) for problem in failed.value.problems), failed.value


def test_the_test_kit_passes_a_plugin_that_keeps_the_contract() -> None:
    assert check_plugin(Offers()) == [kit_set()]


class Graded:
    """A plugin whose own rules read what the reviewer reported: a D needs a comment
    saying why, and a target's figure must be a whole number of sessions."""

    @hookimpl
    def sanquan_indicator_sets(self) -> list[IndicatorSet]:
        grades = LevelScale((Level("A", "优秀", 95), Level("C", "合格", 70), Level("D", "差", 50)))
        sessions = TargetScale(Target(Comparison.AT_MOST, 2, "次/年"))
        return [
            one_set(
                Indicator("L", "graded", 50, scale=grades),
                Indicator("F", "counted", 50, scale=sessions),
                key="graded",
            )
        ]

    @hookimpl
    def sanquan_validate_score(
        self, indicator_set: IndicatorSet, score: ScoreValue
    ) -> Sequence[ScoreProblem] | None:
        if indicator_set.key != "graded":
            return None
        if score.indicator == "L" and score.reported == "D" and not score.comment.strip():
            return [ScoreProblem("comment", "WHY_D", "a D needs a comment saying why")]
        if score.indicator == "F" and not float(score.reported).is_integer():
            return [ScoreProblem("figure", "WHOLE_SESSIONS", "count whole sessions")]
        return None


def test_the_kit_scores_the_report_and_comment_as_the_service_does() -> None:
    plugin = Graded()
    assert score(plugin, "graded", "L", level="D").codes == ["WHY_D"]
    explained = score(plugin, "graded", "L", level="D", comment="三项工作未开展")
    assert (explained.ok, explained.value) == (True, 50.0)
    # value is already the scale's number (0–100 for a target); the figure is in reported
    assert score(plugin, "graded", "F", figure=4).value == 50.0
    assert score(plugin, "graded", "F", figure=2.5).codes == ["WHOLE_SESSIONS"]


def test_check_plugin_holds_a_plugin_to_its_declared_samples() -> None:
    plugin = Graded()
    refused = Sample("graded", "L", level="D", refused="WHY_D")
    kept = Sample("graded", "L", level="D", comment="未达标", refused=None)
    assert [s.key for s in check_plugin(plugin, samples=[refused, kept])] == ["graded"]
    wrong = [
        Sample("graded", "L", level="A", refused="WHY_D"),
        Sample("graded", "F", figure=2.5),
        Sample("graded", "F", figure=9, refused="OUT_OF_SCALE"),
        Sample("other", "L", level="A"),
    ]
    with pytest.raises(PluginCheckError) as raised:
        check_plugin(plugin, samples=wrong)
    assert raised.value.problems == [
        "graded L: A from EXPERT was accepted, but must be refused with WHY_D",
        "graded F: 2.5 from EXPERT was refused (WHOLE_SESSIONS), but must be accepted",
        "graded F: 9 from EXPERT was accepted, but must be refused with OUT_OF_SCALE",
        "other: a sample names a set the plugin does not provide",
    ]


def test_a_generated_sample_declared_refused_is_not_held_against_the_plugin() -> None:
    """The kit's own samples include a D from every source, without a comment: a plugin
    that refuses that says so, and the check holds it to that instead."""
    with pytest.raises(PluginCheckError, match=r"t 1 L: sample Reported.*WHY_D"):
        check_plugin(GradedAsT())
    samples = [Sample("t", "L", level="D", source=s, refused="WHY_D") for s in Source]
    check_plugin(GradedAsT(), samples=samples)


class GradedAsT:
    @hookimpl
    def sanquan_indicator_sets(self) -> list[IndicatorSet]:
        grades = LevelScale((Level("A", "优秀", 95), Level("D", "差", 50)))
        return [one_set(Indicator("L", "graded", 100, scale=grades))]

    @hookimpl
    def sanquan_validate_score(
        self, indicator_set: IndicatorSet, score: ScoreValue
    ) -> Sequence[ScoreProblem] | None:
        if score.reported == "D" and score.comment != "why":
            return [ScoreProblem("comment", "WHY_D", "a D needs a comment saying why")]
        return None


def test_a_custom_scorer_must_say_its_rule_for_reviewers() -> None:
    def halves(figure: float, target: Target) -> float:
        return 100.0 if target.met(figure) else 50.0

    def offering(scale: TargetScale) -> object:
        class Plugin:
            @hookimpl
            def sanquan_indicator_sets(self) -> list[IndicatorSet]:
                return [one_set(Indicator("F", "f", 100, scale=scale))]

        return Plugin()

    six = Target(Comparison.AT_LEAST, 6, "次/年")
    with pytest.raises(PluginCheckError, match="t 1 F: a custom scorer needs rule="):
        check_plugin(offering(TargetScale(six, scorer=halves)))
    check_plugin(offering(TargetScale(six, scorer=halves, rule="达到得 100 分,否则 50 分")))
    assert TargetScale(Target(Comparison.AT_MOST, 2, "次/年")).scoring.startswith("不超过目标")
