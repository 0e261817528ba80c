"""GraphQL for the rotation: plan a cycle, compare and adopt the draft, standing pins and
blackouts (ADMIN); the schedule of a cycle, unscheduled and overdue institutions, an
expert's sessions (readers)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

import strawberry
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from sanquan import limits
from sanquan.api.bounds import INPUT, Code, bounded, bounded_argument
from sanquan.api.context import Info
from sanquan.api.enums import described_enum
from sanquan.api.errors import Forbidden, UserError, refusals
from sanquan.api.ids import global_id, parse_id
from sanquan.api.nodes import Node, by_row
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

PolicyType = described_enum(
    Policy,
    "How a session's institutions are composed by category (R6).",
    {
        Policy.MIX: "Mix categories: at most `maxSameCategory` institutions of one category per "
        "session.",
        Policy.GROUP: "Group them: institutions of a category kept together as far as the sizes "
        "allow.",
    },
    name="CompositionPolicy",
)
PlanStatusType = described_enum(
    PlanStatus,
    "Where a rotation plan (轮转计划) stands.",
    {
        PlanStatus.DRAFT: "Planned and verified; nothing scheduled yet.",
        PlanStatus.ADOPTED: "Its sessions were created.",
        PlanStatus.SUPERSEDED: "A later plan of the same cycle was adopted.",
    },
    name="RotationPlanStatus",
)
ConstraintKindType = described_enum(
    ConstraintKind,
    "A rotation constraint's kind (R5).",
    {
        ConstraintKind.PIN: "Review the institution in this quarter.",
        ConstraintKind.BLACKOUT: "Do not review the institution in this quarter.",
    },
    name="RotationConstraintKind",
)


class RuleKind(StrEnum):
    """The kinds of rule an explanation cites (``RuleRef.kind``)."""

    POOL = "POOL"
    CAPACITY = "CAPACITY"
    PIN = "PIN"
    BLACKOUT = "BLACKOUT"
    GAP = "GAP"
    COMPOSITION = "COMPOSITION"
    FIXED = "FIXED"
    PANEL = "PANEL"


RuleKindType = described_enum(
    RuleKind,
    "Which rule of a rotation request an explanation cites.",
    {
        RuleKind.POOL: "The pool: every active institution reviewed once per cycle (R1, R3).",
        RuleKind.CAPACITY: "Sessions per quarter and their sizes: what a cycle holds (R2, R3).",
        RuleKind.PIN: "A pin: an institution must be reviewed in a quarter (R5).",
        RuleKind.BLACKOUT: "A blackout: an institution must not be reviewed in a quarter (R5).",
        RuleKind.GAP: "The gap between an institution's consecutive reviews (R4).",
        RuleKind.COMPOSITION: "The composition policy by category (R6).",
        RuleKind.FIXED: "A session that has started and is kept as it is (R8).",
        RuleKind.PANEL: "Expert panels: size, conflicts of interest, sessions per expert a year.",
    },
    name="RotationRuleKind",
)


@strawberry.type(description="A rule an infeasible request cannot keep together with others.")
class RotationRule:
    kind: RuleKindType = strawberry.field(  # type: ignore[valid-type]
        description="Which rule it is."
    )
    description: str = strawberry.field(
        description="The rule as the request stated it, zh-CN unless Accept-Language: en."
    )
    institution_code: str | None = strawberry.field(
        description="The institution the rule is about, if one."
    )
    quarter: Quarter | None = strawberry.field(description="The quarter it is about, if one.")

    @classmethod
    def of(cls, rule: RuleRef, language: str) -> RotationRule:
        return cls(
            kind=RuleKind(rule.kind),
            description=rule.en if language == "en" else rule.zh,
            institution_code=rule.code,
            quarter=rule.quarter,
        )


@strawberry.type(name="PlannedSession", description="A session a rotation plan schedules.")
class PlannedSessionType:
    quarter: Quarter = strawberry.field(description="Its quarter.")
    index: int = strawberry.field(description="Its place among the quarter's sessions, from 0.")
    fixed: bool = strawberry.field(description="Had started when planned; kept as it was.")
    institutions: list[InstitutionType] = strawberry.field(
        description="The institutions it reviews."
    )
    panel: list[AccountType] = strawberry.field(
        description="The experts planned for it; empty when the plan has no panels."
    )


@strawberry.type(description="One quarter of a rotation plan.")
class PlannedQuarter:
    quarter: Quarter = strawberry.field(description="The quarter.")
    sessions: list[PlannedSessionType] = strawberry.field(description="Its sessions, in order.")


@strawberry.type(description="An institution the plan moves to another quarter.")
class ScheduleChange:
    institution: InstitutionType = strawberry.field(description="The institution.")
    before: Quarter | None = strawberry.field(description="Null: not scheduled in the cycle yet.")
    after: Quarter = strawberry.field(description="Its quarter in the plan.")


@strawberry.type(name="RotationPlan", description="A planned cycle: a draft until adopted.")
class RotationPlanType(Node):
    row: strawberry.Private[RotationPlan]

    @strawberry.field(description="The plan's global id, as adoptRotationPlan takes it.")
    def id(self) -> strawberry.ID:
        return global_id("RotationPlan", self.row.id)

    @classmethod
    def fetch(cls, info: Info, key: str) -> Self | None:
        """Rotation plans are the commission's (ADMIN) drafts."""
        if not info.context.principal.is_admin:
            return None
        row = by_row(info.context.db, RotationPlan, key)
        return cls(row=row) if row else None

    @strawberry.field(description="The cycle's first quarter.")
    def cycle_start(self) -> Quarter:
        return Quarter.parse(self.row.cycle_start)

    @strawberry.field(description="The cycle's last quarter, 12 quarters on from the first.")
    def cycle_end(self) -> Quarter:
        return Quarter.parse(self.row.cycle_start).plus(CYCLE_QUARTERS - 1)

    @strawberry.field(description="Draft, adopted or superseded.")
    def status(self) -> PlanStatusType:  # type: ignore[valid-type]
        return PlanStatus(self.row.status)

    @strawberry.field(description="Sessions per quarter the plan was made with.")
    def sessions_per_quarter(self) -> int:
        return int(self.row.parameters["sessions_per_quarter"])

    @strawberry.field(description="The composition policy the plan was made with.")
    def policy(self) -> PolicyType:  # type: ignore[valid-type]
        return Policy(self.row.parameters["policy"])

    @strawberry.field(description="When it was planned (Beijing time).")
    def created_at(self) -> datetime:
        return to_beijing(self.row.created_at)

    @strawberry.field(description="When it was adopted; null unless adopted.")
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


