"""``node(id:)`` and ``nodes(ids:)``: any object read back by its global id."""

from __future__ import annotations

from typing import Annotated

import strawberry

from sanquan.api.bounds import bounded_argument
from sanquan.api.context import Info
from sanquan.api.ids import decode_id
from sanquan.api.nodes import Fetchable, Node
from sanquan.auth.graphql import AccountType
from sanquan.findings.graphql import FindingType
from sanquan.institutions.graphql import InstitutionType
from sanquan.limits import GLOBAL_ID, NODE_IDS
from sanquan.review.graphql.session import ReviewSessionType
from sanquan.review.graphql.types import ScoreType
from sanquan.rotation.graphql import RotationPlanType
from sanquan.tables.graphql import PlanType, TaskType, UnitType

NODE_TYPES: dict[str, type[Fetchable]] = {
    "Institution": InstitutionType,
    "ReviewSession": ReviewSessionType,
    "Score": ScoreType,
    "Account": AccountType,
    "Finding": FindingType,
    "RotationPlan": RotationPlanType,
    "WorkPlan": PlanType,
    "Task": TaskType,
    "ResponsibleUnit": UnitType,
}
"""Every type that implements ``Node``, by its GraphQL name (a test keeps it complete)."""


def fetch(info: Info, value: str) -> Node | None:
    """The object ``value`` names, if the caller may read it."""
    found = decode_id(value)
    kind = NODE_TYPES.get(found[0]) if found else None
    if found is None or kind is None:
        return None
    node = kind.fetch(info, found[1])
    assert node is None or isinstance(node, Node)
    return node


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Any object by its global id; null when there is none or the caller may "
        "not read it (the two are not told apart)."
    )
    def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, bounded_argument(GLOBAL_ID, "A global id.")],
    ) -> Node | None:
        return fetch(info, id)

    @strawberry.field(
        description="Objects by their global ids, in the order given; null for each one "
        "there is none of or the caller may not read."
    )
    def nodes(
        self,
        info: Info,
        ids: Annotated[list[strawberry.ID], bounded_argument(NODE_IDS, "Global ids.")],
    ) -> list[Node | None]:
        return [fetch(info, value) for value in ids]
