"""Finding drafts (点评发现草稿): what a concluded session's diagnosis (R17) suggests the
commission raise for one school (R18), worded with the figures behind it, so that an officer
confirms a finding instead of retyping it.

Pure: a diagnosis in, drafts out; reading the session and storing findings is the service's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from sanquan.findings.models import TITLE_LENGTH, FindingKind
from sanquan.review.diagnostics import Diagnosis, SelfGap, Standout

TENTH = Decimal("0.1")
DraftKey = tuple[FindingKind, str]
"""What identifies a draft within one school's drafts: the finding's kind and indicator."""


class DraftBasis(StrEnum):
    """Which part of the diagnosis a draft comes from."""

    HIGHLIGHT = "HIGHLIGHT"
    """The combined value stands well above the session's mean for the indicator."""
    WEAKNESS = "WEAKNESS"
    """The combined value stands well below it."""
    SELF_GAP = "SELF_GAP"
    """The school rates itself well above what its peers and experts saw."""


@dataclass(frozen=True)
class FindingDraft:
    """A finding the diagnosis suggests; ``raised_finding_id`` once it has been raised."""

    institution_id: int
    kind: FindingKind
    indicator: str
    title: str
    description: str
    bases: tuple[DraftBasis, ...]
    raised_finding_id: int | None = None

    @property
    def key(self) -> DraftKey:
        return (self.kind, self.indicator)


@dataclass(frozen=True)
class _Reason:
    """One basis of a draft: the words its title gives it, the sentence of figures its
    description states, and what the description then asks of the school."""

    basis: DraftBasis
    headline: str
    figures: str
    advice: str


def draft_findings(
    diagnosis: Diagnosis,
    titles: Mapping[str, str],
    raised: Mapping[DraftKey, int] | None = None,
) -> list[FindingDraft]:
    """The drafts of one school: a highlight (亮点) per indicator well above the session's
    level, then a rectification item (整改事项) per indicator well below it or on which the
    school rated itself well above the external consensus, weaknesses first.

    An indicator that is both weak and over-rated gives one rectification item stating
    both: a finding is identified by its kind and indicator, and the school has one thing
    to put right there, not two.

    A school that rates itself *lower* than its peers and experts gets no draft. Modesty
    inflates nothing (it only lowers the school's own combined value), it is no practice to
    spread (not a highlight) and no fault to put right by a due quarter (not a rectification
    item). The gap stays in ``diagnostics`` for the review meeting, and an officer who sees
    more in it can still raise a finding by hand.

    ``titles`` names the indicators (codes stand in for missing ones); ``raised`` maps the
    school's findings already raised in the session, by kind and indicator, to their ids.

    >>> diagnosis = Diagnosis(
    ...     institution_id=7,
    ...     highlights=(Standout("T01", 80.64, 73.87),),
    ...     weaknesses=(),
    ...     self_gaps=(SelfGap("T02", 90.0, 78.25), SelfGap("T03", 60.0, 75.0)),
    ...     mean_self_gap=None,
    ... )
    >>> drafts = draft_findings(diagnosis, {"T01": "政治优势"}, {(FindingKind.HIGHLIGHT, "T01"): 3})
    >>> [(d.kind.value, d.indicator, d.raised_finding_id) for d in drafts]
    [('HIGHLIGHT', 'T01', 3), ('RECTIFICATION', 'T02', None)]
    >>> print(drafts[0].title, drafts[0].description, drafts[1].title, sep="\\n")
    政治优势（T01）：明显高于本次点评平均水平
    综合得分 80.6，本次点评各校平均 73.9，高出 6.7 分。可总结经验，示范推广。
    T02：自评明显高于同行与专家评价
    """
    found = raised or {}
    highlights = [
        ((FindingKind.HIGHLIGHT, s.indicator), [_standing(s, DraftBasis.HIGHLIGHT)])
        for s in diagnosis.highlights
    ]
    rectifications: dict[DraftKey, list[_Reason]] = {}
    for standout in diagnosis.weaknesses:
        rectifications[(FindingKind.RECTIFICATION, standout.indicator)] = [
            _standing(standout, DraftBasis.WEAKNESS)
        ]
    for gap in diagnosis.self_gaps:
        if gap.gap > 0:
            key = (FindingKind.RECTIFICATION, gap.indicator)
            rectifications.setdefault(key, []).append(_overrated(gap))
    return [
        _draft(diagnosis.institution_id, key, reasons, titles, found.get(key))
        for key, reasons in [*highlights, *rectifications.items()]
    ]


def _draft(
    institution_id: int,
    key: DraftKey,
    said: list[_Reason],
    titles: Mapping[str, str],
    raised_finding_id: int | None,
) -> FindingDraft:
    kind, indicator = key
    return FindingDraft(
        institution_id=institution_id,
        kind=kind,
        indicator=indicator,
        title=_title(indicator, titles.get(indicator), [r.headline for r in said]),
        description="".join([*(r.figures for r in said), *(r.advice for r in said)]),
        bases=tuple(r.basis for r in said),
        raised_finding_id=raised_finding_id,
    )


def _title(code: str, name: str | None, headlines: list[str]) -> str:
    """``name（code）：headline，headline``, the name shortened if the whole would not fit
    the stored title, so that any draft can be raised as it stands."""
    said = "，".join(headlines)
    if name is None:
        return f"{code}：{said}"
    tail = f"（{code}）：{said}"
    room = TITLE_LENGTH - len(tail)
    if len(name) > room:
        name = name[: room - 1] + "…"
    return name + tail


def _figure(value: float) -> Decimal:
    """One decimal, half up (四舍五入), as a reader checking by hand rounds: weighted means
    of whole scores often end in .25 or .75, and float arithmetic leaves 78.25 as
    78.2499…, so the noise is washed out at six decimals first. Scores run 0–100 and a
    tenth of a point is as fine as a review judges. A sentence states the difference of the
    rounded figures, so that it adds up."""
    return Decimal(repr(round(value, 6))).quantize(TENTH, ROUND_HALF_UP)


STANDING = {
    DraftBasis.HIGHLIGHT: ("明显高于本次点评平均水平", "高出", "可总结经验，示范推广。"),
    DraftBasis.WEAKNESS: ("明显低于本次点评平均水平", "低", "请分析原因，制定整改措施。"),
}
"""For a standout: the title's words, the comparison, and what is asked of the school."""


def _standing(standout: Standout, basis: DraftBasis) -> _Reason:
    headline, compared, advice = STANDING[basis]
    value, mean = _figure(standout.value), _figure(standout.session_mean)
    return _Reason(
        basis,
        headline,
        f"综合得分 {value}，本次点评各校平均 {mean}，{compared} {abs(value - mean)} 分。",
        advice,
    )


def _overrated(gap: SelfGap) -> _Reason:
    own, seen = _figure(gap.self_value), _figure(gap.consensus)
    return _Reason(
        DraftBasis.SELF_GAP,
        "自评明显高于同行与专家评价",
        f"自评 {own}，同行与专家评价（按本次点评权重折算）{seen}，自评高出 {own - seen} 分。",
        "请核实自评依据，提高自评准确性。",
    )
