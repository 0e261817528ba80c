"""``createReviewSession``: a draft session of 3–5 institutions on a pinned indicator set."""

from __future__ import annotations

from datetime import date

import strawberry

from sanquan import limits
from sanquan.api.bounds import bounded
from sanquan.api.context import Info
from sanquan.auth.models import Role
from sanquan.quarter import Quarter
from sanquan.review import sessions
from sanquan.review.graphql.mutations.payloads import ReviewSessionPayload, session_payload
from sanquan_sdk import Source


@strawberry.input
class IndicatorSetRef:
    key: str = bounded(limits.CODE)
    version: str | None = bounded(limits.CODE, "Newest when omitted.", default=None)


@strawberry.input
class DeadlinesInput:
    self_evaluation: date | None = strawberry.field(default=None, name="self")
    peer: date | None = None
    expert: date | None = None


@strawberry.input
class CreateReviewSessionInput:
    quarter: Quarter
    institution_codes: list[str] = bounded(
        limits.SESSION_CODE_LIST, "3–5 institutions, none already in a session of the quarter."
    )
    indicator_set: IndicatorSetRef
    title: str = bounded(limits.NAME, default="")
    min_experts: int = bounded(limits.MIN_EXPERTS, default=5)
    deadlines: DeadlinesInput | None = None


@strawberry.type
class CreateReviewSession:
    @strawberry.mutation(description="Create a draft session of 3–5 institutions (ADMIN).")
    def create_review_session(
        self, info: Info, input: CreateReviewSessionInput
    ) -> ReviewSessionPayload | None:
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
        return session_payload(result, errors)
