"""Setting up a review session: its institutions, its pinned indicator set, its expert
panel (R11), opening it for scoring (R8–R11)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, selectinload

from sanquan.api.ids import global_id
from sanquan.auth.models import Account, Role
from sanquan.errors import DomainError, ErrorCode, Localized, clean_text, raise_all
from sanquan.events import announce
from sanquan.institutions.codes import is_valid_code
from sanquan.institutions.models import Institution
from sanquan.limits import DEADLINE_QUARTERS_AFTER, MIN_EXPERTS, NAME_LENGTH, SCHEDULE
from sanquan.plugins.host import PluginHost
from sanquan.quarter import Quarter
from sanquan.review.models import (
    PanelMember,
    ReviewSession,
    Score,
    SessionInstitution,
    SessionStatus,
)
from sanquan.timeutil import quarter_of, utcnow
from sanquan_sdk import Source

SESSION_SIZE = (3, 5)
"""Item 20 of the plan: each quarterly meeting diagnoses 3–5 institutions."""


@dataclass(frozen=True)
class SessionSpec:
    """What an administrator asks for when creating a session."""

    quarter: Quarter
    institution_codes: Sequence[str]
    indicator_set_key: str
    indicator_set_version: str | None = None
    title: str = ""
    min_experts: int = 5
    deadlines: Mapping[Source, date] = field(default_factory=dict)


STATUS_WORDS = {
    SessionStatus.DRAFT: Localized("筹备", "in preparation"),
    SessionStatus.OPEN: Localized("开始", "open"),
    SessionStatus.CONCLUDED: Localized("结束", "concluded"),
}


class Lock(Enum):
    """How a write holds its session while it checks and writes."""

    SHARED = "shared"
    """Scoring: many reviewers at once, but not while the session changes state."""
    EXCLUSIVE = "exclusive"
    """Appointing, opening, concluding, correcting: nobody scores meanwhile."""


def set_not_installed(
    key: str, version: str | None, path: Sequence[str | int] = ("indicatorSet",)
) -> DomainError:
    """The error for an indicator set (or version) no installed plugin provides."""
    return DomainError(ErrorCode.UNKNOWN_INDICATOR_SET, path, key=key, version=version or "")


def get_session(
    db: Session,
    session_id: int,
    path: Sequence[str | int] = ("sessionId",),
    lock: Lock | None = None,
) -> ReviewSession:
    """The session with its institutions; with ``lock``, held for the rest of the
    transaction, so that a score cannot land in a session being concluded."""
    if lock is not None:
        lock_session(db, session_id, lock)
    found = db.scalar(
        select(ReviewSession)
        .where(ReviewSession.id == session_id)
        .options(selectinload(ReviewSession.members))  # the panel loads when it is needed
    )
    if found is None:
        raise DomainError(ErrorCode.UNKNOWN_SESSION, path, value=session_id)
    return found


def lock_session(db: Session, session_id: int, lock: Lock) -> None:
    """PostgreSQL has row locks. SQLite has one write lock per database, and reads before
    a transaction's first write do not hold it: a write as the very first statement takes
    it, so everything read afterwards stays true until the commit. That write counts the
    session's ``change_serial``, which tells the other processes serving the same file
    that the session changed (a rolled-back transaction counts nothing)."""
    given = {"session_id": session_id}
    connection = db.connection()  # plain Core: the session's own execute adds nothing here
    if connection.dialect.name == "sqlite":
        connection.execute(_TAKE_WRITE_LOCK, given)
        return
    connection.execute(_ROW_LOCKS[lock], given)


_SESSIONS = ReviewSession.metadata.tables[ReviewSession.__tablename__]
_TAKE_WRITE_LOCK = (
    update(_SESSIONS)
    .where(_SESSIONS.c.id == bindparam("session_id"))
    .values(change_serial=_SESSIONS.c.change_serial + 1)
)
"""SQLite's locking write; plain Core (nothing of the ORM's to synchronise), built once."""
_ROW_LOCKS = {
    lock: select(_SESSIONS.c.id)
    .where(_SESSIONS.c.id == bindparam("session_id"))
    .with_for_update(read=lock is Lock.SHARED)
    for lock in Lock
}


def create_session(
    db: Session, host: PluginHost, spec: SessionSpec, *, today: date
) -> ReviewSession:
    """A draft session; every problem with the request is reported at once."""
    errors: list[DomainError] = []
    low, high = SESSION_SIZE
    codes = [c.strip() for c in spec.institution_codes]
    if not low <= len(codes) <= high:
        errors.append(
            DomainError(
                ErrorCode.SESSION_SIZE,
                ("institutionCodes",),
                minimum=low,
                maximum=high,
                count=len(codes),
            )
        )
    found = {i.code: i for i in db.scalars(select(Institution).where(Institution.code.in_(codes)))}
    seen: set[str] = set()
    institutions: list[Institution] = []
    for index, code in enumerate(codes):
        path = ("institutionCodes", index)
        if code in seen:
            errors.append(DomainError(ErrorCode.DUPLICATE_IN_SESSION, path, value=code))
            continue
        seen.add(code)
        if not is_valid_code(code):
            errors.append(DomainError(ErrorCode.INVALID_INSTITUTION_CODE, path, value=code))
        elif code not in found:
            errors.append(DomainError(ErrorCode.UNKNOWN_INSTITUTION, path, value=code))
        elif not found[code].active:
            errors.append(DomainError(ErrorCode.INACTIVE_INSTITUTION, path, name=found[code].name))
        else:
            institutions.append(found[code])
    indicator_set = host.indicator_set(spec.indicator_set_key, spec.indicator_set_version)
    if indicator_set is None:
        errors.append(set_not_installed(spec.indicator_set_key, spec.indicator_set_version))
    errors.extend(SCHEDULE.problems(spec.quarter, quarter_of(today), ("quarter",)))
    errors.extend(_already_scheduled(db, spec.quarter, institutions, codes))
    errors.extend(MIN_EXPERTS.problems(spec.min_experts, ("minExperts",)))
    try:
        title = clean_text(spec.title, ("title",), NAME_LENGTH)
    except DomainError as error:
        errors.append(error)
        title = ""
    errors.extend(_deadline_problems(spec, today))
    raise_all(errors)
    assert indicator_set is not None
    session = ReviewSession(
        quarter=str(spec.quarter),
        title=title or f"{spec.quarter} 高校“三全育人”季度点评工作会",
        indicator_set_key=indicator_set.key,
        indicator_set_version=indicator_set.version,
        min_experts=spec.min_experts,
        self_deadline=spec.deadlines.get(Source.SELF),
        peer_deadline=spec.deadlines.get(Source.PEER),
        expert_deadline=spec.deadlines.get(Source.EXPERT),
        members=[
            SessionInstitution(institution=institution, position=position)
            for position, institution in enumerate(institutions)
        ],
    )
    db.add(session)
    db.flush()
    return session


def _already_scheduled(
    db: Session, quarter: Quarter, institutions: Sequence[Institution], codes: Sequence[str]
) -> list[DomainError]:
    """A school is reviewed at most once a quarter: each of ``institutions`` already in a
    session of ``quarter`` is refused, naming that session (``codes``: as the request lists
    them, for the path)."""
    wanted = {i.id: i for i in institutions}
    if not wanted:
        return []
    taken = db.execute(
        select(SessionInstitution.institution_id, ReviewSession)
        .join(ReviewSession, ReviewSession.id == SessionInstitution.session_id)
        .where(
            ReviewSession.quarter == str(quarter),
            SessionInstitution.institution_id.in_(wanted),
        )
        .order_by(ReviewSession.id)
    )
    errors: dict[int, DomainError] = {}
    for institution_id, session in taken:
        institution = wanted[institution_id]
        errors.setdefault(
            institution_id,
            DomainError(
                ErrorCode.ALREADY_IN_SESSION,
                ("institutionCodes", codes.index(institution.code)),
                name=institution.name,
                quarter=session.quarter,
                session=session.title,
                session_id=global_id("ReviewSession", session.id),
            ),
        )
    return list(errors.values())


def _deadline_problems(spec: SessionSpec, today: date) -> list[DomainError]:
    """Deadlines lie between today and a year after the session's quarter ends."""
    latest = spec.quarter.plus(DEADLINE_QUARTERS_AFTER + 1).first_day() - timedelta(days=1)
    errors = []
    for source, deadline in spec.deadlines.items():
        path = ("deadlines", source.value.lower())
        if deadline < today:
            errors.append(
                DomainError(
                    ErrorCode.DEADLINE_IN_PAST,
                    path,
                    value=deadline.isoformat(),
                    today=today.isoformat(),
                )
            )
        elif deadline > latest:
            errors.append(
                DomainError(
                    ErrorCode.DEADLINE_TOO_LATE,
                    path,
                    value=deadline.isoformat(),
                    quarter=str(spec.quarter),
                    latest=latest.isoformat(),
                )
            )
    return errors


