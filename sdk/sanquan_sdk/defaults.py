"""The built-in plugin: the standard score checks and rule R16's aggregation.

It is registered like any other plugin, with ``trylast`` so that a plugin's own answer wins.
"""

from __future__ import annotations

from collections.abc import Sequence

from sanquan_sdk import hookimpl
from sanquan_sdk.model import IndicatorSet
from sanquan_sdk.scoring import (
    Aggregation,
    ScoreProblem,
    ScoreValue,
    SourceWeights,
    default_aggregate,
    standard_problems,
)


@hookimpl(trylast=True)
def sanquan_validate_score(indicator_set: IndicatorSet, score: ScoreValue) -> list[ScoreProblem]:
    return standard_problems(indicator_set, score)


@hookimpl(trylast=True)
def sanquan_aggregate(
    indicator_set: IndicatorSet, scores: Sequence[ScoreValue], weights: SourceWeights | None
) -> Aggregation:
    return default_aggregate(indicator_set, scores, weights)
