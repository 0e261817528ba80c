"""Storage of institutions and the older names users may still type."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sanquan.db import Base, UTCDateTime
from sanquan.timeutil import utcnow


class Institution(Base):
    """A higher-education institution (高校), keyed by its 10-digit MOE code (学校标识码)."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    authority: Mapped[str] = mapped_column(String(100), default="")
    level: Mapped[str] = mapped_column(String(20), default="")
    category: Mapped[str] = mapped_column(String(20), default="")
    category_inferred: Mapped[bool] = mapped_column(default=False)
    pilot_batch: Mapped[int | None] = mapped_column(default=None)
    pilot_departments: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    aliases: Mapped[list[InstitutionAlias]] = relationship(
        back_populates="institution",
        cascade="all, delete-orphan",
        order_by="InstitutionAlias.id",
        lazy="selectin",
    )


class InstitutionAlias(Base):
    """A former or informal name (曾用名) that still identifies an institution."""

    __tablename__ = "institution_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), unique=True)
    institution: Mapped[Institution] = relationship(back_populates="aliases")
