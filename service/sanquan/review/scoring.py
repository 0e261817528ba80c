"""Submitting scores (R9–R13): who may score whom, validation by the indicator set's
plugins, all-or-nothing storage, idempotent resubmission and the audit trail."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import BindParameter, Table, bindparam, exists, insert, select, update
from sqlalchemy.orm import Session

from sanquan.auth.models import Role
from sanquan.auth.tokens import Principal
from sanquan.bulk import BulkStatement
from sanquan.errors import (
    SUBMISSION_NOT_STORED,
    DomainError,
    ErrorCode,
    FieldPath,
    Localized,
    clean_text,
    raise_all,
)
from sanquan.events import announce
from sanquan.institutions.models import Institution
from sanquan.institutions.service import get_institution
from sanquan.limits import COMMENT_LENGTH
from sanquan.plugins.host import PluginError, PluginHost, PluginProblem, plugin_failed
from sanquan.review.models import (
    PanelMember,
    ReviewSession,
    Score,
    ScoreRevision,
    ScoreStatus,
    SessionInstitution,
    SessionStatus,
)
from sanquan.review.sessions import Lock, lock_session, set_not_installed
from sanquan.timeutil import utcnow
from sanquan_sdk import (
    IndicatorSet,
    Reported,
    ScaleError,
    ScaleKind,
    ScoreValue,
    Source,
)

log = logging.getLogger(__name__)

_SDK_CODES = {code.value: code for code in ErrorCode}


class ScoreEntry(NamedTuple):
    """One indicator of a submission: a ``value``, a ``level`` or a ``figure``, as the
    indicator's scale asks. A named tuple, not a frozen dataclass: a submission makes one
    per score, and a frozen dataclass's constructor sets each field through
    ``object.__setattr__``."""

    indicator: str
    value: float | None = None
    comment: str = ""
    evidence: str = ""
    level: str | None = None
    figure: float | None = None

    @property
    def reported(self) -> Reported:
        return Reported(value=self.value, level=self.level, figure=self.figure)


@dataclass(frozen=True)
class Submission:
    """One reviewer's scores for one institution from one source."""

    session_id: int
    institution_code: str
    source: Source
    entries: Sequence[ScoreEntry]
    final: bool = True


@dataclass(frozen=True)
class SubmissionOutcome:
    """What a submission stored: the ids of its scores in the submission's order (load
    them with :func:`stored_scores` if they are wanted) and how many changed."""

    session_id: int
    score_ids: list[int]
    changed: int


def stored_scores(db: Session, outcome: SubmissionOutcome) -> list[Score]:
    """The scores of ``outcome`` as stored, in the submission's order: one statement. The
    rows were written without the ORM, so any of them already loaded in ``db`` is
    refreshed rather than returned as it was."""
    query = (
        select(Score)
        .where(Score.id.in_(outcome.score_ids))
        .execution_options(populate_existing=True)
    )
    rows = {s.id: s for s in db.scalars(query)}
    return [rows[score_id] for score_id in outcome.score_ids]


def reviewer_key(source: Source, actor: Principal) -> str:
    if source is Source.EXPERT:
        return f"expert:{actor.account_id}"
    return f"institution:{actor.institution_id}"


class Pinned(Protocol):
    """Anything that names a session's indicator set: the session, or what a submission
    reads of it."""

    @property
    def indicator_set_key(self) -> str: ...

    @property
    def indicator_set_version(self) -> str: ...


def pinned_set(host: PluginHost, session: Pinned) -> IndicatorSet:
    indicator_set = host.indicator_set(session.indicator_set_key, session.indicator_set_version)
    if indicator_set is None:
        raise set_not_installed(
            session.indicator_set_key, session.indicator_set_version, ("sessionId",)
        )
    return indicator_set


@dataclass(frozen=True)
class Member:
    """A school of the session, as a submission needs it."""

    id: int
    code: str
    name: str


