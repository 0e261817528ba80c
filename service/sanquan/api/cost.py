"""The static cost of a query, refused before execution when it is too high (R23).

A depth limit alone lets ``plans { tasks { units { tasks { units … } } } }`` multiply
its way to millions of fields within eight levels. So every document is priced before it
runs, the way GitHub's node limit and Shopify's calculated query cost do it: each field
costs one, times the length of every list it sits in. A list's length is its page size
where it is paged (``first``/``last``, or the page default) and otherwise the length it
can reach in this domain, from :data:`LIST_LENGTHS`. The error gives the cost and the
limit, so a client can cut its query down to size.

>>> from sanquan.api.schema import build_schema
>>> from graphql import parse, validate
>>> schema = build_schema()._schema
>>> cycle = "{ plans { tasks { units { tasks { units { tasks { number } } } } } } }"
>>> [error.extensions["cost"] for error in validate(schema, parse(cycle), [max_cost(50_000)])]
[8157631]
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)

from sanquan.api.pagination import DEFAULT_PAGE, MAX_PAGE

PAGED_BY_PARENT = {"edges", "nodes"}
"""Lists of a connection: the connection field's ``first``/``last`` already counted them."""
INTROSPECTION_ROOTS = {"__schema": "__Schema", "__type": "__Type"}
USER_ERRORS = 10
"""A payload's ``userErrors``: one per bad input field, rarely more than a few."""

LIST_LENGTHS: dict[str, int] = {
    # A session: 3–5 schools, a panel of up to 10, 50 indicators at most in a shipped or
    # benchmarked set, and 12 reviewers of each indicator of each school.
    "ReviewSession.institutions": 5,
    "ReviewSession.panel": 10,
    "ReviewSession.scores": 3_000,
    "ReviewSession.results": 5,
    "ReviewSession.diagnostics": 5,
    "InstitutionResult.indicators": 50,
    "InstitutionDiagnosis.highlights": 50,
    "InstitutionDiagnosis.weaknesses": 50,
    "InstitutionDiagnosis.selfGaps": 50,
    "SubmitScoresPayload.scores": 500,
    "Score.history": 5,
    # Indicator sets: 20–50 indicators in all, in three to five dimensions.
    "Query.indicatorSets": 5,
    "IndicatorSet.dimensions": 5,
    "Dimension.indicators": 20,
    "Scale.levels": 10,
    # Rotation: a cycle of 12 quarters, k sessions a quarter, the pool of one city.
    "RotationCycle.quarters": 12,
    "RotationCycle.unscheduled": 100,
    "CycleQuarter.sessions": 5,
    "RotationPlan.quarters": 12,
    "RotationPlan.changes": 100,
    "PlannedQuarter.sessions": 5,
    "PlannedSession.institutions": 5,
    "PlannedSession.panel": 10,
    "PlanRotationPayload.conflicts": 10,
    "AdoptRotationPlanPayload.createdSessions": 60,
    "Query.overdueInstitutions": 100,
    "Query.expertSessions": 20,
    "InstitutionReviews.sessions": 10,
    # Findings of one session or school.
    "Query.findings": 50,
    "Query.findingDrafts": 50,
    "FindingsPayload.findings": 50,
    "Finding.notes": 20,
    # Responsibility tables: a plan of 20–22 tasks, a handful of units each.
    "Query.plans": 5,
    "Query.tasks": 25,
    "Query.responsibleUnits": 80,
    "WorkPlan.tasks": 25,
    "WorkPlan.tasksWithoutReport": 25,
    "ResponsibleUnit.tasks": 25,
    "Task.units": 10,
    "Task.assignments": 10,
    "Task.progress": 10,
    # Accounts of one deployment.
    "Query.accounts": 200,
}


NARROWED: dict[str, dict[str, int]] = {
    "Query.responsibleUnits": {"name": 1},
    "Query.indicatorSets": {"key": 1},
    "ReviewSession.scores": {"institutionCode": 600, "source": 1_500},
}
"""Lists that an argument narrows, and their length then: a unit by its name, a set by
its key, the scores about one school (a fifth) or from one source (half, for experts)."""


