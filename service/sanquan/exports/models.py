"""Storage of download links; a link is stored only as the SHA-256 of its secret."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sanquan.db import Base, UTCDateTime
from sanquan.timeutil import utcnow


class ExportLink(Base):
    """A short-lived link to one export, bound to the account that asked for it.

    What the link names (``kind``, ``params``) is fixed when it is handed out; who may read
    it is checked again when it is opened, so a right withdrawn in between is respected.
    """

    __tablename__ = "export_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    format: Mapped[str] = mapped_column(String(10))
    params: Mapped[str] = mapped_column(Text, default="{}")
    """The export's parameters as JSON (plan key, session id, quarter …)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