@strawberry.type(description="One quarter of a cycle's schedule.")
class CycleQuarter:
    quarter: Quarter = strawberry.field(description="The quarter.")
    sessions: list[ReviewSessionType] = strawberry.field(description="Its sessions.")


@strawberry.type(description="The schedule of one three-year cycle (轮次) as it stands.")
class RotationCycle:
    start: Quarter = strawberry.field(description="The cycle's first quarter.")
    end: Quarter = strawberry.field(description="Its last quarter, 12 quarters on.")
    quarters: list[CycleQuarter] = strawberry.field(description="Every quarter, in order.")
    unscheduled: list[InstitutionType] = strawberry.field(
        description="Active institutions with no session in the cycle."
    )


@strawberry.type(description="An institution due for review.")
class OverdueInstitution:
    institution: InstitutionType = strawberry.field(description="The institution.")
    last_review: Quarter | None = strawberry.field(description="Null: never reviewed.")
    due_by: Quarter | None = strawberry.field(
        description="Its last review plus `maxGap` quarters; null when never reviewed."
    )


@strawberry.type(description="An institution's place in the rotation.")
class InstitutionReviews:
    institution: InstitutionType = strawberry.field(description="The institution.")
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
    def rotation_plan(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The plan's id.")],
    ) -> RotationPlanType | None:
        info.context.require(Role.ADMIN, what="rotationPlan")
        row = info.context.db.get(RotationPlan, parse_id(id, "RotationPlan"))
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

    @strawberry.field(
        description="The sessions an expert sits on (ADMIN, or the expert).",
        deprecation_reason="Use `reviewSessions(expertId:)`, which pages; removed in 0.3.0.",
    )
    def expert_sessions(
        self,
        info: Info,
        expert_id: Annotated[
            strawberry.ID, strawberry.argument(description="The EXPERT account's id.")
        ],
    ) -> list[ReviewSessionType] | None:
        principal = info.context.principal
        account_id = parse_id(expert_id, "Account")
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


