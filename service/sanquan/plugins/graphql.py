"""GraphQL view of the installed indicator sets (readable by every signed-in user)."""

from __future__ import annotations

import strawberry

from sanquan.api.bounds import OptionalCode
from sanquan.api.context import Info
from sanquan.api.enums import described_enum
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

SourceType = described_enum(
    Source,
    "Who gives a score (评价来源).",
    {
        Source.SELF: "Self-evaluation (学校自评): a school scores itself.",
        Source.PEER: "Peer evaluation (同行互评): a school scores another school of its session.",
        Source.EXPERT: "Expert review (专家点评): a panel expert scores a school.",
    },
    name="Source",
)


ScaleKindType = described_enum(
    ScaleKind,
    "NUMERIC takes a `value`, LEVELS a `level` code, TARGET a reported `figure`.",
    {
        ScaleKind.NUMERIC: "A number between the scale's minimum and maximum, as `value`.",
        ScaleKind.LEVELS: "One of the ordered `levels` (e.g. A/B/C/D), as its `level` code.",
        ScaleKind.TARGET: "A measured `figure` scored against the `target` (e.g. ≥ 6 次/年).",
    },
    name="ScaleKind",
)
ComparisonType = described_enum(
    Comparison,
    "How a reported figure is compared with a target's threshold.",
    {
        Comparison.AT_LEAST: "Met when the figure is the threshold or more (≥).",
        Comparison.AT_MOST: "Met when the figure is the threshold or less (≤).",
    },
    name="Comparison",
)


@strawberry.type(name="Level", description="One step of an ordered scale, best first.")
class LevelType:
    code: str = strawberry.field(description="What a score gives as `level`, e.g. A.")
    label: str = strawberry.field(description="The step's wording, e.g. 优秀.")
    value: float = strawberry.field(description="The score value the step counts as.")


@strawberry.type(name="Target", description="A quantitative target, e.g. ≥ 6 次/年.")
class TargetType:
    comparison: ComparisonType = strawberry.field(  # type: ignore[valid-type]
        description="Whether the figure must reach the threshold or stay under it."
    )
    threshold: float = strawberry.field(description="The target figure, in `unit`.")
    unit: str = strawberry.field(description="The figure's unit, e.g. 次/年.")
    description: str = strawberry.field(description="The target in words, e.g. ≥ 6 次/年.")
    scoring: str = strawberry.field(
        default="",
        description="How a reported figure becomes a score on 0–100, in the plugin's words "
        "(its scorer's rule), e.g. 达到目标得 100 分;未达到时按完成比例计分.",
    )


@strawberry.type(name="Scale", description="How an indicator is scored and what to report.")
class ScaleType:
    kind: ScaleKindType = strawberry.field(  # type: ignore[valid-type]
        description="What a score of the indicator gives: a value, a level or a figure."
    )
    minimum: float = strawberry.field(description="Lowest score the scale gives.")
    maximum: float = strawberry.field(description="Highest score the scale gives.")
    levels: list[LevelType] = strawberry.field(
        description="The steps of a LEVELS scale, best first; empty otherwise."
    )
    target: TargetType | None = strawberry.field(
        description="The target of a TARGET scale; null otherwise."
    )

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
                scoring=scale.scoring,
            )
            if isinstance(scale, TargetScale)
            else None,
        )


@strawberry.type(name="Indicator", description="A second-level indicator (二级指标).")
class IndicatorType:
    code: str = strawberry.field(description="The indicator's code within its set, e.g. T01.")
    title: str = strawberry.field(description="The indicator's name, in Chinese.")
    weight: float = strawberry.field(description="Points out of the set's 100.")
    scale: ScaleType = strawberry.field(description="How it is scored.")
    sources: list[SourceType] = strawberry.field(  # type: ignore[valid-type]
        description="The sources that score it."
    )
    evidence_required_for: list[SourceType] = strawberry.field(  # type: ignore[valid-type]
        description="Sources whose scores must name their evidence."
    )
    description: str = strawberry.field(description="What is assessed (考察要点).")

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
    code: str = strawberry.field(description="The dimension's code within its set.")
    title: str = strawberry.field(description="The dimension's name, in Chinese.")
    weight: float = strawberry.field(
        description="Points out of the set's 100: the sum of its indicators' weights."
    )
    indicators: list[IndicatorType] = strawberry.field(
        description="Its second-level indicators, in order."
    )

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
    key: str = strawberry.field(description="The set's stable key, e.g. beijing-sanquan.")
    version: str = strawberry.field(
        description="The set's version; a session pins key and version."
    )
    title: str = strawberry.field(description="The set's name, in Chinese.")
    description: str = strawberry.field(description="What the set is for.")
    provider: str = strawberry.field(description="The plugin distribution that provides it.")
    dimensions: list[DimensionType] = strawberry.field(
        description="Its first-level indicators, in order."
    )

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
