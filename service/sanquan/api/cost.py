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

from dataclasses import dataclass
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
    is_introspection_type,
    is_list_type,
)

from sanquan.api.pagination import DEFAULT_PAGE, MAX_PAGE

PAGED_BY_PARENT = {"edges", "nodes"}
"""Lists of a connection: the connection field's ``first``/``last`` already counted them."""
INTROSPECTION_ROOTS = {"__schema": "__Schema", "__type": "__Type"}
INTROSPECTION_PRICE = {"__schema": 10_000, "__type": 100}
"""GraphiQL's whole introspection costs about 10,500: four copies of it are allowed, five
are not."""
USER_ERRORS = 10
"""A payload's ``userErrors``: one per bad input field, rarely more than a few."""

LIST_LENGTHS: dict[str, int] = {
    # A session: 3–5 schools, a panel of up to 10, 50 indicators at most in a shipped or
    # benchmarked set, and 12 reviewers of each indicator of each school.
    "ReviewSession.institutions": 5,
    "ReviewSession.panel": 10,
    "ReviewSession.results": 5,
    "ReviewSession.diagnostics": 5,
    "InstitutionResult.indicators": 50,
    "Scoreboard.rows": 5,
    "InstitutionDiagnosis.highlights": 50,
    "InstitutionDiagnosis.weaknesses": 50,
    "InstitutionDiagnosis.selfGaps": 50,
    "SubmitScoresPayload.scores": 500,
    "Score.history": 5,
    # A session's progress: per school, its three sources; a source's reviewers are the
    # school itself, the 4 other schools, or the experts of a panel of up to 10.
    "SessionProgress.institutions": 5,
    "InstitutionProgress.sources": 3,
    "SourceProgress.reviewers": 10,
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
    # Objects read back by id: as many as `nodes` takes.
    "Query.nodes": 100,
}


NARROWED: dict[str, dict[str, int]] = {
    "Query.responsibleUnits": {"name": 1},
    "Query.indicatorSets": {"key": 1},
}
"""Lists that an argument narrows, and their length then: a unit by its name, a set by
its key."""


def list_length(parent: str, node: FieldNode, arguments: dict[str, Any]) -> int:
    """How many items a list field may return, for pricing."""
    name = node.name.value
    if name in PAGED_BY_PARENT and parent.endswith("Connection"):
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


@dataclass(frozen=True)
class Shape:
    """What a selection weighs: its cost, the levels of fields it nests (introspection not
    counted, as the depth limit always allowed) and the aliases it holds."""

    cost: int = 0
    levels: int = 0
    aliases: int = 0

    def __add__(self, other: Shape) -> Shape:
        return Shape(
            self.cost + other.cost, max(self.levels, other.levels), self.aliases + other.aliases
        )


class QueryCost:
    """Measures the operations of one document. Each fragment is measured once and its
    figures reused wherever it is spread, so the work is linear in the document however its
    fragments nest: a 900-byte document whose 22 fragments each spread the one before twice
    expands to four million fields, and strawberry's own depth and alias rules, which walk
    every spread, took 18 s over it."""

    def __init__(self, context: ValidationContext) -> None:
        self.context = context
        self.schema: GraphQLSchema = context.schema
        self.fragments: dict[tuple[str, str], Shape] = {}
        self.measuring: set[str] = set()

    def selections(self, selection_set: SelectionSetNode, parent: GraphQLNamedType) -> Shape:
        """The shape of ``selection_set`` inside one item of ``parent``."""
        total = Shape()
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

    def field(self, node: FieldNode, parent: GraphQLNamedType) -> Shape:
        aliased = 1 if node.alias is not None else 0
        if node.selection_set is None:
            return Shape(1, 1, aliased)
        name = node.name.value
        if name.startswith("__") or parent.name.startswith("__"):
            # Introspection reads the schema, not the database; GraphiQL must get it whole,
            # but thirty aliases of it would answer 20 MB: ``__schema`` has a price of its own.
            meta = INTROSPECTION_ROOTS.get(name)
            inner = self.schema.get_type(meta) if meta else None
            within = self.selections(node.selection_set, inner or parent)
            price = INTROSPECTION_PRICE.get(name, 1)
            return Shape(price + within.cost, 0, aliased + within.aliases)
        fields = (
            parent.fields if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType) else {}
        )
        definition = fields.get(name)
        if definition is None:  # an unknown field: another rule's error
            within = self.selections(node.selection_set, parent)
            return Shape(1 + within.cost, 1 + within.levels, aliased + within.aliases)
        inner = get_named_type(definition.type)
        arguments = definition.args
        length = page_size(node, arguments)
        if length is None:
            output = get_nullable_type(definition.type)
            length = list_length(parent.name, node, arguments) if is_list_type(output) else 1
        within = self.selections(node.selection_set, inner)
        return Shape(1 + length * within.cost, 1 + within.levels, aliased + within.aliases)

    def fragment(self, name: str) -> Shape:
        definition = self.context.get_fragment(name)
        if definition is None or name in self.measuring:
            return Shape()  # unknown fragments and cycles are other rules' errors
        condition = self.schema.get_type(definition.type_condition.name.value)
        if condition is None:
            return Shape()
        key = (name, condition.name)
        if key not in self.fragments:
            self.measuring.add(name)
            self.fragments[key] = self.selections(definition.selection_set, condition)
            self.measuring.discard(name)
        return self.fragments[key]


def request_shape(max_cost: int, max_depth: int, max_aliases: int) -> type[ValidationRule]:
    """A validation rule refusing operations that cost, nest or alias more than allowed;
    one linear pass in place of strawberry's depth and alias limiters."""

    class RequestShape(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            root = self.context.schema.get_root_type(node.operation)
            if root is None:
                return
            shape = QueryCost(self.context).selections(node.selection_set, root)
            depth = shape.levels - 1
            if depth > max_depth:
                self.report_error(
                    GraphQLError(
                        f"query depth {depth} exceeds the limit of {max_depth}",
                        node,
                        extensions={"code": "QUERY_TOO_DEEP", "depth": depth, "limit": max_depth},
                    )
                )
            if shape.aliases > max_aliases:
                aliases = shape.aliases
                self.report_error(
                    GraphQLError(
                        f"{aliases} aliases exceed the limit of {max_aliases}",
                        node,
                        extensions={
                            "code": "TOO_MANY_ALIASES",
                            "aliases": aliases,
                            "limit": max_aliases,
                        },
                    )
                )
            if shape.cost > max_cost:
                cost = shape.cost
                self.report_error(
                    GraphQLError(
                        f"query cost {cost} exceeds the limit of {max_cost}",
                        node,
                        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": max_cost},
                    )
                )

    return RequestShape


def max_cost(limit: int) -> type[ValidationRule]:
    """The cost limit alone (no depth or alias limit), for pricing a document."""
    return request_shape(limit, 10**9, 10**9)


class NoIntrospection(ValidationRule):
    """Introspection switched off (R23): every field of an introspection type is refused
    with a code of this service's, so that the message can be given in the caller's
    language (graphql-core's own rule words it in English only)."""

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        kind = self.context.get_type()
        if kind is not None and is_introspection_type(get_named_type(kind)):
            self.report_error(
                GraphQLError(
                    f"introspection is switched off: {node.name.value}",
                    node,
                    extensions={"code": "INTROSPECTION_DISABLED"},
                )
            )
