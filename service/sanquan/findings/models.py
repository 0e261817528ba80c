"""Storage of findings and the progress notes on rectification items."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sanquan.auth.models import Account
from sanquan.db import Base, UTCDateTime, enum_column
from sanquan.institutions.models import Institution
from sanquan.limits import NAME_LENGTH
from sanquan.timeutil import utcnow

TITLE_LENGTH = OWNER_LENGTH = NAME_LENGTH
"""The longest title and owner a finding stores; its free text is bounded by
:data:`sanquan.limits.TEXT_LENGTH`."""


class FindingKind(StrEnum):
    HIGHLIGHT = "HIGHLIGHT"
    """亮点: good practice worth spreading."""
    RECTIFICATION = "RECTIFICATION"
    """整改事项: something the school must put right, by a due quarter."""


class ItemStatus(StrEnum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    """The school reports it put right."""
    VERIFIED = "VERIFIED"
    """The commission checked it at a later review."""


class Finding(Base):
    """A highlight or a rectification item raised for an institution in a session."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("review_sessions.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    kind: Mapped[FindingKind] = mapped_column(enum_column(FindingKind))
    indicator_code: Mapped[str | None] = mapped_column(String(50), default=None)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    description: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(OWNER_LENGTH), default="")
    """Who inside the school answers for a rectification item (a department or a person)."""
    due_quarter: Mapped[str | None] = mapped_column(String(6), default=None)
    status: Mapped[ItemStatus | None] = mapped_column(enum_column(ItemStatus), default=None)
    """``None`` for highlights, which are not tracked."""
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), default=None)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    verified_in_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_sessions.id"), default=None
    )
    institution: Mapped[Institution] = relationship(lazy="joined")
    notes: Mapped[list[ProgressNote]] = relationship(
        back_populates="finding", order_by="ProgressNote.id", cascade="all, delete-orphan"
    )


class ProgressNote(Base):
    """A step of a rectification item: what was done, with evidence, and the new status."""

    __tablename__ = "progress_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    text: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ItemStatus] = mapped_column(enum_column(ItemStatus))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finding: Mapped[Finding] = relationship(back_populates="notes")
    author: Mapped[Account] = relationship(lazy="joined")
