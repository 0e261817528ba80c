"""GraphQL view of the installed indicator sets (readable by every signed-in user)."""

from __future__ import annotations

import strawberry

from sanquan.api.bounds import OptionalCode
from sanquan.api.context import Info
from sanquan_sdk import (
    Comparison,
    Dimension,
    Indicator,
    IndicatorSet,
    LevelScale,
    Scale,
    ScaleKind,
    Source,
    TargetScale,
)

SourceType = strawberry.enum(Source, name="Source", description="Who gives a score.")


ScaleKindType = strawberry.enum(
    ScaleKind,
    name="ScaleKind",
    description="NUMERIC takes a `value`, LEVELS a `level` code, TARGET a reported `figure`.",
)
ComparisonType = strawberry.enum(Comparison, name="Comparison")


@strawberry.type(name="Level", description="One step of an ordered scale, best first.")
class LevelType:
    code: str
    label: str
    value: float


@strawberry.type(name="Target", description="A quantitative target, e.g. ≥ 6 次/年.")
class TargetType:
    comparison: ComparisonType  # type: ignore[valid-type]
    threshold: float
    unit: str
    description: str


@strawberry.type(name="Scale", description="How an indicator is scored and what to report.")
class ScaleType:
    kind: ScaleKindType  # type: ignore[valid-type]
    minimum: float = strawberry.field(description="Lowest score the scale gives.")
    maximum: float = strawberry.field(description="Highest score the scale gives.")
    levels: list[LevelType]
    target: TargetType | None

    @classmethod
    def of(cls, scale: Scale) -> ScaleType:
        low, high = scale.bounds
        return cls(
            kind=scale.kind,
            minimum=low,
            maximum=high,
            levels=[LevelType(code=lv.code, label=lv.label, value=lv.value) for lv in scale.levels]
            if isinstance(scale, LevelScale)
            else [],
            target=TargetType(
                comparison=scale.target.comparison,
                threshold=scale.target.threshold,
                unit=scale.target.unit,
                description=scale.target.describe(),
            )
            if isinstance(scale, TargetScale)
            else None,
        )


@strawberry.type(name="Indicator", description="A second-level indicator (二级指标).")
class IndicatorType:
    code: str
    title: str
    weight: float = strawberry.field(description="Points out of the set's 100.")
    scale: ScaleType
    sources: list[SourceType]  # type: ignore[valid-type]
    evidence_required_for: list[SourceType]  # type: ignore[valid-type]
    description: str

    @classmethod
    def of(cls, indicator: Indicator) -> IndicatorType:
        return cls(
            code=indicator.code,
            title=indicator.title,
            weight=indicator.weight,
            scale=ScaleType.of(indicator.scale),
            sources=[s for s in Source if s in indicator.sources],
            evidence_required_for=[s for s in Source if s in indicator.evidence_required],
            description=indicator.description,
        )


@strawberry.type(name="Dimension", description="A first-level indicator (一级指标).")
class DimensionType:
    code: str
    title: str
    weight: float
    indicators: list[IndicatorType]

    @classmethod
    def of(cls, dimension: Dimension) -> DimensionType:
        return cls(
            code=dimension.code,
            title=dimension.title,
            weight=dimension.weight,
            indicators=[IndicatorType.of(i) for i in dimension.indicators],
        )


@strawberry.type(name="IndicatorSet", description="A versioned indicator set (指标体系).")
class IndicatorSetType:
    key: str
    version: str
    title: str
    description: str
    provider: str = strawberry.field(description="The plugin distribution that provides it.")
    dimensions: list[DimensionType]

    @classmethod
    def of(cls, indicator_set: IndicatorSet, provider: str) -> IndicatorSetType:
        return cls(
            key=indicator_set.key,
            version=indicator_set.version,
            title=indicator_set.title,
            description=indicator_set.description,
            provider=provider,
            dimensions=[DimensionType.of(d) for d in indicator_set.dimensions],
        )


@strawberry.type
class PluginQuery:
    @strawberry.field(description="Every installed indicator set, with its full structure.")
    def indicator_sets(self, info: Info, key: OptionalCode = None) -> list[IndicatorSetType]:
        host = info.context.host
        return [
            IndicatorSetType.of(s, host.provider(s))
            for s in host.all_sets()
            if key is None or s.key == key
        ]
