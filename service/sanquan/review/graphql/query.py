"""Reading review sessions: one by id, or a page of them by quarter and status."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from sanquan.api.bounds import After, Before, First, Last
from sanquan.api.context import Info
from sanquan.api.errors import Forbidden
from sanquan.api.ids import parse_id
from sanquan.api.pagination import Connection, Page, paginate
from sanquan.quarter import Quarter
from sanquan.review.graphql.session import ReviewSessionType, load_session
from sanquan.review.graphql.types import SessionStatusType
from sanquan.review.models import PanelMember, ReviewSession


@strawberry.type
class ReviewQuery:
    @strawberry.field(description="One review session by id; null when there is none.")
    def review_session(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The session's id.")],
    ) -> ReviewSessionType | None:
        row = load_session(info, parse_id(id, "ReviewSession"))
        return ReviewSessionType(row=row) if row else None

    @strawberry.field(description="Review sessions, by quarter then creation.")
    def review_sessions(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        quarter: Annotated[
            Quarter | None, strawberry.argument(description="Only sessions of this quarter.")
        ] = None,
        status: Annotated[
            SessionStatusType | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only sessions in this status."),
        ] = None,
        expert_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Only the sessions on whose panel this EXPERT account sits: ADMIN, "
                "or the expert themself (a panel is not public)."
            ),
        ] = None,
    ) -> Connection[ReviewSessionType]:
        query = select(ReviewSession).options(
            selectinload(ReviewSession.members), selectinload(ReviewSession.panel)
        )
        if quarter is not None:
            query = query.where(ReviewSession.quarter == str(quarter))
        if status is not None:
            query = query.where(ReviewSession.status == status)
        if expert_id is not None:
            principal = info.context.principal
            account_id = parse_id(expert_id, "Account")
            if not (principal.is_admin or principal.account_id == account_id):
                raise Forbidden("查看其他专家的点评安排")
            query = query.where(
                ReviewSession.id.in_(
                    select(PanelMember.session_id).where(PanelMember.account_id == account_id)
                )
            )
        return paginate(
            info.context.db,
            query,
            (ReviewSession.quarter, ReviewSession.id),
            lambda row: (row.quarter, row.id),
            lambda row: ReviewSessionType(row=row),
            Page(first, after, last, before),
        )
