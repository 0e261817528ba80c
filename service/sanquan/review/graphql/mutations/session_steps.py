"""A session's steps after creation, each ADMIN's: ``appointExperts`` (R11 applies),
``openReviewSession`` and ``concludeReviewSession`` (R15, R16)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from sanquan import limits
from sanquan.api.bounds import INPUT, bounded
from sanquan.api.context import Info
from sanquan.api.ids import parse_id
from sanquan.auth.models import Role
from sanquan.review import conclusion, sessions
from sanquan.review.graphql.mutations.payloads import (
    ReviewSessionPayload,
    SessionInput,
    session_payload,
)


@strawberry.input(description="A session's expert panel (专家组), until it concludes.")
class AppointExpertsInput:
    session_id: strawberry.ID = strawberry.field(description="The session.")
    expert_ids: list[strawberry.ID] = bounded(
        limits.EXPERT_LIST, "The whole panel, as EXPERT account ids; replaces the one before."
    )


@strawberry.type
class SessionSteps:
    @strawberry.mutation(description="Set a session's expert panel (ADMIN); R11 applies.")
    def appoint_experts(
        self, info: Info, input: Annotated[AppointExpertsInput, INPUT]
    ) -> ReviewSessionPayload | None:
        ctx = info.context
        ctx.require(Role.ADMIN, what="appointExperts")
        result, errors = ctx.mutate(
            lambda: sessions.appoint_experts(
                ctx.db,
                parse_id(input.session_id, "ReviewSession"),
                [parse_id(e, "Account") for e in input.expert_ids],
            )
        )
        return session_payload(result, errors)

    @strawberry.mutation(description="Open a draft session for scoring (ADMIN).")
    def open_review_session(
        self, info: Info, input: Annotated[SessionInput, INPUT]
    ) -> ReviewSessionPayload | None:
        ctx = info.context
        ctx.require(Role.ADMIN, what="openReviewSession")
        result, errors = ctx.mutate(
            lambda: sessions.open_session(ctx.db, parse_id(input.session_id, "ReviewSession"))
        )
        return session_payload(result, errors)

    @strawberry.mutation(
        description="Lock the scores and compute results (ADMIN); lists what is missing "
        "when the session is incomplete."
    )
    def conclude_review_session(
        self, info: Info, input: Annotated[SessionInput, INPUT]
    ) -> ReviewSessionPayload | None:
        ctx = info.context
        ctx.require(Role.ADMIN, what="concludeReviewSession")
        result, errors = ctx.mutate(
            lambda: conclusion.conclude_session(
                ctx.db, ctx.host, parse_id(input.session_id, "ReviewSession")
            )
        )
        return session_payload(result, errors)
