"""Raising findings, reporting progress on rectification items, verifying them (R18).

A rectification item moves OPEN → IN_PROGRESS → DONE on the school's reports, and DONE →
VERIFIED when the commission checks it at a later review. Overdue is derived, never
stored: an item not yet done whose due quarter has passed.

Findings are typed in one by one (:func:`raise_finding`) or raised from the drafts of the
session's diagnosis (:func:`raise_drafts`), under the same checks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from sanquan.api.ids import global_id
from sanquan.auth.models import Role
from sanquan.auth.tokens import Principal
from sanquan.errors import (
    DomainError,
    ErrorCode,
    FieldPath,
    Forbidden,
    Localized,
    clean_text,
    invalid,
    raise_all,
)
from sanquan.findings.drafts import DraftKey, FindingDraft, draft_findings
from sanquan.findings.models import (
    OWNER_LENGTH,
    TITLE_LENGTH,
    Finding,
    FindingKind,
    ItemStatus,
    ProgressNote,
)
from sanquan.institutions.models import Institution
from sanquan.institutions.service import get_institution
from sanquan.limits import DRAFT_ITEMS, SCHEDULE, TEXT_LENGTH
from sanquan.plugins.host import PluginHost
from sanquan.quarter import Quarter
from sanquan.review.diagnostics import diagnose_session
from sanquan.review.models import ReviewSession, SessionStatus
from sanquan.review.sessions import Lock, get_session
from sanquan.review.visibility import is_participant
from sanquan.timeutil import utcnow

FORWARD = {
    ItemStatus.OPEN: {ItemStatus.IN_PROGRESS, ItemStatus.DONE},
    ItemStatus.IN_PROGRESS: {ItemStatus.IN_PROGRESS, ItemStatus.DONE},
}
"""What a school's report may move an item to; IN_PROGRESS → IN_PROGRESS is a plain note."""
NOT_DONE = (ItemStatus.OPEN, ItemStatus.IN_PROGRESS)
KIND_WORDS = {
    FindingKind.HIGHLIGHT: Localized("亮点", "highlight"),
    FindingKind.RECTIFICATION: Localized("整改事项", "rectification item"),
}


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
    session, institution = concluded_member(db, new.session_id, new.institution_code)
    errors: list[DomainError] = []
    new = _cleaned(errors, new)
    errors += _unknown_indicator(host, session, new.indicator)
    errors += _rectification_errors(new, current)
    raise_all(errors)
    return _store(db, session, institution, actor, new)


def concluded_member(
    db: Session, session_id: int, institution_code: str, *, lock: Lock | None = None
) -> tuple[ReviewSession, Institution]:
    """The concluded session and one of its institutions: findings are raised on results."""
    session = get_session(db, session_id, lock=lock)
    if session.status is not SessionStatus.CONCLUDED:
        raise DomainError(ErrorCode.SESSION_NOT_CONCLUDED, ("sessionId",))
    return session, member(db, session, institution_code)


def member(db: Session, session: ReviewSession, institution_code: str) -> Institution:
    """The institution of ``session`` with ``institution_code``, or an error naming it."""
    institution = get_institution(db, institution_code, ("institutionCode",))
    if institution.id not in {m.institution_id for m in session.members}:
        raise DomainError(ErrorCode.NOT_IN_SESSION, ("institutionCode",), value=institution.code)
    return institution


def _cleaned(
    errors: list[DomainError], new: NewFinding, at: FieldPath = (), *, need_title: bool = True
) -> NewFinding:
    """``new`` with its free text cleaned; what is wrong with the text goes to ``errors``."""
    return replace(
        new,
        title=_text(errors, new.title, (*at, "title"), TITLE_LENGTH, required=need_title),
        description=_text(errors, new.description, (*at, "description"), TEXT_LENGTH),
        owner=_text(errors, new.owner, (*at, "owner"), OWNER_LENGTH),
    )


def _unknown_indicator(
    host: PluginHost, session: ReviewSession, indicator: str | None, at: FieldPath = ()
) -> list[DomainError]:
    """An error when ``indicator`` is not one of the session's pinned set (unchecked when
    the set's plugin is not installed: the session's own results still name it)."""
    key, version = session.indicator_set_key, session.indicator_set_version
    indicator_set = host.indicator_set(key, version)
    if not indicator or indicator_set is None or indicator_set.indicator(indicator):
        return []
    return [
        DomainError(
            ErrorCode.UNKNOWN_INDICATOR,
            (*at, "indicator"),
            value=indicator,
            key=key,
            version=version,
        )
    ]


