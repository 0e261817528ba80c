"""GraphQL view of the installed indicator sets (readable by every signed-in user)."""

from __future__ import annotations

import strawberry

from sanquan.api.context import Info
from sanquan_sdk import Dimension, Indicator, IndicatorSet, Source

SourceType = strawberry.enum(Source, name="Source", description="Who gives a score.")


@strawberry.type(name="Scale", description="The numeric range a value must fall in.")
class ScaleType:
    minimum: float
    maximum: float


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
            scale=ScaleType(minimum=indicator.scale.minimum, maximum=indicator.scale.maximum),
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
    def indicator_sets(self, info: Info, key: str | None = None) -> list[IndicatorSetType]:
        host = info.context.host
        return [
            IndicatorSetType.of(s, host.provider(s))
            for s in host.all_sets()
            if key is None or s.key == key
        ]
