"""The commission's rotation work on the database: build a planning request from the pool
and the review history, keep a verified draft, compare it with the schedule, adopt it.

Adopting creates the review sessions (R8); re-planning treats every session that has
started as fixed, and prefers to keep the rest where they are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from sanquan.auth.models import Account, Role
from sanquan.auth.tokens import Principal
from sanquan.errors import DomainError, ErrorCode, Localized, clean_text, invalid, raise_all
from sanquan.findings.models import Finding
from sanquan.findings.service import overdue
from sanquan.institutions.models import Institution
from sanquan.institutions.service import get_institution
from sanquan.limits import CYCLE_START, NOTE_LENGTH, SCHEDULE
from sanquan.plugins.host import PluginHost
from sanquan.quarter import Quarter
from sanquan.review.models import (
    PanelMember,
    ReviewSession,
    Score,
    SessionInstitution,
    SessionStatus,
)
from sanquan.review.sessions import (
    SessionSpec,
    appoint_experts,
    create_session,
    set_not_installed,
)
from sanquan.rotation.model import (
    CYCLE_QUARTERS,
    Blackout,
    Expert,
    FixedSession,
    Infeasible,
    Panel,
    PanelRequest,
    Pin,
    Plan,
    PlanChoices,
    PlanRequest,
    PoolMember,
    sessions_to_hold,
)
from sanquan.rotation.models import (
    ConstraintKind,
    PlanStatus,
    RotationConstraint,
    RotationEntry,
    RotationPlan,
)
from sanquan.rotation.verifier import verify
from sanquan.timeutil import beijing_today, current_quarter, utcnow

STARTED = (SessionStatus.OPEN, SessionStatus.CONCLUDED)


@dataclass(frozen=True, kw_only=True)
class PlanOptions(PlanChoices):
    """The choices for one cycle, from ``start``."""

    start: Quarter

    def parameters(self) -> dict[str, Any]:
        values = asdict(self)
        values["start"] = str(self.start)
        values["policy"] = self.policy.value
        values["priorities"] = list(self.priorities)
        return values


def check_options(host: PluginHost, options: PlanOptions) -> str:
    """The options' problems, all at once; returns the indicator set's version to pin."""
    errors = CYCLE_START.problems(options.start, current_quarter(), ("start",))
    low, high = options.session_size
    if options.sessions_per_quarter is not None and options.sessions_per_quarter < 1:
        errors.append(invalid(("sessionsPerQuarter",), "至少为 1", "must be at least 1"))
    if not 1 <= low <= high:
        errors.append(
            invalid(("sessionSize",), "应满足 1 ≤ 下限 ≤ 上限", "must satisfy 1 ≤ min ≤ max")
        )
    if not 1 <= options.gap[0] <= options.gap[1]:
        errors.append(invalid(("gap",), "应满足 1 ≤ 下限 ≤ 上限", "must satisfy 1 ≤ min ≤ max"))
    if options.max_same_category < 1:
        errors.append(invalid(("maxSameCategory",), "至少为 1", "must be at least 1"))
    if options.panel_size < 0 or options.max_sessions_per_year < 1:
        errors.append(
            invalid(("panelSize",), "专家组人数不能为负数", "panel sizes cannot be negative")
        )
    found = host.indicator_set(options.indicator_set_key, options.indicator_set_version)
    if found is None:
        errors.append(set_not_installed(options.indicator_set_key, options.indicator_set_version))
    raise_all(errors)
    assert found is not None
    return found.version


def cycle_quarters(start: Quarter) -> list[str]:
    return [str(start.plus(offset)) for offset in range(CYCLE_QUARTERS)]


def build_request(db: Session, options: PlanOptions) -> PlanRequest:
    """The planning problem as the database states it: the active pool, each school's last
    review before the cycle, the sessions of the cycle that have started (fixed) or are
    scheduled (to keep if possible), and the standing pins and blackouts."""
    institutions = list(db.scalars(select(Institution).where(Institution.active.is_(True))))
    codes = {i.id: i.code for i in db.scalars(select(Institution))}
    known = {i.code for i in institutions}
    for index, code in enumerate(options.priorities):
        if code not in known:
            raise DomainError(ErrorCode.UNKNOWN_INSTITUTION, ("priorities", index), value=code)
    start = str(options.start)
    quarters = cycle_quarters(options.start)
    last_reviewed: dict[str, Quarter] = {}
    # A session still to come before the cycle counts as the school's last review: an
    # earlier, overlapping cycle has scheduled it, and the gap (R4) runs from it. A draft
    # whose quarter has passed never took place and does not count.
    held_or_coming = or_(
        ReviewSession.status.in_(STARTED), ReviewSession.quarter >= str(current_quarter())
    )
    for institution_id, quarter in db.execute(
        select(SessionInstitution.institution_id, func.max(ReviewSession.quarter))
        .join(ReviewSession, ReviewSession.id == SessionInstitution.session_id)
        .where(ReviewSession.quarter < start, held_or_coming)
        .group_by(SessionInstitution.institution_id)
    ):
        last_reviewed[codes[institution_id]] = Quarter.parse(quarter)
    fixed: list[FixedSession] = []
    previous: dict[str, Quarter] = {}
    in_cycle = db.scalars(
        select(ReviewSession)
        .where(ReviewSession.quarter.in_(quarters))
        .options(selectinload(ReviewSession.members))
        .order_by(ReviewSession.quarter, ReviewSession.id)
    )
    for session in in_cycle:
        members = tuple(sorted(m.institution.code for m in session.members))
        if session.status in STARTED:
            fixed.append(FixedSession(Quarter.parse(session.quarter), members))
        for code in members:
            previous[code] = Quarter.parse(session.quarter)
    pins: list[Pin] = []
    blackouts: list[Blackout] = []
    for constraint in db.scalars(
        select(RotationConstraint)
        .where(RotationConstraint.quarter.in_(quarters))
        .order_by(RotationConstraint.id)
    ):
        when = Quarter.parse(constraint.quarter)
        if constraint.kind is ConstraintKind.PIN:
            pins.append(Pin(constraint.institution.code, when))
        else:
            blackouts.append(Blackout(constraint.institution.code, when))
    return PlanRequest(
        start=options.start,
        priorities=(*options.priorities, *overdue_first(db, options.priorities)),
        pool=[
            PoolMember(i.code, i.name, i.category or "综合")
            for i in sorted(institutions, key=lambda i: i.code)
        ],
        sessions_per_quarter=(
            sessions_to_hold(len(institutions), options.session_size)
            if options.sessions_per_quarter is None
            else options.sessions_per_quarter
        ),
        session_size=options.session_size,
        gap=options.gap,
        policy=options.policy,
        max_same_category=options.max_same_category,
        last_reviewed=last_reviewed,
        pins=pins,
        blackouts=blackouts,
        fixed=fixed,
        previous=previous,
    )


def overdue_first(db: Session, listed: Sequence[str]) -> list[str]:
    """Institutions with overdue rectification items, most overdue first (R5's example of
    a priority), after those the commission listed itself."""
    rows = db.execute(
        select(Institution.code, func.min(Finding.due_quarter))
        .join(Finding, Finding.institution_id == Institution.id)
        .where(overdue(current_quarter()), Institution.active.is_(True))
        .group_by(Institution.code)
        .order_by(func.min(Finding.due_quarter), Institution.code)
    )
    return [code for code, _ in rows if code not in listed]


def infeasible(error: Infeasible, path: Sequence[str | int] = ("start",)) -> DomainError:
    return DomainError(
        ErrorCode.ROTATION_INFEASIBLE,
        path,
        explanation=Localized(error.zh, error.en),
        rules=error.rules,
    )


@dataclass
class Planned:
    """A plan as computed, before it is stored."""

    plan: Plan
    version: str
    """The indicator set version the sessions will pin."""
    panels: tuple[Panel, ...] = ()


def compute(db: Session, host: PluginHost, options: PlanOptions) -> Planned:
    """Plan the cycle (quarters, sessions, panels) and check it independently; a plan the
    verifier faults is a bug, never something to adopt.

    The planner and the panels are imported here, not with the module: they bring NumPy
    and OR-Tools, a fifth of a ``sanquan`` process's start, which serving needs only
    when a plan is computed."""
    from sanquan.rotation.panels import appoint_panels, panel_violations
    from sanquan.rotation.planner import plan_cycle

    version = check_options(host, options)
    request = build_request(db, options)
    try:
        plan = plan_cycle(request)
    except Infeasible as error:
        raise infeasible(error) from error
    problems = [f"{v.rule}: {v.message}" for v in verify(plan)]
    panels: tuple[Panel, ...] = ()
    if options.panel_size and not problems:
        panel_request = PanelRequest(
            plan=plan,
            experts=experts(db),
            panel_size=options.panel_size,
            max_sessions_per_year=options.max_sessions_per_year,
            history=panel_history(db),
        )
        try:
            panels = appoint_panels(panel_request)
        except Infeasible as error:
            raise infeasible(error, ("panelSize",)) from error
        problems += panel_violations(panel_request, panels)
    if problems:
        raise RuntimeError(
            "the planner produced a plan the verifier refuses: " + "; ".join(problems)
        )
    return Planned(plan, version, panels)


def experts(db: Session) -> list[Expert]:
    rows = db.execute(
        select(Account.id, Account.name, Institution.code)
        .outerjoin(Institution, Institution.id == Account.institution_id)
        .where(Account.role == Role.EXPERT, Account.active.is_(True))
        .order_by(Account.id)
    )
    return [Expert(account_id, name, code) for account_id, name, code in rows]


def panel_history(db: Session) -> dict[tuple[int, str], int]:
    """How often each expert has sat on a concluded session reviewing each school."""
    history: dict[tuple[int, str], int] = defaultdict(int)
    rows = db.execute(
        select(PanelMember.account_id, Institution.code)
        .join(ReviewSession, ReviewSession.id == PanelMember.session_id)
        .join(SessionInstitution, SessionInstitution.session_id == ReviewSession.id)
        .join(Institution, Institution.id == SessionInstitution.institution_id)
        .where(ReviewSession.status == SessionStatus.CONCLUDED)
    )
    for account_id, code in rows:
        history[(account_id, code)] += 1
    return dict(history)


def make_draft(
    db: Session, host: PluginHost, actor: Principal, options: PlanOptions
) -> RotationPlan:
    """Plan the cycle and keep the result as a draft, to compare and then adopt."""
    planned = compute(db, host, options)
    ids = {i.code: i.id for i in db.scalars(select(Institution))}
    panels = {(p.quarter, p.index): list(p.expert_ids) for p in planned.panels}
    fixed = {(f.quarter, f.codes) for f in planned.plan.request.fixed}
    parameters = options.parameters() | {
        "sessions_per_quarter": planned.plan.request.sessions_per_quarter,
        "indicator_set_version": planned.version,
    }
    row = RotationPlan(
        cycle_start=str(options.start),
        parameters=parameters,
        created_by_id=actor.account_id,
        entries=[
            RotationEntry(
                quarter=str(session.quarter),
                slot=session.index,
                institution_id=ids[code],
                fixed=(session.quarter, session.codes) in fixed,
                panel=panels.get((session.quarter, session.index), []),
            )
            for session in planned.plan.sessions
            for code in session.codes
        ],
    )
    db.add(row)
    db.flush()
    return row


@dataclass(frozen=True)
class Move:
    institution: Institution
    before: str | None
    after: str


def changes(db: Session, plan: RotationPlan) -> list[Move]:
    """How the plan differs from the schedule as it stands: institutions it schedules for
    the first time in the cycle (``before`` is ``None``) or in another quarter."""
    current: dict[int, str] = {}
    for session in db.scalars(
        select(ReviewSession)
        .where(ReviewSession.quarter.in_(cycle_quarters(Quarter.parse(plan.cycle_start))))
        .options(selectinload(ReviewSession.members))
    ):
        for member in session.members:
            current[member.institution_id] = session.quarter
    return [
        Move(entry.institution, current.get(entry.institution_id), entry.quarter)
        for entry in plan.entries
        if current.get(entry.institution_id) != entry.quarter
    ]


def adopt(db: Session, host: PluginHost, plan_id: int) -> list[ReviewSession]:
    """Create the plan's sessions (R8): the cycle's sessions that have not started are
    replaced; started ones must be exactly those the plan kept, or the plan is stale."""
    plan = db.get(RotationPlan, plan_id)
    if plan is None:
        raise DomainError(ErrorCode.UNKNOWN_PLAN, ("planId",), value=plan_id)
    if plan.status is not PlanStatus.DRAFT:
        raise DomainError(ErrorCode.PLAN_NOT_DRAFT, ("planId",), status=plan.status.value)
    quarters = cycle_quarters(Quarter.parse(plan.cycle_start))
    existing = list(
        db.scalars(
            select(ReviewSession)
            .where(ReviewSession.quarter.in_(quarters))
            .options(selectinload(ReviewSession.members))
        )
    )
    started = {
        (s.quarter, tuple(sorted(m.institution_id for m in s.members)))
        for s in existing
        if s.status in STARTED
    }
    grouped: dict[tuple[str, int], list[RotationEntry]] = defaultdict(list)
    for entry in plan.entries:
        grouped[(entry.quarter, entry.slot)].append(entry)
    kept = {
        (quarter, tuple(sorted(e.institution_id for e in entries)))
        for (quarter, _), entries in grouped.items()
        if entries[0].fixed
    }
    if kept != started:
        raise DomainError(ErrorCode.PLAN_STALE, ("planId",))
    unstarted = [s.id for s in existing if s.status is SessionStatus.DRAFT]
    if unstarted and db.scalar(select(func.count()).where(Score.session_id.in_(unstarted))):
        raise DomainError(ErrorCode.PLAN_STALE, ("planId",))
    for session in existing:
        if session.status is SessionStatus.DRAFT:
            db.delete(session)
    db.flush()
    parameters = plan.parameters
    created: list[ReviewSession] = []
    for (quarter, _), entries in sorted(grouped.items()):
        if entries[0].fixed:
            continue
        spec = SessionSpec(
            quarter=Quarter.parse(quarter),
            institution_codes=[e.institution.code for e in entries],
            indicator_set_key=parameters["indicator_set_key"],
            indicator_set_version=parameters["indicator_set_version"],
            min_experts=parameters["panel_size"] or 5,
        )
        session = create_session(db, host, spec, today=beijing_today())
        session.rotation_plan_id = plan.id
        if entries[0].panel:
            appoint_experts(db, session.id, entries[0].panel)
        created.append(session)
    for other in db.scalars(
        select(RotationPlan).where(
            RotationPlan.cycle_start == plan.cycle_start,
            RotationPlan.status == PlanStatus.ADOPTED,
        )
    ):
        other.status = PlanStatus.SUPERSEDED
    plan.status = PlanStatus.ADOPTED
    plan.adopted_at = utcnow()
    db.flush()
    return created


def set_constraint(
    db: Session,
    code: str,
    quarter: Quarter,
    kind: ConstraintKind,
    *,
    remove: bool = False,
    note: str = "",
) -> RotationConstraint | None:
    """Add (or remove) a standing pin or blackout; later plans honour it."""
    raise_all(SCHEDULE.problems(quarter, current_quarter(), ("quarter",)))
    note = clean_text(note, ("note",), NOTE_LENGTH)
    institution = get_institution(db, code, ("institutionCode",))
    existing = db.scalar(
        select(RotationConstraint).where(
            RotationConstraint.institution_id == institution.id,
            RotationConstraint.quarter == str(quarter),
            RotationConstraint.kind == kind,
        )
    )
    if remove:
        if existing is not None:
            db.delete(existing)
            db.flush()
        return None
    if existing is None:
        existing = RotationConstraint(
            institution=institution, quarter=str(quarter), kind=kind, note=note
        )
        db.add(existing)
        db.flush()
    return existing