def appoint_experts(db: Session, session_id: int, expert_ids: Sequence[int]) -> ReviewSession:
    """Set the session's panel. Refused when an expert is unknown, when it would drop an
    expert who has already scored, or when conflicts of interest leave an institution with
    fewer eligible experts than the session's minimum (R11)."""
    session = get_session(db, session_id, lock=Lock.EXCLUSIVE)
    if session.status is SessionStatus.CONCLUDED:
        raise DomainError(ErrorCode.SESSION_CONCLUDED, ("sessionId",))
    wanted = list(dict.fromkeys(expert_ids))
    accounts = {
        a.id: a
        for a in db.scalars(
            select(Account).where(Account.id.in_(wanted), Account.role == Role.EXPERT)
        )
    }
    errors: list[DomainError] = [
        DomainError(ErrorCode.UNKNOWN_EXPERT, ("expertIds", index), value=expert_id)
        for index, expert_id in enumerate(wanted)
        if expert_id not in accounts or not accounts[expert_id].active
    ]
    leaving = {m.account_id for m in session.panel} - set(wanted)
    if leaving:
        scored = db.scalars(
            select(Score.reviewer_account_id)
            .where(Score.session_id == session.id, Score.reviewer_account_id.in_(leaving))
            .distinct()
        )
        for account_id in scored:
            account = db.get(Account, account_id)
            errors.append(
                DomainError(
                    ErrorCode.EXPERT_HAS_SCORES,
                    ("expertIds",),
                    name=account.name if account else account_id,
                )
            )
    raise_all(errors)
    panel = [accounts[i] for i in wanted]
    raise_all(panel_problems(session, panel))
    kept = {m.account_id: m for m in session.panel}
    session.panel = [kept.get(a.id) or PanelMember(account=a) for a in panel]
    db.flush()
    announce(db, session.id)  # the experts expected change
    return session


