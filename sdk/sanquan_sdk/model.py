"""Indicator sets (指标体系) as immutable data that checks itself when it is built.

A plugin that hands the service a malformed set should learn it from an error naming the set
and the field, at start-up, not from a confusing score rejection weeks later.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise
from typing import ClassVar

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


class ScaleKind(StrEnum):
    """What a reviewer reports: a ``value``, a ``level`` code or a measured ``figure``."""

    NUMERIC = "NUMERIC"
    LEVELS = "LEVELS"
    TARGET = "TARGET"


@dataclass(frozen=True)
class Reported:
    """What a reviewer reports for one indicator: a ``value`` on a numeric scale, a
    ``level`` code on an ordered-level scale, or a ``figure`` measured against a target."""

    value: float | None = None
    level: str | None = None
    figure: float | None = None

    def text(self) -> str:
        """The report as given, for the record (``"A"``, ``"7"``, ``"86.5"``)."""
        if self.level is not None:
            return self.level
        number = self.figure if self.figure is not None else self.value
        return "" if number is None else f"{number:g}"

    def recorded(self) -> str:
        """What a score keeps of the report beside its value, as
        :attr:`~sanquan_sdk.scoring.ScoreValue.reported`: the level code or the figure,
        nothing for a plain value (which is the value itself).

        >>> [Reported(level="B").recorded(), Reported(figure=7).recorded()]
        ['B', '7']
        >>> Reported(value=86).recorded()
        ''
        """
        return "" if self.value is not None else self.text()


class ScaleError(ValueError):
    """A report that does not fit the indicator's scale. ``field`` is the input field at
    fault (``value``, ``level`` or ``figure``); ``code`` a stable machine code."""

    def __init__(self, field_name: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name
        self.code = code


def _only(reported: Reported, wanted: str) -> None:
    given = [name for name in ("value", "level", "figure") if getattr(reported, name) is not None]
    if given != [wanted]:
        raise ScaleError(
            wanted,
            "WRONG_INPUT",
            f"this indicator takes a {wanted}; got {', '.join(given) or 'nothing'}",
        )


@dataclass(frozen=True)
class NumericScale:
    """A closed numeric range; values outside it are refused, not clipped.

    >>> NumericScale(0, 100).problem(101.0)
    'must be between 0 and 100'
    """

    minimum: float = 0.0
    maximum: float = 100.0
    kind: ClassVar[ScaleKind] = ScaleKind.NUMERIC

    def __post_init__(self) -> None:
        if not (math.isfinite(self.minimum) and math.isfinite(self.maximum)):
            raise IndicatorSetError("scale", "minimum/maximum", "must be finite numbers")
        if self.minimum >= self.maximum:
            raise IndicatorSetError("scale", "maximum", "must be greater than minimum")

    @property
    def bounds(self) -> tuple[float, float]:
        return self.minimum, self.maximum

    def problem(self, value: float) -> str | None:
        """Why ``value`` is not on this scale, or ``None`` when it is."""
        if not math.isfinite(value) or not self.minimum <= value <= self.maximum:
            return f"must be between {self.minimum:g} and {self.maximum:g}"
        return None

    def read(self, reported: Reported) -> float:
        """The number a report stands for (the value itself, checked by the score checks)."""
        _only(reported, "value")
        assert reported.value is not None
        return reported.value


@dataclass(frozen=True)
class Level:
    """One step of an ordered scale: ``A`` (优秀) counts as 95."""

    code: str
    label: str
    value: float


@dataclass(frozen=True)
class LevelScale:
    """Ordered levels, best first, each standing for a number.

    >>> scale = LevelScale((Level("A", "优秀", 95), Level("B", "良好", 80), Level("C", "合格", 65)))
    >>> scale.read(Reported(level="B"))
    80.0
    """

    levels: tuple[Level, ...]
    kind: ClassVar[ScaleKind] = ScaleKind.LEVELS

    def __post_init__(self) -> None:
        if len(self.levels) < 2:
            raise IndicatorSetError("scale", "levels", "an ordered scale needs at least two levels")
        codes = [level.code for level in self.levels]
        if len(set(codes)) != len(codes) or not all(c.strip() for c in codes):
            raise IndicatorSetError("scale", "levels", "level codes must be distinct and non-empty")
        values = [level.value for level in self.levels]
        decreasing = all(a > b for a, b in pairwise(values))
        if any(not math.isfinite(v) for v in values) or not decreasing:
            raise IndicatorSetError(
                "scale", "levels", "levels must be ordered best first, each worth less"
            )

    @property
    def bounds(self) -> tuple[float, float]:
        return self.levels[-1].value, self.levels[0].value

    def problem(self, value: float) -> str | None:
        if value not in {level.value for level in self.levels}:
            return f"must be one of the levels {', '.join(lv.code for lv in self.levels)}"
        return None

    def read(self, reported: Reported) -> float:
        _only(reported, "level")
        for level in self.levels:
            if level.code == reported.level:
                return float(level.value)
        raise ScaleError(
            "level",
            "UNKNOWN_LEVEL",
            f"{reported.level!r} is not a level; use {', '.join(lv.code for lv in self.levels)}",
        )


class Comparison(StrEnum):
    AT_LEAST = "AT_LEAST"
    AT_MOST = "AT_MOST"


def proportional(figure: float, target: Target) -> float:
    """The default scoring of a target: 100 when met; short of it, the share achieved
    (for "at least" targets) or the overshoot penalised in proportion ("at most")."""
    if target.met(figure):
        return 100.0
    if target.comparison is Comparison.AT_LEAST:
        return max(0.0, 100.0 * figure / target.threshold) if target.threshold else 0.0
    return max(0.0, 100.0 * target.threshold / figure) if figure else 100.0


@dataclass(frozen=True)
class Target:
    """A quantitative target such as "≥ 6 次/年" or "≥ 35 %".

    >>> Target(Comparison.AT_LEAST, 6, "次/年").describe()
    '≥ 6 次/年'
    """

    comparison: Comparison
    threshold: float
    unit: str

    def __post_init__(self) -> None:
        if not self.unit.strip():
            raise IndicatorSetError("target", "unit", "a target needs a unit (次/年, %, 人 …)")
        if not math.isfinite(self.threshold) or self.threshold < 0:
            raise IndicatorSetError("target", "threshold", "must be a non-negative number")

    def met(self, figure: float) -> bool:
        if self.comparison is Comparison.AT_LEAST:
            return figure >= self.threshold
        return figure <= self.threshold

    def describe(self) -> str:
        sign = "≥" if self.comparison is Comparison.AT_LEAST else "≤"
        return f"{sign} {self.threshold:g} {self.unit}"


PROPORTIONAL_RULES = {
    Comparison.AT_LEAST: "达到目标得 100 分;未达到时按完成比例计分(实际数值 ÷ 目标 × 100)",
    Comparison.AT_MOST: "不超过目标得 100 分;超过时按 目标 ÷ 实际数值 × 100 计分",
}
"""How :func:`proportional` scores, in the words reviewers read (data stays in Chinese)."""


@dataclass(frozen=True)
class TargetScale:
    """Scored from a reported figure against a target, by the plugin's ``scorer`` (a
    function ``(figure, target) -> score`` in 0–100; :func:`proportional` by default).
    ``rule`` says how, in words, for the reviewers who report the figure: a custom scorer
    needs one (the test kit's ``check_plugin`` asks for it); the default has its own.

    >>> scale = TargetScale(Target(Comparison.AT_LEAST, 6, "次/年"))
    >>> scale.read(Reported(figure=3)), scale.scoring
    (50.0, '达到目标得 100 分;未达到时按完成比例计分(实际数值 ÷ 目标 × 100)')
    """

    target: Target
    scorer: Callable[[float, Target], float] = proportional
    rule: str = ""
    kind: ClassVar[ScaleKind] = ScaleKind.TARGET

    @property
    def scoring(self) -> str:
        """How a figure becomes a score: ``rule``, or the default scorer's own words."""
        if self.rule.strip() or self.scorer is not proportional:
            return self.rule.strip()
        return PROPORTIONAL_RULES[self.target.comparison]

    @property
    def bounds(self) -> tuple[float, float]:
        return 0.0, 100.0

    def problem(self, value: float) -> str | None:
        if not math.isfinite(value) or not 0.0 <= value <= 100.0:
            return "the scored figure must fall between 0 and 100"
        return None

    def read(self, reported: Reported) -> float:
        """Scores the figure; a scorer that raises or leaves 0–100 is the plugin's fault
        and is not caught here, so the host can name the plugin."""
        _only(reported, "figure")
        assert reported.figure is not None
        if not math.isfinite(reported.figure) or reported.figure < 0:
            raise ScaleError("figure", "INVALID_FIGURE", "the figure must be a number ≥ 0")
        score = float(self.scorer(reported.figure, self.target))
        if not math.isfinite(score) or not 0.0 <= score <= 100.0:
            raise ArithmeticError(f"scorer returned {score!r} for {reported.figure:g}, not 0–100")
        return score


Scale = NumericScale | LevelScale | TargetScale


@dataclass(frozen=True)
class Indicator:
    """A second-level indicator (二级指标): what reviewers score.

    ``sources`` says who may score it; ``evidence_required`` the sources whose scores must
    carry evidence (a link or a description of the document backing the value).
    """

    code: str
    title: str
    weight: float
    scale: Scale = field(default_factory=NumericScale)
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
