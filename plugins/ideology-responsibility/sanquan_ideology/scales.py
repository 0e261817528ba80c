"""The two scales of the set: four grades for the measures that state no figure, and the
scoring of a reported figure against a measure's target.

The two are tied on purpose. The document's figures are all minimums (不少于, 至少): falling
short of one is not 合格, so a missed target earns at most what the 不合格 grade earns, and
never more than a measure judged poorly on the level scale.
"""

from __future__ import annotations

from sanquan_sdk import Comparison, Level, LevelScale, Target, TargetScale

FAILING = Level("D", "不合格", 50)

GRADES = LevelScale(
    (
        Level("A", "优秀", 95),
        Level("B", "良好", 85),
        Level("C", "合格", 70),
        FAILING,
    )
)
"""The customary four grades of party-building assessments; named grades make self, peer
and expert reviewers agree more readily than a free 0–100 value would."""

MET = 100.0


def score_figure(figure: float, target: Target) -> float:
    """Full marks when the target is met; short of it, the share achieved times the
    不合格 mark, so a school that did half the required sessions scores 25 and one that did
    none scores 0. The steep step at the threshold is the document's: a minimum is either
    kept or not, and the share only ranks the schools that missed it.

    >>> six = Target(Comparison.AT_LEAST, 6, "次/年")
    >>> [score_figure(figure, six) for figure in (0, 3, 6, 9)]
    [0.0, 25.0, 100.0, 100.0]
    >>> score_figure(12, Target(Comparison.AT_MOST, 6, "次/年"))
    25.0
    """
    if target.met(figure):
        return MET
    # Not met leaves a positive divisor: an "at least 0" target is always met, and an
    # "at most" target is missed only by a figure above a threshold that is ≥ 0.
    if target.comparison is Comparison.AT_LEAST:
        share = figure / target.threshold
    else:
        share = target.threshold / figure
    return FAILING.value * share


RULE = (
    "达到目标得 100 分;未达到时按完成比例乘以不合格等级的 50 分计分(完成一半得 25 分,未开展得 0 分)"
)
""":func:`score_figure` in the words reviewers read beside the target."""


def at_least(threshold: float, unit: str) -> TargetScale:
    """A "不少于 ``threshold`` ``unit``" target scored by :func:`score_figure`."""
    return TargetScale(Target(Comparison.AT_LEAST, threshold, unit), scorer=score_figure, rule=RULE)
