"""What the session mutations take and give back: a session id in, the session changed (or
the rule that refused it) out."""

from __future__ import annotations

import strawberry

from sanquan.api.errors import UserError, refusals
from sanquan.review.graphql.session import ReviewSessionType
from sanquan.review.models import ReviewSession


@strawberry.input(description="A session to act on.")
class SessionInput:
    session_id: strawberry.ID = strawberry.field(description="The session.")


@strawberry.type(description="The session as a mutation left it.")
class ReviewSessionPayload:
    review_session: ReviewSessionType | None = strawberry.field(
        description="As it is now; null when refused."
    )
    user_errors: list[UserError] = refusals()


def session_payload(result: ReviewSession | None, errors: list[UserError]) -> ReviewSessionPayload:
    return ReviewSessionPayload(
        review_session=ReviewSessionType(row=result) if result else None, user_errors=errors
    )
