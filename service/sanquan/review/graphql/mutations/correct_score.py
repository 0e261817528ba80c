"""``correctScore``: the commission corrects a score of a concluded session, with a reason
that the audit trail keeps."""

from __future__ import annotations

from typing import Annotated

import strawberry

from sanquan import limits
from sanquan.api.bounds import INPUT, bounded
from sanquan.api.context import Info
from sanquan.api.errors import UserError, refusals
from sanquan.api.ids import parse_id
from sanquan.auth.models import Role
from sanquan.review import conclusion, sessions
from sanquan.review.graphql.types import ScoreType
from sanquan.review.models import ReviewSession, Score
from sanquan_sdk import Reported


@strawberry.input(
    description="A correction of one score of a concluded session: exactly one of `value`, "
    "`level` or `figure`, as for submitScores."
)
class CorrectScoreInput:
    score_id: strawberry.ID = strawberry.field(description="The score, by its (unblinded) id.")
    value: float | None = strawberry.field(default=None, description="NUMERIC: the new score.")
    level: str | None = bounded(limits.CODE, "LEVELS: the new level's code.", default=None)
    figure: float | None = strawberry.field(
        default=None, description="TARGET: the new measured figure."
    )
    reason: str = bounded(limits.TEXT, "Why; kept in the score's history.")


@strawberry.type(description="The corrected score; the session's results are recomputed.")
class CorrectScorePayload:
    score: ScoreType | None = strawberry.field(description="As it is now; null when refused.")
    user_errors: list[UserError] = refusals()


@strawberry.type
class CorrectScore:
    @strawberry.mutation(
        description="Correct a score of a concluded session, with a reason (ADMIN, audited)."
    )
    def correct_score(
        self, info: Info, input: Annotated[CorrectScoreInput, INPUT]
    ) -> CorrectScorePayload | None:
        ctx = info.context
        actor = ctx.require(Role.ADMIN, what="correctScore")

        def action() -> tuple[ReviewSession, Score]:
            score = conclusion.correct_score(
                ctx.db,
                ctx.host,
                actor,
                parse_id(input.score_id, "Score"),
                Reported(value=input.value, level=input.level, figure=input.figure),
                input.reason,
            )
            return sessions.get_session(ctx.db, score.session_id), score

        result, errors = ctx.mutate(action)
        return CorrectScorePayload(
            score=ScoreType(row=result[1], session=result[0]) if result else None,
            user_errors=errors,
        )
