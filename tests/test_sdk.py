"""The SDK's data classes refuse malformed indicator sets with a message naming the set
and the field; the default aggregation follows R16."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from sanquan_sdk import (
    Aggregation,
    Dimension,
    Indicator,
    IndicatorSet,
    IndicatorSetError,
    NumericScale,
    ScoreProblem,
    ScoreValue,
    Source,
    SourceWeights,
    hookimpl,
)
from sanquan_sdk.scoring import default_aggregate, standard_problems
from sanquan_sdk.testing import PluginCheckError, check_plugin
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