def _rectification_errors(
    new: NewFinding, current: Quarter, at: FieldPath = ()
) -> list[DomainError]:
    """A rectification item needs an owner in the school and a due quarter not yet past."""
    if new.kind is not FindingKind.RECTIFICATION:
        return []
    errors = []
    if not new.owner:
        errors.append(
            invalid(
                (*at, "owner"),
                "整改事项须指定校内责任部门或责任人",
                "a rectification item needs an owner in the school",
            )
        )
    if new.due_quarter is None:
        errors.append(
            invalid(
                (*at, "dueQuarter"),
                "整改事项须有完成季度",
                "a rectification item needs a due quarter",
            )
        )
    elif new.due_quarter < current:
        errors.append(
            DomainError(
                ErrorCode.DUE_IN_PAST,
                (*at, "dueQuarter"),
                value=str(new.due_quarter),
                current=str(current),
            )
        )
    else:
        errors.extend(SCHEDULE.problems(new.due_quarter, current, (*at, "dueQuarter")))
    return errors


def _store(
    db: Session, session: ReviewSession, institution: Institution, actor: Principal, new: NewFinding
) -> Finding:
    """``new``, checked and cleaned, as a stored finding."""
    rectification = new.kind is FindingKind.RECTIFICATION
    finding = Finding(
        session_id=session.id,
        institution_id=institution.id,
        kind=new.kind,
        indicator_code=new.indicator or None,
        title=new.title,
        description=new.description,
        owner=new.owner,
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
    path: FieldPath,
    limit: int,
    *,
    required: bool = False,
) -> str:
    try:
        return clean_text(value, path, limit, required=required)
    except DomainError as error:
        errors.append(error)
        return ""


def session_drafts(
    db: Session, host: PluginHost, session: ReviewSession, institution: Institution | None = None
) -> list[FindingDraft]:
    """The drafts of a concluded session's diagnosis (default thresholds, as the
    ``diagnostics`` field shows them), of every school or of ``institution``; those already
    raised, by kind and indicator, carry the id of the first finding that raised them."""
    found = diagnose_session(db, host, session)
    raised: dict[int, dict[DraftKey, int]] = defaultdict(dict)
    query = select(Finding).where(Finding.session_id == session.id).order_by(Finding.id)
    for finding in db.scalars(query):
        if finding.indicator_code:
            key = (finding.kind, finding.indicator_code)
            raised[finding.institution_id].setdefault(key, finding.id)
    return [
        draft
        for diagnosis in found.diagnoses
        if institution is None or diagnosis.institution_id == institution.id
        for draft in draft_findings(diagnosis, found.titles, raised[diagnosis.institution_id])
    ]


@dataclass(frozen=True)
class DraftChoice:
    """A draft picked for raising, by kind and indicator, with what the officer adds: the
    owner and due quarter of a rectification item, and the title or description when the
    draft's own wording will not do."""

    kind: FindingKind
    indicator: str
    owner: str = ""
    due_quarter: Quarter | None = None
    title: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class DraftBatch:
    session_id: int
    institution_code: str
    items: Sequence[DraftChoice]


MAX_DRAFT_ITEMS = DRAFT_ITEMS
"""Two drafts per indicator at the most (a highlight or weakness, and a self-gap), and the
largest indicator set has far fewer than 100 indicators."""


def raise_drafts(
    db: Session, host: PluginHost, actor: Principal, batch: DraftBatch, *, current: Quarter
) -> list[Finding]:
    """Every item of ``batch`` raised as a finding of one school, or none: each item must
    be a draft of the session's diagnosis not raised yet, and passes the checks of
    :func:`raise_finding`; every problem is reported at once, at ``items.<index>.<field>``.

    The session is held for the transaction, so two officers raising the same draft at
    once cannot both succeed."""
    _check_batch_size(batch.items)
    session, institution = concluded_member(
        db, batch.session_id, batch.institution_code, lock=Lock.EXCLUSIVE
    )
    drafts = {d.key: d for d in session_drafts(db, host, session, institution)}
    errors: list[DomainError] = []
    chosen: list[NewFinding] = []
    seen: set[DraftKey] = set()
    for index, item in enumerate(batch.items):
        at = ("items", index)
        draft = drafts.get((item.kind, item.indicator))
        errors += _unknown_indicator(host, session, item.indicator, at) or _draft_problem(
            item, draft, seen, at
        )
        seen.add((item.kind, item.indicator))
        # Without a draft, the title it would have lent is no separate fault.
        new = _cleaned(errors, _from_draft(batch, item, draft), at, need_title=draft is not None)
        errors += _rectification_errors(new, current, at)
        chosen.append(new)
    raise_all(errors)
    return [_store(db, session, institution, actor, new) for new in chosen]


