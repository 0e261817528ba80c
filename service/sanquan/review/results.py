"""A concluded session's results as readers see them: per institution in the session's
order, indicators in the indicator set's order, titles from the set that was scored.

The figures are the stored outcomes (R16), so a later plugin version never changes them;
the GraphQL ``results`` field and the exports both read them from here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanquan.institutions.models import Institution
from sanquan.plugins.host import PluginHost
from sanquan.review.models import (
    IndicatorOutcome,
    InstitutionOutcome,
    ReviewSession,
    SessionStatus,
)


@dataclass
class IndicatorResult:
    """Not frozen: the GraphQL type of the same name extends it."""

    indicator: str
    title: str
    self_value: float | None
    peer_mean: float | None
    expert_mean: float | None
    combined: float | None
    peer_count: int
    expert_count: int


@dataclass(frozen=True)
class InstitutionResult:
    institution: Institution
    overall_index: float | None
    rank: int | None
    indicators: tuple[IndicatorResult, ...]


def indicator_titles(host: PluginHost, session: ReviewSession) -> dict[str, str]:
    """Code → title in the set's order; empty when the set is no longer installed."""
    indicator_set = host.indicator_set(session.indicator_set_key, session.indicator_set_version)
    return {i.code: i.title for i in indicator_set.indicators} if indicator_set else {}


def session_results(
    db: Session, host: PluginHost, session: ReviewSession
) -> list[InstitutionResult] | None:
    """``None`` until the session is concluded: before that there are no results."""
    if session.status is not SessionStatus.CONCLUDED:
        return None
    titles = indicator_titles(host, session)
    order = {code: position for position, code in enumerate(titles)}
    by_institution: dict[int, list[IndicatorOutcome]] = defaultdict(list)
    for outcome in db.scalars(
        select(IndicatorOutcome).where(IndicatorOutcome.session_id == session.id)
    ):
        by_institution[outcome.institution_id].append(outcome)
    overall = {
        o.institution_id: o
        for o in db.scalars(
            select(InstitutionOutcome).where(InstitutionOutcome.session_id == session.id)
        )
    }
    results = []
    for member in session.members:
        outcomes = sorted(
            by_institution[member.institution_id],
            key=lambda o: order.get(o.indicator_code, len(order)),
        )
        summary = overall.get(member.institution_id)
        results.append(
            InstitutionResult(
                institution=member.institution,
                overall_index=summary.overall if summary else None,
                rank=summary.rank if summary else None,
                indicators=tuple(
                    IndicatorResult(
                        indicator=o.indicator_code,
                        title=titles.get(o.indicator_code, o.indicator_code),
                        self_value=o.self_value,
                        peer_mean=o.peer_mean,
                        expert_mean=o.expert_mean,
                        combined=o.combined,
                        peer_count=o.peer_count,
                        expert_count=o.expert_count,
                    )
                    for o in outcomes
                ),
            )
        )
    return results


@dataclass(frozen=True)
class ScoreboardRow:
    """One institution's results as vectors: position ``i`` of each is indicator ``i`` of
    the scoreboard; ``None`` where the institution has no result for that indicator."""

    institution: Institution
    overall_index: float | None
    rank: int | None
    self_values: tuple[float | None, ...]
    peer_means: tuple[float | None, ...]
    expert_means: tuple[float | None, ...]
    combined: tuple[float | None, ...]
    peer_counts: tuple[int | None, ...]
    expert_counts: tuple[int | None, ...]


@dataclass(frozen=True)
class Scoreboard:
    """A concluded session's results in columns: the indicators once, then a row of
    vectors per institution. The same figures as :func:`session_results`; a reader of the
    whole table gets them in a handful of values per institution instead of eight per
    indicator, which is what a GraphQL answer pays for."""

    indicators: tuple[str, ...]
    titles: tuple[str, ...]
    rows: tuple[ScoreboardRow, ...]


_OUTCOME_COLUMNS = (
    IndicatorOutcome.institution_id,
    IndicatorOutcome.indicator_code,
    IndicatorOutcome.self_value,
    IndicatorOutcome.peer_mean,
    IndicatorOutcome.expert_mean,
    IndicatorOutcome.combined,
    IndicatorOutcome.peer_count,
    IndicatorOutcome.expert_count,
)


def session_scoreboard(db: Session, host: PluginHost, session: ReviewSession) -> Scoreboard | None:
    """``None`` until the session is concluded. The stored outcomes (R16) read as plain
    rows, not ORM objects: they are only copied into the vectors. Indicators are in the
    set's order; an outcome of an indicator the set no longer has (an uninstalled set)
    comes after them, by code, titled with its code."""
    if session.status is not SessionStatus.CONCLUDED:
        return None
    titles = indicator_titles(host, session)
    by_institution: dict[int, dict[str, Any]] = defaultdict(dict)
    for row in db.execute(
        select(*_OUTCOME_COLUMNS).where(IndicatorOutcome.session_id == session.id)
    ):
        by_institution[row.institution_id][row.indicator_code] = row
    stored = {code for found in by_institution.values() for code in found}
    codes = [code for code in titles if code in stored] + sorted(stored - titles.keys())
    overall = {
        row.institution_id: row
        for row in db.execute(
            select(
                InstitutionOutcome.institution_id,
                InstitutionOutcome.overall,
                InstitutionOutcome.rank,
            ).where(InstitutionOutcome.session_id == session.id)
        )
    }
    rows = []
    for member in session.members:
        found = by_institution[member.institution_id]
        cells = [found.get(code) for code in codes]
        summary = overall.get(member.institution_id)
        rows.append(
            ScoreboardRow(
                institution=member.institution,
                overall_index=summary.overall if summary else None,
                rank=summary.rank if summary else None,
                self_values=tuple(c.self_value if c else None for c in cells),
                peer_means=tuple(c.peer_mean if c else None for c in cells),
                expert_means=tuple(c.expert_mean if c else None for c in cells),
                combined=tuple(c.combined if c else None for c in cells),
                peer_counts=tuple(c.peer_count if c else None for c in cells),
                expert_counts=tuple(c.expert_count if c else None for c in cells),
            )
        )
    return Scoreboard(
        indicators=tuple(codes),
        titles=tuple(titles.get(code, code) for code in codes),
        rows=tuple(rows),
    )
