"""``submitScores``: one reviewer's scores for one institution, all or nothing (R9–R13)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from sanquan import limits
from sanquan.api.bounds import INPUT, bounded
from sanquan.api.context import Info
from sanquan.api.errors import UserError, refusals
from sanquan.api.ids import parse_id
from sanquan.auth.models import Role
from sanquan.plugins.graphql import SourceType
from sanquan.review import scoring
from sanquan.review.graphql.types import ScoreType
from sanquan_sdk import Source


@strawberry.input(
    description="One score: exactly one of `value`, `level` or `figure`, as the indicator's "
    "scale kind says (NUMERIC, LEVELS, TARGET)."
)
class ScoreInput:
    indicator: str = bounded(limits.CODE, "The indicator's code.")
    value: float | None = strawberry.field(
        default=None, description="NUMERIC: the score, within the scale's minimum and maximum."
    )
    level: str | None = bounded(limits.CODE, "LEVELS: the level's code, e.g. B.", default=None)
    figure: float | None = strawberry.field(
        default=None, description="The measured figure for a target, e.g. 7 (次/年)."
    )
    comment: str = bounded(limits.COMMENT, "Why this score.", default="")
    evidence: str = bounded(limits.COMMENT, "Where the evidence is: documents, links.", default="")


@strawberry.input(
    description="One reviewer's scores of one institution in an open session; replaces the "
    "reviewer's earlier scores of the same indicators."
)
class SubmitScoresInput:
    session_id: strawberry.ID = strawberry.field(description="The session.")
    institution_code: str = bounded(limits.CODE, "The institution scored.")
    source: SourceType = strawberry.field(  # type: ignore[valid-type]
        description="SELF for one's own school, PEER for another of the session's, EXPERT for "
        "a panel expert."
    )
    scores: list[ScoreInput] = bounded(
        limits.SCORE_LIST, "No more than the service's configured maximum (default 500)."
    )
    final: bool = strawberry.field(
        default=True, description="False saves a draft, which does not count yet."
    )


@strawberry.type(description="What a submission stored.")
class SubmitScoresPayload:
    scores: list[ScoreType] = strawberry.field(
        description="The submitted scores as stored; empty when refused."
    )
    changed_count: int = strawberry.field(description="Scores created or changed; 0 on a repeat.")
    user_errors: list[UserError] = refusals()


@strawberry.type
class SubmitScores:
    @strawberry.mutation(
        description="One reviewer's scores for one institution, all or nothing; "
        "resubmitting the same scores is harmless."
    )
    def submit_scores(
        self, info: Info, input: Annotated[SubmitScoresInput, INPUT]
    ) -> SubmitScoresPayload | None:
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
                parse_id(input.session_id, "ReviewSession"),
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