@dataclass(frozen=True)
class ScoringSession:
    """What a submission needs of its session, read as plain values in one statement:
    its state, deadlines and pinned set, its schools, and whether the submitting account
    sits on its panel. Loading the session and its schools as ORM objects (three
    statements, the schools' aliases with them) cost a submission more than writing its
    50 scores."""

    id: int
    status: SessionStatus
    indicator_set_key: str
    indicator_set_version: str
    deadlines: Mapping[Source, date | None]
    members: tuple[Member, ...]
    on_panel: bool
    """Whether the submitting account is one of the session's panel experts."""

    def deadline(self, source: Source) -> date | None:
        return self.deadlines[source]

    def member(self, code: str) -> Member | None:
        """The session's school with ``code``; ``None`` for any other code, which
        :func:`get_institution` then finds or refuses."""
        code = code.strip()
        return next((m for m in self.members if m.code == code), None)


_SESSIONS = ReviewSession.metadata.tables[ReviewSession.__tablename__]
_MEMBERS = SessionInstitution.metadata.tables[SessionInstitution.__tablename__]
_INSTITUTIONS = Institution.metadata.tables[Institution.__tablename__]
_PANEL = PanelMember.metadata.tables[PanelMember.__tablename__]


_SESSION_FOR_SCORING = (
    select(
        _SESSIONS.c.status,
        _SESSIONS.c.indicator_set_key,
        _SESSIONS.c.indicator_set_version,
        _SESSIONS.c.self_deadline,
        _SESSIONS.c.peer_deadline,
        _SESSIONS.c.expert_deadline,
        exists()
        .where(
            _PANEL.c.session_id == _SESSIONS.c.id,
            _PANEL.c.account_id == bindparam("account_id"),
        )
        .label("on_panel"),
        _INSTITUTIONS.c.id,
        _INSTITUTIONS.c.code,
        _INSTITUTIONS.c.name,
    )
    .select_from(
        _SESSIONS.outerjoin(_MEMBERS, _MEMBERS.c.session_id == _SESSIONS.c.id).outerjoin(
            _INSTITUTIONS, _INSTITUTIONS.c.id == _MEMBERS.c.institution_id
        )
    )
    .where(_SESSIONS.c.id == bindparam("session_id"))
    .order_by(_MEMBERS.c.position)
)
"""A session's state, its schools and whether an account is on its panel; built once,
as are the other statements of a submission (building a statement's expression costs
more than finding its compiled form in the cache)."""


def scoring_session(
    db: Session, session_id: int, account_id: int, path: FieldPath = ("sessionId",)
) -> ScoringSession:
    """The session ``session_id`` as a submission by ``account_id`` sees it, or
    ``UNKNOWN_SESSION`` at ``path``: one statement, one row per school."""
    given = {"session_id": session_id, "account_id": account_id}
    rows = db.connection().execute(_SESSION_FOR_SCORING, given).all()
    if not rows:
        raise DomainError(ErrorCode.UNKNOWN_SESSION, path, value=session_id)
    # unpacked, not read by name: a row's column by name costs ten times a tuple's item
    status, key, version, self_deadline, peer_deadline, expert_deadline, on_panel = rows[0][:7]
    return ScoringSession(
        id=session_id,
        status=status,
        indicator_set_key=key,
        indicator_set_version=version,
        deadlines={
            Source.SELF: self_deadline,
            Source.PEER: peer_deadline,
            Source.EXPERT: expert_deadline,
        },
        members=tuple(
            Member(school, code, name) for *_, school, code, name in rows if school is not None
        ),
        on_panel=bool(on_panel),
    )


def check_reviewer(
    session: ScoringSession, actor: Principal, subject: Member, source: Source
) -> None:
    """R9–R11: the relation between the reviewer, the session and the school scored."""
    members = {m.id for m in session.members}
    if subject.id not in members:
        raise DomainError(ErrorCode.NOT_IN_SESSION, ("institutionCode",), value=subject.code)
    if source is Source.EXPERT:
        if actor.role is not Role.EXPERT or not session.on_panel:
            raise DomainError(ErrorCode.NOT_A_REVIEWER, ("sessionId",))
        if actor.institution_id == subject.id:
            raise DomainError(
                ErrorCode.CONFLICT_OF_INTEREST, ("institutionCode",), name=subject.name
            )
        return
    if actor.role is not Role.INSTITUTION or actor.institution_id not in members:
        raise DomainError(ErrorCode.NOT_A_REVIEWER, ("sessionId",))
    if source is Source.SELF and actor.institution_id != subject.id:
        raise DomainError(ErrorCode.SELF_OTHER_SCHOOL, ("institutionCode",))
    if source is Source.PEER and actor.institution_id == subject.id:
        raise DomainError(ErrorCode.PEER_OWN_SCHOOL, ("institutionCode",))


