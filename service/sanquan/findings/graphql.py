"""GraphQL for findings: the commission raises them (typed in, or from the drafts of the
diagnosis) and verifies them; a school reports progress on its own rectification items;
readers see them by role and relation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry
from sqlalchemy import select

from sanquan import limits
from sanquan.api.bounds import (
    INPUT,
    After,
    Before,
    First,
    Last,
    OptionalCode,
    SessionId,
    bounded,
)
from sanquan.api.context import Info
from sanquan.api.enums import described_enum
from sanquan.api.errors import Forbidden, UserError, refusals
from sanquan.api.ids import global_id, parse_id
from sanquan.api.nodes import Node, by_row
from sanquan.api.pagination import Connection, Page, paginate
from sanquan.auth.models import Role
from sanquan.findings import service
from sanquan.findings.drafts import DraftBasis, FindingDraft
from sanquan.findings.models import Finding, FindingKind, ItemStatus
from sanquan.institutions.graphql import InstitutionType
from sanquan.institutions.models import Institution
from sanquan.institutions.service import get_institution
from sanquan.quarter import Quarter
from sanquan.review.graphql.session import ReviewSessionType
from sanquan.review.models import ReviewSession, SessionStatus
from sanquan.review.sessions import get_session
from sanquan.timeutil import current_quarter, to_beijing

FindingKindType = described_enum(
    FindingKind,
    "What a finding (点评发现) is.",
    {
        FindingKind.HIGHLIGHT: "A highlight (亮点): good practice worth spreading; not tracked.",
        FindingKind.RECTIFICATION: "A rectification item (整改事项): something the school must "
        "put right by a due quarter, tracked to closure.",
    },
    name="FindingKind",
)
ItemStatusType = described_enum(
    ItemStatus,
    "Where a rectification item (整改事项) stands: OPEN → IN_PROGRESS → DONE → VERIFIED (R18).",
    {
        ItemStatus.OPEN: "Raised; nothing reported yet.",
        ItemStatus.IN_PROGRESS: "The school reports work under way.",
        ItemStatus.DONE: "The school reports it put right; awaits verification.",
        ItemStatus.VERIFIED: "The commission checked it at a later review of the school; closed.",
    },
    name="RectificationStatus",
)
DraftBasisType = described_enum(
    DraftBasis,
    "Which part of the session's diagnosis (R17) a finding draft comes from.",
    {
        DraftBasis.HIGHLIGHT: "The combined value stands well above the session's mean for the "
        "indicator.",
        DraftBasis.WEAKNESS: "The combined value stands well below the session's mean.",
        DraftBasis.SELF_GAP: "The school rates itself well above what its peers and experts saw.",
    },
    name="FindingDraftBasis",
)


@strawberry.type(
    name="ProgressNote",
    description="A school's progress note on a rectification item (整改进展), or the "
    "commission's note on verifying it.",
)
class ProgressNoteType:
    text: str = strawberry.field(description="What was done.")
    evidence: str = strawberry.field(description="Where the evidence is; may be empty.")
    status: ItemStatusType = strawberry.field(  # type: ignore[valid-type]
        description="The item's status the note set."
    )
    author: str = strawberry.field(description="The name of the account that wrote it.")
    written_at: datetime = strawberry.field(description="When (Beijing time).")


@strawberry.type(name="Finding", description="A highlight (亮点) or rectification item (整改事项).")
class FindingType(Node):
    row: strawberry.Private[Finding]
    quarter: strawberry.Private[Quarter]

    @strawberry.field(description="The finding's global id, as mutations take it.")
    def id(self) -> strawberry.ID:
        return global_id("Finding", self.row.id)

    @classmethod
    def fetch(cls, info: Info, key: str) -> Self | None:
        """As `ReviewSession.findings` shows them: a school its own, an expert those of
        the sessions on whose panel they sit, ADMIN and VIEWER all, a unit none."""
        row = by_row(info.context.db, Finding, key)
        if row is None:
            return None
        try:
            session = get_session(info.context.db, row.session_id)
            scope = service.reader_scope(info.context.principal, session)
        except Forbidden:
            return None
        if scope is not None and row.institution_id != scope:
            return None
        return cls(row=row, quarter=current_quarter())

    @strawberry.field(description="Highlight or rectification item.")
    def kind(self) -> FindingKindType:  # type: ignore[valid-type]
        return FindingKind(self.row.kind)

    @strawberry.field(description="The institution it is about.")
    def institution(self) -> InstitutionType:
        return InstitutionType.of(self.row.institution)

    @strawberry.field(description="The review session that raised it.")
    def session(self, info: Info) -> ReviewSessionType:
        return ReviewSessionType(row=get_session(info.context.db, self.row.session_id))

    @strawberry.field(
        description="The global id of the session that raised it.",
        deprecation_reason="Use `session { id }`; removed in 0.3.0.",
    )
    def session_id(self) -> strawberry.ID:
        return global_id("ReviewSession", self.row.session_id)

    @strawberry.field(description="The indicator's code it concerns; null for a general one.")
    def indicator(self) -> str | None:
        return self.row.indicator_code

    @strawberry.field(description="A short title, in Chinese.")
    def title(self) -> str:
        return self.row.title

    @strawberry.field(description="What was found; may be empty.")
    def description(self) -> str:
        return self.row.description

    @strawberry.field(description="Who in the school answers for it (rectification items).")
    def owner(self) -> str:
        return self.row.owner

    @strawberry.field(
        description="The quarter a rectification item is due by; null for highlights."
    )
    def due_quarter(self) -> Quarter | None:
        return Quarter.parse(self.row.due_quarter) if self.row.due_quarter else None

    @strawberry.field(description="Null for highlights.")
    def status(self) -> ItemStatusType | None:  # type: ignore[valid-type]
        return ItemStatus(self.row.status) if self.row.status else None

    @strawberry.field(description="Not done and past its due quarter (derived, never stored).")
    def overdue(self) -> bool:
        return service.is_overdue(self.row, self.quarter)

    @strawberry.field(description="When it was raised (Beijing time).")
    def raised_at(self) -> datetime:
        return to_beijing(self.row.raised_at)

    @strawberry.field(description="When it was verified; null until then.")
    def verified_at(self) -> datetime | None:
        return to_beijing(self.row.verified_at) if self.row.verified_at else None

    @strawberry.field(
        description="The later review session at which the commission verified it; null "
        "until verified, or when it was verified outside a session."
    )
    def verified_in(self, info: Info) -> ReviewSessionType | None:
        found = self.row.verified_in_session_id
        row = info.context.db.get(ReviewSession, found) if found else None
        return ReviewSessionType(row=row) if row else None

    @strawberry.field(
        description="The global id of the session at which it was verified.",
        deprecation_reason="Use `verifiedIn { id }`; removed in 0.3.0.",
    )
    def verified_in_session_id(self) -> strawberry.ID | None:
        found = self.row.verified_in_session_id
        return global_id("ReviewSession", found) if found else None

    @strawberry.field(description="Progress notes, oldest first; empty for highlights.")
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
    institution: InstitutionType = strawberry.field(description="The institution it is about.")
    kind: FindingKindType = strawberry.field(  # type: ignore[valid-type]
        description="Highlight or rectification item."
    )
    indicator: str = strawberry.field(description="The indicator's code.")
    title: str = strawberry.field(description="A suggested title.")
    description: str = strawberry.field(description="A suggested description, with the figures.")
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
        status: Annotated[
            ItemStatusType | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only items in this status."),
        ] = None,
        overdue: Annotated[
            bool, strawberry.argument(description="Only items past due and not done.")
        ] = False,
        for_session: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="A session: the open items of its institutions raised at earlier "
                "reviews."
            ),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[FindingType] | None:
        db = info.context.db
        session = get_session(db, parse_id(for_session, "ReviewSession")) if for_session else None
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
            Page(first, after, last, before),
        )

    @strawberry.field(
        description="The findings raised in a session.",
        deprecation_reason="Use `reviewSession(id:) { findings }`, which pages; removed in 0.3.0.",
    )
    def findings(self, info: Info, session_id: SessionId) -> list[FindingType]:
        db = info.context.db
        session = get_session(db, parse_id(session_id, "ReviewSession"))
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
        self, info: Info, session_id: SessionId, institution_code: OptionalCode = None
    ) -> list[FindingDraftType] | None:
        ctx = info.context
        ctx.require(Role.ADMIN, what="findingDrafts")
        session = get_session(ctx.db, parse_id(session_id, "ReviewSession"))
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


@strawberry.input(description="A finding to raise for a school of a concluded session.")
class RaiseFindingInput:
    session_id: strawberry.ID = strawberry.field(description="The session that raises it.")
    institution_code: str = bounded(limits.CODE, "The school it is about, one of the session's.")
    kind: FindingKindType = strawberry.field(  # type: ignore[valid-type]
        description="Highlight or rectification item."
    )
    title: str = bounded(limits.NAME, "A short title.")
    description: str = bounded(limits.TEXT, "What was found.", default="")
    indicator: str | None = bounded(
        limits.CODE, "The indicator it concerns, by code; none for a general one.", default=None
    )
    owner: str = bounded(limits.NAME, OWNER, default="")
    due_quarter: Quarter | None = strawberry.field(default=None, description=DUE_QUARTER)


@strawberry.input(description="A draft to raise, named by its kind and indicator.")
class DraftItemInput:
    kind: FindingKindType = strawberry.field(  # type: ignore[valid-type]
        description="The draft's kind."
    )
    indicator: str = bounded(limits.CODE, "The draft's indicator, by code.")
    owner: str = bounded(limits.NAME, OWNER, default="")
    due_quarter: Quarter | None = strawberry.field(default=None, description=DUE_QUARTER)
    title: str | None = bounded(limits.NAME, "Defaults to the draft's.", default=None)
    description: str | None = bounded(limits.TEXT, "Defaults to the draft's.", default=None)


@strawberry.input(description="Drafts of one school's diagnosis to raise as findings.")
class RaiseFindingsFromDraftsInput:
    session_id: strawberry.ID = strawberry.field(description="The concluded session.")
    institution_code: str = bounded(limits.CODE, "The school, one of the session's.")
    items: list[DraftItemInput] = bounded(limits.DRAFT_LIST, "Drafts of this school, at least one.")


@strawberry.input(description="A school's progress on one of its rectification items.")
class ReportProgressInput:
    finding_id: strawberry.ID = strawberry.field(description="The rectification item.")
    text: str = bounded(limits.TEXT, "What was done.")
    evidence: str = bounded(limits.TEXT, "Where the evidence is.", default="")
    status: ItemStatusType = strawberry.field(  # type: ignore[valid-type]
        default=ItemStatus.IN_PROGRESS,
        description="The item's status now: IN_PROGRESS or DONE; VERIFIED is the commission's.",
    )


@strawberry.input(description="A done rectification item the commission verifies.")
class VerifyItemInput:
    finding_id: strawberry.ID = strawberry.field(description="The rectification item.")
    session_id: strawberry.ID | None = strawberry.field(
        default=None, description="The later review of the school at which it was checked."
    )
    note: str = bounded(limits.TEXT, "What the commission found.", default="")


@strawberry.type(description="The finding raised or changed.")
class FindingPayload:
    finding: FindingType | None = strawberry.field(description="As it is now; null when refused.")
    user_errors: list[UserError] = refusals()


@strawberry.type(description="The findings raised, all or none.")
class FindingsPayload:
    findings: list[FindingType] = strawberry.field(
        description="In the order of the items; empty when refused."
    )
    user_errors: list[UserError] = refusals()


@strawberry.type
class FindingMutation:
    @strawberry.mutation(description="Raise a highlight or a rectification item (ADMIN).")
    def raise_finding(
        self, info: Info, input: Annotated[RaiseFindingInput, INPUT]
    ) -> FindingPayload | None:
        ctx = info.context
        actor = ctx.require(Role.ADMIN, what="raiseFinding")
        current = current_quarter()

        def action() -> Finding:
            new = service.NewFinding(
                session_id=parse_id(input.session_id, "ReviewSession"),
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
        self, info: Info, input: Annotated[RaiseFindingsFromDraftsInput, INPUT]
    ) -> FindingsPayload | None:
        ctx = info.context
        actor = ctx.require(Role.ADMIN, what="raiseFindingsFromDrafts")
        current = current_quarter()

        def action() -> list[Finding]:
            batch = service.DraftBatch(
                session_id=parse_id(input.session_id, "ReviewSession"),
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
        self, info: Info, input: Annotated[ReportProgressInput, INPUT]
    ) -> FindingPayload | None:
        ctx = info.context
        actor = ctx.require(Role.INSTITUTION, what="reportRectificationProgress")
        row, errors = ctx.mutate(
            lambda: service.report_progress(
                ctx.db,
                actor,
                parse_id(input.finding_id, "Finding"),
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
        self, info: Info, input: Annotated[VerifyItemInput, INPUT]
    ) -> FindingPayload | None:
        ctx = info.context
        actor = ctx.require(Role.ADMIN, what="verifyRectificationItem")
        row, errors = ctx.mutate(
            lambda: service.verify_item(
                ctx.db,
                actor,
                parse_id(input.finding_id, "Finding"),
                parse_id(input.session_id, "ReviewSession") if input.session_id else None,
                input.note,
            )
        )
        return FindingPayload(
            finding=FindingType(row=row, quarter=current_quarter()) if row else None,
            user_errors=errors,
        )
