"""GraphQL for review sessions: setting them up (ADMIN), scoring (schools and experts),
concluding, and reading scores and results under the blind-review rule.

``types`` holds the score, result and diagnosis types, ``session`` the ``ReviewSession``
type, ``progress`` its completeness view and the subscription that follows it live,
``query`` the queries and ``mutations/`` one module per mutation.
"""

from sanquan.review.graphql.mutations import ReviewMutation
from sanquan.review.graphql.mutations.create_session import IndicatorSetRef
from sanquan.review.graphql.progress import ReviewSubscription
from sanquan.review.graphql.query import ReviewQuery
from sanquan.review.graphql.session import ReviewSessionType

__all__ = [
    "IndicatorSetRef",
    "ReviewMutation",
    "ReviewQuery",
    "ReviewSessionType",
    "ReviewSubscription",
]
