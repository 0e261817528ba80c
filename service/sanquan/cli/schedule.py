"""``sanquan schedule``: the three-year rotation, planned over the active pool."""

from __future__ import annotations

from typing import Any

from sanquan.cli import messages as m
from sanquan.cli.core import Choice, Command, Integer, QuarterType, json_option, option
from sanquan.cli.output import emit_json, note, print_table, say, table, working
from sanquan.cli.root import group
from sanquan.rotation.model import DEFAULTS, Policy

POLICIES = tuple(policy.value.lower() for policy in Policy)

OPTIONS = {
    "start": "--start",
    "sessionsPerQuarter": "--sessions-per-quarter",
    "policy": "--policy",
    "panelSize": "--panel-size",
}
"""The planner's input fields → this command's options, so that errors name what was typed."""

schedule = group("schedule", m.SCHEDULE_HELP)


@schedule.command("plan", cls=Command, help=m.PLAN_HELP)
@option("--start", type=QuarterType(), required=True, metavar=m.QUARTER, help=m.START_HELP)
@option(
    "--sessions-per-quarter",
    type=Integer(),
    default=DEFAULTS.sessions_per_quarter,
    metavar="K",
    help=m.SESSIONS_PER_QUARTER_HELP,
)
@option(
    "--policy",
    type=Choice(POLICIES),
    default=DEFAULTS.policy.value.lower(),
    show_default=True,
    help=m.POLICY_HELP,
)
@option(
    "--panel-size",
    type=Integer(),
    default=DEFAULTS.panel_size,
    show_default=True,
    metavar="N",
    help=m.PANEL_SIZE_HELP,
)
@option("--save", is_flag=True, help=m.SAVE_HELP)
@json_option()
def plan(
    start: str,
    sessions_per_quarter: int | None,
    policy: str,
    panel_size: int,
    save: bool,
    as_json: bool,
) -> None:
    from sqlalchemy import select

    from sanquan.api.ids import global_id
    from sanquan.auth.models import Account
    from sanquan.cli.context import command_line_admin, database, plugin_host, settings
    from sanquan.cli.core import refused_by_domain
    from sanquan.errors import DomainError, DomainErrors
    from sanquan.institutions.models import Institution
    from sanquan.quarter import Quarter
    from sanquan.rotation.service import PlanOptions, compute, make_draft

    first = Quarter.parse(start)
    options = PlanOptions(
        start=first,
        sessions_per_quarter=sessions_per_quarter,
        policy=Policy(policy.upper()),
        panel_size=panel_size,
    )
    with database(settings()) as db:
        try:
            with working(m.PLANNING):
                host = plugin_host()
                planned = compute(db, host, options)
                draft = make_draft(db, host, command_line_admin(db), options) if save else None
                db.commit()
        except (DomainError, DomainErrors) as error:
            raise refused_by_domain(error, _options(error)) from None
        names = {
            code: name for code, name in db.execute(select(Institution.code, Institution.name))
        }
        experts = {id_: name for id_, name in db.execute(select(Account.id, Account.name))}
    panels = {(p.quarter, p.index): p.expert_ids for p in planned.panels}
    sessions: list[dict[str, Any]] = [
        {
            "quarter": str(s.quarter),
            "index": s.index,
            "institutions": [{"code": c, "name": names[c]} for c in s.codes],
            "panel": [
                {"id": global_id("Account", e), "name": experts[e]}
                for e in panels.get((s.quarter, s.index), ())
            ],
        }
        for s in planned.plan.sessions
    ]
    per_quarter = planned.plan.request.sessions_per_quarter
    if as_json:
        emit_json(
            {
                "start": str(first),
                "sessionsPerQuarter": per_quarter,
                "draftPlanId": str(draft.id) if draft is not None else None,
                "sessions": sessions,
            }
        )
        return
    shown = table(
        m.ROTATION_TITLE.format(first=first, last=first.plus(11)),
        [m.QUARTER_COLUMN, *(m.SESSION_COLUMN.format(n=n + 1) for n in range(per_quarter))],
    )
    for quarter in sorted({s.quarter for s in planned.plan.sessions}):
        row = [s for s in sessions if s["quarter"] == str(quarter)]
        shown.add_row(str(quarter), *("、".join(i["name"] for i in s["institutions"]) for s in row))
    print_table(shown)
    if draft is not None:
        say(m.DRAFT_SAVED.format(id=draft.id))
    elif panel_size:
        note(m.PANELS_IN_JSON)


def _options(error: Exception) -> dict[str, str]:
    """The options to name in ``error``'s messages. The planner's explanation of why no
    plan fits is about the whole request, though the API files it under ``start``."""
    from sanquan.errors import DomainError, ErrorCode

    if isinstance(error, DomainError) and error.code is ErrorCode.ROTATION_INFEASIBLE:
        return {k: v for k, v in OPTIONS.items() if k != "start"}
    return OPTIONS
