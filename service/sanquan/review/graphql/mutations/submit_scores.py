"""``submitScores``: one reviewer's scores for one institution, all or nothing (R9–R13)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from sanquan import limits
from sanquan.api.bounds import INPUT, bounded
from sanquan.api.context import Info, selects
from sanquan.api.errors import UserError, refusals
from sanquan.api.ids import parse_id
from sanquan.auth.models import Role
from sanquan.errors import DomainError, DomainErrors, FieldPath, invalid, raise_all
from sanquan.plugins.graphql import SourceType
from sanquan.review import scoring
from sanquan.review.graphql.types import ScoreType
from sanquan.review.sessions import get_session
from sanquan_sdk import Source


@strawberry.input(
    description="One score: exactly one of `value`, `level` or `figure`, as the indicator's "
    "scale kind says (NUMERIC, LEVELS, TARGET)."
)
class ScoreInput:
    indicator: str = bounded(limits.CODE, "The indicator's code.")
    value: float | None = strawberry.field(
        default=None, description="NUMERIC: the score, within the scale's minimum and maximum."
    )
    level: str | None = bounded(limits.CODE, "LEVELS: the level's code, e.g. B.", default=None)
    figure: float | None = strawberry.field(
        default=None, description="The measured figure for a target, e.g. 7 (次/年)."
    )
    comment: str = bounded(limits.COMMENT, "Why this score.", default="")
    evidence: str = bounded(limits.COMMENT, "Where the evidence is: documents, links.", default="")


@strawberry.input(
    description="The scores of a submission as vectors: `indicators` names them, and each "
    "other list given has one entry per indicator, in the same order (null, or left out, "
    "where the indicator's scale takes something else). The same scores as a list of "
    "`ScoreInput`, in a handful of values instead of an object per score: the cheaper form "
    "for a reviewer's whole set."
)
class ScoreVectorInput:
    indicators: list[str] = bounded(limits.SCORE_CODE_LIST, "The indicators' codes.")
    values: list[float | None] | None = bounded(
        limits.SCORE_LIST, "NUMERIC: the scores, by position.", default=None
    )
    levels: list[str | None] | None = bounded(
        limits.SCORE_CODE_LIST, "LEVELS: the levels' codes, by position.", default=None
    )
    figures: list[float | None] | None = bounded(
        limits.SCORE_LIST, "TARGET: the measured figures, by position.", default=None
    )
    comments: list[str] | None = bounded(
        limits.SCORE_COMMENT_LIST, "Why each score, by position; none: empty.", default=None
    )
    evidence: list[str] | None = bounded(
        limits.SCORE_COMMENT_LIST,
        "Where each score's evidence is, by position; none: empty.",
        default=None,
    )

    def entries(self) -> list[scoring.ScoreEntry]:
        """The scores as entries, or ``INVALID_VALUE`` naming each list whose length is not
        the number of indicators."""
        count = len(self.indicators)
        columns = {
            "values": self.values,
            "levels": self.levels,
            "figures": self.figures,
            "comments": self.comments,
            "evidence": self.evidence,
        }
        raise_all(
            [
                invalid(
                    ("vector", name),
                    f"应与 indicators 一样有 {count} 项,收到 {len(column)} 项",
                    f"must have as many entries as indicators ({count}); got {len(column)}",
                )
                for name, column in columns.items()
                if column is not None and len(column) != count
            ]
        )
        none: list[None] = [None] * count
        blank = [""] * count
        return [
            scoring.ScoreEntry(indicator, value, comment, evidence, level, figure)
            for indicator, value, level, figure, comment, evidence in zip(
                self.indicators,
                self.values or none,
                self.levels or none,
                self.figures or none,
                self.comments or blank,
                self.evidence or blank,
                strict=True,
            )
        ]


VECTOR_FIELDS = {
    "indicator": "indicators",
    "value": "values",
    "level": "levels",
    "figure": "figures",
    "comment": "comments",
    "evidence": "evidence",
}
"""A score's field and the list of :class:`ScoreVectorInput` that carries it."""


