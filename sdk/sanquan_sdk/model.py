"""Indicator sets (指标体系) as immutable data that checks itself when it is built.

A plugin that hands the service a malformed set should learn it from an error naming the set
and the field, at start-up, not from a confusing score rejection weeks later.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

WEIGHT_TOTAL = 100.0
"""Indicator weights of a set add up to this, so a weight reads as "points out of 100"."""


class Source(StrEnum):
    """Who gives a score: the school itself (自评), another school of the session (互评),
    or an expert of the panel (专家点评)."""

    SELF = "SELF"
    PEER = "PEER"
    EXPERT = "EXPERT"


ALL_SOURCES: frozenset[Source] = frozenset(Source)


class IndicatorSetError(ValueError):
    """A set, dimension or indicator that breaks the contract; says where and why."""

    def __init__(self, where: str, field_name: str, problem: str) -> None:
        super().__init__(f"{where}: {field_name}: {problem}")
        self.where = where
        self.field_name = field_name
        self.problem = problem


@dataclass(frozen=True)
class NumericScale:
    """A closed numeric range; values outside it are refused, not clipped.

    >>> NumericScale(0, 100).problem(101.0)
    'must be between 0 and 100'
    """

    minimum: float = 0.0
    maximum: float = 100.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.minimum) and math.isfinite(self.maximum)):
            raise IndicatorSetError("scale", "minimum/maximum", "must be finite numbers")
        if self.minimum >= self.maximum:
            raise IndicatorSetError("scale", "maximum", "must be greater than minimum")

    def problem(self, value: float) -> str | None:
        """Why ``value`` is not on this scale, or ``None`` when it is."""
        if not math.isfinite(value) or not self.minimum <= value <= self.maximum:
            return f"must be between {self.minimum:g} and {self.maximum:g}"
        return None


@dataclass(frozen=True)
class Indicator:
    """A second-level indicator (二级指标): what reviewers score.

    ``sources`` says who may score it; ``evidence_required`` the sources whose scores must
    carry evidence (a link or a description of the document backing the value).
    """

    code: str
    title: str
    weight: float
    scale: NumericScale = field(default_factory=NumericScale)
    sources: frozenset[Source] = ALL_SOURCES
    evidence_required: frozenset[Source] = frozenset()
    description: str = ""

    def __post_init__(self) -> None:
        where = f"indicator {self.code!r}"
        if not self.code.strip():
            raise IndicatorSetError("indicator", "code", "must not be empty")
        if not self.title.strip():
            raise IndicatorSetError(where, "title", "must not be empty")
        if not (math.isfinite(self.weight) and self.weight > 0):
            raise IndicatorSetError(where, "weight", "must be a positive number")
        if not self.sources:
            raise IndicatorSetError(where, "sources", "at least one source must be allowed")
        if not self.evidence_required <= self.sources:
            raise IndicatorSetError(
                where, "evidence_required", "names a source that may not score the indicator"
            )


@dataclass(frozen=True)
class Dimension:
    """A first-level indicator (一级指标): a titled group of indicators."""

    code: str
    title: str
    indicators: tuple[Indicator, ...]

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise IndicatorSetError("dimension", "code", "must not be empty")
        if not self.indicators:
            raise IndicatorSetError(f"dimension {self.code!r}", "indicators", "must not be empty")

    @property
    def weight(self) -> float:
        return sum(indicator.weight for indicator in self.indicators)


@dataclass(frozen=True)
class IndicatorSet:
    """A versioned set of dimensions and indicators, identified by ``(key, version)``.

    A review session pins both, so publishing version 2 of a set never changes what a
    session scored against version 1.
    """

    key: str
    version: str
    title: str
    dimensions: tuple[Dimension, ...]
    description: str = ""
    _by_code: dict[str, Indicator] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        where = f"indicator set {self.key!r} {self.version!r}"
        if not self.key.strip() or not self.version.strip():
            raise IndicatorSetError(where, "key/version", "must not be empty")
        if not self.dimensions:
            raise IndicatorSetError(where, "dimensions", "must not be empty")
        by_code: dict[str, Indicator] = {}
        dimension_codes: set[str] = set()
        for dimension in self.dimensions:
            if dimension.code in dimension_codes:
                raise IndicatorSetError(where, "dimensions", f"duplicate code {dimension.code!r}")
            dimension_codes.add(dimension.code)
            for indicator in dimension.indicators:
                if indicator.code in by_code:
                    raise IndicatorSetError(
                        where, "indicators", f"duplicate code {indicator.code!r}"
                    )
                by_code[indicator.code] = indicator
        total = sum(indicator.weight for indicator in by_code.values())
        if not math.isclose(total, WEIGHT_TOTAL, abs_tol=1e-6):
            raise IndicatorSetError(
                where, "weight", f"indicator weights add up to {total:g}, not {WEIGHT_TOTAL:g}"
            )
        object.__setattr__(self, "_by_code", by_code)

    @property
    def indicators(self) -> Iterator[Indicator]:
        """Every indicator, in document order."""
        for dimension in self.dimensions:
            yield from dimension.indicators

    def indicator(self, code: str) -> Indicator | None:
        return self._by_code.get(code)

    def codes_for(self, source: Source) -> frozenset[str]:
        """The indicators that ``source`` may (and, to be complete, must) score."""
        return frozenset(i.code for i in self.indicators if source in i.sources)
