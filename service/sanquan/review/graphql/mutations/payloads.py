"""What the session mutations take and give back: a session id in, the session changed (or
the rule that refused it) out."""

from __future__ import annotations

import strawberry

from sanquan.api.errors import UserError
from sanquan.review.graphql.session import ReviewSessionType
from sanquan.review.models import ReviewSession


@strawberry.input
class SessionInput:
    session_id: strawberry.ID


@strawberry.type
class ReviewSessionPayload:
    review_session: ReviewSessionType | None
    user_errors: list[UserError]


def session_payload(result: ReviewSession | None, errors: list[UserError]) -> ReviewSessionPayload:
    return ReviewSessionPayload(
        review_session=ReviewSessionType(row=result) if result else None, user_errors=errors
    )
