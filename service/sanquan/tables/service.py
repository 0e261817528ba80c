"""Importing a plan's tasks and units, the "一张表" views, and progress reports (R19–R21)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanquan.auth.models import Account, Role
from sanquan.auth.tokens import Principal
from sanquan.errors import DomainError, ErrorCode, Localized, clean_text, raise_all
from sanquan.limits import PROGRESS, TEXT_LENGTH
from sanquan.quarter import Quarter
from sanquan.tables.models import (
    PlanTask,
    ProgressReport,
    ProgressStatus,
    ResponsibleUnit,
    TaskUnit,
    WorkPlan,
)
from sanquan.tables.plan_text import ImportedTask, PlanTextError, UnknownUnits
from sanquan.tables.shipped import PlanSource, aliases_of, shipped_plans
from sanquan.tables.units import MUNICIPAL, Unit
from sanquan.timeutil import current_quarter, utcnow


def upsert_units(db: Session, owner: str, units: Sequence[Unit]) -> dict[str, ResponsibleUnit]:
    """The rows of ``owner``'s units by short name, created or their full names refreshed."""
    existing = {
        u.short_name: u
        for u in db.scalars(select(ResponsibleUnit).where(ResponsibleUnit.owner == owner))
    }
    for unit in units:
        row = existing.get(unit.short)
        if row is None:
            row = ResponsibleUnit(owner=owner, short_name=unit.short, full_name=unit.full)
            db.add(row)
            existing[unit.short] = row
        else:
            row.full_name = unit.full
    db.flush()
    return existing


def store_plan(db: Session, source: PlanSource, tasks: Sequence[ImportedTask]) -> WorkPlan:
    """Store a plan's tasks with its owner's units in document order, lead first. Importing a
    plan again refreshes its titles and units; tasks already reported on keep their reports."""
    units = upsert_units(db, source.owner, [u for task in tasks for u in task.units])
    plan = db.scalar(select(WorkPlan).where(WorkPlan.key == source.key))
    if plan is None:
        plan = WorkPlan(key=source.key)
        db.add(plan)
    plan.title, plan.document, plan.owner = source.title, source.document, source.owner
    by_number = {t.number: t for t in plan.tasks}
    for task in tasks:
        row = by_number.get(task.number) or PlanTask(number=task.number, title="")
        row.title, row.section, row.body = task.title, task.section, task.body
        _assign(row, [units[unit.short] for unit in task.units])
        if task.number not in by_number:
            plan.tasks.append(row)
    db.flush()
    return plan


def _assign(task: PlanTask, units: Sequence[ResponsibleUnit]) -> None:
    """Give ``task`` these units in this order. A unit it keeps keeps its row, renumbered:
    a fresh row would be inserted before the old one is deleted, and (task, unit) is unique."""
    kept = {assignment.unit_id: assignment for assignment in task.assignments}
    task.assignments = [kept.get(unit.id) or TaskUnit(unit=unit) for unit in units]
    for position, assignment in enumerate(task.assignments):
        assignment.position = position


def read_plan(source: PlanSource, text: str | None = None) -> list[ImportedTask]:
    """The plan's tasks, its units resolved, or a typed error that lists every problem."""
    try:
        return source.tasks(text)
    except UnknownUnits as error:
        listed = "、".join(
            f"{name}(任务 {', '.join(map(str, at))})" for name, at in error.unknown.items()
        )
        names = f"{source.key}:{listed}"
        raise DomainError(
            ErrorCode.UNKNOWN_UNITS, ("plan",), names=Localized(names, names)
        ) from error
    except PlanTextError as error:
        raise DomainError(
            ErrorCode.INVALID_VALUE, ("plan",), field="plan", problem=str(error)
        ) from error


def import_plans(db: Session, sources: Sequence[PlanSource] | None = None) -> list[WorkPlan]:
    """Import ``sources``, every shipped plan by default. All are read before any is stored,
    so an unmappable unit name in one of them imports nothing at all."""
    chosen = shipped_plans() if sources is None else sources
    read = [(source, read_plan(source)) for source in chosen]
    return [store_plan(db, source, tasks) for source, tasks in read]


def get_plan(db: Session, key: str) -> WorkPlan:
    plan = db.scalar(select(WorkPlan).where(WorkPlan.key == key))
    if plan is None:
        known = ", ".join(db.scalars(select(WorkPlan.key).order_by(WorkPlan.key))) or "—"
        raise DomainError(ErrorCode.UNKNOWN_WORK_PLAN, ("plan",), value=key, known=known)
    return plan


def get_unit(
    db: Session, name: str, path: Sequence[str | int] = ("unit",), owner: str = MUNICIPAL
) -> ResponsibleUnit:
    """One of ``owner``'s units (the municipal ones by default), by short name, full name, or
    any alias that owner's plans use: two schools may each have a 党委宣传部."""
    wanted, owner = name.strip(), owner.strip()
    short = aliases_of(owner).get(wanted, wanted)
    unit = db.scalar(
        select(ResponsibleUnit).where(
            ResponsibleUnit.owner == owner,
            (ResponsibleUnit.short_name == short) | (ResponsibleUnit.full_name == wanted),
        )
    )
    if unit is None:
        raise DomainError(ErrorCode.UNKNOWN_UNIT, path, value=name)
    return unit


def unit_tasks(db: Session, unit: ResponsibleUnit) -> list[PlanTask]:
    """Every task ``unit`` answers for, plan by plan, in task order (its "一张表")."""
    return list(
        db.scalars(
            select(PlanTask)
            .join(TaskUnit, TaskUnit.task_id == PlanTask.id)
            .where(TaskUnit.unit_id == unit.id)
            .order_by(PlanTask.plan_id, PlanTask.number)
        )
    )


def report_progress(
    db: Session,
    actor: Principal,
    plan_key: str,
    number: int,
    quarter: Quarter,
    status: ProgressStatus,
    text: str,
) -> ProgressReport:
    """R21: a unit reports only on tasks it is responsible for; a second report for the
    same quarter replaces the first. Reports are for the past year up to next quarter."""
    raise_all(PROGRESS.problems(quarter, current_quarter(), ("quarter",)))
    plan = get_plan(db, plan_key)
    task = next((t for t in plan.tasks if t.number == number), None)
    if task is None:
        raise DomainError(ErrorCode.UNKNOWN_TASK, ("taskNumber",), value=number)
    account = db.get(Account, actor.account_id)
    if actor.role is not Role.UNIT or account is None or account.unit_id is None:
        raise DomainError(ErrorCode.NOT_YOUR_TASK, ("taskNumber",))
    if account.unit_id not in {a.unit_id for a in task.assignments}:
        raise DomainError(ErrorCode.NOT_YOUR_TASK, ("taskNumber",))
    body = clean_text(text, ("text",), TEXT_LENGTH, required=True)
    report = db.scalar(
        select(ProgressReport).where(
            ProgressReport.task_id == task.id,
            ProgressReport.unit_id == account.unit_id,
            ProgressReport.quarter == str(quarter),
        )
    )
    if report is None:
        report = ProgressReport(
            task_id=task.id,
            unit_id=account.unit_id,
            quarter=str(quarter),
            reported_by_id=actor.account_id,
            status=status,
            text=body,
        )
        db.add(report)
    report.status, report.text = status, body
    report.reported_by_id, report.reported_at = actor.account_id, utcnow()
    db.flush()
    return report
