"""Accounts and their bearer tokens; a token is stored only as its SHA-256 hash."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sanquan.db import Base, UTCDateTime
from sanquan.institutions.models import Institution
from sanquan.timeutil import utcnow


class Role(StrEnum):
    ADMIN = "ADMIN"
    """Commission staff (市委教育工委): manage everything, see everything."""
    INSTITUTION = "INSTITUTION"
    """A school's representative: self-evaluation and peer evaluation for that school."""
    EXPERT = "EXPERT"
    """A panel expert; an affiliation, if any, is a conflict of interest."""
    UNIT = "UNIT"
    """A responsible unit (责任单位) reporting on its tasks."""
    VIEWER = "VIEWER"
    """Read-only: schedules and concluded results."""


class Account(Base):
    """A person or office that holds tokens. ``institution`` is the school an
    ``INSTITUTION`` account represents, or the affiliation of an ``EXPERT``."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institutions.id"), default=None, index=True
    )
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("responsible_units.id"), default=None)
    """The responsible unit a ``UNIT`` account reports for."""
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    institution: Mapped[Institution | None] = relationship(lazy="joined")


class ApiToken(Base):
    """A bearer token. The secret is shown once, at creation; only its hash is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    account: Mapped[Account] = relationship(lazy="joined")
