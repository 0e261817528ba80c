"""Blind review (R14): which scores a reader may see, and whose names behind them.

Until a session concludes a reviewer sees only the scores they gave. Afterwards the
session's schools and experts see the submitted scores about the schools they are concerned
with, but an expert's identity stays known only to the commission and to that expert, and a
draft only to its author and the commission.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, false, or_, select

from sanquan.auth.models import Role
from sanquan.auth.tokens import Principal
from sanquan.review.models import ReviewSession, Score, ScoreStatus, SessionStatus


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
    """The query for the scores of ``session`` that ``actor`` may read."""
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
    # A draft never counted, and stays its author's after conclusion too.
    others = Score.status == ScoreStatus.SUBMITTED
    if actor.role is Role.INSTITUTION:
        others = and_(others, Score.subject_id == actor.institution_id)
    return query.where(or_(own, others))


def may_see_reviewer(score: Score, actor: Principal) -> bool:
    """Schools never learn which expert gave which score; experts see only themselves."""
    if actor.is_admin or score.reviewer_account_id is None:
        return True
    return score.reviewer_account_id == actor.account_id


def may_see_history(score: Score, actor: Principal) -> bool:
    """The audit trail of a score: the commission, and the reviewer who gave it."""
    if actor.is_admin:
        return True
    if score.reviewer_account_id is not None:
        return score.reviewer_account_id == actor.account_id
    return actor.role is Role.INSTITUTION and score.reviewer_institution_id == actor.institution_id
