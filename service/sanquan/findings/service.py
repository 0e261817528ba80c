"""Raising findings, reporting progress on rectification items, verifying them (R18).

A rectification item moves OPEN → IN_PROGRESS → DONE on the school's reports, and DONE →
VERIFIED when the commission checks it at a later review. Overdue is derived, never
stored: an item not yet done whose due quarter has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from sanquan.auth.models import Role
from sanquan.auth.tokens import Principal
from sanquan.errors import DomainError, ErrorCode, Forbidden, clean_text, invalid, raise_all
from sanquan.findings.models import Finding, FindingKind, ItemStatus, ProgressNote
from sanquan.institutions.service import get_institution
from sanquan.plugins.host import PluginHost
from sanquan.quarter import Quarter
from sanquan.review.models import ReviewSession, SessionStatus
from sanquan.review.sessions import get_session
from sanquan.review.visibility import is_participant
from sanquan.timeutil import utcnow

FORWARD = {
    ItemStatus.OPEN: {ItemStatus.IN_PROGRESS, ItemStatus.DONE},
    ItemStatus.IN_PROGRESS: {ItemStatus.IN_PROGRESS, ItemStatus.DONE},
}
"""What a school's report may move an item to; IN_PROGRESS → IN_PROGRESS is a plain note."""
NOT_DONE = (ItemStatus.OPEN, ItemStatus.IN_PROGRESS)


@dataclass(frozen=True)
class NewFinding:
    session_id: int
    institution_code: str
    kind: FindingKind
    title: str
    description: str = ""
    indicator: str | None = None
    owner: str = ""
    due_quarter: Quarter | None = None


def raise_finding(
    db: Session,
    host: PluginHost,
    actor: Principal,
    new: NewFinding,
    *,
    current: Quarter,
) -> Finding:
    """A highlight or a rectification item for an institution of a concluded session."""
    session = get_session(db, new.session_id)
    if session.status is not SessionStatus.CONCLUDED:
        raise DomainError(ErrorCode.SESSION_NOT_CONCLUDED, ("sessionId",))
    institution = get_institution(db, new.institution_code, ("institutionCode",))
    if institution.id not in {m.institution_id for m in session.members}:
        raise DomainError(ErrorCode.NOT_IN_SESSION, ("institutionCode",), value=institution.code)
    errors: list[DomainError] = []
    title = _text(errors, new.title, ("title",), 200, required=True)
    description = _text(errors, new.description, ("description",), 5000)
    owner = _text(errors, new.owner, ("owner",), 200)
    indicator_set = host.indicator_set(session.indicator_set_key, session.indicator_set_version)
    if new.indicator and indicator_set and indicator_set.indicator(new.indicator) is None:
        errors.append(
            DomainError(
                ErrorCode.UNKNOWN_INDICATOR,
                ("indicator",),
                value=new.indicator,
                key=session.indicator_set_key,
                version=session.indicator_set_version,
            )
        )
    if new.kind is FindingKind.RECTIFICATION:
        if not owner:
            errors.append(
                invalid(
                    ("owner",),
                    "整改事项须指定校内责任部门或责任人",
                    "a rectification item needs an owner in the school",
                )
            )
        if new.due_quarter is None:
            errors.append(
                invalid(
                    ("dueQuarter",),
                    "整改事项须有完成季度",
                    "a rectification item needs a due quarter",
                )
            )
        elif new.due_quarter < current:
            errors.append(
                DomainError(
                    ErrorCode.DUE_IN_PAST,
                    ("dueQuarter",),
                    value=str(new.due_quarter),
                    current=str(current),
                )
            )
    raise_all(errors)
    rectification = new.kind is FindingKind.RECTIFICATION
    finding = Finding(
        session_id=session.id,
        institution_id=institution.id,
        kind=new.kind,
        indicator_code=new.indicator or None,
        title=title,
        description=description,
        owner=owner,
        due_quarter=str(new.due_quarter) if rectification and new.due_quarter else None,
        status=ItemStatus.OPEN if rectification else None,
        raised_by_id=actor.account_id,
    )
    db.add(finding)
    db.flush()
    return finding


def _text(
    errors: list[DomainError],
    value: str,
    path: tuple[str, ...],
    limit: int,
    *,
    required: bool = False,
) -> str:
    try:
        return clean_text(value, path, limit, required=required)
    except DomainError as error:
        errors.append(error)
        return ""


