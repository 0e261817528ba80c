"""GraphQL for the responsibility tables ("一张表"): plans, their tasks with the units in
document order (lead first), each unit's tasks, quarterly progress; every signed-in user
reads them, a unit reports on its own tasks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Self

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from sanquan import limits
from sanquan.api.bounds import INPUT, Code, OptionalName, bounded
from sanquan.api.context import Info, selects
from sanquan.api.enums import described_enum
from sanquan.api.errors import UserError, refusals
from sanquan.api.ids import global_id
from sanquan.api.nodes import Node, by_row
from sanquan.auth.models import Role
from sanquan.quarter import Quarter
from sanquan.tables import service
from sanquan.tables.models import (
    PlanTask,
    ProgressReport,
    ProgressStatus,
    ResponsibleUnit,
    WorkPlan,
)
from sanquan.tables.units import MUNICIPAL
from sanquan.timeutil import to_beijing

ProgressStatusType = described_enum(
    ProgressStatus,
    "Where a task stands in a unit's quarterly report.",
    {
        ProgressStatus.ON_TRACK: "On track (按计划推进).",
        ProgressStatus.BEHIND: "Behind schedule (进度滞后).",
        ProgressStatus.DONE: "Done (已完成).",
    },
    name="ProgressStatus",
)


@strawberry.type(name="ResponsibleUnit", description="A responsible unit (责任单位).")
class UnitType(Node):
    row: strawberry.Private[ResponsibleUnit]

    @strawberry.field(description="The unit's global id.")
    def id(self) -> strawberry.ID:
        return global_id("ResponsibleUnit", self.row.id)

    @classmethod
    def fetch(cls, info: Info, key: str) -> Self | None:
        """The tables are read by every signed-in account."""
        row = by_row(info.context.db, ResponsibleUnit, key)
        return cls(row=row) if row else None

    @strawberry.field(
        description="The short name the plan writes (市委教育工委, 市教委, 党委宣传部 …)."
    )
    def name(self) -> str:
        return self.row.short_name

    @strawberry.field(description="The unit's full official name.")
    def full_name(self) -> str:
        return self.row.full_name

    @strawberry.field(description="Empty for a municipal unit, else the school it belongs to.")
    def owner(self) -> str:
        return self.row.owner

    @strawberry.field(description="Every task this unit answers for, in every plan (一张表).")
    def tasks(self, info: Info) -> list[TaskType]:
        return listed(info, service.unit_tasks(info.context.db, self.row))


@strawberry.type(name="TaskUnit", description="A unit's part in a task.")
class TaskUnitType:
    unit: UnitType = strawberry.field(description="The responsible unit.")
    lead: bool = strawberry.field(description="牵头单位: listed first by the plan.")


@strawberry.type(
    name="ProgressReport", description="A unit's report on one task for one quarter (进展)."
)
class ProgressReportType:
    row: strawberry.Private[ProgressReport]

    @strawberry.field(description="The unit that reported.")
    def unit(self) -> UnitType:
        return UnitType(row=self.row.unit)

    @strawberry.field(description="The quarter reported on.")
    def quarter(self) -> Quarter:
        return Quarter.parse(self.row.quarter)

    @strawberry.field(description="Where the task stands.")
    def status(self) -> ProgressStatusType:  # type: ignore[valid-type]
        return ProgressStatus(self.row.status)

    @strawberry.field(description="What the unit did, in its words.")
    def text(self) -> str:
        return self.row.text

    @strawberry.field(description="When the report was last written (Beijing time).")
    def reported_at(self) -> datetime:
        return to_beijing(self.row.reported_at)


@strawberry.type(name="Task", description="A task (任务) of a plan.")
class TaskType(Node):
    row: strawberry.Private[PlanTask]

    @strawberry.field(description="The task's global id.")
    def id(self) -> strawberry.ID:
        return global_id("Task", self.row.id)

    @classmethod
    def fetch(cls, info: Info, key: str) -> Self | None:
        """The tables are read by every signed-in account."""
        row = by_row(info.context.db, PlanTask, key)
        return cls(row=row) if row else None

    @strawberry.field(
        description="The task's number in the plan (1–20 for 京教组发[2019]3号, 1–22 for the "
        "ideology-work measures)."
    )
    def number(self) -> int:
        return self.row.number

    @strawberry.field(description="The plan the task belongs to.")
    def plan(self) -> PlanType:
        return PlanType(row=self.row.plan)

    @strawberry.field(description="The task's title, as the plan writes it.")
    def title(self) -> str:
        return self.row.title

    @strawberry.field(description="The part of the plan the task belongs to.")
    def section(self) -> str:
        return self.row.section

    @strawberry.field(description="What the plan says the task is, after its title.")
    def body(self) -> str:
        return self.row.body

    @strawberry.field(description="Responsible units in document order, the lead first.")
    def units(self) -> list[UnitType]:
        return [UnitType(row=a.unit) for a in self.row.assignments]

    @strawberry.field(description="Responsible units in document order, each marked lead or not.")
    def assignments(self) -> list[TaskUnitType]:
        return [
            TaskUnitType(unit=UnitType(row=a.unit), lead=a.position == 0)
            for a in self.row.assignments
        ]

    @strawberry.field(description="Progress reports, of one quarter when given.")
    def progress(
        self,
        info: Info,
        quarter: Annotated[
            Quarter | None, strawberry.argument(description="Only this quarter's reports.")
        ] = None,
    ) -> list[ProgressReportType]:
        return [ProgressReportType(row=row) for row in _reports(info, self.row.id, quarter)]


@strawberry.type(name="WorkPlan", description="A plan tracked by responsible units.")
class PlanType(Node):
    row: strawberry.Private[WorkPlan]

    @strawberry.field(description="The plan's global id; inputs name it by `key`.")
    def id(self) -> strawberry.ID:
        return global_id("WorkPlan", self.row.id)

    @classmethod
    def fetch(cls, info: Info, key: str) -> Self | None:
        """The tables are read by every signed-in account."""
        row = by_row(info.context.db, WorkPlan, key)
        return cls(row=row) if row else None

    @strawberry.field(description="The plan's key, e.g. jingjiaozufa-2019-3.")
    def key(self) -> str:
        return self.row.key

    @strawberry.field(description="The plan's title, in Chinese.")
    def title(self) -> str:
        return self.row.title

    @strawberry.field(
        description="The document number, e.g. 京教组发[2019]3号; issuer and date if it has none."
    )
    def document(self) -> str:
        return self.row.document

    @strawberry.field(description="Empty for a municipal plan, else the school that owns it.")
    def owner(self) -> str:
        return self.row.owner

    @strawberry.field(description="The plan's tasks, by number.")
    def tasks(self, info: Info) -> list[TaskType]:
        return listed(info, self.row.tasks)

    @strawberry.field(description="Tasks no unit has reported on for `quarter`.")
    def tasks_without_report(
        self,
        info: Info,
        quarter: Annotated[Quarter, strawberry.argument(description="The quarter to check.")],
    ) -> list[TaskType]:
        key = ("reported", str(quarter))
        if key not in info.context.cache:  # once a request, not once a plan
            info.context.cache[key] = set(
                info.context.db.scalars(
                    select(ProgressReport.task_id).where(ProgressReport.quarter == str(quarter))
                )
            )
        reported: set[int] = info.context.cache[key]
        return listed(info, [t for t in self.row.tasks if t.id not in reported])


LISTED = "tables.listed"
"""The request's memo of the tasks its lists have shown, by row id."""