def check_open(session: ScoringSession, source: Source, today: date) -> None:
    if session.status is SessionStatus.DRAFT:
        raise DomainError(ErrorCode.SESSION_NOT_OPEN, ("sessionId",))
    if session.status is SessionStatus.CONCLUDED:
        raise DomainError(ErrorCode.SESSION_CONCLUDED, ("sessionId",))
    deadline = session.deadline(source)
    if deadline is not None and today > deadline:
        raise DomainError(
            ErrorCode.DEADLINE_PASSED, ("source",), source=source, deadline=deadline.isoformat()
        )


class Unscored(Protocol):
    """A score but for its value: what :func:`evaluate` needs besides the report. A
    :class:`~sanquan_sdk.ScoreValue` is one; a submission passes an :class:`Entry`."""

    @property
    def subject(self) -> str: ...
    @property
    def indicator(self) -> str: ...
    @property
    def source(self) -> Source: ...
    @property
    def reviewer(self) -> str: ...
    @property
    def evidence(self) -> str: ...
    @property
    def comment(self) -> str: ...


class Entry(NamedTuple):
    """One score of a submission before its report is read. A named tuple rather than a
    :class:`~sanquan_sdk.ScoreValue` with a dummy value: the frozen dataclass's
    constructor, once per score, cost a submission more than reading its reports."""

    subject: str
    indicator: str
    source: Source
    reviewer: str
    evidence: str
    comment: str


def evaluate(
    host: PluginHost,
    indicator_set: IndicatorSet,
    template: Unscored,
    reported: Reported,
    path: tuple[str | int, ...],
) -> tuple[ScoreValue | None, list[DomainError]]:
    """Turn a report into a score on the indicator's scale and collect every problem with
    it: unknown indicator, a report that does not fit the scale, then the plugins' checks.
    ``template`` carries the score's other fields. A plugin that fails raises
    :class:`~sanquan.plugins.host.PluginError`: what that leaves undone is the caller's
    to say."""
    indicator = indicator_set.indicator(template.indicator)
    if indicator is None:
        return None, [
            DomainError(
                ErrorCode.UNKNOWN_INDICATOR,
                (*path, "indicator"),
                value=template.indicator,
                key=indicator_set.key,
                version=indicator_set.version,
            )
        ]
    try:
        value = host.read_report(indicator_set, indicator.scale, reported)
    except ScaleError as error:
        return None, [
            DomainError(
                _SDK_CODES.get(error.code, ErrorCode.INVALID_VALUE),
                (*path, error.field_name),
                field=error.field_name,
                problem=str(error),
                indicator=indicator.code,
                kind=SCALE_WORDS[indicator.scale.kind],
                levels="、".join(level.code for level in getattr(indicator.scale, "levels", ())),
                value=reported.text(),
            )
        ]
    # The constructor, not dataclasses.replace: replace reads the fields anew each call,
    # and a 50-score submission called it 50 times (bench/RESULTS.md, "Throughput").
    score = ScoreValue(
        subject=template.subject,
        indicator=template.indicator,
        source=template.source,
        value=value,
        reviewer=template.reviewer,
        evidence=template.evidence,
        comment=template.comment,
        reported=reported.recorded(),
    )
    return score, problems_of(host, indicator_set, score, path)


SCALE_WORDS = {
    ScaleKind.NUMERIC: Localized("分值(value)", "a value"),
    ScaleKind.LEVELS: Localized("等级(level)", "a level"),
    ScaleKind.TARGET: Localized("实际数值(figure)", "a figure"),
}


def problems_of(
    host: PluginHost, indicator_set: IndicatorSet, score: ScoreValue, path: tuple[str | int, ...]
) -> list[DomainError]:
    """The plugins' verdict on one score, as typed errors under ``path``."""
    return [
        _as_error(indicator_set, score, found, path)
        for found in host.validate(indicator_set, score)
    ]


