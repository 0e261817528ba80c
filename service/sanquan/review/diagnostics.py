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

:func:`diagnose_session` reads a session's stored results for the arithmetic; the
``diagnostics`` field and the finding drafts both start from it, so they cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from statistics import fmean

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanquan.plugins.host import PluginHost
from sanquan.review.models import IndicatorOutcome, ReviewSession
from sanquan.review.results import indicator_titles

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


@dataclass(frozen=True)
class SessionDiagnosis:
    """A concluded session's diagnoses, in the session's institution order."""

    diagnoses: tuple[Diagnosis, ...]
    titles: Mapping[str, str]
    """Indicator titles of the pinned set, in its order; empty when its plugin is gone."""

    def title(self, code: str) -> str:
        """The indicator's title, or its code when the set's plugin is not installed."""
        return self.titles.get(code, code)


def diagnose_session(
    db: Session,
    host: PluginHost,
    session: ReviewSession,
    *,
    margin: float = DEFAULT_MARGIN,
    gap_threshold: float = DEFAULT_GAP_THRESHOLD,
) -> SessionDiagnosis:
    """:func:`diagnose` applied to ``session``'s stored results, with the weights stored
    with them (R16), so a later plugin version never changes the diagnosis."""
    titles = indicator_titles(host, session)
    outcomes = db.scalars(select(IndicatorOutcome).where(IndicatorOutcome.session_id == session.id))
    found = diagnose(
        outcomes,
        session.aggregation_weights or {},
        margin=margin,
        gap_threshold=gap_threshold,
        order={code: n for n, code in enumerate(titles)},
    )
    position = {m.institution_id: m.position for m in session.members}
    return SessionDiagnosis(tuple(sorted(found, key=lambda d: position[d.institution_id])), titles)
