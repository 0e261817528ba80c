"""A session's progress as GraphQL: the completeness view (R15) read once with
``ReviewSession.progress``, or followed live during the meeting with
``Subscription.sessionProgress``. Both are the commission's only: the view names the
experts, and who has scored what (R14).

A progress object is built whole in a worker thread (``SessionProgress.of``) and holds no
database row, so that the event loop, which resolves a subscription's messages, never
waits on the database.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from sanquan.api.context import Context, LiveInfo
from sanquan.api.ids import parse_id
from sanquan.auth.graphql import AccountType
from sanquan.auth.models import Role
from sanquan.institutions.graphql import InstitutionType
from sanquan.plugins.graphql import SourceType
from sanquan.review import conclusion, scoring, sessions
from sanquan.review import progress as domain
from sanquan.review.graphql.types import SessionStatusType
from sanquan.review.models import ReviewSession, SessionStatus


@strawberry.type(description="Indicators counted three ways.")
class ScoreCounts:
    submitted: int = strawberry.field(
        description="Required indicators with a submitted score: they count."
    )
    drafted: int = strawberry.field(
        description="Required indicators with a draft only: saved, not counted yet."
    )
    required: int = strawberry.field(
        description="Indicators to be scored: each expected reviewer's, added up."
    )


@strawberry.type(
    name="ReviewerProgress",
    description="One reviewer expected to score one institution from one source, and how far "
    "they have got.",
)
class ReviewerProgressType(ScoreCounts):
    reviewer_institution: InstitutionType | None = strawberry.field(
        description="The school reviewing: the institution itself for SELF, another school "
        "of the session for PEER; null for EXPERT."
    )
    reviewer_expert: AccountType | None = strawberry.field(
        description="The panel expert, for EXPERT; null otherwise."
    )
    complete: bool = strawberry.field(description="Every required indicator is submitted.")

    @classmethod
    def of(cls, found: domain.ReviewerProgress) -> ReviewerProgressType:
        return cls(
            reviewer_institution=InstitutionType.of(found.school) if found.school else None,
            reviewer_expert=AccountType.of(found.expert) if found.expert else None,
            complete=found.complete,
            submitted=len(found.submitted),
            drafted=found.drafted,
            required=found.required,
        )


@strawberry.type(
    name="SourceProgress", description="One source's reviewers of one institution (R9–R11)."
)
class SourceProgressType(ScoreCounts):
    source: SourceType = strawberry.field(  # type: ignore[valid-type]
        description="Self-evaluation, peer evaluation or expert review."
    )
    reviewers: list[ReviewerProgressType] = strawberry.field(
        description="Every reviewer expected: the school itself (SELF), each other school of "
        "the session (PEER), each panel expert not affiliated with the institution (EXPERT, "
        "R11); in session or panel order."
    )
    reviewers_needed: int = strawberry.field(
        description="Complete reviewers the conclusion needs (R15): all of them for SELF and "
        "PEER, the session's `minExperts` for EXPERT."
    )
    reviewers_complete: int = strawberry.field(
        description="Reviewers who have submitted every required indicator."
    )
    complete: bool = strawberry.field(description="`reviewersComplete` reaches `reviewersNeeded`.")

    @classmethod
    def of(cls, found: domain.SourceProgress) -> SourceProgressType:
        return cls(
            source=found.source,
            reviewers=[ReviewerProgressType.of(r) for r in found.reviewers],
            reviewers_needed=found.needed,
            reviewers_complete=found.complete_reviewers,
            complete=found.complete,
            submitted=found.submitted,
            drafted=found.drafted,
            required=found.required,
        )


@strawberry.type(
    name="InstitutionProgress",
    description="Everything expected about one institution of the session.",
)
class InstitutionProgressType(ScoreCounts):
    institution: InstitutionType = strawberry.field(description="The institution scored.")
    sources: list[SourceProgressType] = strawberry.field(
        description="SELF, PEER and EXPERT, in that order; a source the indicator set does "
        "not score is left out."
    )
    complete: bool = strawberry.field(description="Every source has what the conclusion needs.")

    @classmethod
    def of(cls, found: domain.InstitutionProgress) -> InstitutionProgressType:
        sources = [SourceProgressType.of(part) for part in found.sources]
        return cls(
            institution=InstitutionType.of(found.institution),
            sources=sources,
            complete=found.complete,
            submitted=sum(s.submitted for s in sources),
            drafted=sum(s.drafted for s in sources),
            required=sum(s.required for s in sources),
        )


@strawberry.type(
    name="SessionProgress",
    description="A session's completeness view (R15): for each institution and source, each "
    "reviewer expected and the indicators they have submitted, drafted and still owe; the "
    "counts add up per source, per institution and for the session.",
)
class SessionProgressType(ScoreCounts):
    status: SessionStatusType = strawberry.field(  # type: ignore[valid-type]
        description="The session's status: a live view's last message says CONCLUDED."
    )
    can_conclude: bool = strawberry.field(
        description="Whether `concludeReviewSession` would accept the session now: it is "
        "open and every institution is complete."
    )
    missing: list[str] = strawberry.field(
        description="What keeps the session from concluding, worded as `missingEvaluations`; "
        "empty once concluded."
    )
    institutions: list[InstitutionProgressType] = strawberry.field(
        description="The institutions under review, in session order."
    )
    signature: strawberry.Private[tuple[object, ...]]

    @classmethod
    def of(cls, found: domain.SessionProgress, missing: list[str]) -> SessionProgressType:
        institutions = [InstitutionProgressType.of(subject) for subject in found.institutions]
        return cls(
            status=SessionStatus(found.session.status),
            can_conclude=found.can_conclude,
            missing=missing,
            institutions=institutions,
            submitted=sum(i.submitted for i in institutions),
            drafted=sum(i.drafted for i in institutions),
            required=sum(i.required for i in institutions),
            signature=found.signature(),
        )


def progress_of(ctx: Context, session: ReviewSession) -> SessionProgressType:
    """The progress of ``session`` as it stands, for an ADMIN (FORBIDDEN otherwise)."""
    ctx.require(Role.ADMIN, what="progress")
    found = domain.session_progress(ctx.db, session, scoring.pinned_set(ctx.host, session))
    missing = []
    if session.status is not SessionStatus.CONCLUDED:
        missing = [m.describe().text(ctx.language) for m in conclusion.missing_in(found)]
    return SessionProgressType.of(found, missing)


@strawberry.type
class ReviewSubscription:
    @strawberry.subscription(
        description="A session's progress, live (ADMIN): the first message is the progress "
        "now, then a new one after each committed change to the session's scores or status, "
        "at most about four a second; the message that says CONCLUDED is the last. Over "
        "graphql-transport-ws at /graphql, the bearer token in `connection_init`'s payload "
        '(`{"Authorization": "Bearer …"}`).'
    )
    async def session_progress(
        self,
        info: LiveInfo,
        session_id: Annotated[strawberry.ID, strawberry.argument(description="The session.")],
    ) -> AsyncGenerator[SessionProgressType, None]:
        live = info.context
        live.require(Role.ADMIN, what="sessionProgress")
        key = parse_id(session_id, "ReviewSession")

        def read(ctx: Context) -> SessionProgressType:
            return progress_of(ctx, sessions.get_session(ctx.db, key))

        changes = live.changes(key)  # before the first read, so that no change is missed
        try:
            current = await live.read(read)
            yield current
            while current.status is not SessionStatus.CONCLUDED:
                await changes.wait()
                latest = await live.read(read)
                if latest.signature != current.signature:  # e.g. the same scores again
                    yield latest
                current = latest
        finally:
            changes.close()