def panel_problems(session: ReviewSession, panel: Sequence[Account]) -> list[DomainError]:
    """R11: for every institution, enough experts who are not affiliated with it. An
    expert whose account has been switched off since the appointment cannot sign in to
    score, so it does not count."""
    problems = []
    for member in session.members:
        eligible = sum(
            1
            for expert in panel
            if expert.active and expert.institution_id != member.institution_id
        )
        if eligible < session.min_experts:
            problems.append(
                DomainError(
                    ErrorCode.PANEL_TOO_SMALL,
                    ("expertIds",),
                    name=member.institution.name,
                    eligible=eligible,
                    minimum=session.min_experts,
                )
            )
    return problems


def open_session(db: Session, session_id: int) -> ReviewSession:
    """Start scoring. The panel must satisfy R11 at this moment."""
    session = get_session(db, session_id, lock=Lock.EXCLUSIVE)
    if session.status is not SessionStatus.DRAFT:
        raise DomainError(
            ErrorCode.SESSION_NOT_DRAFT, ("sessionId",), status=STATUS_WORDS[session.status]
        )
    raise_all(panel_problems(session, [m.account for m in session.panel]))
    session.status = SessionStatus.OPEN
    session.opened_at = utcnow()
    db.flush()
    announce(db, session.id)
    return session