def list_length(parent: str, node: FieldNode, arguments: dict[str, Any]) -> int:
    """How many items a list field may return, for pricing."""
    name = node.name.value
    if name in PAGED_BY_PARENT:
        return 1
    if name == "userErrors":
        return USER_ERRORS
    key = f"{parent}.{name}"
    if key in LIST_LENGTHS:
        given = {a.name.value for a in node.arguments or ()}
        narrowed = NARROWED.get(key, {})
        return min([LIST_LENGTHS[key]] + [n for arg, n in narrowed.items() if arg in given])
    return MAX_PAGE if "first" in arguments or "last" in arguments else DEFAULT_PAGE


def page_size(node: FieldNode, arguments: dict[str, Any]) -> int | None:
    """The size a paged field asks for: its literal ``first``/``last``, the largest page for
    a variable (its value is not known before execution), the default page otherwise."""
    if "first" not in arguments and "last" not in arguments:
        return None
    given = {a.name.value: a.value for a in node.arguments or ()}
    sizes = [given[name] for name in ("first", "last") if name in given]
    if not sizes:
        return DEFAULT_PAGE
    value = sizes[0]
    if isinstance(value, IntValueNode):
        return max(0, min(int(value.value), MAX_PAGE))
    if isinstance(value, VariableNode):
        return MAX_PAGE
    return DEFAULT_PAGE


class QueryCost:
    """Prices the operations of one document. Each fragment is priced once and then
    scaled, so pricing takes time linear in the document, however its fragments nest."""

    def __init__(self, context: ValidationContext) -> None:
        self.context = context
        self.schema: GraphQLSchema = context.schema
        self.fragments: dict[tuple[str, str], int] = {}
        self.pricing: set[str] = set()

    def selections(self, selection_set: SelectionSetNode, parent: GraphQLNamedType) -> int:
        """The cost of ``selection_set`` inside one item of ``parent``."""
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(selection.selection_set, inner or parent)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value)
        return total

    def field(self, node: FieldNode, parent: GraphQLNamedType) -> int:
        if node.selection_set is None:
            return 1
        introspection = node.name.value.startswith("__") or parent.name.startswith("__")
        fields = (
            parent.fields if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType) else {}
        )
        definition = fields.get(node.name.value)
        if introspection or definition is None:
            # Introspection (``__schema``, ``__type``) reads the schema, not the database,
            # and GraphiQL must get it whole: each field costs one, with no multipliers.
            meta = INTROSPECTION_ROOTS.get(node.name.value)
            inner = self.schema.get_type(meta) if meta else None
            return 1 + self.selections(node.selection_set, inner or parent)
        inner = get_named_type(definition.type)
        arguments = definition.args
        length = page_size(node, arguments)
        if length is None:
            output = get_nullable_type(definition.type)
            length = list_length(parent.name, node, arguments) if is_list_type(output) else 1
        return 1 + length * self.selections(node.selection_set, inner)

    def fragment(self, name: str) -> int:
        definition = self.context.get_fragment(name)
        if definition is None or name in self.pricing:
            return 0  # unknown fragments and cycles are other rules' errors
        condition = self.schema.get_type(definition.type_condition.name.value)
        if condition is None:
            return 0
        key = (name, condition.name)
        if key not in self.fragments:
            self.pricing.add(name)
            self.fragments[key] = self.selections(definition.selection_set, condition)
            self.pricing.discard(name)
        return self.fragments[key]


def max_cost(limit: int) -> type[ValidationRule]:
    """A validation rule refusing operations that cost more than ``limit``."""

    class MaxCost(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            root = self.context.schema.get_root_type(node.operation)
            if root is None:
                return
            cost = QueryCost(self.context).selections(node.selection_set, root)
            if cost > limit:
                self.report_error(
                    GraphQLError(
                        f"query cost {cost} exceeds the limit of {limit}",
                        node,
                        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": limit},
                    )
                )

    return MaxCost
