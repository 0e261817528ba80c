"""``sanquan export`` and ``sanquan export-schema``: what the commission reads, as files."""

from __future__ import annotations

from pathlib import Path

import click

from sanquan.cli import messages as m
from sanquan.cli.core import Choice, Command, QuarterType, RecordId, Refused, argument, option
from sanquan.cli.output import say
from sanquan.cli.root import root

KINDS = {
    "plan-table": "PLAN_TABLE",
    "unit-table": "UNIT_TABLE",
    "scores": "SCORE_SHEET",
    "results": "SESSION_RESULTS",
    "rectification": "RECTIFICATION_LIST",
}
"""The exports by the names the command line uses → :class:`ExportKind` values."""
STATUSES = ("OPEN", "IN_PROGRESS", "DONE", "VERIFIED")
"""The values of :class:`sanquan.findings.models.ItemStatus`."""
FORMATS = ("xlsx", "csv")

OPTIONS = {
    "plan": "--plan",
    "unit": "--unit",
    "unit_owner": "--unit-owner",
    "session_id": "--session",
    "quarter": "--quarter",
    "institution_code": "--institution",
    "status": "--status",
    "only_overdue": "--overdue",
}
"""Export parameters → this command's options, so that errors name what the user typed."""


@root.command("export", cls=Command, help=m.EXPORT_HELP)
@argument("kind", type=Choice(tuple(KINDS)), metavar=m.KIND)
@option("--plan", default=None, metavar=m.KEY, help=m.EXPORT_PLAN_HELP)
@option("--unit", default=None, metavar=m.UNIT, help=m.EXPORT_UNIT_HELP)
@option("--unit-owner", default="", metavar=m.SCHOOL, help=m.EXPORT_UNIT_OWNER_HELP)
@option(
    "--session",
    type=RecordId("ReviewSession"),
    default=None,
    metavar=m.ID,
    help=m.EXPORT_SESSION_HELP,
)
@option("--quarter", type=QuarterType(), default=None, metavar=m.QUARTER, help=m.QUARTER_HELP)
@option("--institution", default=None, metavar=m.CODE, help=m.EXPORT_INSTITUTION_HELP)
@option("--status", type=Choice(STATUSES), default=None, help=m.EXPORT_STATUS_HELP)
@option("--overdue", is_flag=True, help=m.EXPORT_OVERDUE_HELP)
@option(
    "--format",
    "export_format",
    type=Choice(FORMATS),
    default="xlsx",
    show_default=True,
    help=m.FORMAT_HELP,
)
@option(
    "--output", type=click.Path(path_type=Path), default=None, metavar=m.FILE, help=m.OUTPUT_HELP
)
def export(
    kind: str,
    plan: str | None,
    unit: str | None,
    unit_owner: str,
    session: int | None,
    quarter: str | None,
    institution: str | None,
    status: str | None,
    overdue: bool,
    export_format: str,
    output: Path | None,
) -> None:
    from sanquan.cli.context import command_line_admin, database, plugin_host, settings
    from sanquan.cli.core import Problem, refused_by_domain
    from sanquan.errors import DomainError, DomainErrors
    from sanquan.exports.formats import ExportFormat, render
    from sanquan.exports.service import FIELDS, ExportKind, ExportRequest, build, parameter_problems
    from sanquan.findings.models import ItemStatus
    from sanquan.timeutil import current_quarter

    wanted = ExportRequest(
        kind=ExportKind(KINDS[kind]),
        plan=plan,
        unit=unit,
        unit_owner=unit_owner,
        session_id=session,
        quarter=quarter,
        institution_code=institution,
        status=ItemStatus(status) if status else None,
        only_overdue=overdue,
    )
    missing, unused = parameter_problems(wanted)
    problems = [
        Problem("REQUIRED", m.EXPORT_NEEDS.format(option=OPTIONS[n], kind=kind), OPTIONS[n])
        for n in missing
    ] + [
        Problem("NOT_USED", m.EXPORT_UNUSED.format(option=OPTIONS[n], kind=kind), OPTIONS[n])
        for n in unused
    ]
    if problems:
        raise Refused(*problems)
    with database(settings()) as db:
        try:
            table = build(db, plugin_host(), command_line_admin(db), wanted, current_quarter())
        except (DomainError, DomainErrors) as error:
            options = {FIELDS[name]: flag for name, flag in OPTIONS.items()}
            raise refused_by_domain(error, options) from None
        db.commit()  # the command line's own account, made on first use
    chosen = ExportFormat(export_format.upper())
    target = output or Path(table.name + chosen.suffix)
    target.write_bytes(render(table, chosen))
    say(m.WROTE_ROWS.format(path=target, count=len(table.rows)))


@root.command("export-schema", cls=Command, help=m.EXPORT_SCHEMA_HELP)
@option(
    "--output",
    type=click.Path(path_type=Path),
    default=Path("schema.graphql"),
    show_default=True,
    metavar=m.FILE,
    help=m.SCHEMA_OUTPUT_HELP,
)
def export_schema(output: Path) -> None:
    from sanquan.api.schema import print_schema

    output.write_text(print_schema(), encoding="utf-8")
    say(m.WROTE.format(path=output))