@strawberry.input(
    description="What to plan: a 12-quarter cycle and the rules it must keep (R1–R8)."
)
class PlanRotationInput:
    start: Quarter = strawberry.field(
        description=f"The cycle's first quarter. {limits.CYCLE_START.describe()}"
    )
    sessions_per_quarter: int | None = bounded(
        limits.SESSIONS_PER_QUARTER,
        "Sessions each quarter (k, R2); null: the fewest that hold the active pool (2 for 92).",
        default=DEFAULTS.sessions_per_quarter,
    )
    min_session_size: int = bounded(
        limits.SESSION_SIZE, "Fewest institutions a session.", default=DEFAULTS.session_size[0]
    )
    max_session_size: int = bounded(
        limits.SESSION_SIZE, "Most institutions a session.", default=DEFAULTS.session_size[1]
    )
    min_gap: int = bounded(
        limits.GAP,
        "Fewest quarters between an institution's reviews (R4).",
        default=DEFAULTS.gap[0],
    )
    max_gap: int = bounded(
        limits.GAP, "Most quarters between an institution's reviews (R4).", default=DEFAULTS.gap[1]
    )
    policy: PolicyType = strawberry.field(  # type: ignore[valid-type]
        default=DEFAULTS.policy, description="Mix or group categories in a session (R6)."
    )
    max_same_category: int = bounded(
        limits.SAME_CATEGORY,
        "MIX: most institutions of one category a session.",
        default=DEFAULTS.max_same_category,
    )
    priorities: list[str] = bounded(
        limits.PRIORITY_LIST,
        "Institution codes to review early, most urgent first.",
        default_factory=list,
    )
    indicator_set: IndicatorSetRef = strawberry.field(
        default_factory=lambda: IndicatorSetRef(key=DEFAULTS.indicator_set_key),
        description="The indicator set the created sessions pin.",
    )
    panel_size: int = bounded(
        limits.PANEL_SIZE,
        "Experts to plan for each session; 0 plans no panels.",
        default=DEFAULTS.panel_size,
    )
    max_sessions_per_year: int = bounded(
        limits.SESSIONS_PER_YEAR,
        "Most sessions one expert sits on in a year.",
        default=DEFAULTS.max_sessions_per_year,
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


@strawberry.type(description="The plan made, or why none can be.")
class PlanRotationPayload:
    plan: RotationPlanType | None = strawberry.field(
        description="The draft plan; null when refused or infeasible."
    )
    conflicts: list[RotationRule] = strawberry.field(
        description="When no plan exists: the smallest set of rules that cannot hold together."
    )
    user_errors: list[UserError] = refusals()


@strawberry.input(description="A draft plan to adopt.")
class AdoptRotationPlanInput:
    plan_id: strawberry.ID = strawberry.field(description="The plan.")


@strawberry.type(description="The plan adopted and the sessions it created.")
class AdoptRotationPlanPayload:
    plan: RotationPlanType | None = strawberry.field(description="As it is now; null when refused.")
    created_sessions: list[ReviewSessionType] = strawberry.field(
        description="The draft sessions created, by quarter."
    )
    user_errors: list[UserError] = refusals()


@strawberry.input(description="A pin or blackout for later plans.")
class SetRotationConstraintInput:
    institution_code: str = bounded(limits.CODE, "The institution.")
    quarter: Quarter = strawberry.field(description=f"The quarter. {limits.SCHEDULE.describe()}")
    kind: ConstraintKindType = strawberry.field(  # type: ignore[valid-type]
        description="Pin to the quarter or bar from it."
    )
    remove: bool = strawberry.field(default=False, description="True lifts the constraint.")
    note: str = bounded(limits.NOTE, "Why, for people.", default="")


@strawberry.type(
    name="RotationConstraint",
    description="A pin or blackout (R5) that later rotation plans keep.",
)
class RotationConstraintType:
    institution: InstitutionType = strawberry.field(description="The institution.")
    quarter: Quarter = strawberry.field(description="The quarter.")
    kind: ConstraintKindType = strawberry.field(  # type: ignore[valid-type]
        description="Pin or blackout."
    )
    note: str = strawberry.field(description="Why; may be empty.")

    @classmethod
    def of(cls, row: RotationConstraint) -> RotationConstraintType:
        return cls(
            institution=InstitutionType.of(row.institution),
            quarter=Quarter.parse(row.quarter),
            kind=row.kind,
            note=row.note,
        )


@strawberry.type(description="The constraint set or lifted.")
class SetRotationConstraintPayload:
    constraint: RotationConstraintType | None = strawberry.field(
        description="The constraint; null when refused or lifted."
    )
    user_errors: list[UserError] = refusals()


@strawberry.type
class RotationMutation:
    @strawberry.mutation(
        description="Plan a cycle (quarters, sessions, panels), verify it and keep it as a "
        "draft to compare and adopt (ADMIN). An impossible request is explained."
    )
    def plan_rotation(
        self, info: Info, input: Annotated[PlanRotationInput, INPUT]
    ) -> PlanRotationPayload | None:
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
        self, info: Info, input: Annotated[AdoptRotationPlanInput, INPUT]
    ) -> AdoptRotationPlanPayload | None:
        ctx = info.context
        ctx.require(Role.ADMIN, what="adoptRotationPlan")
        plan_id = input.plan_id

        def action() -> tuple[RotationPlan, list[ReviewSession]]:
            number = parse_id(plan_id, "RotationPlan")
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
        self, info: Info, input: Annotated[SetRotationConstraintInput, INPUT]
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
