"""Storage of rotation plans (drafts and adopted) and of standing pins and blackouts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sanquan.db import Base, UTCDateTime, enum_column
from sanquan.institutions.models import Institution
from sanquan.timeutil import utcnow


class PlanStatus(StrEnum):
    DRAFT = "DRAFT"
    """Planned and verified; nothing scheduled yet."""
    ADOPTED = "ADOPTED"
    """Its sessions were created."""
    SUPERSEDED = "SUPERSEDED"
    """A later plan of the same cycle was adopted."""


class ConstraintKind(StrEnum):
    PIN = "PIN"
    BLACKOUT = "BLACKOUT"


class RotationPlan(Base):
    """A plan of one cycle: the parameters it was made with and its sessions."""

    __tablename__ = "rotation_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_start: Mapped[str] = mapped_column(String(6), index=True)
    status: Mapped[PlanStatus] = mapped_column(enum_column(PlanStatus), default=PlanStatus.DRAFT)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    adopted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    entries: Mapped[list[RotationEntry]] = relationship(
        back_populates="plan",
        cascade="all, delete-orphan",
        order_by="(RotationEntry.quarter, RotationEntry.slot, RotationEntry.id)",
    )


class RotationEntry(Base):
    """An institution in a planned session, identified by quarter and slot."""

    __tablename__ = "rotation_entries"
    __table_args__ = (UniqueConstraint("plan_id", "institution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("rotation_plans.id", ondelete="CASCADE"))
    quarter: Mapped[str] = mapped_column(String(6))
    slot: Mapped[int]
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    fixed: Mapped[bool] = mapped_column(default=False)
    """A session that had started when the plan was made, kept as it was."""
    panel: Mapped[list[int]] = mapped_column(JSON, default=list)
    """Expert account ids of the session's panel (repeated on each of its entries)."""
    plan: Mapped[RotationPlan] = relationship(back_populates="entries")
    institution: Mapped[Institution] = relationship(lazy="joined")


class RotationConstraint(Base):
    """A standing pin (must be reviewed in a quarter) or blackout (must not be)."""

    __tablename__ = "rotation_constraints"
    __table_args__ = (UniqueConstraint("institution_id", "quarter", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    quarter: Mapped[str] = mapped_column(String(6))
    kind: Mapped[ConstraintKind] = mapped_column(enum_column(ConstraintKind))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    institution: Mapped[Institution] = relationship(lazy="joined")
