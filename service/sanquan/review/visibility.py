"""Blind review (R14): which scores a reader may see, and whose names behind them.

Until a session concludes a reviewer sees only the scores they gave. Afterwards the
session's schools and experts see the submitted scores about the schools they are
concerned with, but an expert's identity stays known only to the commission and to that
expert: another expert's score reaches any other reader *blind*, with nothing (id, time,
audit trail, order) that tells which of the session's scores that expert also gave. A
draft is its author's alone until submitted; the commission sees everything.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from hashlib import sha256
from typing import Any, Protocol

from sqlalchemy import Select, and_, false, or_, select

from sanquan.auth.models import Role
from sanquan.auth.tokens import Principal
from sanquan.review.models import ReviewSession, Score, ScoreStatus, SessionStatus
from sanquan_sdk import Source

BLIND_ID_PREFIX = "blind-"


class Ordered(Protocol):
    """What ordering a reader's scores and naming them reads of each: a :class:`Score`, or
    a row of just :data:`ORDERED_BY`."""

    @property
    def id(self) -> int: ...
    @property
    def subject_id(self) -> int: ...
    @property
    def indicator_code(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def reviewer_account_id(self) -> int | None: ...
    @property
    def value(self) -> float: ...
    @property
    def reported(self) -> str: ...
    @property
    def comment(self) -> str: ...
    @property
    def evidence(self) -> str: ...


ORDERED_BY = (
    Score.id,
    Score.subject_id,
    Score.indicator_code,
    Score.source,
    Score.reviewer_account_id,
    Score.value,
    Score.reported,
    Score.comment,
    Score.evidence,
)
"""The columns of :class:`Ordered`: enough to order a long list and pick a page of it
before loading the page's rows in full."""
ReadingKey = tuple[int, int, str, int, int, int, float, str, str, str, str]
"""Where a score stands in what a reader is shown; see :func:`reading_order`."""


def is_participant(session: ReviewSession, actor: Principal) -> bool:
    if actor.role is Role.INSTITUTION:
        return any(m.institution_id == actor.institution_id for m in session.members)
    if actor.role is Role.EXPERT:
        return any(m.account_id == actor.account_id for m in session.panel)
    return False


def may_see_panel(session: ReviewSession, actor: Principal) -> bool:
    return actor.is_admin or (actor.role is Role.EXPERT and is_participant(session, actor))


def may_read_scores(session: ReviewSession, actor: Principal) -> bool:
    return actor.is_admin or is_participant(session, actor)


def visible_scores(session: ReviewSession, actor: Principal) -> Select[Any]:
    """The query for the scores of ``session`` that ``actor`` may read, in no order (see
    :func:`reading_order`)."""
    query = select(Score).where(Score.session_id == session.id)
    if actor.is_admin:
        return query
    own = (
        Score.reviewer_account_id == actor.account_id
        if actor.role is Role.EXPERT
        else Score.reviewer_institution_id == actor.institution_id
    )
    if not is_participant(session, actor):
        return query.where(false())
    if session.status is not SessionStatus.CONCLUDED:
        return query.where(own)
    # A draft is unfinished work that its author never put forward: it stays theirs.
    others = Score.status == ScoreStatus.SUBMITTED
    if actor.role is Role.INSTITUTION:
        others = and_(others, Score.subject_id == actor.institution_id)
    return query.where(or_(own, others))


def may_see_reviewer(score: Ordered, actor: Principal) -> bool:
    """Schools never learn which expert gave which score; experts see only themselves."""
    if actor.is_admin or score.reviewer_account_id is None:
        return True
    return score.reviewer_account_id == actor.account_id


def is_blind(score: Ordered, actor: Principal) -> bool:
    """Whether ``actor`` reads ``score`` as another expert's anonymous score, which then
    must carry nothing that links it to that expert's other scores."""
    return not may_see_reviewer(score, actor)


def may_see_history(score: Score, actor: Principal) -> bool:
    """The audit trail of a score: the commission, and the reviewer who gave it."""
    if actor.is_admin:
        return True
    if score.reviewer_account_id is not None:
        return score.reviewer_account_id == actor.account_id
    return actor.role is Role.INSTITUTION and score.reviewer_institution_id == actor.institution_id


def blind_id(session: ReviewSession, score: Ordered) -> str:
    """An opaque id for a blind score: a keyed hash of its row id under the session's
    secret key. Stable across requests and unique within the session, so a client can
    still tell the rows apart and cache them; but in no order and not computable from the
    row id, which grows as each expert submits and would so group the scores by expert.

    >>> session, score = ReviewSession(id=1, blind_key="k"), Score(id=7)
    >>> blind_id(session, score) == blind_id(session, Score(id=7)) != blind_id(session, Score(id=8))
    True
    >>> blind_id(session, score).startswith(BLIND_ID_PREFIX)
    True
    """
    digest = hmac.new(session.blind_key.encode(), str(score.id).encode(), sha256).hexdigest()
    return BLIND_ID_PREFIX + digest[:24]


def shown_key(session: ReviewSession, score: Ordered, actor: Principal) -> str:
    """The key of the global id ``actor`` is shown for ``score``: its row id, or for a
    blind score the session's id and :func:`blind_id`, by which alone it can be read back.

    >>> from sanquan.auth.models import Role
    >>> session = ReviewSession(id=3, blind_key="k")
    >>> school = Principal(account_id=1, name="x", role=Role.INSTITUTION, institution_id=9)
    >>> shown_key(session, Score(id=7, reviewer_account_id=None), school)
    '7'
    >>> shown_key(session, Score(id=7, reviewer_account_id=5), school).startswith("3/blind-")
    True
    """
    if is_blind(score, actor):
        return f"{session.id}/{blind_id(session, score)}"
    return str(score.id)


def reading_order(
    session: ReviewSession, actor: Principal, indicators: Iterable[str]
) -> Callable[[Ordered], ReadingKey]:
    """The sort key of the scores ``actor`` is shown, for GraphQL and exports alike: by
    institution in session order, indicator in the set's order (``indicators``; unknown
    codes last) and source; then the scores whose reviewer the reader may see, in the
    order they were given, before the blind ones, which are ordered by their content only
    and, where that ties, by :func:`blind_id`, so that neither position nor adjacency
    links one expert's scores across indicators or institutions."""
    position = {m.institution_id: m.position for m in session.members}
    order = {code: n for n, code in enumerate(indicators)}
    sources = {source: n for n, source in enumerate(Source)}

    def key(score: Ordered) -> ReadingKey:
        code = score.indicator_code
        where = (position.get(score.subject_id, 0), order.get(code, len(order)), code)
        source = sources[Source(score.source)]
        if is_blind(score, actor):
            content = (score.value, score.reported, score.comment, score.evidence)
            return (*where, source, 1, 0, *content, blind_id(session, score))
        return (*where, source, 0, score.id, 0.0, "", "", "", "")

    return key
