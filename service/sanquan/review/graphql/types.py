"""GraphQL types of scores, their audit trail, results and diagnoses."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any, Self

import strawberry
from sqlalchemy import select

from sanquan.api.context import Info
from sanquan.api.enums import described_enum
from sanquan.api.ids import global_id
from sanquan.api.nodes import Node, row_key
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

SessionStatusType = described_enum(
    SessionStatus,
    "Where a review session stands: DRAFT → OPEN → CONCLUDED.",
    {
        SessionStatus.DRAFT: "Being set up: institutions and panel may change; nobody scores yet.",
        SessionStatus.OPEN: "Scoring under way, each source until its deadline.",
        SessionStatus.CONCLUDED: "Results computed; scores locked except audited corrections.",
    },
    name="SessionStatus",
)
ScoreStatusType = described_enum(
    ScoreStatus,
    "Whether a score counts yet.",
    {
        ScoreStatus.DRAFT: "Saved but not counted; seen only by its reviewer and ADMIN.",
        ScoreStatus.SUBMITTED: "Counted; can change until its deadline or the conclusion, "
        "every change audited.",
    },
    name="ScoreStatus",
)


def beijing(moment: datetime | None) -> datetime | None:
    return to_beijing(moment) if moment else None


@strawberry.type(
    description="The last day (Beijing time) each source may submit or change its scores; "
    "null: until the session concludes."
)
class Deadlines:
    self_evaluation: date | None = strawberry.field(
        name="self", description="For self-evaluations (学校自评)."
    )
    peer: date | None = strawberry.field(description="For peer evaluations (同行互评).")
    expert: date | None = strawberry.field(description="For expert scores (专家点评).")


@strawberry.type(
    name="SourceWeights",
    description="The weight of each source's mean in an indicator's combined value; a source "
    "that gave no score has its weight shared out among the others (R16).",
)
class SourceWeightsType:
    self_weight: float = strawberry.field(name="self", description="Self-evaluation; default 0.2.")
    peer: float = strawberry.field(description="Peer mean; default 0.3.")
    expert: float = strawberry.field(description="Expert mean; default 0.5.")


@strawberry.type(description="How a concluded session's results were computed.")
class AggregationInfo:
    method: str = strawberry.field(
        description="The aggregation's name: weighted-mean for the default (R16); an indicator "
        "set's plugin may aggregate its own way under its own name, so this is open text."
    )
    weights: SourceWeightsType = strawberry.field(
        description="The weights used, stored with the results so they never change afterwards."
    )


@strawberry.type(name="ScoreRevision", description="One change of a score (audit trail).")
class ScoreRevisionType:
    changed_at: datetime = strawberry.field(description="When (Beijing time).")
    changed_by: str = strawberry.field(description="The name of the account that changed it.")
    old_value: float | None = strawberry.field(description="Null when the score was created.")
    new_value: float = strawberry.field(description="The value after the change.")
    old_status: ScoreStatusType | None = strawberry.field(  # type: ignore[valid-type]
        description="Null when the score was created."
    )
    new_status: ScoreStatusType = strawberry.field(  # type: ignore[valid-type]
        description="The status after the change."
    )
    old_reported: str | None = strawberry.field(
        description="The level or figure reported before; null when the score was created."
    )
    new_reported: str = strawberry.field(
        description="The level or figure reported after; empty for numeric scales."
    )
    old_comment: str | None = strawberry.field(description="Null when the score was created.")
    new_comment: str = strawberry.field(description="The comment after the change.")
    old_evidence: str | None = strawberry.field(description="Null when the score was created.")
    new_evidence: str = strawberry.field(description="The evidence after the change.")
    reason: str = strawberry.field(
        description="Why, for an ADMIN correction after conclusion; empty otherwise."
    )


@strawberry.type(
    name="Score",
    description="One reviewer's score (评分) of one indicator of one institution in a session.",
)
class ScoreType(Node):
    row: strawberry.Private[Score]
    session: strawberry.Private[ReviewSession]

    @strawberry.field(
        description="The score's global id. For another expert's score read by anyone but "
        "ADMIN (blind review) it is a blind id instead: stable and unique, so rows can be told "
        "apart, cached and read again with `node`, but in no order and not derived from the "
        "row, so that it does not tell which scores one expert gave; no mutation takes it."
    )
    def id(self, info: Info) -> strawberry.ID:
        return global_id(
            "Score", visibility.shown_key(self.session, self.row, info.context.principal)
        )

    @classmethod
    def fetch(cls, info: Info, key: str) -> Self | None:
        """A score the caller may read, by the id it was shown: a blind score only by its
        blind id, never by its row id, which would tie the two together."""
        principal = info.context.principal
        db = info.context.db
        session_key, slash, _ = key.partition("/")
        pk = row_key(session_key)
        if slash:
            session = db.get(ReviewSession, pk) if pk else None
            if session is None or not visibility.may_read_scores(session, principal):
                return None
            rows = db.scalars(visibility.visible_scores(session, principal))
            found = [r for r in rows if visibility.shown_key(session, r, principal) == key]
            return cls(row=found[0], session=session) if found else None
        score = db.get(Score, pk) if pk else None
        if score is None:
            return None
        session = db.get(ReviewSession, score.session_id)
        if session is None or not visibility.may_read_scores(session, principal):
            return None
        visible = visibility.visible_scores(session, principal).where(Score.id == score.id)
        if db.scalar(visible) is None or visibility.is_blind(score, principal):
            return None
        return cls(row=score, session=session)

    @strawberry.field(description="The institution scored.")
    def institution(self) -> InstitutionType:
        return InstitutionType.of(_member(self.session, self.row.subject_id))

    @strawberry.field(description="The indicator's code.")
    def indicator(self) -> str:
        return self.row.indicator_code

    @strawberry.field(description="Who gave it: the school itself, a peer school or an expert.")
    def source(self) -> SourceType:  # type: ignore[valid-type]
        return Source(self.row.source)

    @strawberry.field(
        description="The score on the indicator's scale; for a level or figure, what it counts as."
    )
    def value(self) -> float:
        return self.row.value

    @strawberry.field(description="The level code or figure reported, for non-numeric scales.")
    def reported(self) -> str | None:
        return self.row.reported or None

    @strawberry.field(description="The reviewer's comment; may be empty.")
    def comment(self) -> str:
        return self.row.comment

    @strawberry.field(description="Where the evidence is (documents, links); may be empty.")
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


EXACT = (
    " Exact, as computed in double precision (IEEE 754): not rounded, so that a client can"
    " recompute it from the scores; round it for display (the exports show two decimals)."
)


@strawberry.type(
    name="IndicatorResult",
    description="One institution's result on one indicator (submitted scores only).",
)
class IndicatorResultType(IndicatorResult):
    indicator: str = strawberry.field(description="The indicator's code.")
    title: str = strawberry.field(description="The indicator's title in the scored set.")
    self_value: float | None = strawberry.field(
        description="The school's self-evaluation; null when there is none."
    )
    peer_mean: float | None = strawberry.field(
        description="Mean of the peer scores; null when there are none." + EXACT
    )
    expert_mean: float | None = strawberry.field(
        description="Mean of the expert scores; null when there are none." + EXACT
    )
    combined: float | None = strawberry.field(
        description="The weighted combination of the sources present; null when none scored "
        "it." + EXACT
    )
    peer_count: int = strawberry.field(description="Peer scores counted.")
    expert_count: int = strawberry.field(description="Expert scores counted.")


OVERALL_INDEX = "Indicator-weighted mean of the combined values." + EXACT
RANK = "1 for the highest overall index; ties share a rank (1, 1, 3); null without an index."


@strawberry.type(name="InstitutionResult", description="One institution's results in a session.")
class InstitutionResultType:
    institution: InstitutionType = strawberry.field(description="The institution.")
    overall_index: float | None = strawberry.field(description=OVERALL_INDEX)
    rank: int | None = strawberry.field(description=RANK)
    indicators: list[IndicatorResultType] = strawberry.field(
        description="Per indicator, in the set's order."
    )


VECTOR = (
    " Position i is the scoreboard's indicator i; null where the institution has no result for it."
)


@strawberry.type(
    name="ScoreboardRow",
    description="One institution's results as vectors over the scoreboard's `indicators`: "
    "the figures of `InstitutionResult`, a handful of values per institution instead of an "
    "object per indicator.",
)
class ScoreboardRowType:
    institution: InstitutionType = strawberry.field(description="The institution.")
    overall_index: float | None = strawberry.field(description=OVERALL_INDEX)
    rank: int | None = strawberry.field(description=RANK)
    self_values: list[float | None] = strawberry.field(
        description="The school's self-evaluations (null: none)." + VECTOR
    )
    peer_means: list[float | None] = strawberry.field(
        description="Means of the peer scores (null: none)." + VECTOR + EXACT
    )
    expert_means: list[float | None] = strawberry.field(
        description="Means of the expert scores (null: none)." + VECTOR + EXACT
    )
    combined: list[float | None] = strawberry.field(
        description="The weighted combinations of the sources present (null: none scored "
        "it)." + VECTOR + EXACT
    )
    peer_counts: list[int | None] = strawberry.field(description="Peer scores counted." + VECTOR)
    expert_counts: list[int | None] = strawberry.field(
        description="Expert scores counted." + VECTOR
    )


@strawberry.type(
    name="Scoreboard",
    description="A concluded session's results in columns, for reading the whole table at "
    "once: the indicators once, then a row of vectors per institution (in session order). "
    "The same figures as `ReviewSession.results`.",
)
class ScoreboardType:
    indicators: list[str] = strawberry.field(
        description="The indicators' codes in the set's order (any the installed set no "
        "longer has come last, by code): the order of every vector of `rows`."
    )
    titles: list[str] = strawberry.field(
        description="The indicators' titles in the scored set, in the same order."
    )
    rows: list[ScoreboardRowType] = strawberry.field(
        description="Per institution, in session order."
    )


@strawberry.type(description="An indicator well above or below the session's level.")
class Standout:
    indicator: str = strawberry.field(description="The indicator's code.")
    title: str = strawberry.field(description="The indicator's title.")
    value: float = strawberry.field(description="The institution's combined value.")
    session_mean: float = strawberry.field(
        description="The mean combined value of the session's institutions."
    )
    delta: float = strawberry.field(description="value − sessionMean, in points.")


@strawberry.type(description="Self value against the peer and expert consensus.")
class SelfAssessmentGap:
    indicator: str = strawberry.field(description="The indicator's code.")
    title: str = strawberry.field(description="The indicator's title.")
    self_value: float = strawberry.field(description="The school's self-evaluation.")
    consensus: float = strawberry.field(
        description="The peer and expert means, weighted as the results weighted them."
    )
    gap: float = strawberry.field(description="Positive: the school rates itself higher.")


@strawberry.type(
    name="InstitutionDiagnosis",
    description="R17 diagnosis (诊断) of one institution: highlights, weaknesses, gaps.",
)
class InstitutionDiagnosisType:
    institution: InstitutionType = strawberry.field(description="The institution.")
    highlights: list[Standout] = strawberry.field(
        description="Indicators at least `margin` above the session's mean (亮点), "
        "in the set's order."
    )
    weaknesses: list[Standout] = strawberry.field(
        description="Indicators at least `margin` below the session's mean (不足), "
        "in the set's order."
    )
    self_gaps: list[SelfAssessmentGap] = strawberry.field(
        description="Indicators whose gap reaches the threshold, largest first."
    )
    mean_self_gap: float | None = strawberry.field(
        description="Mean gap over every indicator with a self value and a consensus; null "
        "without any."
    )
