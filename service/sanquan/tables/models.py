"""Storage of plans, their tasks, the responsible units and quarterly progress reports."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sanquan.db import Base, UTCDateTime
from sanquan.timeutil import utcnow


class ProgressStatus(StrEnum):
    ON_TRACK = "ON_TRACK"
    """按计划推进."""
    BEHIND = "BEHIND"
    """进度滞后."""
    DONE = "DONE"
    """已完成."""


class WorkPlan(Base):
    """A plan whose tasks are tracked by responsible units, e.g. 京教组发[2019]3号, or a
    school's own plan, e.g. a university party committee's measures."""

    __tablename__ = "work_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    document: Mapped[str] = mapped_column(String(100), default="")
    owner: Mapped[str] = mapped_column(String(200), default="")
    """Empty for a municipal plan, else the school that owns it; its units are that owner's."""
    tasks: Mapped[list[PlanTask]] = relationship(
        back_populates="plan", order_by="PlanTask.number", cascade="all, delete-orphan"
    )


class ResponsibleUnit(Base):
    """A responsible unit (责任单位): the short name the plans write and the full name.

    Short names are unique per owner only: every school has its own 党委宣传部."""

    __tablename__ = "responsible_units"
    __table_args__ = (UniqueConstraint("owner", "short_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), default="")
    """Empty for a municipal unit, else the school it belongs to."""
    short_name: Mapped[str] = mapped_column(String(100))
    full_name: Mapped[str] = mapped_column(String(200))


class PlanTask(Base):
    """A numbered task of a plan (任务), with the part of the plan it belongs to."""

    __tablename__ = "plan_tasks"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("work_plans.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    section: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    plan: Mapped[WorkPlan] = relationship(back_populates="tasks")
    assignments: Mapped[list[TaskUnit]] = relationship(
        order_by="TaskUnit.position", cascade="all, delete-orphan", lazy="selectin"
    )


class TaskUnit(Base):
    """A unit responsible for a task; position 0 leads (牵头), as the plan lists it first."""

    __tablename__ = "task_units"
    __table_args__ = (UniqueConstraint("task_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("plan_tasks.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("responsible_units.id"), index=True)
    position: Mapped[int]
    unit: Mapped[ResponsibleUnit] = relationship(lazy="joined")


class ProgressReport(Base):
    """A unit's quarterly report on one of its tasks; reporting again replaces it."""

    __tablename__ = "progress_reports"
    __table_args__ = (UniqueConstraint("task_id", "unit_id", "quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("plan_tasks.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("responsible_units.id"))
    quarter: Mapped[str] = mapped_column(String(6), index=True)
    status: Mapped[ProgressStatus] = mapped_column(
        Enum(ProgressStatus, native_enum=False, length=20)
    )
    text: Mapped[str] = mapped_column(Text)
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    unit: Mapped[ResponsibleUnit] = relationship(lazy="joined")
