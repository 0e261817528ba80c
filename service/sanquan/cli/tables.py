"""``sanquan tables``: the responsibility tables (一张表) shipped as plans."""

from __future__ import annotations

from sanquan.cli import messages as m
from sanquan.cli.core import Command, Refused, option
from sanquan.cli.output import say
from sanquan.cli.root import group

tables = group("tables", m.TABLES_HELP)


@tables.command("import", cls=Command, help=m.TABLES_IMPORT_HELP)
@option("--plan", "plans", multiple=True, metavar=m.KEY, help=m.PLAN_KEYS_HELP)
def import_plans(plans: tuple[str, ...]) -> None:
    from sanquan.cli.context import database, settings
    from sanquan.cli.core import refused_by_domain
    from sanquan.errors import DomainError
    from sanquan.tables.service import import_plans
    from sanquan.tables.shipped import SHIPPED_PLANS, UnknownPlanKeys, shipped_plans

    try:
        sources = shipped_plans(list(plans) or None)
    except UnknownPlanKeys as error:
        raise Refused(
            m.UNKNOWN_PLAN_KEYS.format(keys=", ".join(error.keys), known=", ".join(SHIPPED_PLANS)),
            code="UNKNOWN_WORK_PLAN",
        ) from None
    with database(settings()) as db:
        try:
            imported = import_plans(db, sources)
        except DomainError as error:
            raise refused_by_domain(error) from None
        db.commit()
        for plan in imported:
            say(m.PLAN_IMPORTED.format(key=plan.key, document=plan.document, count=len(plan.tasks)))