def get_item(db: Session, finding_id: int) -> Finding:
    finding = db.get(Finding, finding_id)
    if finding is None:
        raise DomainError(ErrorCode.UNKNOWN_FINDING, ("findingId",), value=finding_id)
    if finding.kind is not FindingKind.RECTIFICATION:
        raise DomainError(ErrorCode.NOT_A_RECTIFICATION_ITEM, ("findingId",))
    return finding


def report_progress(
    db: Session, actor: Principal, finding_id: int, text: str, evidence: str, status: ItemStatus
) -> Finding:
    """The school's representative reports a step; only its own school's items."""
    finding = get_item(db, finding_id)
    if actor.role is not Role.INSTITUTION or actor.institution_id != finding.institution_id:
        raise DomainError(ErrorCode.NOT_YOUR_SCHOOL, ("findingId",))
    assert finding.status is not None
    if status not in FORWARD.get(finding.status, set()):
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            ("status",),
            current=finding.status.value,
            wanted=status.value,
        )
    note_text = clean_text(text, ("text",), 5000, required=True)
    finding.notes.append(
        ProgressNote(
            author_id=actor.account_id,
            text=note_text,
            evidence=clean_text(evidence, ("evidence",), 5000),
            status=status,
        )
    )
    finding.status = status
    db.flush()
    return finding


def verify_item(
    db: Session, actor: Principal, finding_id: int, session_id: int | None, note: str
) -> Finding:
    """The commission confirms an item the school reported done, at a later review of
    that school when one is named."""
    finding = get_item(db, finding_id)
    if finding.status is not ItemStatus.DONE:
        raise DomainError(
            ErrorCode.NOT_DONE, ("findingId",), status=(finding.status or ItemStatus.OPEN).value
        )
    if session_id is not None:
        later = get_session(db, session_id)
        raised_in = db.get(ReviewSession, finding.session_id)
        assert raised_in is not None
        if finding.institution_id not in {m.institution_id for m in later.members} or Quarter.parse(
            later.quarter
        ) <= Quarter.parse(raised_in.quarter):
            raise DomainError(ErrorCode.NOT_A_LATER_REVIEW, ("sessionId",))
        finding.verified_in_session_id = later.id
    finding.notes.append(
        ProgressNote(
            author_id=actor.account_id,
            text=clean_text(note, ("note",), 5000) or "核查通过",
            status=ItemStatus.VERIFIED,
        )
    )
    finding.status = ItemStatus.VERIFIED
    finding.verified_by_id = actor.account_id
    finding.verified_at = utcnow()
    db.flush()
    return finding


def is_overdue(finding: Finding, current: Quarter) -> bool:
    """Not done and past its due quarter: the rule of :func:`overdue`, for one item."""
    return (
        finding.status in NOT_DONE
        and finding.due_quarter is not None
        and Quarter.parse(finding.due_quarter) < current
    )


def reader_scope(actor: Principal, for_session: ReviewSession | None = None) -> int | None:
    """The one institution whose items ``actor`` may read (``None``: every one), or
    FORBIDDEN: the commission and viewers read all, a school its own, an expert those of
    a session on whose panel they sit."""
    if actor.role in (Role.ADMIN, Role.VIEWER):
        return None
    if actor.role is Role.INSTITUTION:
        return actor.institution_id
    if actor.role is Role.EXPERT and for_session and is_participant(for_session, actor):
        return None
    raise Forbidden("查看整改事项")


def overdue(current: Quarter) -> ColumnElement[bool]:
    """The condition of an overdue item, for queries."""
    return and_(
        Finding.kind == FindingKind.RECTIFICATION,
        Finding.status.in_(NOT_DONE),
        Finding.due_quarter < str(current),
    )


def items_query(
    *, institution_id: int | None, status: ItemStatus | None, only_overdue: bool, current: Quarter
) -> Select[Any]:
    query = select(Finding).where(Finding.kind == FindingKind.RECTIFICATION)
    if institution_id is not None:
        query = query.where(Finding.institution_id == institution_id)
    if status is not None:
        query = query.where(Finding.status == status)
    if only_overdue:
        query = query.where(overdue(current))
    return query
