"""GraphQL for review sessions: setting them up (ADMIN), scoring (schools and experts),
concluding, and reading scores and results under the blind-review rule."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from sanquan.api.context import Info
from sanquan.api.errors import Forbidden, UserError
from sanquan.api.ids import parse_id
from sanquan.api.pagination import Connection, paginate
from sanquan.auth.graphql import AccountType
from sanquan.auth.models import Role
from sanquan.errors import DomainError, invalid
from sanquan.institutions.graphql import InstitutionType
from sanquan.institutions.models import Institution
from sanquan.plugins.graphql import IndicatorSetType, SourceType
from sanquan.quarter import Quarter
from sanquan.review import conclusion, scoring, sessions, visibility
from sanquan.review import diagnostics as diagnosing
from sanquan.review.models import (
    ReviewSession,
    Score,
    ScoreRevision,
    ScoreStatus,
    SessionStatus,
)
from sanquan.review.results import IndicatorResult, session_results
from sanquan.timeutil import to_beijing
from sanquan_sdk import Reported, Source

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

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

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

    @strawberry.field
    def status(self) -> ScoreStatusType:  # type: ignore[valid-type]
        return ScoreStatus(self.row.status)

    @strawberry.field
    def updated_at(self) -> datetime:
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


@strawberry.type(name="ReviewSession", description="A quarterly review meeting (点评工作会).")
class ReviewSessionType:
    row: strawberry.Private[ReviewSession]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def quarter(self) -> Quarter:
        return Quarter.parse(self.row.quarter)

    @strawberry.field
    def title(self) -> str:
        return self.row.title

    @strawberry.field
    def status(self) -> SessionStatusType:  # type: ignore[valid-type]
        return SessionStatus(self.row.status)

    @strawberry.field
    def indicator_set_key(self) -> str:
        return self.row.indicator_set_key

    @strawberry.field
    def indicator_set_version(self) -> str:
        return self.row.indicator_set_version

    @strawberry.field(description="The pinned set's structure, if the plugin is installed.")
    def indicator_set(self, info: Info) -> IndicatorSetType | None:
        host = info.context.host
        found = host.indicator_set(self.row.indicator_set_key, self.row.indicator_set_version)
        return IndicatorSetType.of(found, host.provider(found)) if found else None

    @strawberry.field
    def min_experts(self) -> int:
        return self.row.min_experts

    @strawberry.field(description="Last day (Beijing time) for each source's scores.")
    def deadlines(self) -> Deadlines:
        return Deadlines(
            self_evaluation=self.row.self_deadline,
            peer=self.row.peer_deadline,
            expert=self.row.expert_deadline,
        )

    @strawberry.field
    def created_at(self) -> datetime:
        return to_beijing(self.row.created_at)

    @strawberry.field
    def opened_at(self) -> datetime | None:
        return beijing(self.row.opened_at)

    @strawberry.field
    def concluded_at(self) -> datetime | None:
        return beijing(self.row.concluded_at)

    @strawberry.field(description="The institutions under review, in session order.")
    def institutions(self) -> list[InstitutionType]:
        return [InstitutionType.of(m.institution) for m in self.row.members]

    @strawberry.field(description="The expert panel: ADMIN and the panel's experts only.")
    def panel(self, info: Info) -> list[AccountType] | None:
        if not visibility.may_see_panel(self.row, info.context.principal):
            raise Forbidden("查看专家组名单")
        return [AccountType.of(m.account) for m in self.row.panel]

    @strawberry.field(
        description="Scores the caller may see: before conclusion only their own (blind "
        "review); ADMIN sees all."
    )
    def scores(
        self,
        info: Info,
        institution_code: str | None = None,
        source: SourceType | None = None,  # type: ignore[valid-type]
    ) -> list[ScoreType]:
        principal = info.context.principal
        if not visibility.may_read_scores(self.row, principal):
            raise Forbidden("查看本次点评的评分")
        query = visibility.visible_scores(self.row, principal)
        if institution_code is not None:
            ids = [
                m.institution_id for m in self.row.members if m.institution.code == institution_code
            ]
            query = query.where(Score.subject_id.in_(ids))
        if source is not None:
            query = query.where(Score.source == source)
        rows = info.context.db.scalars(query.order_by(Score.subject_id, Score.id))
        return [ScoreType(row=row, session=self.row) for row in rows]

    @strawberry.field(description="What still keeps the session from concluding (ADMIN).")
    def missing_evaluations(self, info: Info) -> list[str]:
        ctx = info.context
        ctx.require(Role.ADMIN, what="missingEvaluations")
        if self.row.status is SessionStatus.CONCLUDED:
            return []
        indicator_set = scoring.pinned_set(ctx.host, self.row)
        missing = conclusion.missing_evaluations(ctx.db, self.row, indicator_set)
        return [m.describe().text(ctx.language) for m in missing]

    @strawberry.field(description="How the results were computed; null until concluded.")
    def aggregation(self) -> AggregationInfo | None:
        weights = self.row.aggregation_weights
        if self.row.status is not SessionStatus.CONCLUDED or not weights:
            return None
        return AggregationInfo(
            method=self.row.aggregation_method or "",
            weights=SourceWeightsType(
                self_weight=weights["SELF"], peer=weights["PEER"], expert=weights["EXPERT"]
            ),
        )

    @strawberry.field(
        description="Highlights, weaknesses and self-assessment gaps (R17); null until "
        "concluded. `margin`: points from the session's mean for an indicator to stand out; "
        "`gapThreshold`: points between self value and consensus to be flagged."
    )
    def diagnostics(
        self,
        info: Info,
        margin: float = diagnosing.DEFAULT_MARGIN,
        gap_threshold: float = diagnosing.DEFAULT_GAP_THRESHOLD,
    ) -> list[InstitutionDiagnosisType] | None:
        if self.row.status is not SessionStatus.CONCLUDED:
            return None
        for name, value in (("margin", margin), ("gapThreshold", gap_threshold)):
            if value <= 0:
                raise invalid((name,), "应为正数", "must be positive")
        found = diagnosing.diagnose_session(
            info.context.db,
            info.context.host,
            self.row,
            margin=margin,
            gap_threshold=gap_threshold,
        )
        institutions = {m.institution_id: m.institution for m in self.row.members}

        def standouts(items: tuple[diagnosing.Standout, ...]) -> list[Standout]:
            return [
                Standout(
                    indicator=s.indicator,
                    title=found.title(s.indicator),
                    value=s.value,
                    session_mean=s.session_mean,
                    delta=s.delta,
                )
                for s in items
            ]

        return [
            InstitutionDiagnosisType(
                institution=InstitutionType.of(institutions[d.institution_id]),
                highlights=standouts(d.highlights),
                weaknesses=standouts(d.weaknesses),
                self_gaps=[
                    SelfAssessmentGap(
                        indicator=g.indicator,
                        title=found.title(g.indicator),
                        self_value=g.self_value,
                        consensus=g.consensus,
                        gap=g.gap,
                    )
                    for g in d.self_gaps
                ],
                mean_self_gap=d.mean_self_gap,
            )
            for d in found.diagnoses
        ]

    @strawberry.field(description="Per-institution results; null until concluded.")
    def results(self, info: Info) -> list[InstitutionResultType] | None:
        found = session_results(info.context.db, info.context.host, self.row)
        if found is None:
            return None
        return [
            InstitutionResultType(
                institution=InstitutionType.of(r.institution),
                overall_index=r.overall_index,
                rank=r.rank,
                indicators=[IndicatorResultType(**asdict(i)) for i in r.indicators],
            )
            for r in found
        ]


def load_session(info: Info, session_id: int) -> ReviewSession | None:
    try:
        return sessions.get_session(info.context.db, session_id)
    except DomainError:
        return None


@strawberry.type
class ReviewQuery:
    @strawberry.field
    def review_session(self, info: Info, id: strawberry.ID) -> ReviewSessionType | None:
        row = load_session(info, parse_id(id, "id"))
        return ReviewSessionType(row=row) if row else None

    @strawberry.field(description="Review sessions, by quarter then creation.")
    def review_sessions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        quarter: Quarter | None = None,
        status: SessionStatusType | None = None,  # type: ignore[valid-type]
    ) -> Connection[ReviewSessionType]:
        query = select(ReviewSession).options(
            selectinload(ReviewSession.members), selectinload(ReviewSession.panel)
        )
        if quarter is not None:
            query = query.where(ReviewSession.quarter == str(quarter))
        if status is not None:
            query = query.where(ReviewSession.status == status)
        return paginate(
            info.context.db,
            query,
            (ReviewSession.quarter, ReviewSession.id),
            lambda row: (row.quarter, row.id),
            lambda row: ReviewSessionType(row=row),
            first,
            after,
        )


@strawberry.input
class IndicatorSetRef:
    key: str
    version: str | None = strawberry.field(default=None, description="Newest when omitted.")


@strawberry.input
class DeadlinesInput:
    self_evaluation: date | None = strawberry.field(default=None, name="self")
    peer: date | None = None
    expert: date | None = None


@strawberry.input
class CreateReviewSessionInput:
    quarter: Quarter
    institution_codes: list[str]
    indicator_set: IndicatorSetRef
    title: str = ""
    min_experts: int = 5
    deadlines: DeadlinesInput | None = None


@strawberry.input
class AppointExpertsInput:
    session_id: strawberry.ID
    expert_ids: list[strawberry.ID] = strawberry.field(description="The whole panel.")


@strawberry.input
class SessionInput:
    session_id: strawberry.ID


@strawberry.input
class ScoreInput:
    """Report exactly one of ``value``, ``level`` or ``figure``, as the indicator's scale
    kind says (NUMERIC, LEVELS, TARGET)."""

    indicator: str
    value: float | None = None
    level: str | None = None
    figure: float | None = strawberry.field(
        default=None, description="The measured figure for a target, e.g. 7 (次/年)."
    )
    comment: str = ""
    evidence: str = ""


@strawberry.input
class SubmitScoresInput:
    session_id: strawberry.ID
    institution_code: str = strawberry.field(description="The institution scored.")
    source: SourceType  # type: ignore[valid-type]
    scores: list[ScoreInput]
    final: bool = strawberry.field(
        default=True, description="False saves a draft, which does not count yet."
    )


@strawberry.input
class CorrectScoreInput:
    score_id: strawberry.ID
    value: float | None = None
    level: str | None = None
    figure: float | None = None
    reason: str


@strawberry.type
class ReviewSessionPayload:
    review_session: ReviewSessionType | None
    user_errors: list[UserError]


@strawberry.type
class SubmitScoresPayload:
    scores: list[ScoreType]
    changed_count: int = strawberry.field(description="Scores created or changed; 0 on a repeat.")
    user_errors: list[UserError]


@strawberry.type
class CorrectScorePayload:
    score: ScoreType | None
    user_errors: list[UserError]


def _session_payload(result: ReviewSession | None, errors: list[UserError]) -> ReviewSessionPayload:
    return ReviewSessionPayload(
        review_session=ReviewSessionType(row=result) if result else None, user_errors=errors
    )


@strawberry.type
class ReviewMutation:
    @strawberry.mutation(description="Create a draft session of 3–5 institutions (ADMIN).")
    def create_review_session(
        self, info: Info, input: CreateReviewSessionInput
    ) -> ReviewSessionPayload:
        ctx = info.context
        ctx.require(Role.ADMIN, what="createReviewSession")
        deadlines = input.deadlines or DeadlinesInput()
        spec = sessions.SessionSpec(
            quarter=input.quarter,
            institution_codes=input.institution_codes,
            indicator_set_key=input.indicator_set.key,
            indicator_set_version=input.indicator_set.version,
            title=input.title,
            min_experts=input.min_experts,
            deadlines={
                source: day
                for source, day in (
                    (Source.SELF, deadlines.self_evaluation),
                    (Source.PEER, deadlines.peer),
                    (Source.EXPERT, deadlines.expert),
                )
                if day is not None
            },
        )
        result, errors = ctx.mutate(
            lambda: sessions.create_session(ctx.db, ctx.host, spec, today=ctx.today())
        )
        return _session_payload(result, errors)

    @strawberry.mutation(description="Set a session's expert panel (ADMIN); R11 applies.")
    def appoint_experts(self, info: Info, input: AppointExpertsInput) -> ReviewSessionPayload:
        ctx = info.context
        ctx.require(Role.ADMIN, what="appointExperts")
        result, errors = ctx.mutate(
            lambda: sessions.appoint_experts(
                ctx.db,
                parse_id(input.session_id, "sessionId"),
                [parse_id(e, "expertIds", i) for i, e in enumerate(input.expert_ids)],
            )
        )
        return _session_payload(result, errors)

    @strawberry.mutation(description="Open a draft session for scoring (ADMIN).")
    def open_review_session(self, info: Info, input: SessionInput) -> ReviewSessionPayload:
        ctx = info.context
        ctx.require(Role.ADMIN, what="openReviewSession")
        result, errors = ctx.mutate(
            lambda: sessions.open_session(ctx.db, parse_id(input.session_id, "sessionId"))
        )
        return _session_payload(result, errors)

    @strawberry.mutation(
        description="One reviewer's scores for one institution, all or nothing; "
        "resubmitting the same scores is harmless."
    )
    def submit_scores(self, info: Info, input: SubmitScoresInput) -> SubmitScoresPayload:
        ctx = info.context
        actor = ctx.require(Role.INSTITUTION, Role.EXPERT, what="submitScores")
        entries = [
            scoring.ScoreEntry(
                indicator=s.indicator,
                value=s.value,
                level=s.level,
                figure=s.figure,
                comment=s.comment,
                evidence=s.evidence,
            )
            for s in input.scores
        ]

        def action() -> scoring.SubmissionOutcome:
            submission = scoring.Submission(
                parse_id(input.session_id, "sessionId"),
                input.institution_code,
                Source(input.source),
                entries,
                input.final,
            )
            return scoring.submit_scores(
                ctx.db,
                ctx.host,
                actor,
                submission,
                today=ctx.today(),
                max_scores=ctx.settings.max_scores_per_submission,
            )

        outcome, errors = ctx.mutate(action)
        if outcome is None:
            return SubmitScoresPayload(scores=[], changed_count=0, user_errors=errors)
        return SubmitScoresPayload(
            scores=[ScoreType(row=s, session=outcome.session) for s in outcome.scores],
            changed_count=outcome.changed,
            user_errors=[],
        )

    @strawberry.mutation(
        description="Lock the scores and compute results (ADMIN); lists what is missing "
        "when the session is incomplete."
    )
    def conclude_review_session(self, info: Info, input: SessionInput) -> ReviewSessionPayload:
        ctx = info.context
        ctx.require(Role.ADMIN, what="concludeReviewSession")
        result, errors = ctx.mutate(
            lambda: conclusion.conclude_session(
                ctx.db, ctx.host, parse_id(input.session_id, "sessionId")
            )
        )
        return _session_payload(result, errors)

    @strawberry.mutation(
        description="Correct a score of a concluded session, with a reason (ADMIN, audited)."
    )
    def correct_score(self, info: Info, input: CorrectScoreInput) -> CorrectScorePayload:
        ctx = info.context
        actor = ctx.require(Role.ADMIN, what="correctScore")

        def action() -> tuple[ReviewSession, Score]:
            score = conclusion.correct_score(
                ctx.db,
                ctx.host,
                actor,
                parse_id(input.score_id, "scoreId"),
                Reported(value=input.value, level=input.level, figure=input.figure),
                input.reason,
            )
            return sessions.get_session(ctx.db, score.session_id), score

        result, errors = ctx.mutate(action)
        return CorrectScorePayload(
            score=ScoreType(row=result[1], session=result[0]) if result else None,
            user_errors=errors,
        )