def _as_error(
    indicator_set: IndicatorSet,
    score: ScoreValue,
    found: PluginProblem,
    path: tuple[str | int, ...],
) -> DomainError:
    problem = found.problem
    code = _SDK_CODES.get(problem.code)
    where = (*path, problem.field)
    if code is ErrorCode.OUT_OF_SCALE:
        indicator = indicator_set.indicator(score.indicator)
        assert indicator is not None
        low, high = indicator.scale.bounds
        return DomainError(
            code,
            where,
            indicator=score.indicator,
            value=f"{score.value:g}",
            minimum=f"{low:g}",
            maximum=f"{high:g}",
        )
    if code in (
        ErrorCode.UNKNOWN_INDICATOR,
        ErrorCode.SOURCE_NOT_ALLOWED,
        ErrorCode.EVIDENCE_REQUIRED,
    ):
        return DomainError(
            code,
            where,
            value=score.indicator,
            source=score.source,
            key=indicator_set.key,
            version=indicator_set.version,
        )
    return DomainError(
        ErrorCode.PLUGIN_RULE,
        where,
        plugin=found.plugin,
        problem=problem.message,
        rule=problem.code,
    )


def _text_problems(entry: ScoreEntry, path: FieldPath) -> list[DomainError]:
    """A comment or evidence too long or with control characters: each change of a score
    keeps both texts in the audit trail, so an unbounded one would grow it without end."""
    if not (entry.comment or entry.evidence):
        return []
    errors = []
    for name, text in (("comment", entry.comment), ("evidence", entry.evidence)):
        try:
            clean_text(text, (*path, name), COMMENT_LENGTH)
        except DomainError as error:
            errors.append(error)
    return errors


def _outsider(db: Session, code: str) -> Member:
    """A school that is not the session's: ``UNKNOWN_INSTITUTION`` if there is no such
    school, else the school, which :func:`check_reviewer` refuses."""
    found = get_institution(db, code, ("institutionCode",))
    return Member(found.id, found.code, found.name)


def submit_scores(
    db: Session,
    host: PluginHost,
    actor: Principal,
    submission: Submission,
    *,
    today: date,
    max_scores: int = 500,
) -> SubmissionOutcome:
    """Store one reviewer's scores for one institution, all or nothing.

    Resubmitting identical scores changes nothing and writes no history; a changed value
    or a draft becoming final writes one revision per score.
    """
    # The scores through their indicators' scales and the plugins' checks first, then the
    # lock, then every read and check that the database can change. On SQLite, where the
    # lock is the database's one write lock, the checks (pure: the input, the reviewer and
    # the session's pinned set) held it for a third of a submission's time in it, while
    # the writers of other processes waited (bench/RESULTS.md, "Turn"). Who may score
    # whom is checked early too, so that no plugin runs on what a refused caller sent;
    # nothing found early is reported before the checks under the lock: who may score
    # whom first, as before. A conclusion or a panel change waits for the lock.
    early = _evaluated_early(db, host, actor, submission, today, max_scores)
    lock_session(db, submission.session_id, Lock.SHARED)
    session = scoring_session(db, submission.session_id, actor.account_id)
    checked = _checked(db, host, actor, submission, session, today, max_scores, early)
    # locked: two representatives of one school may submit at once
    subject, key, scored = checked.subject, checked.key, checked.scored
    reviewer = _reviewer(submission, subject.id, key)
    existing = _stored(db.connection().execute(_REVIEWER_SCORES_LOCKED, reviewer).all())
    errors = checked.errors
    if not submission.final:
        for index, entry in enumerate(submission.entries):
            previous = existing.get(entry.indicator)
            if (
                previous is not None
                and previous.status is ScoreStatus.SUBMITTED
                and index not in checked.repeated
            ):
                errors[index].append(
                    DomainError(
                        ErrorCode.ALREADY_SUBMITTED,
                        ("scores", index, "indicator"),
                        value=entry.indicator,
                    )
                )
    raise_all([error for found in errors for error in found])
    now = utcnow()
    ids, changes = _write(db, actor, submission, subject.id, key, existing, scored, now)
    record_revisions(db, changes, actor.account_id, now)
    return SubmissionOutcome(session.id, ids, len(changes))