def _check_batch_size(items: Sequence[DraftChoice]) -> None:
    if not items:
        raise invalid(("items",), "至少选择一项草稿", "choose at least one draft")
    if len(items) > MAX_DRAFT_ITEMS:
        raise invalid(
            ("items",),
            f"一次最多提出 {MAX_DRAFT_ITEMS} 项,收到 {len(items)} 项",
            f"at most {MAX_DRAFT_ITEMS} items at once; got {len(items)}",
        )


def _draft_problem(
    item: DraftChoice, draft: FindingDraft | None, earlier: set[DraftKey], at: FieldPath
) -> list[DomainError]:
    """Why ``item`` cannot be raised from ``draft``, if it cannot; ``earlier``: the kinds
    and indicators of the items before it in the batch."""
    path = (*at, "indicator")
    kind = KIND_WORDS[item.kind]
    if draft is None:
        return [DomainError(ErrorCode.NOT_A_DRAFT, path, indicator=item.indicator, kind=kind)]
    if draft.raised_finding_id is not None:
        return [
            DomainError(
                ErrorCode.DRAFT_ALREADY_RAISED,
                path,
                indicator=item.indicator,
                kind=kind,
                finding=global_id("Finding", draft.raised_finding_id),
            )
        ]
    if draft.key in earlier:
        return [DomainError(ErrorCode.DUPLICATE_INDICATOR, path, value=item.indicator)]
    return []


def _from_draft(batch: DraftBatch, item: DraftChoice, draft: FindingDraft | None) -> NewFinding:
    """The finding ``item`` asks for: the draft's wording unless the officer gave their own."""
    title, description = (draft.title, draft.description) if draft else ("", "")
    return NewFinding(
        session_id=batch.session_id,
        institution_code=batch.institution_code,
        kind=item.kind,
        title=title if item.title is None else item.title,
        description=description if item.description is None else item.description,
        indicator=item.indicator,
        owner=item.owner,
        due_quarter=item.due_quarter,
    )


def get_item(db: Session, finding_id: int, school_id: int | None = None) -> Finding:
    """The rectification item ``finding_id``; with ``school_id``, only one of that school:
    another school's finding gets the answer of an unknown id, so that a school cannot
    learn which ids are items, highlights or nothing."""
    finding = db.get(Finding, finding_id)
    if finding is None or (school_id is not None and finding.institution_id != school_id):
        raise DomainError(ErrorCode.UNKNOWN_FINDING, ("findingId",), value=finding_id)
    if finding.kind is not FindingKind.RECTIFICATION:
        raise DomainError(ErrorCode.NOT_A_RECTIFICATION_ITEM, ("findingId",))
    return finding


def report_progress(
    db: Session, actor: Principal, finding_id: int, text: str, evidence: str, status: ItemStatus
) -> Finding:
    """The school's representative reports a step; only its own school's items."""
    if actor.role is not Role.INSTITUTION or actor.institution_id is None:
        raise DomainError(ErrorCode.NOT_YOUR_SCHOOL, ("findingId",))
    finding = get_item(db, finding_id, actor.institution_id)
    assert finding.status is not None
    if status not in FORWARD.get(finding.status, set()):
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            ("status",),
            current=finding.status.value,
            wanted=status.value,
        )
    note_text = clean_text(text, ("text",), TEXT_LENGTH, required=True)
    finding.notes.append(
        ProgressNote(
            author_id=actor.account_id,
            text=note_text,
            evidence=clean_text(evidence, ("evidence",), TEXT_LENGTH),
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
            text=clean_text(note, ("note",), TEXT_LENGTH) or "核查通过",
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
