"""A session's progress (R15): who is expected to score whom, from which source, and how
far each reviewer has got. The conclusion's completeness check reads its answer from here.

>>> part = SourceProgress(Source.EXPERT, needed=2, reviewers=(
...     ReviewerProgress(Source.EXPERT, "expert:1", None, None, frozenset({"T01"}), 0, ("T01",)),
...     ReviewerProgress(Source.EXPERT, "expert:2", None, None, frozenset(), 1, ("T01",)),
... ))
>>> part.complete_reviewers, part.complete, part.submitted, part.drafted, part.required
(1, False, 1, 1, 2)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sanquan.auth.models import Account
from sanquan.institutions.models import Institution
from sanquan.review.models import ReviewSession, Score, ScoreStatus, SessionStatus
from sanquan_sdk import IndicatorSet, Source


@dataclass(frozen=True)
class ReviewerProgress:
    """One reviewer expected to score one institution from one source: the school itself
    (SELF), another school of the session (PEER) or a panel expert without a conflict of
    interest (EXPERT)."""

    source: Source
    key: str
    """The reviewer as scores name it: ``institution:12`` or ``expert:7``."""
    school: Institution | None
    """The reviewing school, for SELF and PEER."""
    expert: Account | None
    """The expert, for EXPERT."""
    submitted: frozenset[str]
    """Required indicators with a submitted score."""
    drafted: int
    """Required indicators with a draft only: saved, not counted yet."""
    codes: tuple[str, ...]
    """The indicators this source must score, in order."""

    @property
    def required(self) -> int:
        return len(self.codes)

    @property
    def missing(self) -> tuple[str, ...]:
        """Required indicators not submitted yet, in order."""
        return tuple(code for code in self.codes if code not in self.submitted)

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def name(self) -> str:
        found = self.school or self.expert
        return found.name if found else ""


@dataclass(frozen=True)
class SourceProgress:
    """One source's reviewers of one institution, and how many of them must be complete."""

    source: Source
    reviewers: tuple[ReviewerProgress, ...]
    needed: int
    """Complete reviewers the conclusion needs: every school for SELF and PEER, the
    session's minimum for EXPERT (R15)."""

    @property
    def complete_reviewers(self) -> int:
        return sum(1 for reviewer in self.reviewers if reviewer.complete)

    @property
    def complete(self) -> bool:
        return self.complete_reviewers >= self.needed

    @property
    def submitted(self) -> int:
        return sum(len(reviewer.submitted) for reviewer in self.reviewers)

    @property
    def drafted(self) -> int:
        return sum(reviewer.drafted for reviewer in self.reviewers)

    @property
    def required(self) -> int:
        return sum(reviewer.required for reviewer in self.reviewers)


@dataclass(frozen=True)
class InstitutionProgress:
    """Everything expected about one institution of the session."""

    institution: Institution
    sources: tuple[SourceProgress, ...]

    @property
    def complete(self) -> bool:
        return all(part.complete for part in self.sources)


@dataclass(frozen=True)
class SessionProgress:
    """The completeness view of a session, as it stands."""

    session: ReviewSession
    institutions: tuple[InstitutionProgress, ...]

    @property
    def complete(self) -> bool:
        """Every source of every institution has what the conclusion needs."""
        return all(subject.complete for subject in self.institutions)

    @property
    def can_conclude(self) -> bool:
        return self.session.status is SessionStatus.OPEN and self.complete

    def signature(self) -> tuple[object, ...]:
        """What a reader of the view would see change: the status and every count."""
        return (
            self.session.status,
            tuple(
                (r.key, len(r.submitted), r.drafted, r.required)
                for subject in self.institutions
                for part in subject.sources
                for r in part.reviewers
            ),
        )


def session_progress(
    db: Session, session: ReviewSession, indicator_set: IndicatorSet
) -> SessionProgress:
    """Who must score whom in ``session``, and what each has submitted or drafted, in one
    query over its scores. Sources the indicator set does not score are left out."""
    submitted: dict[tuple[int, Source, str], set[str]] = defaultdict(set)
    drafted: dict[tuple[int, Source, str], set[str]] = defaultdict(set)
    rows = db.execute(
        select(
            Score.subject_id, Score.source, Score.reviewer_key, Score.indicator_code, Score.status
        ).where(Score.session_id == session.id)
    )
    for subject_id, source, key, code, status in rows:
        found = submitted if status == ScoreStatus.SUBMITTED else drafted
        found[(subject_id, Source(source), key)].add(code)
    codes = {source: _ordered(indicator_set, source) for source in Source}
    members = [m.institution for m in session.members]

    def reviewer(
        subject: Institution,
        source: Source,
        key: str,
        school: Institution | None = None,
        expert: Account | None = None,
    ) -> ReviewerProgress:
        wanted = set(codes[source])
        done = submitted[(subject.id, source, key)] & wanted
        return ReviewerProgress(
            source=source,
            key=key,
            school=school,
            expert=expert,
            submitted=frozenset(done),
            drafted=len(drafted[(subject.id, source, key)] & wanted - done),
            codes=codes[source],
        )

    institutions = []
    for subject in members:
        parts = []
        if codes[Source.SELF]:
            own = reviewer(subject, Source.SELF, f"institution:{subject.id}", school=subject)
            parts.append(SourceProgress(Source.SELF, (own,), needed=1))
        if codes[Source.PEER]:
            peers = tuple(
                reviewer(subject, Source.PEER, f"institution:{other.id}", school=other)
                for other in members
                if other.id != subject.id
            )
            parts.append(SourceProgress(Source.PEER, peers, needed=len(peers)))
        if codes[Source.EXPERT]:
            experts = tuple(
                reviewer(subject, Source.EXPERT, f"expert:{m.account_id}", expert=m.account)
                for m in session.panel
                if m.account.institution_id != subject.id  # R11: no conflict of interest
            )
            parts.append(SourceProgress(Source.EXPERT, experts, needed=session.min_experts))
        institutions.append(InstitutionProgress(subject, tuple(parts)))
    return SessionProgress(session, tuple(institutions))


def _ordered(indicator_set: IndicatorSet, source: Source) -> tuple[str, ...]:
    """The codes ``source`` must score, sorted as the conclusion's messages list them."""
    return tuple(sorted(indicator_set.codes_for(source)))
