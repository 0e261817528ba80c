"""Scores as plugins see them, the checks every score passes, and the default aggregation.

These are plain functions over the data classes of :mod:`sanquan_sdk.model`, so a plugin (or
its tests) can call them without the service.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from statistics import fmean

from sanquan_sdk.model import IndicatorSet, Source


@dataclass(frozen=True)
class ScoreValue:
    """One reviewer's value for one indicator of one institution (the *subject*).

    ``reviewer`` is an opaque, stable key: plugins may count distinct reviewers but must not
    rely on its form.
    """

    subject: str
    indicator: str
    source: Source
    value: float
    reviewer: str = ""
    evidence: str = ""
    comment: str = ""
    reported: str = ""
    """What the reviewer reported, as text: the level code or the figure (empty for a
    plain value)."""


@dataclass(frozen=True)
class ScoreProblem:
    """Why a score is refused. ``field`` is the score's field at fault (``indicator``,
    ``value``, ``source`` or ``evidence``); ``code`` a stable machine code."""

    field: str
    code: str
    message: str


def standard_problems(indicator_set: IndicatorSet, score: ScoreValue) -> list[ScoreProblem]:
    """The checks of rule R12 that hold for every set: known indicator, allowed source,
    value on the scale, evidence present where the indicator requires it."""
    indicator = indicator_set.indicator(score.indicator)
    if indicator is None:
        return [
            ScoreProblem(
                "indicator",
                "UNKNOWN_INDICATOR",
                f"{score.indicator!r} is not an indicator of {indicator_set.key} "
                f"{indicator_set.version}",
            )
        ]
    problems = []
    if score.source not in indicator.sources:
        allowed = ", ".join(sorted(indicator.sources))
        problems.append(
            ScoreProblem(
                "source",
                "SOURCE_NOT_ALLOWED",
                f"{score.source} may not score {indicator.code}; allowed: {allowed}",
            )
        )
    scale_problem = indicator.scale.problem(score.value)
    if scale_problem is not None:
        problems.append(ScoreProblem("value", "OUT_OF_SCALE", scale_problem))
    if score.source in indicator.evidence_required and not score.evidence.strip():
        problems.append(
            ScoreProblem(
                "evidence",
                "EVIDENCE_REQUIRED",
                f"{indicator.code} needs evidence for {score.source} scores",
            )
        )
    return problems


@dataclass(frozen=True)
class SourceWeights:
    """How much each source counts in the combined value (rule R16's default: 0.2/0.3/0.5)."""

    self_weight: float = 0.2
    peer_weight: float = 0.3
    expert_weight: float = 0.5

    def __post_init__(self) -> None:
        weights = (self.self_weight, self.peer_weight, self.expert_weight)
        if any(not math.isfinite(w) or w < 0 for w in weights) or not math.isclose(
            sum(weights), 1.0, abs_tol=1e-9
        ):
            raise ValueError("source weights must be non-negative and add up to 1")

    def of(self, source: Source) -> float:
        return {
            Source.SELF: self.self_weight,
            Source.PEER: self.peer_weight,
            Source.EXPERT: self.expert_weight,
        }[source]

    def as_dict(self) -> dict[str, float]:
        return {source.value: self.of(source) for source in Source}

    @classmethod
    def from_dict(cls, weights: Mapping[str, float]) -> SourceWeights:
        return cls(weights["SELF"], weights["PEER"], weights["EXPERT"])


@dataclass(frozen=True)
class IndicatorResult:
    """Per institution and indicator: the value of each source and the combined value.

    ``combined`` is ``None`` only when no source scored the indicator."""

    indicator: str
    self_value: float | None
    peer_mean: float | None
    expert_mean: float | None
    combined: float | None
    peer_count: int = 0
    expert_count: int = 0


@dataclass(frozen=True)
class SubjectResult:
    """Per institution: every indicator's result and the overall index (weighted by the
    indicator weights of the set)."""

    subject: str
    indicators: tuple[IndicatorResult, ...]
    overall: float | None


@dataclass(frozen=True)
class Aggregation:
    """What an aggregation hook returns: results per institution and the weights it used,
    which the service stores with the results so they never change afterwards."""

    method: str
    weights: SourceWeights
    subjects: tuple[SubjectResult, ...] = field(default_factory=tuple)


def combine(values: Mapping[Source, float], weights: SourceWeights) -> float | None:
    """Weighted mean over the sources present; a missing source's weight is shared out
    among the others, so an indicator that experts alone score is the expert mean."""
    total = sum(weights.of(source) for source in values)
    if not values or total <= 0:
        return None
    return sum(weights.of(source) * value for source, value in values.items()) / total


def default_aggregate(
    indicator_set: IndicatorSet,
    scores: Iterable[ScoreValue],
    weights: SourceWeights | None = None,
) -> Aggregation:
    """Rule R16's default: the mean per source, then the weighted combination per indicator,
    then the overall index as the indicator-weighted mean of the combined values."""
    weights = weights or SourceWeights()
    grouped: dict[str, dict[str, dict[Source, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for score in scores:
        grouped[score.subject][score.indicator][score.source].append(score.value)
    subjects = []
    for subject in sorted(grouped):
        by_indicator = grouped[subject]
        results = []
        weighted_sum = 0.0
        weight_total = 0.0
        for indicator in indicator_set.indicators:
            by_source = by_indicator.get(indicator.code, {})
            means = {source: fmean(values) for source, values in by_source.items() if values}
            combined = combine(means, weights)
            results.append(
                IndicatorResult(
                    indicator=indicator.code,
                    self_value=means.get(Source.SELF),
                    peer_mean=means.get(Source.PEER),
                    expert_mean=means.get(Source.EXPERT),
                    combined=combined,
                    peer_count=len(by_source.get(Source.PEER, ())),
                    expert_count=len(by_source.get(Source.EXPERT, ())),
                )
            )
            if combined is not None:
                weighted_sum += indicator.weight * combined
                weight_total += indicator.weight
        overall = weighted_sum / weight_total if weight_total else None
        subjects.append(SubjectResult(subject, tuple(results), overall))
    return Aggregation(method="weighted-mean", weights=weights, subjects=tuple(subjects))
