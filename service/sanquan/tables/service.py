"""Importing a plan's tasks and units, the "一张表" views, and progress reports (R19–R21)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanquan.auth.models import Account, Role
from sanquan.auth.tokens import Principal
from sanquan.errors import DomainError, ErrorCode, Localized, clean_text
from sanquan.quarter import Quarter
from sanquan.tables.models import (
    PlanTask,
    ProgressReport,
    ProgressStatus,
    ResponsibleUnit,
    TaskUnit,
    WorkPlan,
)
from sanquan.tables.plan_text import ImportedTask, PlanTextError, UnknownUnits, load_jingjiaozufa
from sanquan.tables.units import ALIASES, Unit
from sanquan.timeutil import utcnow

JINGJIAOZUFA = (
    "jingjiaozufa-2019-3",
    "北京市建设全国“三全育人”综合改革试点区实施方案",
    "京教组发[2019]3号",
)


def upsert_units(db: Session, units: Sequence[Unit]) -> dict[str, ResponsibleUnit]:
    existing = {u.short_name: u for u in db.scalars(select(ResponsibleUnit))}
    for unit in units:
        row = existing.get(unit.short)
        if row is None:
            row = ResponsibleUnit(short_name=unit.short, full_name=unit.full)
            db.add(row)
            existing[unit.short] = row
        else:
            row.full_name = unit.full
    db.flush()
    return existing


def import_plan(
    db: Session, key: str, title: str, document: str, tasks: Sequence[ImportedTask]
) -> WorkPlan:
    """Store a plan's tasks with their units in document order, lead first. Importing a plan
    again refreshes its titles and units; tasks already reported on keep their reports."""
    units = upsert_units(db, [u for task in tasks for u in task.units])
    plan = db.scalar(select(WorkPlan).where(WorkPlan.key == key))
    if plan is None:
        plan = WorkPlan(key=key, title=title, document=document)
        db.add(plan)
    plan.title, plan.document = title, document
    by_number = {t.number: t for t in plan.tasks}
    for task in tasks:
        row = by_number.get(task.number) or PlanTask(number=task.number, title="")
        row.title, row.section = task.title, task.section
        row.assignments = [
            TaskUnit(unit=units[unit.short], position=position)
            for position, unit in enumerate(task.units)
        ]
        if task.number not in by_number:
            plan.tasks.append(row)
    db.flush()
    return plan


def import_jingjiaozufa(db: Session) -> WorkPlan:
    """The shipped plan 京教组发[2019]3号; an unmappable unit name imports nothing."""
    try:
        tasks = load_jingjiaozufa()
    except UnknownUnits as error:
        listed = "、".join(
            f"{name}(任务 {', '.join(map(str, at))})" for name, at in error.unknown.items()
        )
        raise DomainError(
            ErrorCode.UNKNOWN_UNITS, ("plan",), names=Localized(listed, listed)
        ) from error
    except PlanTextError as error:
        raise DomainError(
            ErrorCode.INVALID_VALUE, ("plan",), field="plan", problem=str(error)
        ) from error
    key, title, document = JINGJIAOZUFA
    return import_plan(db, key, title, document, tasks)


def get_plan(db: Session, key: str) -> WorkPlan:
    plan = db.scalar(select(WorkPlan).where(WorkPlan.key == key))
    if plan is None:
        raise DomainError(ErrorCode.UNKNOWN_WORK_PLAN, ("plan",), value=key)
    return plan


def get_unit(db: Session, name: str, path: Sequence[str | int] = ("unit",)) -> ResponsibleUnit:
    """By short name, full name, or any alias the plans use."""
    short = ALIASES.get(name.strip(), name.strip())
    unit = db.scalar(
        select(ResponsibleUnit).where(
            (ResponsibleUnit.short_name == short) | (ResponsibleUnit.full_name == name.strip())
        )
    )
    if unit is None:
        raise DomainError(ErrorCode.UNKNOWN_UNIT, path, value=name)
    return unit


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
    same quarter replaces the first."""
    plan = get_plan(db, plan_key)
    task = next((t for t in plan.tasks if t.number == number), None)
    if task is None:
        raise DomainError(ErrorCode.UNKNOWN_TASK, ("taskNumber",), value=number)
    account = db.get(Account, actor.account_id)
    if actor.role is not Role.UNIT or account is None or account.unit_id is None:
        raise DomainError(ErrorCode.NOT_YOUR_TASK, ("taskNumber",))
    if account.unit_id not in {a.unit_id for a in task.assignments}:
        raise DomainError(ErrorCode.NOT_YOUR_TASK, ("taskNumber",))
    body = clean_text(text, ("text",), 5000, required=True)
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
