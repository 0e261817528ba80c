"""GraphQL for exports: a signed-in user asks for a download link to an export they may
read; the file itself is served at ``/exports/<secret>`` to the same account's token (see
:mod:`sanquan.app`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from sanquan import limits
from sanquan.api.bounds import INPUT, bounded
from sanquan.api.context import Info
from sanquan.api.enums import described_enum
from sanquan.api.errors import UserError, refusals
from sanquan.api.ids import parse_id
from sanquan.exports import service
from sanquan.exports.formats import ExportFormat
from sanquan.findings.graphql import ItemStatusType
from sanquan.findings.models import ItemStatus
from sanquan.quarter import Quarter
from sanquan.timeutil import current_quarter, to_beijing, utcnow

ExportKindType = described_enum(
    service.ExportKind,
    "What an export holds.",
    {
        service.ExportKind.PLAN_TABLE: "A plan's responsibility table (责任分工表): its tasks, "
        "their units and the quarter's progress; needs `plan`.",
        service.ExportKind.UNIT_TABLE: "One unit's tasks across plans (一张表) with the quarter's "
        "progress; needs `unit`.",
        service.ExportKind.SCORE_SHEET: "A session's scores the caller may see; needs `sessionId`.",
        service.ExportKind.SESSION_RESULTS: "A concluded session's results per institution and "
        "indicator; needs `sessionId`.",
        service.ExportKind.RECTIFICATION_LIST: "Rectification items (整改事项) with their "
        "status, filtered like `rectificationItems`.",
    },
    name="ExportKind",
)
ExportFormatType = described_enum(
    ExportFormat,
    "The file format of an export.",
    {
        ExportFormat.XLSX: "An Excel workbook (.xlsx).",
        ExportFormat.CSV: "Comma-separated text (.csv), UTF-8 with a byte-order mark for Excel.",
    },
    name="ExportFormat",
)


@strawberry.input(description="Which export to link to; each kind reads the fields it names.")
class ExportInput:
    kind: ExportKindType = strawberry.field(  # type: ignore[valid-type]
        description="What the export holds."
    )
    format: ExportFormatType = strawberry.field(  # type: ignore[valid-type]
        default=ExportFormat.XLSX, description="The file format."
    )
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
    status: ItemStatusType | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="RECTIFICATION_LIST: items of this status only."
    )
    overdue: bool = strawberry.field(
        default=False, description="RECTIFICATION_LIST: only items past due and not done."
    )

    def to_request(self) -> service.ExportRequest:
        return service.ExportRequest(
            kind=service.ExportKind(self.kind),
            plan=self.plan,
            unit=self.unit,
            unit_owner=self.unit_owner,
            session_id=parse_id(self.session_id, "ReviewSession") if self.session_id else None,
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
    file_name: str = strawberry.field(description="The name the file downloads under.")
    format: ExportFormatType = strawberry.field(  # type: ignore[valid-type]
        description="The file format."
    )
    rows: int = strawberry.field(description="Data rows in the export when the link was made.")
    expires_at: datetime = strawberry.field(description="When the link stops working.")


@strawberry.type(description="The download link made.")
class ExportLinkPayload:
    link: ExportLinkType | None = strawberry.field(description="Null when refused.")
    user_errors: list[UserError] = refusals()


@strawberry.type
class ExportMutation:
    @strawberry.mutation(
        description="A download link to an .xlsx or CSV export the caller may read: a plan's "
        "responsibility table, a unit's tasks, a session's score sheet or results, the "
        "rectification list."
    )
    def create_export_link(
        self, info: Info, input: Annotated[ExportInput, INPUT]
    ) -> ExportLinkPayload | None:
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