class Evaluated(NamedTuple):
    """A submission's scores on their indicators' scales and through the plugins' checks,
    for one pinned set, reviewer key and school: it depends on nothing else, so it is
    worked out before the lock and kept under it if the lock finds the same three."""

    indicator_set: IndicatorSet
    key: str
    subject_code: str
    scored: list[ScoreValue]
    errors: list[list[DomainError]]
    """The problems found, by the score's index."""
    repeated: set[int]
    """The indexes of scores whose indicator an earlier score of the submission named."""
    failed: tuple[PluginError, FieldPath] | None = None
    """A plugin that failed, and on which score: raised under the lock, in its order, and
    the plugin not run again."""


def _evaluated(
    host: PluginHost,
    indicator_set: IndicatorSet,
    key: str,
    subject_code: str,
    submission: Submission,
) -> Evaluated:
    """Every score of ``submission`` on its indicator's scale and through the plugins'
    checks (the problems collected), up to the first plugin that fails."""
    errors: list[list[DomainError]] = []
    seen: set[str] = set()
    repeated: set[int] = set()
    scored: list[ScoreValue] = []
    for index, entry in enumerate(submission.entries):
        path = ("scores", index)
        if entry.indicator in seen:
            repeated.add(index)
            errors.append(
                [
                    DomainError(
                        ErrorCode.DUPLICATE_INDICATOR, (*path, "indicator"), value=entry.indicator
                    )
                ]
            )
            continue
        seen.add(entry.indicator)
        found = _text_problems(entry, path)
        template = Entry(
            subject_code, entry.indicator, submission.source, key, entry.evidence, entry.comment
        )
        try:  # not a context manager per score: entering one cost more than the check
            value, problems = evaluate(host, indicator_set, template, entry.reported, path)
        except PluginError as error:
            return Evaluated(
                indicator_set, key, subject_code, scored, errors, repeated, (error, path)
            )
        found.extend(problems)
        errors.append(found)
        if value is not None:
            scored.append(value)
    return Evaluated(indicator_set, key, subject_code, scored, errors, repeated)


def _evaluated_early(
    db: Session,
    host: PluginHost,
    actor: Principal,
    submission: Submission,
    today: date,
    max_scores: int,
) -> Evaluated | None:
    """The submission's scores evaluated before the lock, or ``None`` where they are not
    to be: a reviewer the session as read now refuses (no plugin runs on what a caller
    who may not submit sent), no such session, its set not installed, a submission
    empty or of more scores than allowed. :func:`_checked` then checks it under the
    lock, in the order of checks it always had, and so reports what this found."""
    if not 0 < len(submission.entries) <= max_scores:
        return None
    try:
        session = scoring_session(db, submission.session_id, actor.account_id)
        subject = session.member(submission.institution_code)
        if subject is None:
            return None  # not the session's school: refused under the lock
        check_reviewer(session, actor, subject, submission.source)
        check_open(session, submission.source, today)
        indicator_set = pinned_set(host, session)
    except DomainError:
        return None
    key = reviewer_key(submission.source, actor)
    return _evaluated(host, indicator_set, key, subject.code, submission)


@dataclass(frozen=True)
class Checked:
    """A submission checked against its session, before anything is written:
    the school scored, the reviewer's key, the scores on their scales and the problems
    found, by the index of the score (``ALREADY_SUBMITTED`` is added once the stored
    scores are read)."""

    subject: Member
    key: str
    scored: list[ScoreValue]
    errors: list[list[DomainError]]
    repeated: set[int]
    """The indexes of scores whose indicator an earlier score of the submission named."""


