"""What to export (:class:`ExportRequest`), building it for a reader, and download links.

A link is a random secret handed to a signed-in user; it names one export and expires
after :data:`LINK_LIFETIME`. Opening it needs no token (so a browser can follow it), but the
export is built as the account that asked for it and under the rules in force when it is
opened: a link outlives neither the account nor the account's right to the data.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sanquan.auth.models import Account
from sanquan.auth.tokens import Principal
from sanquan.errors import DomainError, ErrorCode, invalid
from sanquan.exports import reports
from sanquan.exports.formats import ExportFormat
from sanquan.exports.models import ExportLink
from sanquan.exports.table import Table
from sanquan.findings.models import ItemStatus
from sanquan.plugins.host import PluginHost
from sanquan.quarter import Quarter
from sanquan.timeutil import to_beijing

LINK_LIFETIME = timedelta(minutes=15)
KEEP_EXPIRED = timedelta(days=1)
"""How long an expired link is kept, so that opening it says "expired", not "unknown"."""
LINK_PREFIX = "sqx_"


class ExportKind(StrEnum):
    PLAN_TABLE = "PLAN_TABLE"
    """A plan's responsibility table (一张表) with progress for a quarter; needs ``plan``."""
    UNIT_TABLE = "UNIT_TABLE"
    """One unit's tasks across plans with its progress; needs ``unit``."""
    SCORE_SHEET = "SCORE_SHEET"
    """A session's scores as the reader may see them; needs ``session_id``."""
    SESSION_RESULTS = "SESSION_RESULTS"
    """A concluded session's results; needs ``session_id``."""
    RECTIFICATION_LIST = "RECTIFICATION_LIST"
    """Rectification items, optionally of one school, one status, or only overdue ones."""


REQUIRED: dict[ExportKind, tuple[str, str]] = {
    ExportKind.PLAN_TABLE: ("plan", "plan"),
    ExportKind.UNIT_TABLE: ("unit", "unit"),
    ExportKind.SCORE_SHEET: ("session_id", "sessionId"),
    ExportKind.SESSION_RESULTS: ("session_id", "sessionId"),
}
"""Kind → (attribute, the input field named in an error)."""


@dataclass(frozen=True)
class ExportRequest:
    """One export and its parameters; what a link stores, what the CLI builds."""

    kind: ExportKind
    plan: str | None = None
    unit: str | None = None
    unit_owner: str = ""
    """The school owning ``unit``; empty for a municipal unit."""
    session_id: int | None = None
    quarter: str | None = None
    """The progress quarter of the tables, ``2026Q4``; the current quarter when omitted."""
    institution_code: str | None = None
    status: ItemStatus | None = None
    only_overdue: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ExportRequest:
        data: dict[str, Any] = json.loads(text)
        data.setdefault("unit_owner", "")
        data["kind"] = ExportKind(data["kind"])
        data["status"] = ItemStatus(data["status"]) if data.get("status") else None
        return cls(**data)


def build(
    db: Session, host: PluginHost, actor: Principal, request: ExportRequest, current: Quarter
) -> Table:
    """The table ``request`` names, as ``actor`` may see it; a missing parameter is an
    error naming its field, a reader without the right gets FORBIDDEN."""
    if required := REQUIRED.get(request.kind):
        attribute, field = required
        if getattr(request, attribute) in (None, ""):
            raise invalid((field,), f"导出 {request.kind} 时必填", f"required for {request.kind}")
    quarter = Quarter.parse(request.quarter) if request.quarter else current
    match request.kind:
        case ExportKind.PLAN_TABLE:
            assert request.plan is not None
            return reports.plan_table(db, request.plan, quarter)
        case ExportKind.UNIT_TABLE:
            assert request.unit is not None
            return reports.unit_table(db, request.unit, quarter, request.unit_owner)
        case ExportKind.SCORE_SHEET:
            assert request.session_id is not None
            return reports.score_sheet(db, host, actor, request.session_id)
        case ExportKind.SESSION_RESULTS:
            assert request.session_id is not None
            return reports.results_sheet(db, host, request.session_id)
        case ExportKind.RECTIFICATION_LIST:
            return reports.rectification_list(
                db,
                actor,
                current=current,
                institution_code=request.institution_code,
                status=request.status,
                only_overdue=request.only_overdue,
            )


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_link(
    db: Session,
    actor: Principal,
    request: ExportRequest,
    export_format: ExportFormat,
    now: datetime,
) -> tuple[str, ExportLink]:
    """A new link for ``actor``; the secret is returned once and stored only hashed.
    The caller checks first that ``actor`` may build the export at all."""
    db.execute(delete(ExportLink).where(ExportLink.expires_at < now - KEEP_EXPIRED))
    secret = LINK_PREFIX + secrets.token_urlsafe(32)
    link = ExportLink(
        token_hash=_hash(secret),
        account_id=actor.account_id,
        kind=request.kind.value,
        format=export_format.value,
        params=request.to_json(),
        created_at=now,
        expires_at=now + LINK_LIFETIME,
    )
    db.add(link)
    db.flush()
    return secret, link


def open_link(
    db: Session, secret: str, now: datetime
) -> tuple[Principal, ExportRequest, ExportFormat]:
    """Who asked for the link, and for what. An unknown link, or one whose account is no
    longer active, is UNKNOWN_EXPORT_LINK (nothing tells them apart); an old one is
    EXPORT_LINK_EXPIRED."""
    row = db.execute(
        select(ExportLink, Account)
        .join(Account, Account.id == ExportLink.account_id)
        .where(ExportLink.token_hash == _hash(secret), Account.active.is_(True))
    ).one_or_none()
    if row is None:
        raise DomainError(ErrorCode.UNKNOWN_EXPORT_LINK, ("link",))
    link, account = row
    if link.expires_at <= now:
        expired = to_beijing(link.expires_at).strftime("%Y-%m-%d %H:%M")
        raise DomainError(ErrorCode.EXPORT_LINK_EXPIRED, ("link",), expired=expired)
    principal = Principal(account.id, account.name, account.role, account.institution_id)
    return principal, ExportRequest.from_json(link.params), ExportFormat(link.format)
