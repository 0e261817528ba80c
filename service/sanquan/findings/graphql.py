"""GraphQL for findings: the commission raises them (typed in, or from the drafts of the
diagnosis) and verifies them; a school reports progress on its own rectification items;
readers see them by role and relation."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy import select

from sanquan import limits
from sanquan.api.bounds import Cursor, OptionalCode, PageSize, bounded
from sanquan.api.context import Info
from sanquan.api.errors import Forbidden, UserError
from sanquan.api.ids import parse_id
from sanquan.api.pagination import Connection, paginate
from sanquan.auth.models import Role
from sanquan.findings import service
from sanquan.findings.drafts import DraftBasis, FindingDraft
from sanquan.findings.models import Finding, FindingKind, ItemStatus
from sanquan.institutions.graphql import InstitutionType
from sanquan.institutions.models import Institution
from sanquan.institutions.service import get_institution
from sanquan.quarter import Quarter
from sanquan.review.models import ReviewSession, SessionStatus
from sanquan.review.sessions import get_session
from sanquan.timeutil import current_quarter, to_beijing

FindingKindType = strawberry.enum(FindingKind, name="FindingKind")
ItemStatusType = strawberry.enum(ItemStatus, name="RectificationStatus")
DraftBasisType = strawberry.enum(DraftBasis, name="FindingDraftBasis")


@strawberry.type
class ProgressNoteType:
    text: str
    evidence: str
    status: ItemStatusType  # type: ignore[valid-type]
    author: str
    written_at: datetime


@strawberry.type(name="Finding", description="A highlight (亮点) or rectification item (整改事项).")
class FindingType:
    row: strawberry.Private[Finding]
    quarter: strawberry.Private[Quarter]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def kind(self) -> FindingKindType:  # type: ignore[valid-type]
        return FindingKind(self.row.kind)

    @strawberry.field
    def institution(self) -> InstitutionType:
        return InstitutionType.of(self.row.institution)

    @strawberry.field(description="The session that raised it.")
    def session_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.session_id))

    @strawberry.field
    def indicator(self) -> str | None:
        return self.row.indicator_code

    @strawberry.field
    def title(self) -> str:
        return self.row.title

    @strawberry.field
    def description(self) -> str:
        return self.row.description

    @strawberry.field(description="Who in the school answers for it (rectification items).")
    def owner(self) -> str:
        return self.row.owner

    @strawberry.field
    def due_quarter(self) -> Quarter | None:
        return Quarter.parse(self.row.due_quarter) if self.row.due_quarter else None

    @strawberry.field(description="Null for highlights.")
    def status(self) -> ItemStatusType | None:  # type: ignore[valid-type]
        return ItemStatus(self.row.status) if self.row.status else None

    @strawberry.field(description="Not done and past its due quarter (derived, never stored).")
    def overdue(self) -> bool:
        return service.is_overdue(self.row, self.quarter)

    @strawberry.field
    def raised_at(self) -> datetime:
        return to_beijing(self.row.raised_at)

    @strawberry.field
    def verified_at(self) -> datetime | None:
        return to_beijing(self.row.verified_at) if self.row.verified_at else None

    @strawberry.field(description="The later review at which the commission verified it.")
    def verified_in_session_id(self) -> strawberry.ID | None:
        found = self.row.verified_in_session_id
        return strawberry.ID(str(found)) if found else None

    @strawberry.field
    def notes(self) -> list[ProgressNoteType]:
        return [
            ProgressNoteType(
                text=n.text,
                evidence=n.evidence,
                status=n.status,
                author=n.author.name,
                written_at=to_beijing(n.written_at),
            )
            for n in self.row.notes
        ]


@strawberry.type(
    name="FindingDraft",
    description="A finding the session's diagnosis suggests (R17 → R18), worded with its "
    "figures; raise it with raiseFindingsFromDrafts.",
)
class FindingDraftType:
    institution: InstitutionType
    kind: FindingKindType  # type: ignore[valid-type]
    indicator: str
    title: str
    description: str
    bases: list[DraftBasisType] = strawberry.field(  # type: ignore[valid-type]
        description="The diagnosis behind it: HIGHLIGHT and WEAKNESS as in `diagnostics`, "
        "SELF_GAP for a self value well above the consensus; a rectification item may have "
        "both WEAKNESS and SELF_GAP."
    )
    raised: bool = strawberry.field(
        description="Already raised as a finding (same kind and indicator)."
    )
    raised_finding_id: strawberry.Private[int | None]

    @strawberry.field(description="The finding that raised it; null while it is still a draft.")
    def raised_finding(self, info: Info) -> FindingType | None:
        found = self.raised_finding_id
        row = info.context.db.get(Finding, found) if found is not None else None
        return FindingType(row=row, quarter=current_quarter()) if row else None

    @classmethod
    def of(cls, draft: FindingDraft, school: Institution) -> FindingDraftType:
        return cls(
            institution=InstitutionType.of(school),
            kind=draft.kind,
            indicator=draft.indicator,
            title=draft.title,
            description=draft.description,
            bases=list(draft.bases),
            raised=draft.raised_finding_id is not None,
            raised_finding_id=draft.raised_finding_id,
        )


@strawberry.type
class FindingQuery:
    @strawberry.field(
        description="Rectification items, filtered. `overdue`: only those past due and not "
        "done. `forSession`: the items still open of that session's institutions raised at "
        "earlier reviews (what to look at when preparing it). Schools see their own only."
    )
    def rectification_items(
        self,
        info: Info,
        institution_code: OptionalCode = None,
        status: ItemStatusType | None = None,  # type: ignore[valid-type]
        overdue: bool = False,
        for_session: strawberry.ID | None = None,
        first: PageSize = None,
        after: Cursor = None,
    ) -> Connection[FindingType] | None:
        db = info.context.db
        session = get_session(db, parse_id(for_session)) if for_session else None
        scope = service.reader_scope(info.context.principal, session)
        institution_id = None
        if institution_code:
            institution_id = get_institution(db, institution_code, ("institutionCode",)).id
            if scope is not None and institution_id != scope:
                raise Forbidden("查看其他高校的整改事项")
        current = current_quarter()
        query = service.items_query(
            institution_id=institution_id if institution_id is not None else scope,
            status=ItemStatus(status) if status else None,
            only_overdue=overdue,
            current=current,
        )
        if session is not None:
            query = query.where(
                Finding.institution_id.in_([m.institution_id for m in session.members]),
                Finding.status != ItemStatus.VERIFIED,
                Finding.session_id.in_(
                    select(ReviewSession.id).where(ReviewSession.quarter < session.quarter)
                ),
            )
        return paginate(
            db,
            query,
            (Finding.id,),
            lambda row: (row.id,),
            lambda row: FindingType(row=row, quarter=current),
            first,
            after,
        )

    @strawberry.field(description="The findings raised in a session.")
    def findings(self, info: Info, session_id: strawberry.ID) -> list[FindingType]:
        db = info.context.db
        session = get_session(db, parse_id(session_id))
        scope = service.reader_scope(info.context.principal, session)
        query = select(Finding).where(Finding.session_id == session.id).order_by(Finding.id)
        if scope is not None:
            query = query.where(Finding.institution_id == scope)
        current = current_quarter()
        return [FindingType(row=row, quarter=current) for row in db.scalars(query)]

    @strawberry.field(
        description="What the session's diagnosis suggests raising (ADMIN), per school in "
        "session order: a highlight per indicator well above the session's level, then a "
        "rectification item per indicator well below it or over-rated by the school itself. "
        "Drafts already raised are marked. Null until the session is concluded."
    )
    def finding_drafts(
        self, info: Info, session_id: strawberry.ID, institution_code: OptionalCode = None
    ) -> list[FindingDraftType] | None:
        ctx = info.context
        ctx.require(Role.ADMIN, what="findingDrafts")
        session = get_session(ctx.db, parse_id(session_id))
        if session.status is not SessionStatus.CONCLUDED:
            return None
        school = service.member(ctx.db, session, institution_code) if institution_code else None
        schools = {m.institution_id: m.institution for m in session.members}
        return [
            FindingDraftType.of(draft, schools[draft.institution_id])
            for draft in service.session_drafts(ctx.db, ctx.host, session, school)
        ]


OWNER = "Who in the school answers for it; required for rectification items."
DUE_QUARTER = f"Required for rectification items; not in the past. {limits.SCHEDULE.describe()}"


@strawberry.input
class RaiseFindingInput:
    session_id: strawberry.ID
    institution_code: str = bounded(limits.CODE)
    kind: FindingKindType  # type: ignore[valid-type]
    title: str = bounded(limits.NAME)
    description: str = bounded(limits.TEXT, default="")
    indicator: str | None = bounded(limits.CODE, default=None)
    owner: str = bounded(limits.NAME, OWNER, default="")
    due_quarter: Quarter | None = strawberry.field(default=None, description=DUE_QUARTER)


@strawberry.input(description="A draft to raise, named by its kind and indicator.")
class DraftItemInput:
    kind: FindingKindType  # type: ignore[valid-type]
    indicator: str = bounded(limits.CODE)
    owner: str = bounded(limits.NAME, OWNER, default="")
    due_quarter: Quarter | None = strawberry.field(default=None, description=DUE_QUARTER)
    title: str | None = bounded(limits.NAME, "Defaults to the draft's.", default=None)
    description: str | None = bounded(limits.TEXT, "Defaults to the draft's.", default=None)


@strawberry.input
class RaiseFindingsFromDraftsInput:
    session_id: strawberry.ID
    institution_code: str = bounded(limits.CODE)
    items: list[DraftItemInput] = bounded(limits.DRAFT_LIST, "Drafts of this school, at least one.")


@strawberry.input
class ReportProgressInput:
    finding_id: strawberry.ID
    text: str = bounded(limits.TEXT)
    evidence: str = bounded(limits.TEXT, default="")
    status: ItemStatusType = ItemStatus.IN_PROGRESS  # type: ignore[valid-type]


@strawberry.input
class VerifyItemInput:
    finding_id: strawberry.ID
    session_id: strawberry.ID | None = strawberry.field(
        default=None, description="The later review of the school at which it was checked."
    )
    note: str = bounded(limits.TEXT, default="")


@strawberry.type
class FindingPayload:
    finding: FindingType | None
    user_errors: list[UserError]


@strawberry.type
class FindingsPayload:
    findings: list[FindingType]
    user_errors: list[UserError]


@strawberry.type
class FindingMutation:
    @strawberry.mutation(description="Raise a highlight or a rectification item (ADMIN).")
    def raise_finding(self, info: Info, input: RaiseFindingInput) -> FindingPayload | None:
        ctx = info.context
        actor = ctx.require(Role.ADMIN, what="raiseFinding")
        current = current_quarter()

        def action() -> Finding:
            new = service.NewFinding(
                session_id=parse_id(input.session_id),
                institution_code=input.institution_code,
                kind=FindingKind(input.kind),
                title=input.title,
                description=input.description,
                indicator=input.indicator,
                owner=input.owner,
                due_quarter=input.due_quarter,
            )
            return service.raise_finding(ctx.db, ctx.host, actor, new, current=current)

        row, errors = ctx.mutate(action)
        return FindingPayload(
            finding=FindingType(row=row, quarter=current) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Raise several drafts of one school at once, all or none (ADMIN); each "
        "item passes the checks of raiseFinding, and errors name `items.<index>.<field>`."
    )
    def raise_findings_from_drafts(
        self, info: Info, input: RaiseFindingsFromDraftsInput
    ) -> FindingsPayload | None:
        ctx = info.context
        actor = ctx.require(Role.ADMIN, what="raiseFindingsFromDrafts")
        current = current_quarter()

        def action() -> list[Finding]:
            batch = service.DraftBatch(
                session_id=parse_id(input.session_id),
                institution_code=input.institution_code,
                items=[
                    service.DraftChoice(
                        kind=FindingKind(item.kind),
                        indicator=item.indicator,
                        owner=item.owner,
                        due_quarter=item.due_quarter,
                        title=item.title,
                        description=item.description,
                    )
                    for item in input.items
                ],
            )
            return service.raise_drafts(ctx.db, ctx.host, actor, batch, current=current)

        rows, errors = ctx.mutate(action)
        return FindingsPayload(
            findings=[FindingType(row=row, quarter=current) for row in rows or []],
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Report progress on one of your school's rectification items (INSTITUTION)."
    )
    def report_rectification_progress(
        self, info: Info, input: ReportProgressInput
    ) -> FindingPayload | None:
        ctx = info.context
        actor = ctx.require(Role.INSTITUTION, what="reportRectificationProgress")
        row, errors = ctx.mutate(
            lambda: service.report_progress(
                ctx.db,
                actor,
                parse_id(input.finding_id),
                input.text,
                input.evidence,
                ItemStatus(input.status),
            )
        )
        return FindingPayload(
            finding=FindingType(row=row, quarter=current_quarter()) if row else None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Verify a done rectification item (ADMIN).")
    def verify_rectification_item(
        self, info: Info, input: VerifyItemInput
    ) -> FindingPayload | None:
        ctx = info.context
        actor = ctx.require(Role.ADMIN, what="verifyRectificationItem")
        row, errors = ctx.mutate(
            lambda: service.verify_item(
                ctx.db,
                actor,
                parse_id(input.finding_id),
                parse_id(input.session_id) if input.session_id else None,
                input.note,
            )
        )
        return FindingPayload(
            finding=FindingType(row=row, quarter=current_quarter()) if row else None,
            user_errors=errors,
        )