def _checked(
    db: Session,
    host: PluginHost,
    actor: Principal,
    submission: Submission,
    session: ScoringSession,
    today: date,
    max_scores: int,
    early: Evaluated | None = None,
) -> Checked:
    """Who may score whom and whether the session takes scores (raised at once), then
    every score on its indicator's scale and through the plugins' checks (collected;
    taken from ``early`` where it evaluated them against the same set for the same
    reviewer and school)."""
    subject = session.member(submission.institution_code) or _outsider(
        db, submission.institution_code
    )
    check_reviewer(session, actor, subject, submission.source)
    check_open(session, submission.source, today)
    entries = submission.entries
    if not entries:
        raise DomainError(ErrorCode.EMPTY_SUBMISSION, ("scores",))
    if len(entries) > max_scores:
        raise DomainError(ErrorCode.TOO_MANY_SCORES, ("scores",), maximum=max_scores)
    indicator_set = pinned_set(host, session)
    key = reviewer_key(submission.source, actor)
    if early is None or (early.indicator_set, early.key, early.subject_code) != (
        indicator_set,
        key,
        subject.code,
    ):
        early = _evaluated(host, indicator_set, key, subject.code, submission)
    if early.failed is not None:
        error, path = early.failed
        raise plugin_failed(error, path, SUBMISSION_NOT_STORED) from error
    return Checked(subject, key, early.scored, early.errors, early.repeated)


def _write(
    db: Session,
    actor: Principal,
    submission: Submission,
    subject_id: int,
    key: str,
    existing: dict[str, StoredScore],
    scored: list[ScoreValue],
    now: datetime,
) -> tuple[list[int], list[Change]]:
    """Store the checked scores in a constant number of statements, each sent once with
    all its rows: an ``UPDATE`` of the changed scores by id, an ``INSERT`` of the new ones
    and a read of their ids. ``existing`` holds plain tuples, not ORM objects: the
    unit of work's flush built every statement row by row, and hydrating and tracking 50
    objects cost more than writing them. Returns the score ids in the submission's order
    and what changed."""
    status = ScoreStatus.SUBMITTED if submission.final else ScoreStatus.DRAFT
    session_id = submission.session_id
    created: list[tuple[object, ...]] = []
    updated: list[tuple[object, ...]] = []
    changes: list[Change] = []
    ids = {code: row.id for code, row in existing.items()}
    for entry, value in zip(submission.entries, scored, strict=True):
        row = existing.get(entry.indicator)
        if row is None:
            created.append(
                (entry.indicator, value.value, value.reported, entry.comment, entry.evidence)
            )
            continue
        new: Audited = (value.value, status, value.reported, entry.comment, entry.evidence)
        old = row.audited
        if old != new:
            changes.append(Change(row.id, session_id, old, new))
            updated.append((row.id, value.value, value.reported, entry.comment, entry.evidence))
    written = {"submitted_by_id": actor.account_id, "updated_at": now, "status": status}
    _UPDATE_BY_ID.execute(db, updated, shared=written)
    if created:
        expert = submission.source is Source.EXPERT
        reviewer = {
            "session_id": session_id,
            "subject_id": subject_id,
            "source": submission.source,
            "reviewer_key": key,
            "reviewer_institution_id": None if expert else actor.institution_id,
            "reviewer_account_id": actor.account_id if expert else None,
        }
        _INSERT_SCORES.execute(db, created, shared={**reviewer, **written})
        codes = [str(row[0]) for row in created]
        given = {**_reviewer(submission, subject_id, key), "codes": codes}
        created_now = db.connection().execute(_REVIEWER_SCORES_OF, given).all()
        for code, stored in _stored(created_now).items():
            ids[code] = stored.id
            changes.append(Change(stored.id, session_id, None, stored.audited))
    return [ids[entry.indicator] for entry in submission.entries], changes


AUDITED = ("value", "status", "reported", "comment", "evidence")
"""A score's columns that its audit trail follows."""
Audited = tuple[float, ScoreStatus, str, str, str]
"""Those columns' values, in that order."""

_SCORES = Score.metadata.tables[Score.__tablename__]
_REVISIONS = ScoreRevision.metadata.tables[ScoreRevision.__tablename__]


def _typed(table: Table, names: Sequence[str]) -> dict[str, BindParameter[Any]]:
    """A parameter for each of ``table``'s columns ``names``, named and typed as it."""
    return {name: bindparam(name, type_=table.c[name].type) for name in names}


