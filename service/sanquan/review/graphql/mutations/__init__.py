"""The review mutations, one module per mutation (or per step of a session's life), composed
into the one ``ReviewMutation`` the schema mixes in."""

from __future__ import annotations

import strawberry

from sanquan.review.graphql.mutations.correct_score import CorrectScore
from sanquan.review.graphql.mutations.create_session import CreateReviewSession
from sanquan.review.graphql.mutations.session_steps import SessionSteps
from sanquan.review.graphql.mutations.submit_scores import SubmitScores


@strawberry.type
class ReviewMutation(CreateReviewSession, SessionSteps, SubmitScores, CorrectScore):
    pass


__all__ = ["ReviewMutation"]
