"""GraphQL types of scores, their audit trail, results and diagnoses."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

import strawberry
from sqlalchemy import select

from sanquan.api.context import Info
from sanquan.auth.graphql import AccountType
from sanquan.institutions.graphql import InstitutionType
from sanquan.institutions.models import Institution
from sanquan.plugins.graphql import SourceType
from sanquan.review import visibility
from sanquan.review.models import (
    ReviewSession,
    Score,
    ScoreRevision,
    ScoreStatus,
    SessionStatus,
)
from sanquan.review.results import IndicatorResult
from sanquan.timeutil import to_beijing
from sanquan_sdk import Source

SessionStatusType = strawberry.enum(SessionStatus, name="SessionStatus")
ScoreStatusType = strawberry.enum(ScoreStatus, name="ScoreStatus")


def beijing(moment: datetime | None) -> datetime | None:
    return to_beijing(moment) if moment else None


@strawberry.type
class Deadlines:
    self_evaluation: date | None = strawberry.field(name="self")
    peer: date | None
    expert: date | None


@strawberry.type(name="SourceWeights")
class SourceWeightsType:
    self_weight: float = strawberry.field(name="self")
    peer: float
    expert: float


@strawberry.type(description="How a concluded session's results were computed.")
class AggregationInfo:
    method: str
    weights: SourceWeightsType


@strawberry.type(name="ScoreRevision", description="One change of a score (audit trail).")
class ScoreRevisionType:
    changed_at: datetime
    changed_by: str
    old_value: float | None
    new_value: float
    old_status: ScoreStatusType | None  # type: ignore[valid-type]
    new_status: ScoreStatusType  # type: ignore[valid-type]
    old_reported: str | None
    new_reported: str
    old_comment: str | None
    new_comment: str
    old_evidence: str | None
    new_evidence: str
    reason: str


@strawberry.type(name="Score")
class ScoreType:
    row: strawberry.Private[Score]
    session: strawberry.Private[ReviewSession]

    @strawberry.field(
        description="The score's id; for another expert's score read by anyone but ADMIN "
        "(blind review), an opaque `blind-…` key instead: stable and unique within the "
        "session, so rows can be told apart and cached, but in no order, so that it does not "
        "tell which scores one expert gave; it is accepted by no mutation."
    )
    def id(self, info: Info) -> strawberry.ID:
        return strawberry.ID(visibility.shown_id(self.session, self.row, info.context.principal))

    @strawberry.field(description="The institution scored.")
    def institution(self) -> InstitutionType:
        return InstitutionType.of(_member(self.session, self.row.subject_id))

    @strawberry.field
    def indicator(self) -> str:
        return self.row.indicator_code

    @strawberry.field
    def source(self) -> SourceType:  # type: ignore[valid-type]
        return Source(self.row.source)

    @strawberry.field
    def value(self) -> float:
        return self.row.value

    @strawberry.field(description="The level code or figure reported, for non-numeric scales.")
    def reported(self) -> str | None:
        return self.row.reported or None

    @strawberry.field
    def comment(self) -> str:
        return self.row.comment

    @strawberry.field
    def evidence(self) -> str:
        return self.row.evidence

    @strawberry.field(
        description="DRAFT is seen only by the score's reviewer and ADMIN; everyone else "
        "sees submitted scores only."
    )
    def status(self) -> ScoreStatusType:  # type: ignore[valid-type]
        return ScoreStatus(self.row.status)

    @strawberry.field(
        description="When the score last changed; null for another expert's score read by "
        "anyone but ADMIN, since the times of one expert's submissions would group them."
    )
    def updated_at(self, info: Info) -> datetime | None:
        if visibility.is_blind(self.row, info.context.principal):
            return None
        return to_beijing(self.row.updated_at)

    @strawberry.field(description="The school that gave a self or peer score.")
    def reviewer_institution(self) -> InstitutionType | None:
        if self.row.reviewer_institution_id is None:
            return None
        return InstitutionType.of(_member(self.session, self.row.reviewer_institution_id))

    @strawberry.field(
        description="The expert who gave an expert score: visible to ADMIN and to that "
        "expert only (blind review)."
    )
    def reviewer_expert(self, info: Info) -> AccountType | None:
        if self.row.reviewer_account_id is None:
            return None
        if not visibility.may_see_reviewer(self.row, info.context.principal):
            return None
        member = next(m for m in self.session.panel if m.account_id == self.row.reviewer_account_id)
        return AccountType.of(member.account)

    @strawberry.field(description="Every change of this score; ADMIN and its reviewer only.")
    def history(self, info: Info) -> list[ScoreRevisionType] | None:
        if not visibility.may_see_history(self.row, info.context.principal):
            return None
        revisions = _revisions(info, self.session)
        return [
            ScoreRevisionType(
                changed_at=to_beijing(r.changed_at),
                changed_by=r.changed_by.name,
                old_value=r.old_value,
                new_value=r.new_value,
                old_status=r.old_status,
                new_status=r.new_status,
                old_reported=r.old_reported,
                new_reported=r.new_reported,
                old_comment=r.old_comment,
                new_comment=r.new_comment,
                old_evidence=r.old_evidence,
                new_evidence=r.new_evidence,
                reason=r.reason,
            )
            for r in revisions.get(self.row.id, ())
        ]


def _member(session: ReviewSession, institution_id: int) -> Institution:
    return next(m.institution for m in session.members if m.institution_id == institution_id)


def _revisions(info: Info, session: ReviewSession) -> dict[int, list[ScoreRevision]]:
    """All revisions of the session's scores, loaded once per request."""
    cache: dict[Any, Any] = info.context.cache
    key = ("revisions", session.id)
    if key not in cache:
        grouped: dict[int, list[ScoreRevision]] = defaultdict(list)
        for revision in info.context.db.scalars(
            select(ScoreRevision)
            .join(Score, Score.id == ScoreRevision.score_id)
            .where(Score.session_id == session.id)
            .order_by(ScoreRevision.id)
        ):
            grouped[revision.score_id].append(revision)
        cache[key] = grouped
    return cache[key]  # type: ignore[no-any-return]


@strawberry.type(name="IndicatorResult")
class IndicatorResultType(IndicatorResult):
    pass


@strawberry.type(name="InstitutionResult")
class InstitutionResultType:
    institution: InstitutionType
    overall_index: float | None = strawberry.field(
        description="Indicator-weighted mean of the combined values."
    )
    rank: int | None
    indicators: list[IndicatorResultType]


@strawberry.type(description="An indicator well above or below the session's level.")
class Standout:
    indicator: str
    title: str
    value: float = strawberry.field(description="The institution's combined value.")
    session_mean: float
    delta: float


@strawberry.type(description="Self value against the peer and expert consensus.")
class SelfAssessmentGap:
    indicator: str
    title: str
    self_value: float
    consensus: float
    gap: float = strawberry.field(description="Positive: the school rates itself higher.")


@strawberry.type(name="InstitutionDiagnosis", description="R17: highlights, weaknesses, gaps.")
class InstitutionDiagnosisType:
    institution: InstitutionType
    highlights: list[Standout]
    weaknesses: list[Standout]
    self_gaps: list[SelfAssessmentGap] = strawberry.field(
        description="Indicators whose gap reaches the threshold, largest first."
    )
    mean_self_gap: float | None
