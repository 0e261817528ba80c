"""GraphQL for exports: a signed-in user asks for a download link to an export they may
read; the file itself is served at ``/exports/<secret>`` to the same account's token (see
:mod:`sanquan.app`)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from sanquan import limits
from sanquan.api.bounds import bounded
from sanquan.api.context import Info
from sanquan.api.errors import UserError
from sanquan.api.ids import parse_id
from sanquan.exports import service
from sanquan.exports.formats import ExportFormat
from sanquan.findings.graphql import ItemStatusType
from sanquan.findings.models import ItemStatus
from sanquan.quarter import Quarter
from sanquan.timeutil import current_quarter, to_beijing, utcnow

ExportKindType = strawberry.enum(service.ExportKind, name="ExportKind")
ExportFormatType = strawberry.enum(ExportFormat, name="ExportFormat")


@strawberry.input
class ExportInput:
    kind: ExportKindType  # type: ignore[valid-type]
    format: ExportFormatType = ExportFormat.XLSX  # type: ignore[valid-type]
    plan: str | None = bounded(limits.CODE, "PLAN_TABLE: the plan key.", default=None)
    unit: str | None = bounded(
        limits.NAME, "UNIT_TABLE: the unit's name (aliases work).", default=None
    )
    unit_owner: str = bounded(
        limits.NAME, "UNIT_TABLE: the school owning the unit; empty: municipal.", default=""
    )
    session_id: strawberry.ID | None = strawberry.field(
        default=None, description="SCORE_SHEET and SESSION_RESULTS: the session."
    )
    quarter: Quarter | None = strawberry.field(
        default=None, description="The tables' progress quarter; the current one when omitted."
    )
    institution_code: str | None = bounded(
        limits.CODE, "RECTIFICATION_LIST: one school's items only.", default=None
    )
    status: ItemStatusType | None = None  # type: ignore[valid-type]
    overdue: bool = strawberry.field(
        default=False, description="RECTIFICATION_LIST: only items past due and not done."
    )

    def to_request(self) -> service.ExportRequest:
        return service.ExportRequest(
            kind=service.ExportKind(self.kind),
            plan=self.plan,
            unit=self.unit,
            unit_owner=self.unit_owner,
            session_id=parse_id(self.session_id) if self.session_id else None,
            quarter=str(self.quarter) if self.quarter else None,
            institution_code=self.institution_code,
            status=ItemStatus(self.status) if self.status else None,
            only_overdue=self.overdue,
        )


@strawberry.type(name="ExportLink", description="Where to download an export, for a while.")
class ExportLinkType:
    url: str = strawberry.field(
        description="Fetched with the asking account's bearer token until `expiresAt`; the "
        "file is built then, under that account's rights."
    )
    file_name: str
    format: ExportFormatType  # type: ignore[valid-type]
    rows: int = strawberry.field(description="Data rows in the export when the link was made.")
    expires_at: datetime


@strawberry.type
class ExportLinkPayload:
    link: ExportLinkType | None
    user_errors: list[UserError]


@strawberry.type
class ExportMutation:
    @strawberry.mutation(
        description="A download link to an .xlsx or CSV export the caller may read: a plan's "
        "responsibility table, a unit's tasks, a session's score sheet or results, the "
        "rectification list."
    )
    def create_export_link(self, info: Info, input: ExportInput) -> ExportLinkPayload | None:
        ctx = info.context
        export_format = ExportFormat(input.format)

        def action() -> ExportLinkType:
            request = input.to_request()
            # Built once now, so that a bad parameter or a missing right is told at once.
            table = service.build(ctx.db, ctx.host, ctx.principal, request, current_quarter())
            secret, link = service.create_link(
                ctx.db, ctx.principal, request, export_format, utcnow()
            )
            return ExportLinkType(
                url=f"{ctx.base_url}/exports/{secret}",
                file_name=table.name + export_format.suffix,
                format=export_format,
                rows=len(table.rows),
                expires_at=to_beijing(link.expires_at),
            )

        result, errors = ctx.mutate(action)
        return ExportLinkPayload(link=result, user_errors=errors)