def noted(info: Info, rows: Iterable[PlanTask]) -> None:
    """Note ``rows`` for the request: the first task whose ``progress`` is asked reads the
    reports of every task noted so far in one statement, where a statement a task made the
    tables page 50 statements (a plan's 20 tasks and more, each a round trip under the
    interpreter lock)."""
    info.context.cache.setdefault(LISTED, set()).update(row.id for row in rows)


def listed(info: Info, rows: Iterable[PlanTask]) -> list[TaskType]:
    """``rows`` as the answer's tasks, :func:`noted`."""
    tasks = list(rows)
    noted(info, tasks)
    return [TaskType(row=row) for row in tasks]


def _reports(info: Info, task_id: int, quarter: Quarter | None) -> list[ProgressReport]:
    """The task's progress reports (of ``quarter`` when given), by quarter then as written,
    read with those of every task noted and not yet read (:func:`noted`)."""
    cache = info.context.cache
    loaded: dict[int, list[ProgressReport]] = cache.setdefault(("progress", str(quarter)), {})
    if task_id not in loaded:
        wanted = sorted({task_id} | (cache.get(LISTED, set()) - loaded.keys()))
        query = select(ProgressReport).where(ProgressReport.task_id.in_(wanted))
        if quarter is not None:
            query = query.where(ProgressReport.quarter == str(quarter))
        for key in wanted:
            loaded[key] = []
        order = (ProgressReport.quarter, ProgressReport.id)
        for row in info.context.db.scalars(query.order_by(*order)):
            loaded[row.task_id].append(row)
    return loaded[task_id]