def vector_path(path: FieldPath) -> FieldPath:
    """Where an error about ``scores.<i>.<field>`` lies in a vector: ``vector.<list>.<i>``;
    an error about the scores as a whole lies in ``vector.indicators``."""
    if path[:1] != ("scores",):
        return path
    if len(path) >= 2:
        name = VECTOR_FIELDS.get(str(path[2]) if len(path) > 2 else "", "indicators")
        return ("vector", name, path[1])
    return ("vector", "indicators")


@strawberry.input(
    description="One reviewer's scores of one institution in an open session; replaces the "
    "reviewer's earlier scores of the same indicators. The scores come as `scores` or as "
    "`vector`, not both."
)
class SubmitScoresInput:
    session_id: strawberry.ID = strawberry.field(description="The session.")
    institution_code: str = bounded(limits.CODE, "The institution scored.")
    source: SourceType = strawberry.field(  # type: ignore[valid-type]
        description="SELF for one's own school, PEER for another of the session's, EXPERT for "
        "a panel expert."
    )
    scores: list[ScoreInput] = bounded(
        limits.SCORE_LIST,
        "No more than the service's configured maximum (default 500); empty when `vector` "
        "carries them.",
        default_factory=list,
    )
    vector: ScoreVectorInput | None = strawberry.field(
        default=None,
        description="The same scores as vectors, instead of `scores`: one value per "
        "indicator in each list, the cheaper form for many scores.",
    )
    final: bool = strawberry.field(
        default=True, description="False saves a draft, which does not count yet."
    )


@strawberry.type(description="What a submission stored.")
class SubmitScoresPayload:
    scores: list[ScoreType] = strawberry.field(
        description="The submitted scores as stored; empty when refused."
    )
    changed_count: int = strawberry.field(description="Scores created or changed; 0 on a repeat.")
    user_errors: list[UserError] = refusals()


@strawberry.type
class SubmitScores:
    @strawberry.mutation(
        description="One reviewer's scores for one institution, all or nothing; "
        "resubmitting the same scores is harmless."
    )
    def submit_scores(
        self, info: Info, input: Annotated[SubmitScoresInput, INPUT]
    ) -> SubmitScoresPayload | None:
        ctx = info.context
        actor = ctx.require(Role.INSTITUTION, Role.EXPERT, what="submitScores")
        vector = input.vector
        wanted = selects(info, "scores")

        def action() -> tuple[scoring.SubmissionOutcome, list[ScoreType]]:
            """Store, then read back the stored scores (and their session, which blind
            review needs to show them) in the same transaction if the client asked for
            them: most clients ask for the count and errors only."""
            outcome = store()
            if not wanted:
                return outcome, []
            # with its institutions, which the scores' `institution` reads after the commit
            session = get_session(ctx.db, outcome.session_id)
            stored = scoring.stored_scores(ctx.db, outcome)
            return outcome, [ScoreType(row=s, session=session) for s in stored]

        def store() -> scoring.SubmissionOutcome:
            if vector is None:
                return submit(entries_of(input.scores))
            if input.scores:
                raise invalid(
                    ("vector",),
                    "与 scores 只能给出其一",
                    "give the scores as `scores` or as `vector`, not both",
                )
            try:
                return submit(vector.entries())
            except DomainError as error:
                error.field = vector_path(error.field)
                raise
            except DomainErrors as several:
                for each in several.errors:
                    each.field = vector_path(each.field)
                raise

        def submit(entries: list[scoring.ScoreEntry]) -> scoring.SubmissionOutcome:
            submission = scoring.Submission(
                parse_id(input.session_id, "ReviewSession"),
                input.institution_code,
                Source(input.source),
                entries,
                input.final,
            )
            return scoring.submit_scores(
                ctx.db,
                ctx.host,
                actor,
                submission,
                today=ctx.today(),
                max_scores=ctx.settings.max_scores_per_submission,
            )

        result, errors = ctx.mutate(action)
        if result is None:
            return SubmitScoresPayload(scores=[], changed_count=0, user_errors=errors)
        outcome, stored = result
        return SubmitScoresPayload(
            scores=stored,
            changed_count=outcome.changed,
            user_errors=[],
        )


def entries_of(scores: list[ScoreInput]) -> list[scoring.ScoreEntry]:
    return [
        scoring.ScoreEntry(
            indicator=s.indicator,
            value=s.value,
            level=s.level,
            figure=s.figure,
            comment=s.comment,
            evidence=s.evidence,
        )
        for s in scores
    ]
