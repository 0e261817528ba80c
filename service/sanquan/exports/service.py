"""What to export (:class:`ExportRequest`), building it for a reader, and download links.

A link is a random secret handed to a signed-in user; it names one export and expires
after :data:`LINK_LIFETIME`. Opening it takes a bearer token like any other request (R22),
of the account that asked for it: a leaked link is useless without that account's token,
and a revoked token or a switched-off account ends it. The export is built when the link is
opened, under the rules in force then, so a right withdrawn in between is respected.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sanquan.auth.tokens import Principal, hash_token
from sanquan.errors import DomainError, ErrorCode, invalid, raise_all
from sanquan.exports import reports
from sanquan.exports.formats import ExportFormat
from sanquan.exports.models import ExportLink
from sanquan.exports.reports import moment
from sanquan.exports.table import Table
from sanquan.findings.models import ItemStatus
from sanquan.plugins.host import PluginHost
from sanquan.quarter import Quarter

LINK_LIFETIME = timedelta(minutes=15)
KEEP_EXPIRED = timedelta(days=1)
"""How long an expired link is kept, so that opening it says "expired", not "unknown"."""
LINK_PREFIX = "sqx_"


class ExportKind(StrEnum):
    """What can be exported; each kind takes the parameters :data:`PARAMETERS` lists."""

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


FIELDS = {
    "plan": "plan",
    "unit": "unit",
    "unit_owner": "unitOwner",
    "session_id": "sessionId",
    "quarter": "quarter",
    "institution_code": "institutionCode",
    "status": "status",
    "only_overdue": "overdue",
}
"""Attribute of :class:`ExportRequest` → the input field an error names."""
PARAMETERS: dict[ExportKind, tuple[set[str], set[str]]] = {
    ExportKind.PLAN_TABLE: ({"plan"}, {"quarter"}),
    ExportKind.UNIT_TABLE: ({"unit"}, {"unit_owner", "quarter"}),
    ExportKind.SCORE_SHEET: ({"session_id"}, set()),
    ExportKind.SESSION_RESULTS: ({"session_id"}, set()),
    ExportKind.RECTIFICATION_LIST: (set(), {"institution_code", "status", "only_overdue"}),
}
"""Kind → (required parameters, optional ones); any other given is refused, not ignored."""


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
        """What a link stores."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ExportRequest:
        """A stored request; one written by another version that this one cannot read is
        an unknown link (ask for a new one), never a server error."""
        try:
            data: dict[str, Any] = json.loads(text)
            data["kind"] = ExportKind(data["kind"])
            data["status"] = ItemStatus(data["status"]) if data.get("status") else None
            known = set(cls.__dataclass_fields__)
            return cls(**{k: v for k, v in data.items() if k in known})
        except (ValueError, TypeError, KeyError) as error:
            raise DomainError(ErrorCode.UNKNOWN_EXPORT_LINK, ("link",)) from error

    def given(self) -> set[str]:
        """The parameters set to something other than their default."""
        defaults = ExportRequest(self.kind)
        return {name for name in FIELDS if getattr(self, name) != getattr(defaults, name)}


def build(
    db: Session, host: PluginHost, actor: Principal, request: ExportRequest, current: Quarter
) -> Table:
    """The table ``request`` names, as ``actor`` may see it; a missing or unused parameter
    is an error naming its field, a reader without the right gets FORBIDDEN."""
    check_parameters(request)
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


def parameter_problems(request: ExportRequest) -> tuple[list[str], list[str]]:
    """The parameters ``request`` lacks and those it gives that its kind does not use,
    as attribute names, sorted."""
    required, optional = PARAMETERS[request.kind]
    given = request.given()
    return sorted(required - given), sorted(given - required - optional)


def check_parameters(request: ExportRequest) -> None:
    missing, unused = parameter_problems(request)
    errors = [
        invalid((FIELDS[name],), f"导出 {request.kind} 时必填", f"required for {request.kind}")
        for name in missing
    ]
    errors += [
        invalid(
            (FIELDS[name],), f"导出 {request.kind} 时不适用", f"does not apply to {request.kind}"
        )
        for name in unused
    ]
    raise_all(errors)


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
        token_hash=hash_token(secret),
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
    db: Session, secret: str, actor: Principal, now: datetime
) -> tuple[ExportRequest, ExportFormat]:
    """What ``actor``'s link asks for. A link that does not exist and one of another
    account are both UNKNOWN_EXPORT_LINK, so nothing tells them apart; an old one is
    EXPORT_LINK_EXPIRED."""
    link = db.scalar(
        select(ExportLink).where(
            ExportLink.token_hash == hash_token(secret), ExportLink.account_id == actor.account_id
        )
    )
    if link is None:
        raise DomainError(ErrorCode.UNKNOWN_EXPORT_LINK, ("link",))
    if link.expires_at <= now:
        raise DomainError(ErrorCode.EXPORT_LINK_EXPIRED, ("link",), expired=moment(link.expires_at))
    return ExportRequest.from_json(link.params), ExportFormat(link.format)
