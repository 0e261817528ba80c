"""Concluding a session (R15–R16): the completeness check, the aggregation by the pinned
set's plugin, stored results, and audited corrections afterwards."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sanquan.auth.tokens import Principal
from sanquan.errors import (
    CONCLUSION_NOT_DONE,
    CORRECTION_NOT_STORED,
    DomainError,
    ErrorCode,
    Localized,
    clean_text,
    raise_all,
)
from sanquan.events import announce
from sanquan.institutions.models import Institution
from sanquan.limits import TEXT_LENGTH
from sanquan.plugins.host import PluginHost, refused_if_a_plugin_fails
from sanquan.review.models import (
    IndicatorOutcome,
    InstitutionOutcome,
    ReviewSession,
    Score,
    ScoreStatus,
    SessionStatus,
)
from sanquan.review.progress import SessionProgress, session_progress
from sanquan.review.scoring import Change, audited, evaluate, pinned_set, record_revisions
from sanquan.review.sessions import Lock, get_session
from sanquan.timeutil import utcnow
from sanquan_sdk import Aggregation, IndicatorSet, Reported, ScoreValue, Source, SourceWeights


@dataclass(frozen=True)
class Missing:
    """One thing that keeps a session from concluding, in words a user can act on."""

    source: Source
    institution: str
    reviewer: str
    indicators: tuple[str, ...] = ()
    have: int = 0
    need: int = 0

    def describe(self) -> Localized:
        if self.source is Source.EXPERT:
            return Localized(
                f"{self.institution}:专家点评完整的专家 {self.have} 位,至少需要 {self.need} 位",
                f"{self.institution}: {self.have} experts have scored every indicator, "
                f"{self.need} are needed",
            )
        count = len(self.indicators)
        if self.source is Source.SELF:
            zh_what, en_what = "学校自评", "self-evaluation"
        else:
            zh_what, en_what = f"{self.reviewer} 的同行互评", f"peer evaluation by {self.reviewer}"
        return Localized(
            f"{self.institution}:{zh_what}缺 {count} 项指标({'、'.join(self.indicators)})",
            f"{self.institution}: {en_what} lacks {count} indicators "
            f"({', '.join(self.indicators)})",
        )


def missing_evaluations(
    db: Session, session: ReviewSession, indicator_set: IndicatorSet
) -> list[Missing]:
    """Everything R15 requires that is not yet submitted."""
    return missing_in(session_progress(db, session, indicator_set))


def missing_in(progress: SessionProgress) -> list[Missing]:
    """What keeps a session with this progress from concluding (R15), per institution:
    its self-evaluation, each peer's evaluation, then the count of complete experts."""
    missing: list[Missing] = []
    for subject in progress.institutions:
        name = subject.institution.name
        for part in subject.sources:
            if part.source is Source.EXPERT:
                if not part.complete:
                    have, need = part.complete_reviewers, part.needed
                    missing.append(Missing(Source.EXPERT, name, "", have=have, need=need))
                continue
            missing.extend(
                Missing(part.source, name, reviewer.name, reviewer.missing)
                for reviewer in part.reviewers
                if not reviewer.complete
            )
    return missing


def conclude_session(db: Session, host: PluginHost, session_id: int) -> ReviewSession:
    """Lock the scores and compute the results, or say exactly what is missing."""
    session = get_session(db, session_id, lock=Lock.EXCLUSIVE)
    if session.status is SessionStatus.DRAFT:
        raise DomainError(ErrorCode.SESSION_NOT_OPEN, ("sessionId",))
    if session.status is SessionStatus.CONCLUDED:
        raise DomainError(ErrorCode.SESSION_CONCLUDED, ("sessionId",))
    indicator_set = pinned_set(host, session)
    missing = missing_evaluations(db, session, indicator_set)
    raise_all(
        [DomainError(ErrorCode.INCOMPLETE, ("sessionId",), what=m.describe()) for m in missing]
    )
    with refused_if_a_plugin_fails(("sessionId",), CONCLUSION_NOT_DONE):
        aggregation = _aggregate(db, host, session, indicator_set, None)
    session.aggregation_method = aggregation.method
    session.aggregation_weights = aggregation.weights.as_dict()
    _store_outcomes(db, session, aggregation)
    session.status = SessionStatus.CONCLUDED
    session.concluded_at = utcnow()
    db.flush()
    announce(db, session.id)
    return session


