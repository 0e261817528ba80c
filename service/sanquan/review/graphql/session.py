"""The ``ReviewSession`` type: a session with its panel, scores, results and diagnosis,
each field guarded by the blind-review rule."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Self

import strawberry
from sqlalchemy import select

from sanquan.api.bounds import After, Before, First, Last, OptionalCode
from sanquan.api.context import Info
from sanquan.api.errors import Forbidden
from sanquan.api.ids import global_id
from sanquan.api.nodes import Node, row_key
from sanquan.api.pagination import Connection, Page, paginate, paginate_list
from sanquan.auth.graphql import AccountType
from sanquan.auth.models import Role
from sanquan.errors import DomainError, invalid
from sanquan.findings import service as findings
from sanquan.findings.models import Finding
from sanquan.institutions.graphql import InstitutionType
from sanquan.plugins.graphql import IndicatorSetType, SourceType
from sanquan.quarter import Quarter
from sanquan.review import conclusion, scoring, sessions, visibility
from sanquan.review import diagnostics as diagnosing
from sanquan.review.graphql.progress import SessionProgressType, progress_of
from sanquan.review.graphql.types import (
    AggregationInfo,
    Deadlines,
    IndicatorResultType,
    InstitutionDiagnosisType,
    InstitutionResultType,
    ScoreboardRowType,
    ScoreboardType,
    ScoreType,
    SelfAssessmentGap,
    SessionStatusType,
    SourceWeightsType,
    Standout,
    beijing,
)
from sanquan.review.models import ReviewSession, Score, SessionStatus
from sanquan.review.results import indicator_titles, session_results, session_scoreboard
from sanquan.timeutil import current_quarter, to_beijing

if TYPE_CHECKING:
    from sanquan.findings.graphql import FindingType


@strawberry.type(
    name="ReviewSession",
    description="A review session (点评工作会): one quarter's review of 3–5 institutions "
    "against one pinned indicator set, by themselves, each other and an expert panel. Every "
    "signed-in account reads its schedule; scores and panel as each field says.",
)
class ReviewSessionType(Node):
    row: strawberry.Private[ReviewSession]

    @strawberry.field(description="The session's global id, as mutations take it.")
    def id(self) -> strawberry.ID:
        return global_id("ReviewSession", self.row.id)

    @classmethod
    def fetch(cls, info: Info, key: str) -> Self | None:
        """Every signed-in account reads the schedule; the fields guard the rest."""
        pk = row_key(key)
        row = load_session(info, pk) if pk else None
        return cls(row=row) if row else None

    @strawberry.field(description="The quarter the session reviews in.")
    def quarter(self) -> Quarter:
        return Quarter.parse(self.row.quarter)

    @strawberry.field(description="The session's title; may be empty.")
    def title(self) -> str:
        return self.row.title

    @strawberry.field(description="Draft, open for scoring, or concluded.")
    def status(self) -> SessionStatusType:  # type: ignore[valid-type]
        return SessionStatus(self.row.status)

    @strawberry.field(description="The key of the indicator set the session scores against.")
    def indicator_set_key(self) -> str:
        return self.row.indicator_set_key

    @strawberry.field(description="The version of that set, pinned when the session was created.")
    def indicator_set_version(self) -> str:
        return self.row.indicator_set_version

    @strawberry.field(description="The pinned set's structure, if the plugin is installed.")
    def indicator_set(self, info: Info) -> IndicatorSetType | None:
        host = info.context.host
        found = host.indicator_set(self.row.indicator_set_key, self.row.indicator_set_version)
        return IndicatorSetType.of(found, host.provider(found)) if found else None

    @strawberry.field(
        description="Experts without a conflict of interest each institution needs (R11), "
        "and the complete expert evaluations it needs to conclude (R15)."
    )
    def min_experts(self) -> int:
        return self.row.min_experts

    @strawberry.field(description="Last day (Beijing time) for each source's scores.")
    def deadlines(self) -> Deadlines:
        return Deadlines(
            self_evaluation=self.row.self_deadline,
            peer=self.row.peer_deadline,
            expert=self.row.expert_deadline,
        )

    @strawberry.field(description="When the session was created (Beijing time).")
    def created_at(self) -> datetime:
        return to_beijing(self.row.created_at)

    @strawberry.field(description="When it was opened for scoring; null while a draft.")
    def opened_at(self) -> datetime | None:
        return beijing(self.row.opened_at)

    @strawberry.field(description="When it was concluded; null until then.")
    def concluded_at(self) -> datetime | None:
        return beijing(self.row.concluded_at)

    @strawberry.field(description="The institutions under review, in session order.")
    def institutions(self) -> list[InstitutionType]:
        return [InstitutionType.of(m.institution) for m in self.row.members]

    @strawberry.field(description="The expert panel: ADMIN and the panel's experts only.")
    def panel(self, info: Info) -> list[AccountType] | None:
        if not visibility.may_see_panel(self.row, info.context.principal):
            raise Forbidden("查看专家组名单")
        return [AccountType.of(m.account) for m in self.row.panel]

    @strawberry.field(
        description="Scores the caller may see: before conclusion only their own (blind "
        "review); after it, the other reviewers' submitted scores too (a school: those about "
        "itself), never their drafts; ADMIN sees all. Ordered by institution, indicator and "
        "source; another expert's scores then by content only, never by expert."
    )
    def scores(
        self,
        info: Info,
        institution_code: OptionalCode = None,
        source: Annotated[
            SourceType | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only scores from this source."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ScoreType] | None:
        principal = info.context.principal
        if not visibility.may_read_scores(self.row, principal):
            raise Forbidden("查看本次点评的评分")
        query = visibility.visible_scores(self.row, principal)
        if institution_code is not None:
            ids = [
                m.institution_id for m in self.row.members if m.institution.code == institution_code
            ]
            query = query.where(Score.subject_id.in_(ids))
        if source is not None:
            query = query.where(Score.source == source)
        order = visibility.reading_order(
            self.row, principal, indicator_titles(info.context.host, self.row)
        )
        # The whole list is ordered to find a page, but only the page's rows are loaded
        # as objects: a client reading a 3,000-score sheet asks for 15 pages.
        db = info.context.db
        keys = sorted(db.execute(query.with_only_columns(*visibility.ORDERED_BY)).all(), key=order)

        def load(chosen: list[Any]) -> list[ScoreType]:
            rows = db.scalars(select(Score).where(Score.id.in_([c.id for c in chosen])))
            found = {row.id: row for row in rows}
            return [ScoreType(row=found[c.id], session=self.row) for c in chosen]

        return paginate_list(
            keys,
            lambda row: visibility.shown_key(self.row, row, principal),
            load,
            Page(first, after, last, before),
        )

    @strawberry.field(
        description="The findings raised in the session (点评发现), oldest first: every one for "
        "ADMIN, VIEWER and the panel's experts, a school's own for a school."
    )
    def findings(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Annotated[FindingType, strawberry.lazy("sanquan.findings.graphql")]] | None:
        from sanquan.findings.graphql import FindingType  # it refers back to this type

        scope = findings.reader_scope(info.context.principal, self.row)
        query = select(Finding).where(Finding.session_id == self.row.id)
        if scope is not None:
            query = query.where(Finding.institution_id == scope)
        current = current_quarter()
        return paginate(
            info.context.db,
            query,
            (Finding.id,),
            lambda row: (row.id,),
            lambda row: FindingType(row=row, quarter=current),
            Page(first, after, last, before),
        )

    @strawberry.field(description="What still keeps the session from concluding (ADMIN).")
    def missing_evaluations(self, info: Info) -> list[str] | None:
        ctx = info.context
        ctx.require(Role.ADMIN, what="missingEvaluations")
        if self.row.status is SessionStatus.CONCLUDED:
            return []
        indicator_set = scoring.pinned_set(ctx.host, self.row)
        missing = conclusion.missing_evaluations(ctx.db, self.row, indicator_set)
        return [m.describe().text(ctx.language) for m in missing]

    @strawberry.field(
        description="The completeness view (R15): for each institution and source, what each "
        "expected reviewer has submitted and drafted, and whether the session could conclude "
        "now (ADMIN: it names the experts). `Subscription.sessionProgress` follows it live."
    )
    def progress(self, info: Info) -> SessionProgressType | None:
        return progress_of(info.context, self.row)

    @strawberry.field(description="How the results were computed; null until concluded.")
    def aggregation(self) -> AggregationInfo | None:
        weights = self.row.aggregation_weights
        if self.row.status is not SessionStatus.CONCLUDED or not weights:
            return None
        return AggregationInfo(
            method=self.row.aggregation_method or "",
            weights=SourceWeightsType(
                self_weight=weights["SELF"], peer=weights["PEER"], expert=weights["EXPERT"]
            ),
        )

    @strawberry.field(
        description="Highlights, weaknesses and self-assessment gaps (R17); null until "
        "concluded. `margin`: points from the session's mean for an indicator to stand out; "
        "`gapThreshold`: points between self value and consensus to be flagged."
    )
    def diagnostics(
        self,
        info: Info,
        margin: Annotated[
            float,
            strawberry.argument(
                description="Points from the session's mean for an indicator to stand out; "
                "positive."
            ),
        ] = diagnosing.DEFAULT_MARGIN,
        gap_threshold: Annotated[
            float,
            strawberry.argument(
                description="Points between a self value and the consensus, either way, for "
                "the gap to be flagged; positive."
            ),
        ] = diagnosing.DEFAULT_GAP_THRESHOLD,
    ) -> list[InstitutionDiagnosisType] | None:
        if self.row.status is not SessionStatus.CONCLUDED:
            return None
        for name, value in (("margin", margin), ("gapThreshold", gap_threshold)):
            if value <= 0:
                raise invalid((name,), "应为正数", "must be positive")
        found = diagnosing.diagnose_session(
            info.context.db,
            info.context.host,
            self.row,
            margin=margin,
            gap_threshold=gap_threshold,
        )
        institutions = {m.institution_id: m.institution for m in self.row.members}

        def standouts(items: tuple[diagnosing.Standout, ...]) -> list[Standout]:
            return [
                Standout(
                    indicator=s.indicator,
                    title=found.title(s.indicator),
                    value=s.value,
                    session_mean=s.session_mean,
                    delta=s.delta,
                )
                for s in items
            ]

        return [
            InstitutionDiagnosisType(
                institution=InstitutionType.of(institutions[d.institution_id]),
                highlights=standouts(d.highlights),
                weaknesses=standouts(d.weaknesses),
                self_gaps=[
                    SelfAssessmentGap(
                        indicator=g.indicator,
                        title=found.title(g.indicator),
                        self_value=g.self_value,
                        consensus=g.consensus,
                        gap=g.gap,
                    )
                    for g in d.self_gaps
                ],
                mean_self_gap=d.mean_self_gap,
            )
            for d in found.diagnoses
        ]

    @strawberry.field(
        description="The results as a table of vectors (the figures of `results`, in far "
        "fewer fields: what a client reading every indicator of every school should ask "
        "for); null until concluded."
    )
    def scoreboard(self, info: Info) -> ScoreboardType | None:
        found = session_scoreboard(info.context.db, info.context.host, self.row)
        if found is None:
            return None
        return ScoreboardType(
            indicators=list(found.indicators),
            titles=list(found.titles),
            rows=[
                ScoreboardRowType(
                    institution=InstitutionType.of(r.institution),
                    overall_index=r.overall_index,
                    rank=r.rank,
                    self_values=list(r.self_values),
                    peer_means=list(r.peer_means),
                    expert_means=list(r.expert_means),
                    combined=list(r.combined),
                    peer_counts=list(r.peer_counts),
                    expert_counts=list(r.expert_counts),
                )
                for r in found.rows
            ],
        )

    @strawberry.field(description="Per-institution results; null until concluded.")
    def results(self, info: Info) -> list[InstitutionResultType] | None:
        found = session_results(info.context.db, info.context.host, self.row)
        if found is None:
            return None
        return [
            InstitutionResultType(
                institution=InstitutionType.of(r.institution),
                overall_index=r.overall_index,
                rank=r.rank,
                indicators=[IndicatorResultType(**asdict(i)) for i in r.indicators],
            )
            for r in found
        ]


def load_session(info: Info, session_id: int) -> ReviewSession | None:
    try:
        return sessions.get_session(info.context.db, session_id)
    except DomainError:
        return None
