"""GraphQL for the rotation: plan a cycle, compare and adopt the draft, standing pins and
blackouts (ADMIN); the schedule of a cycle, unscheduled and overdue institutions, an
expert's sessions (readers)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from sanquan import limits
from sanquan.api.bounds import Code, bounded, bounded_argument
from sanquan.api.context import Info
from sanquan.api.errors import Forbidden, UserError
from sanquan.api.ids import parse_id
from sanquan.auth.graphql import AccountType
from sanquan.auth.models import Account, Role
from sanquan.errors import DomainError, ErrorCode, raise_all
from sanquan.institutions.graphql import InstitutionType
from sanquan.institutions.models import Institution
from sanquan.institutions.service import get_institution
from sanquan.quarter import Quarter
from sanquan.review.graphql import IndicatorSetRef, ReviewSessionType
from sanquan.review.models import PanelMember, ReviewSession, SessionInstitution, SessionStatus
from sanquan.rotation import service
from sanquan.rotation.model import CYCLE_QUARTERS, DEFAULTS, Policy, RuleRef
from sanquan.rotation.models import ConstraintKind, PlanStatus, RotationConstraint, RotationPlan
from sanquan.timeutil import current_quarter, to_beijing

PolicyType = strawberry.enum(Policy, name="CompositionPolicy")
PlanStatusType = strawberry.enum(PlanStatus, name="RotationPlanStatus")
ConstraintKindType = strawberry.enum(ConstraintKind, name="RotationConstraintKind")


@strawberry.type(description="A rule an infeasible request cannot keep together with others.")
class RotationRule:
    kind: str = strawberry.field(
        description="POOL, CAPACITY, PIN, BLACKOUT, GAP, COMPOSITION, FIXED or PANEL."
    )
    description: str
    institution_code: str | None
    quarter: Quarter | None

    @classmethod
    def of(cls, rule: RuleRef, language: str) -> RotationRule:
        return cls(
            kind=rule.kind,
            description=rule.en if language == "en" else rule.zh,
            institution_code=rule.code,
            quarter=rule.quarter,
        )


@strawberry.type
class PlannedSessionType:
    quarter: Quarter
    index: int
    fixed: bool = strawberry.field(description="Had started when planned; kept as it was.")
    institutions: list[InstitutionType]
    panel: list[AccountType]


@strawberry.type
class PlannedQuarter:
    quarter: Quarter
    sessions: list[PlannedSessionType]


@strawberry.type
class ScheduleChange:
    institution: InstitutionType
    before: Quarter | None = strawberry.field(description="Null: not scheduled in the cycle yet.")
    after: Quarter


@strawberry.type(name="RotationPlan", description="A planned cycle: a draft until adopted.")
class RotationPlanType:
    row: strawberry.Private[RotationPlan]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def cycle_start(self) -> Quarter:
        return Quarter.parse(self.row.cycle_start)

    @strawberry.field
    def cycle_end(self) -> Quarter:
        return Quarter.parse(self.row.cycle_start).plus(CYCLE_QUARTERS - 1)

    @strawberry.field
    def status(self) -> PlanStatusType:  # type: ignore[valid-type]
        return PlanStatus(self.row.status)

    @strawberry.field
    def sessions_per_quarter(self) -> int:
        return int(self.row.parameters["sessions_per_quarter"])

    @strawberry.field
    def policy(self) -> PolicyType:  # type: ignore[valid-type]
        return Policy(self.row.parameters["policy"])

    @strawberry.field
    def created_at(self) -> datetime:
        return to_beijing(self.row.created_at)

    @strawberry.field
    def adopted_at(self) -> datetime | None:
        return to_beijing(self.row.adopted_at) if self.row.adopted_at else None

    @strawberry.field(description="Quarters in order, each with its sessions.")
    def quarters(self, info: Info) -> list[PlannedQuarter]:
        accounts = {
            a.id: a
            for a in info.context.db.scalars(
                select(Account).where(
                    Account.id.in_({i for e in self.row.entries for i in e.panel})
                )
            )
        }
        grouped: dict[str, dict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for entry in self.row.entries:
            grouped[entry.quarter][entry.slot].append(entry)
        return [
            PlannedQuarter(
                quarter=Quarter.parse(quarter),
                sessions=[
                    PlannedSessionType(
                        quarter=Quarter.parse(quarter),
                        index=slot,
                        fixed=entries[0].fixed,
                        institutions=[InstitutionType.of(e.institution) for e in entries],
                        panel=[AccountType.of(accounts[i]) for i in entries[0].panel],
                    )
                    for slot, entries in sorted(grouped[quarter].items())
                ],
            )
            for quarter in sorted(grouped)
        ]

    @strawberry.field(description="How the plan differs from the schedule as it stands.")
    def changes(self, info: Info) -> list[ScheduleChange]:
        return [
            ScheduleChange(
                institution=InstitutionType.of(move.institution),
                before=Quarter.parse(move.before) if move.before else None,
                after=Quarter.parse(move.after),
            )
            for move in service.changes(info.context.db, self.row)
        ]


@strawberry.type
class CycleQuarter:
    quarter: Quarter
    sessions: list[ReviewSessionType]


@strawberry.type(description="The schedule of one three-year cycle as it stands.")
class RotationCycle:
    start: Quarter
    end: Quarter
    quarters: list[CycleQuarter]
    unscheduled: list[InstitutionType] = strawberry.field(
        description="Active institutions with no session in the cycle."
    )


@strawberry.type
class OverdueInstitution:
    institution: InstitutionType
    last_review: Quarter | None = strawberry.field(description="Null: never reviewed.")
    due_by: Quarter | None


@strawberry.type(description="An institution's place in the rotation.")
class InstitutionReviews:
    institution: InstitutionType
    last_review: ReviewSessionType | None = strawberry.field(
        description="The latest concluded session that reviewed it."
    )
    next_review: ReviewSessionType | None = strawberry.field(
        description="The earliest session not yet concluded that will review it."
    )
    sessions: list[ReviewSessionType] = strawberry.field(description="Every session, by quarter.")


@strawberry.type
class RotationQuery:
    @strawberry.field(description="An institution's last and next review and all its sessions.")
    def institution_reviews(self, info: Info, code: Code) -> InstitutionReviews:
        db = info.context.db
        institution = get_institution(db, code, ("code",))
        rows = list(
            db.scalars(
                select(ReviewSession)
                .join(SessionInstitution, SessionInstitution.session_id == ReviewSession.id)
                .where(SessionInstitution.institution_id == institution.id)
                .options(selectinload(ReviewSession.members), selectinload(ReviewSession.panel))
                .order_by(ReviewSession.quarter, ReviewSession.id)
            )
        )
        done = [r for r in rows if r.status is SessionStatus.CONCLUDED]
        coming = [r for r in rows if r.status is not SessionStatus.CONCLUDED]
        return InstitutionReviews(
            institution=InstitutionType.of(institution),
            last_review=ReviewSessionType(row=done[-1]) if done else None,
            next_review=ReviewSessionType(row=coming[0]) if coming else None,
            sessions=[ReviewSessionType(row=r) for r in rows],
        )

    @strawberry.field(description="The sessions of the cycle starting at `start`, by quarter.")
    def rotation(
        self,
        info: Info,
        start: Annotated[Quarter, strawberry.argument(description=limits.CYCLE_START.describe())],
    ) -> RotationCycle:
        raise_all(limits.CYCLE_START.problems(start, current_quarter(), ("start",)))
        db = info.context.db
        quarters = service.cycle_quarters(start)
        sessions = list(
            db.scalars(
                select(ReviewSession)
                .where(ReviewSession.quarter.in_(quarters))
                .options(selectinload(ReviewSession.members), selectinload(ReviewSession.panel))
                .order_by(ReviewSession.quarter, ReviewSession.id)
            )
        )
        scheduled = {m.institution_id for s in sessions for m in s.members}
        by_quarter: dict[str, list[ReviewSession]] = defaultdict(list)
        for session in sessions:
            by_quarter[session.quarter].append(session)
        return RotationCycle(
            start=start,
            end=start.plus(CYCLE_QUARTERS - 1),
            quarters=[
                CycleQuarter(
                    quarter=Quarter.parse(q),
                    sessions=[ReviewSessionType(row=s) for s in by_quarter[q]],
                )
                for q in quarters
            ],
            unscheduled=[
                InstitutionType.of(i)
                for i in db.scalars(
                    select(Institution)
                    .where(Institution.active.is_(True), Institution.id.not_in(scheduled))
                    .order_by(Institution.code)
                )
            ],
        )

    @strawberry.field(description="A rotation plan (ADMIN).")
    def rotation_plan(self, info: Info, id: strawberry.ID) -> RotationPlanType | None:
        info.context.require(Role.ADMIN, what="rotationPlan")
        row = info.context.db.get(RotationPlan, parse_id(id))
        return RotationPlanType(row=row) if row else None

    @strawberry.field(
        description="Institutions whose last review is more than `maxGap` "
        "quarters before `asOf` (default: this quarter), or never reviewed and not scheduled."
    )
    def overdue_institutions(
        self,
        info: Info,
        as_of: Annotated[
            Quarter | None, strawberry.argument(description=limits.SCHEDULE.describe())
        ] = None,
        max_gap: Annotated[int, bounded_argument(limits.GAP)] = 16,
    ) -> list[OverdueInstitution]:
        db = info.context.db
        when = as_of or current_quarter()
        raise_all(limits.SCHEDULE.problems(when, current_quarter(), ("asOf",)))
        last = dict(
            db.execute(
                select(SessionInstitution.institution_id, func.max(ReviewSession.quarter))
                .join(ReviewSession, ReviewSession.id == SessionInstitution.session_id)
                .where(
                    ReviewSession.status == SessionStatus.CONCLUDED,
                    ReviewSession.quarter <= str(when),
                )
                .group_by(SessionInstitution.institution_id)
            ).all()
        )
        upcoming = set(
            db.scalars(
                select(SessionInstitution.institution_id)
                .join(ReviewSession, ReviewSession.id == SessionInstitution.session_id)
                .where(ReviewSession.status != SessionStatus.CONCLUDED)
            )
        )
        found = []
        for institution in db.scalars(
            select(Institution).where(Institution.active.is_(True)).order_by(Institution.code)
        ):
            quarter = last.get(institution.id)
            if quarter is None:
                if institution.id not in upcoming:
                    found.append(
                        OverdueInstitution(
                            institution=InstitutionType.of(institution),
                            last_review=None,
                            due_by=None,
                        )
                    )
                continue
            due = Quarter.parse(quarter).plus(max_gap)
            if due < when:
                found.append(
                    OverdueInstitution(
                        institution=InstitutionType.of(institution),
                        last_review=Quarter.parse(quarter),
                        due_by=due,
                    )
                )
        return found

    @strawberry.field(description="The sessions an expert sits on (ADMIN, or the expert).")
    def expert_sessions(
        self, info: Info, expert_id: strawberry.ID
    ) -> list[ReviewSessionType] | None:
        principal = info.context.principal
        account_id = parse_id(expert_id)
        if not (principal.is_admin or principal.account_id == account_id):
            raise Forbidden("查看其他专家的点评安排")
        rows = info.context.db.scalars(
            select(ReviewSession)
            .join(PanelMember, PanelMember.session_id == ReviewSession.id)
            .where(PanelMember.account_id == account_id)
            .options(selectinload(ReviewSession.members), selectinload(ReviewSession.panel))
            .order_by(ReviewSession.quarter, ReviewSession.id)
        )
        return [ReviewSessionType(row=row) for row in rows]


@strawberry.input
class PlanRotationInput:
    start: Quarter = strawberry.field(description=limits.CYCLE_START.describe())
    sessions_per_quarter: int | None = bounded(
        limits.SESSIONS_PER_QUARTER,
        "Sessions each quarter (k); null: the fewest that hold the active pool (2 for 92).",
        default=DEFAULTS.sessions_per_quarter,
    )
    min_session_size: int = bounded(limits.SESSION_SIZE, default=DEFAULTS.session_size[0])
    max_session_size: int = bounded(limits.SESSION_SIZE, default=DEFAULTS.session_size[1])
    min_gap: int = bounded(limits.GAP, "Quarters since the last review.", default=DEFAULTS.gap[0])
    max_gap: int = bounded(limits.GAP, default=DEFAULTS.gap[1])
    policy: PolicyType = DEFAULTS.policy  # type: ignore[valid-type]
    max_same_category: int = bounded(limits.SAME_CATEGORY, default=DEFAULTS.max_same_category)
    priorities: list[str] = bounded(
        limits.PRIORITY_LIST,
        "Institution codes to review early, most urgent first.",
        default_factory=list,
    )
    indicator_set: IndicatorSetRef = strawberry.field(
        default_factory=lambda: IndicatorSetRef(key=DEFAULTS.indicator_set_key)
    )
    panel_size: int = bounded(limits.PANEL_SIZE, "0 plans no panels.", default=DEFAULTS.panel_size)
    max_sessions_per_year: int = bounded(
        limits.SESSIONS_PER_YEAR, default=DEFAULTS.max_sessions_per_year
    )

    def options(self) -> service.PlanOptions:
        return service.PlanOptions(
            start=self.start,
            sessions_per_quarter=self.sessions_per_quarter,
            session_size=(self.min_session_size, self.max_session_size),
            gap=(self.min_gap, self.max_gap),
            policy=Policy(self.policy),
            max_same_category=self.max_same_category,
            priorities=tuple(c.strip() for c in self.priorities),
            indicator_set_key=self.indicator_set.key,
            indicator_set_version=self.indicator_set.version,
            panel_size=self.panel_size,
            max_sessions_per_year=self.max_sessions_per_year,
        )


@strawberry.type
class PlanRotationPayload:
    plan: RotationPlanType | None
    conflicts: list[RotationRule] = strawberry.field(
        description="When no plan exists: the smallest set of rules that cannot hold together."
    )
    user_errors: list[UserError]


@strawberry.input
class AdoptRotationPlanInput:
    plan_id: strawberry.ID


@strawberry.type
class AdoptRotationPlanPayload:
    plan: RotationPlanType | None
    created_sessions: list[ReviewSessionType]
    user_errors: list[UserError]


@strawberry.input
class SetRotationConstraintInput:
    institution_code: str = bounded(limits.CODE)
    quarter: Quarter = strawberry.field(description=limits.SCHEDULE.describe())
    kind: ConstraintKindType  # type: ignore[valid-type]
    remove: bool = False
    note: str = bounded(limits.NOTE, default="")


@strawberry.type
class RotationConstraintType:
    institution: InstitutionType
    quarter: Quarter
    kind: ConstraintKindType  # type: ignore[valid-type]
    note: str

    @classmethod
    def of(cls, row: RotationConstraint) -> RotationConstraintType:
        return cls(
            institution=InstitutionType.of(row.institution),
            quarter=Quarter.parse(row.quarter),
            kind=row.kind,
            note=row.note,
        )


@strawberry.type
class SetRotationConstraintPayload:
    constraint: RotationConstraintType | None
    user_errors: list[UserError]


@strawberry.type
class RotationMutation:
    @strawberry.mutation(
        description="Plan a cycle (quarters, sessions, panels), verify it and keep it as a "
        "draft to compare and adopt (ADMIN). An impossible request is explained."
    )
    def plan_rotation(self, info: Info, input: PlanRotationInput) -> PlanRotationPayload | None:
        ctx = info.context
        actor = ctx.require(Role.ADMIN, what="planRotation")
        conflicts: list[RotationRule] = []

        def action() -> RotationPlan:
            try:
                return service.make_draft(ctx.db, ctx.host, actor, input.options())
            except DomainError as error:
                if error.code is ErrorCode.ROTATION_INFEASIBLE:
                    conflicts.extend(
                        RotationRule.of(rule, ctx.language) for rule in error.params["rules"]
                    )
                raise

        row, errors = ctx.mutate(action)
        return PlanRotationPayload(
            plan=RotationPlanType(row=row) if row else None,
            conflicts=conflicts,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Adopt a draft plan: create its sessions, keeping every started one (ADMIN)."
    )
    def adopt_rotation_plan(
        self, info: Info, input: AdoptRotationPlanInput
    ) -> AdoptRotationPlanPayload | None:
        ctx = info.context
        ctx.require(Role.ADMIN, what="adoptRotationPlan")
        plan_id = input.plan_id

        def action() -> tuple[RotationPlan, list[ReviewSession]]:
            number = parse_id(plan_id)
            created = service.adopt(ctx.db, ctx.host, number)
            plan = ctx.db.get(RotationPlan, number)
            assert plan is not None
            return plan, created

        result, errors = ctx.mutate(action)
        if result is None:
            return AdoptRotationPlanPayload(plan=None, created_sessions=[], user_errors=errors)
        plan, created = result
        return AdoptRotationPlanPayload(
            plan=RotationPlanType(row=plan),
            created_sessions=[ReviewSessionType(row=s) for s in created],
            user_errors=[],
        )

    @strawberry.mutation(
        description="Pin an institution to a quarter, or bar it from one, for later plans "
        "(ADMIN); `remove: true` lifts it."
    )
    def set_rotation_constraint(
        self, info: Info, input: SetRotationConstraintInput
    ) -> SetRotationConstraintPayload | None:
        ctx = info.context
        ctx.require(Role.ADMIN, what="setRotationConstraint")
        row, errors = ctx.mutate(
            lambda: service.set_constraint(
                ctx.db,
                input.institution_code,
                input.quarter,
                ConstraintKind(input.kind),
                remove=input.remove,
                note=input.note,
            )
        )
        return SetRotationConstraintPayload(
            constraint=RotationConstraintType.of(row) if row else None, user_errors=errors
        )