def correct_score(
    db: Session,
    host: PluginHost,
    actor: Principal,
    score_id: int,
    reported: Reported,
    reason: str,
) -> Score:
    """An administrator's correction of a concluded session's score: validated, audited
    with its reason, and the results recomputed with the weights stored at conclusion."""
    if not reason.strip():
        raise DomainError(ErrorCode.REASON_REQUIRED, ("reason",))
    reason = clean_text(reason, ("reason",), TEXT_LENGTH)
    session_id = db.scalar(select(Score.session_id).where(Score.id == score_id))
    if session_id is None:
        raise DomainError(ErrorCode.UNKNOWN_SCORE, ("scoreId",))
    session = get_session(db, session_id, lock=Lock.EXCLUSIVE)
    score = db.get(Score, score_id, populate_existing=True)
    assert score is not None
    if session.status is not SessionStatus.CONCLUDED:
        raise DomainError(ErrorCode.SESSION_NOT_CONCLUDED, ("scoreId",))
    indicator_set = pinned_set(host, session)
    subject = db.get(Institution, score.subject_id)
    assert subject is not None
    template = ScoreValue(
        subject=subject.code,
        indicator=score.indicator_code,
        source=Source(score.source),
        value=0.0,
        reviewer=score.reviewer_key,
        evidence=score.evidence,
        comment=score.comment,
    )
    with refused_if_a_plugin_fails(("scoreId",), CORRECTION_NOT_STORED):
        corrected, problems = evaluate(host, indicator_set, template, reported, ())
        raise_all(problems)
        assert corrected is not None
        if (score.value, score.reported) == (corrected.value, corrected.reported):
            return score
        old = audited(score)
        score.value, score.reported = corrected.value, corrected.reported
        score.updated_at = utcnow()
        db.flush()
        change = Change(score.id, session.id, old, audited(score))
        record_revisions(db, [change], actor.account_id, score.updated_at, reason.strip())
        weights = SourceWeights.from_dict(session.aggregation_weights or SourceWeights().as_dict())
        aggregation = _aggregate(db, host, session, indicator_set, weights)
    _store_outcomes(db, session, aggregation, only=score.subject_id)
    db.flush()
    return score


def _aggregate(
    db: Session,
    host: PluginHost,
    session: ReviewSession,
    indicator_set: IndicatorSet,
    weights: SourceWeights | None,
) -> Aggregation:
    codes = {m.institution_id: m.institution.code for m in session.members}
    scores = [
        ScoreValue(
            subject=codes[row.subject_id],
            indicator=row.indicator_code,
            source=Source(row.source),
            value=row.value,
            reviewer=row.reviewer_key,
        )
        for row in db.execute(
            select(
                Score.subject_id,
                Score.indicator_code,
                Score.source,
                Score.value,
                Score.reviewer_key,
            )
            .where(Score.session_id == session.id, Score.status == ScoreStatus.SUBMITTED)
            .order_by(Score.id)
        )
    ]
    return host.aggregate(indicator_set, scores, weights)


def _store_outcomes(
    db: Session, session: ReviewSession, aggregation: Aggregation, only: int | None = None
) -> None:
    """Store the results; with ``only`` (a correction), just that institution's, so that
    the others keep exactly the numbers they were concluded with. Ranks are then redone:
    equal indices share a rank (1, 2, 2, 4)."""
    ids = {m.institution.code: m.institution_id for m in session.members}
    subjects = [s for s in aggregation.subjects if only is None or ids[s.subject] == only]
    stale_indicators = delete(IndicatorOutcome).where(IndicatorOutcome.session_id == session.id)
    stale_overall = delete(InstitutionOutcome).where(InstitutionOutcome.session_id == session.id)
    if only is not None:
        stale_indicators = stale_indicators.where(IndicatorOutcome.institution_id == only)
        stale_overall = stale_overall.where(InstitutionOutcome.institution_id == only)
    db.execute(stale_indicators)
    db.execute(stale_overall)
    for subject in subjects:
        institution_id = ids[subject.subject]
        db.add(
            InstitutionOutcome(
                session_id=session.id, institution_id=institution_id, overall=subject.overall
            )
        )
        db.add_all(
            IndicatorOutcome(
                session_id=session.id,
                institution_id=institution_id,
                indicator_code=result.indicator,
                self_value=result.self_value,
                peer_mean=result.peer_mean,
                expert_mean=result.expert_mean,
                combined=result.combined,
                peer_count=result.peer_count,
                expert_count=result.expert_count,
            )
            for result in subject.indicators
        )
    db.flush()
    outcomes = list(
        db.scalars(select(InstitutionOutcome).where(InstitutionOutcome.session_id == session.id))
    )
    indices = [o.overall for o in outcomes if o.overall is not None]
    for outcome in outcomes:
        overall = outcome.overall
        outcome.rank = None if overall is None else 1 + sum(1 for i in indices if i > overall)
