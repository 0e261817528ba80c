"""``createReviewSession``: a draft session of 3–5 institutions on a pinned indicator set."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from sanquan import limits
from sanquan.api.bounds import INPUT, bounded
from sanquan.api.context import Info
from sanquan.auth.models import Role
from sanquan.quarter import Quarter
from sanquan.review import sessions
from sanquan.review.graphql.mutations.payloads import ReviewSessionPayload, session_payload
from sanquan_sdk import Source


@strawberry.input(description="An installed indicator set (指标体系), by key and version.")
class IndicatorSetRef:
    key: str = bounded(limits.CODE, "The set's key, e.g. beijing-sanquan.")
    version: str | None = bounded(limits.CODE, "Newest when omitted.", default=None)


@strawberry.input(
    description="The last day (Beijing time) of each source's scoring; none may be in the past "
    "or beyond what the session's quarter allows. An omitted one: no deadline."
)
class DeadlinesInput:
    self_evaluation: date | None = strawberry.field(
        default=None, name="self", description="For self-evaluations (学校自评)."
    )
    peer: date | None = strawberry.field(default=None, description="For peer evaluations.")
    expert: date | None = strawberry.field(default=None, description="For expert scores.")


@strawberry.input(description="A new review session (点评工作会), created as a draft.")
class CreateReviewSessionInput:
    quarter: Quarter = strawberry.field(
        description=f"The quarter it reviews in. {limits.SCHEDULE.describe()}"
    )
    institution_codes: list[str] = bounded(
        limits.SESSION_CODE_LIST, "3–5 institutions, none already in a session of the quarter."
    )
    indicator_set: IndicatorSetRef = strawberry.field(
        description="The indicator set to pin, its newest version unless one is named."
    )
    title: str = bounded(limits.NAME, "A title for people; may be empty.", default="")
    min_experts: int = bounded(
        limits.MIN_EXPERTS,
        "Experts without a conflict of interest each institution needs (R11).",
        default=5,
    )
    deadlines: DeadlinesInput | None = strawberry.field(
        default=None, description="Each source's last day; none when omitted."
    )


@strawberry.type
class CreateReviewSession:
    @strawberry.mutation(description="Create a draft session of 3–5 institutions (ADMIN).")
    def create_review_session(
        self, info: Info, input: Annotated[CreateReviewSessionInput, INPUT]
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
