"""Diagnosis of a concluded session (R17): what stands out for each institution against
the session's level, and how far its self-evaluation is from what others saw.

Plain arithmetic on the stored results, so the diagnosis of a concluded session never
changes unless its results do:

- an indicator is a *highlight* (亮点) when the institution's combined value is at least
  ``margin`` points above the session's mean for that indicator, a *weakness* when at
  least ``margin`` below;
- the *self-assessment gap* is the self value minus the external consensus, the peer and
  expert means weighted as the session's results weighted them (experts count most); it is
  flagged from ``gap_threshold`` points either way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from statistics import fmean

from sanquan.review.models import IndicatorOutcome

DEFAULT_MARGIN = 5.0
DEFAULT_GAP_THRESHOLD = 10.0


@dataclass(frozen=True)
class Standout:
    indicator: str
    value: float
    session_mean: float

    @property
    def delta(self) -> float:
        return self.value - self.session_mean


@dataclass(frozen=True)
class SelfGap:
    indicator: str
    self_value: float
    consensus: float

    @property
    def gap(self) -> float:
        """Positive: the school rates itself higher than its peers and experts do."""
        return self.self_value - self.consensus


@dataclass(frozen=True)
class Diagnosis:
    institution_id: int
    highlights: tuple[Standout, ...]
    weaknesses: tuple[Standout, ...]
    self_gaps: tuple[SelfGap, ...]
    mean_self_gap: float | None
    """The average gap over every indicator the school and others both scored."""


def consensus(outcome: IndicatorOutcome, weights: Mapping[str, float]) -> float | None:
    parts = [
        (weights.get("PEER", 0.0), outcome.peer_mean),
        (weights.get("EXPERT", 0.0), outcome.expert_mean),
    ]
    present = [(w, v) for w, v in parts if v is not None and w > 0]
    total = sum(w for w, _ in present)
    return sum(w * v for w, v in present) / total if total else None


def diagnose(
    outcomes: Iterable[IndicatorOutcome],
    weights: Mapping[str, float],
    *,
    margin: float = DEFAULT_MARGIN,
    gap_threshold: float = DEFAULT_GAP_THRESHOLD,
    order: Mapping[str, int] | None = None,
) -> list[Diagnosis]:
    """One diagnosis per institution, in institution id order; standouts in the set's
    indicator order (``order``), largest gaps first."""
    rows = list(outcomes)
    by_indicator: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        if row.combined is not None:
            by_indicator[row.indicator_code].append(row.combined)
    means = {code: fmean(values) for code, values in by_indicator.items()}
    position = order or {}
    by_institution: dict[int, list[IndicatorOutcome]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (position.get(r.indicator_code, 0), r.indicator_code)):
        by_institution[row.institution_id].append(row)
    diagnoses = []
    for institution_id in sorted(by_institution):
        highlights, weaknesses, gaps = [], [], []
        for row in by_institution[institution_id]:
            if row.combined is not None:
                standout = Standout(row.indicator_code, row.combined, means[row.indicator_code])
                if standout.delta >= margin:
                    highlights.append(standout)
                elif standout.delta <= -margin:
                    weaknesses.append(standout)
            seen = consensus(row, weights)
            if row.self_value is not None and seen is not None:
                gaps.append(SelfGap(row.indicator_code, row.self_value, seen))
        flagged = sorted(
            (g for g in gaps if abs(g.gap) >= gap_threshold), key=lambda g: -abs(g.gap)
        )
        diagnoses.append(
            Diagnosis(
                institution_id,
                tuple(highlights),
                tuple(weaknesses),
                tuple(flagged),
                fmean(g.gap for g in gaps) if gaps else None,
            )
        )
    return diagnoses
