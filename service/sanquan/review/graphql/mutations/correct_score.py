"""``correctScore``: the commission corrects a score of a concluded session, with a reason
that the audit trail keeps."""

from __future__ import annotations

import strawberry

from sanquan import limits
from sanquan.api.bounds import bounded
from sanquan.api.context import Info
from sanquan.api.errors import UserError
from sanquan.api.ids import parse_id
from sanquan.auth.models import Role
from sanquan.review import conclusion, sessions
from sanquan.review.graphql.types import ScoreType
from sanquan.review.models import ReviewSession, Score
from sanquan_sdk import Reported


@strawberry.input
class CorrectScoreInput:
    score_id: strawberry.ID
    value: float | None = None
    level: str | None = bounded(limits.CODE, default=None)
    figure: float | None = None
    reason: str = bounded(limits.TEXT)


@strawberry.type
class CorrectScorePayload:
    score: ScoreType | None
    user_errors: list[UserError]


@strawberry.type
class CorrectScore:
    @strawberry.mutation(
        description="Correct a score of a concluded session, with a reason (ADMIN, audited)."
    )
    def correct_score(self, info: Info, input: CorrectScoreInput) -> CorrectScorePayload | None:
        ctx = info.context
        actor = ctx.require(Role.ADMIN, what="correctScore")

        def action() -> tuple[ReviewSession, Score]:
            score = conclusion.correct_score(
                ctx.db,
                ctx.host,
                actor,
                parse_id(input.score_id),
                Reported(value=input.value, level=input.level, figure=input.figure),
                input.reason,
            )
            return sessions.get_session(ctx.db, score.session_id), score

        result, errors = ctx.mutate(action)
        return CorrectScorePayload(
            score=ScoreType(row=result[1], session=result[0]) if result else None,
            user_errors=errors,
        )
