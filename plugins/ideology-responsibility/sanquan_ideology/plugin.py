"""The ideology-work responsibility set (意识形态工作责任制): one indicator per measure of
the document's 22 (M01–M22), grouped by its six parts (D1–D6).

Scales. Ten measures state a minimum figure (次/年, 名/社团, % 在编人数 …); they are scored
from the figure reported, by :func:`sanquan_ideology.scales.score_figure`. The other twelve
state duties without an amount, so there is nothing to measure, only a judgement of how
fully the duty is carried out: they use four named grades (A 优秀 95 … D 不合格 50) rather
than a 0–100 value, because reviewers from different schools agree more on a named grade
than on a number, and the grades keep a missed target and a poorly done duty comparable.

Who scores. A figure is a count from the school's own records (minutes, rosters, platform
statistics): the school reports it in its self-evaluation and must cite the record, and the
experts check it against that record and report the figure they find. Peer schools score
the graded measures only: they cannot see another school's records, so a peer figure would
repeat the school's own and count it twice. Every measure is the school's own work, so the
school's self-evaluation cites evidence on the graded measures too.

Weights. Each measure weighs 4.5 points, except the two of part 二, which weigh 5: they
assign the responsibility itself (全面领导责任, 第一责任人) that the whole system is about.
"""

from __future__ import annotations

from sanquan_ideology.measures import PARTS, Measure
from sanquan_ideology.scales import GRADES
from sanquan_sdk import Dimension, Indicator, IndicatorSet, Source, hookimpl

KEY = "ideology-responsibility"
VERSION = "2023.1"

WEIGHT = 4.5
WEIGHT_OF_RESPONSIBILITY = 5.0
RESPONSIBILITY = "D2"

EVERY_SOURCE = frozenset(Source)
FIGURE_SOURCES = frozenset({Source.SELF, Source.EXPERT})
SCHOOL_EVIDENCE = frozenset({Source.SELF})


def indicator(measure: Measure, part: str) -> Indicator:
    """The indicator of one measure: target-scored when it has a figure, graded when not."""
    return Indicator(
        code=f"M{measure.number:02d}",
        title=measure.title,
        weight=WEIGHT_OF_RESPONSIBILITY if part == RESPONSIBILITY else WEIGHT,
        scale=measure.target or GRADES,
        sources=FIGURE_SOURCES if measure.target else EVERY_SOURCE,
        evidence_required=SCHOOL_EVIDENCE,
        description=f"报告值:{measure.counted}" if measure.counted else "",
    )


def indicator_set() -> IndicatorSet:
    """Build the set; the SDK's data classes check it on construction."""
    return IndicatorSet(
        key=KEY,
        version=VERSION,
        title="意识形态工作责任制二十二条举措(中共河南科技职业大学委员会,2023年)",
        dimensions=tuple(
            Dimension(
                code=part.code,
                title=part.title,
                indicators=tuple(indicator(measure, part.code) for measure in part.measures),
            )
            for part in PARTS
        ),
        description="六个方面二十二条举措,每条一个二级指标;有量化目标的按报告数字计分,其余分四档评定",
    )


@hookimpl
def sanquan_indicator_sets() -> list[IndicatorSet]:
    return [indicator_set()]