@strawberry.type
class TableQuery:
    @strawberry.field(description="Every plan tracked by responsibility tables.")
    def plans(self, info: Info) -> list[PlanType]:
        query = select(WorkPlan).order_by(WorkPlan.id)
        if not (selects(info, "tasks") or selects(info, "tasksWithoutReport")):
            return [PlanType(row=row) for row in info.context.db.scalars(query)]
        plans = list(info.context.db.scalars(query.options(selectinload(WorkPlan.tasks))))
        noted(info, (task for plan in plans for task in plan.tasks))  # all plans' at once
        return [PlanType(row=row) for row in plans]

    @strawberry.field(description="The tasks of one plan, by number, units lead first.")
    def tasks(self, info: Info, plan: Code) -> list[TaskType]:
        return listed(info, service.get_plan(info.context.db, plan).tasks)

    @strawberry.field(
        description='Every responsible unit, or those of one owner ("" for the municipal '
        "ones), or the one named (aliases work) among the owner's, municipal by default."
    )
    def responsible_units(
        self, info: Info, name: OptionalName = None, owner: OptionalName = None
    ) -> list[UnitType]:
        db = info.context.db
        if name is not None:
            return [UnitType(row=service.get_unit(db, name, ("name",), owner or MUNICIPAL))]
        query = select(ResponsibleUnit).order_by(ResponsibleUnit.id)
        if owner is not None:
            query = query.where(ResponsibleUnit.owner == owner)
        return [UnitType(row=row) for row in db.scalars(query)]


@strawberry.input(
    description="A unit's progress on one of its tasks for a quarter; reporting again replaces it."
)
class ReportTaskProgressInput:
    plan: str = bounded(limits.CODE, "The plan's key.")
    task_number: int = bounded(limits.TASK_NUMBER, "The task's number in the plan.")
    quarter: Quarter = strawberry.field(
        description=f"The quarter reported on. {limits.PROGRESS.describe()}"
    )
    status: ProgressStatusType = strawberry.field(  # type: ignore[valid-type]
        description="Where the task stands."
    )
    text: str = bounded(limits.TEXT, "What the unit did.")


@strawberry.type(description="The progress report stored.")
class ReportTaskProgressPayload:
    report: ProgressReportType | None = strawberry.field(description="Null when refused.")
    user_errors: list[UserError] = refusals()


@strawberry.type
class TableMutation:
    @strawberry.mutation(description="A unit's quarterly progress on one of its tasks (UNIT).")
    def report_task_progress(
        self, info: Info, input: Annotated[ReportTaskProgressInput, INPUT]
    ) -> ReportTaskProgressPayload | None:
        ctx = info.context
        actor = ctx.require(Role.UNIT, what="reportTaskProgress")
        row, errors = ctx.mutate(
            lambda: service.report_progress(
                ctx.db,
                actor,
                input.plan,
                input.task_number,
                input.quarter,
                ProgressStatus(input.status),
                input.text,
            )
        )
        return ReportTaskProgressPayload(
            report=ProgressReportType(row=row) if row else None, user_errors=errors
        )
