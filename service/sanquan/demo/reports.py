"""The units' quarterly reports on the municipal plan (京教组发[2019]3号): an account for
each responsible unit, and this quarter's and last quarter's reports, with a few units
not reported yet, as in any quarter."""

from __future__ import annotations

import random

from sqlalchemy.orm import Session

from sanquan.auth.models import Account, Role
from sanquan.auth.tokens import create_account, principal_of
from sanquan.quarter import Quarter
from sanquan.tables.models import ProgressStatus
from sanquan.tables.service import get_plan, report_progress

PLAN_KEY = "jingjiaozufa-2019-3"

STATUS_TEXT = {
    ProgressStatus.ON_TRACK: "按计划推进,本季度已完成阶段性工作",
    ProgressStatus.BEHIND: "进度滞后,已制定追赶措施",
    ProgressStatus.DONE: "本年度任务已完成",
}


def report_on_plan(
    db: Session, rng: random.Random, quarters: tuple[Quarter, ...], first: Account
) -> None:
    """Reports of every unit of the plan on its tasks in each of ``quarters``: nine in ten
    reported, mostly on track. ``first`` is the unit account already made (市教委)."""
    plan = get_plan(db, PLAN_KEY)
    accounts = {first.unit_id: first}
    for quarter in quarters:
        for task in plan.tasks:
            for assignment in task.assignments:
                if rng.random() >= 0.9:
                    continue
                unit = assignment.unit
                if unit.id not in accounts:
                    accounts[unit.id] = create_account(
                        db,
                        name=f"{unit.short_name} 联络员",
                        role=Role.UNIT,
                        unit_name=unit.short_name,
                    )
                status = rng.choices(list(STATUS_TEXT), weights=(7, 2, 1))[0]
                report_progress(
                    db,
                    principal_of(accounts[unit.id]),
                    PLAN_KEY,
                    task.number,
                    quarter,
                    status,
                    f"{quarter}:{STATUS_TEXT[status]}",
                )