def _insert_all(table: Table, columns: Sequence[str]) -> BulkStatement:
    """An ``INSERT`` of every column but the key, each row giving ``columns`` (the rest
    are shared by every row)."""
    return BulkStatement(
        insert(table).values(_typed(table, [c.name for c in table.c if not c.primary_key])),
        columns,
    )


WRITTEN = ("value", "reported", "comment", "evidence")
"""The audited columns that differ from score to score (``status`` is the submission's)."""

_UPDATE_BY_ID = BulkStatement(
    update(_SCORES)
    .where(_SCORES.c.id == bindparam("score_id", type_=_SCORES.c.id.type))
    .values(_typed(_SCORES, (*AUDITED, "submitted_by_id", "updated_at"))),
    ("score_id", *WRITTEN),
)
"""A score's changed columns by its id: sent with many rows, one ``executemany`` without
the ORM's bulk bookkeeping or SQLAlchemy's row-by-row parameter building."""
_INSERT_SCORES = _insert_all(_SCORES, ("indicator_code", *WRITTEN))


_REVIEWER_SCORES = select(
    _SCORES.c.id, _SCORES.c.indicator_code, *(_SCORES.c[name] for name in AUDITED)
).where(
    _SCORES.c.session_id == bindparam("session_id"),
    _SCORES.c.subject_id == bindparam("subject_id"),
    _SCORES.c.source == bindparam("source"),
    _SCORES.c.reviewer_key == bindparam("reviewer_key"),
)
"""One reviewer's scores of one school in a session, as plain rows of the audited
columns (parameters: :func:`_reviewer`)."""
_REVIEWER_SCORES_LOCKED = _REVIEWER_SCORES.with_for_update()
_REVIEWER_SCORES_OF = _REVIEWER_SCORES.where(
    _SCORES.c.indicator_code.in_(bindparam("codes", expanding=True))
)


class StoredScore(NamedTuple):
    """A reviewer's stored score, as a submission compares with it: a plain tuple read
    once from its row, since reading a SQLAlchemy row's column by name costs about ten
    times reading a tuple's field, and a submission read a few hundred."""

    id: int
    audited: Audited

    @property
    def status(self) -> ScoreStatus:
        return self.audited[1]


def _stored(rows: Sequence[Any]) -> dict[str, StoredScore]:
    """The scores of :data:`_REVIEWER_SCORES` rows by their indicator's code."""
    return {
        code: StoredScore(score_id, (value, status, reported, comment, evidence))
        for score_id, code, value, status, reported, comment, evidence in rows
    }


def _reviewer(submission: Submission, subject_id: int, key: str) -> dict[str, object]:
    return {
        "session_id": submission.session_id,
        "subject_id": subject_id,
        "source": submission.source,
        "reviewer_key": key,
    }


class Change(NamedTuple):
    """A score just created (``old`` is ``None``) or changed: its audited columns before
    and after. A named tuple: a submission makes one per changed score."""

    score_id: int
    session_id: int
    old: Audited | None
    new: Audited


def audited(score: Score) -> Audited:
    """The audited columns of a loaded score, now."""
    return (score.value, score.status, score.reported, score.comment, score.evidence)


def record_revisions(
    db: Session, changes: Sequence[Change], account_id: int, when: datetime, reason: str = ""
) -> None:
    """The audit rows for ``changes`` (scores already flushed), in one statement; the
    session's live subscribers hear of the changes once the transaction commits."""
    if not changes:
        return
    rows = [(change.score_id, *(change.old or _NOTHING), *change.new) for change in changes]
    shared = {"changed_by_id": account_id, "changed_at": when, "reason": reason}
    _INSERT_REVISIONS.execute(db, rows, shared=shared)
    announce(db, changes[0].session_id)


OLD_COLUMNS = tuple(f"old_{name}" for name in AUDITED)
NEW_COLUMNS = tuple(f"new_{name}" for name in AUDITED)
_NOTHING = (None,) * len(AUDITED)
"""The old columns of a score just created."""
_INSERT_REVISIONS = _insert_all(_REVISIONS, ("score_id", *OLD_COLUMNS, *NEW_COLUMNS))
"""An audit row a change: the score, its audited columns before and after; who, when and
why are the same for every row of a call."""
