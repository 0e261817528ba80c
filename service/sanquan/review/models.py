"""Storage of review sessions, panels, scores, their audit trail and concluded results."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sanquan.auth.models import Account
from sanquan.db import Base, UTCDateTime, enum_column
from sanquan.institutions.models import Institution
from sanquan.timeutil import utcnow
from sanquan_sdk import Source


class SessionStatus(StrEnum):
    DRAFT = "DRAFT"
    """Being set up: institutions and panel may change; nobody scores yet."""
    OPEN = "OPEN"
    """Scoring under way."""
    CONCLUDED = "CONCLUDED"
    """Results computed; scores locked except audited corrections."""


class ScoreStatus(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"


def new_blind_key() -> str:
    return secrets.token_hex(32)


class ReviewSession(Base):
    """A quarterly review meeting (点评工作会) of 3–5 institutions against one pinned
    indicator set."""

    __tablename__ = "review_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    quarter: Mapped[str] = mapped_column(String(6), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    indicator_set_key: Mapped[str] = mapped_column(String(100))
    indicator_set_version: Mapped[str] = mapped_column(String(50))
    status: Mapped[SessionStatus] = mapped_column(
        enum_column(SessionStatus), default=SessionStatus.DRAFT
    )
    min_experts: Mapped[int] = mapped_column(default=5)
    self_deadline: Mapped[date | None] = mapped_column(default=None)
    peer_deadline: Mapped[date | None] = mapped_column(default=None)
    expert_deadline: Mapped[date | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    aggregation_method: Mapped[str | None] = mapped_column(String(100), default=None)
    aggregation_weights: Mapped[dict[str, float] | None] = mapped_column(JSON, default=None)
    rotation_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("rotation_plans.id"), default=None, index=True
    )
    """The adopted rotation plan that created this session, if any."""
    blind_key: Mapped[str] = mapped_column(String(64), default=new_blind_key)
    """Secret key of the opaque ids under which another expert's scores are shown (R14):
    random per session and never shown, so that nobody can recompute the ids from row ids
    and learn the order, and so the expert, of those scores."""
    change_serial: Mapped[int] = mapped_column(default=0)
    """On SQLite, one more for every transaction that locked the session to write
    (:func:`sanquan.review.sessions.lock_session`): the processes serving one SQLite file
    poll it to learn which sessions another process changed (:mod:`sanquan.events`).
    PostgreSQL announces changes by ``NOTIFY`` and leaves it at 0."""

    members: Mapped[list[SessionInstitution]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        order_by="SessionInstitution.position",
    )
    panel: Mapped[list[PanelMember]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="PanelMember.id"
    )

    def deadline(self, source: Source) -> date | None:
        return {
            Source.SELF: self.self_deadline,
            Source.PEER: self.peer_deadline,
            Source.EXPERT: self.expert_deadline,
        }[source]


class SessionInstitution(Base):
    """An institution under review in a session."""

    __tablename__ = "session_institutions"
    __table_args__ = (UniqueConstraint("session_id", "institution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("review_sessions.id", ondelete="CASCADE"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    session: Mapped[ReviewSession] = relationship(back_populates="members")
    institution: Mapped[Institution] = relationship(lazy="joined")


class PanelMember(Base):
    """An expert appointed to a session's panel."""

    __tablename__ = "panel_members"
    __table_args__ = (UniqueConstraint("session_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("review_sessions.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    session: Mapped[ReviewSession] = relationship(back_populates="panel")
    account: Mapped[Account] = relationship(lazy="joined")


class Score(Base):
    """One reviewer's value for one indicator of one institution in one session.

    The reviewer of a self or peer score is a *school* (any of its representatives may
    submit for it); the reviewer of an expert score is the expert. ``reviewer_key`` says
    which (``institution:12`` or ``expert:7``) so that one unique constraint covers both.
    """

    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint(
            "session_id",
            "subject_id",
            "indicator_code",
            "source",
            "reviewer_key",
            name="uq_scores_one_per_reviewer",
        ),
        Index("ix_scores_session_reviewer", "session_id", "reviewer_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("review_sessions.id", ondelete="CASCADE"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    indicator_code: Mapped[str] = mapped_column(String(50))
    source: Mapped[Source] = mapped_column(enum_column(Source))
    reviewer_key: Mapped[str] = mapped_column(String(40))
    reviewer_institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institutions.id"), default=None
    )
    reviewer_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), default=None)
    value: Mapped[float]
    reported: Mapped[str] = mapped_column(String(50), default="")
    """The level code or figure the reviewer reported, when the scale is not numeric."""
    comment: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ScoreStatus] = mapped_column(enum_column(ScoreStatus))
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScoreRevision(Base):
    """The audit trail (R13, R15): every change of a score, who made it, when, and why."""

    __tablename__ = "score_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    score_id: Mapped[int] = mapped_column(ForeignKey("scores.id", ondelete="CASCADE"), index=True)
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    old_value: Mapped[float | None] = mapped_column(default=None)
    new_value: Mapped[float]
    old_status: Mapped[ScoreStatus | None] = mapped_column(enum_column(ScoreStatus), default=None)
    new_status: Mapped[ScoreStatus] = mapped_column(enum_column(ScoreStatus))
    old_reported: Mapped[str | None] = mapped_column(String(50), default=None)
    new_reported: Mapped[str] = mapped_column(String(50), default="")
    old_comment: Mapped[str | None] = mapped_column(Text, default=None)
    new_comment: Mapped[str] = mapped_column(Text, default="")
    old_evidence: Mapped[str | None] = mapped_column(Text, default=None)
    new_evidence: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    changed_by: Mapped[Account] = relationship(lazy="joined")
    score: Mapped[Score] = relationship()


class IndicatorOutcome(Base):
    """A concluded session's result for one institution and indicator (stored, so a later
    plugin version never changes it)."""

    __tablename__ = "indicator_outcomes"
    __table_args__ = (UniqueConstraint("session_id", "institution_id", "indicator_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("review_sessions.id", ondelete="CASCADE"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    indicator_code: Mapped[str] = mapped_column(String(50))
    self_value: Mapped[float | None]
    peer_mean: Mapped[float | None]
    expert_mean: Mapped[float | None]
    combined: Mapped[float | None]
    peer_count: Mapped[int] = mapped_column(default=0)
    expert_count: Mapped[int] = mapped_column(default=0)


class InstitutionOutcome(Base):
    """A concluded session's overall index for one institution."""

    __tablename__ = "institution_outcomes"
    __table_args__ = (UniqueConstraint("session_id", "institution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("review_sessions.id", ondelete="CASCADE"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    overall: Mapped[float | None]
    rank: Mapped[int | None] = mapped_column(default=None)
