"""Input bounds declared on the schema and checked before any resolver reads its arguments.

Every ``String``, ``Int`` and list of an input or argument carries a :class:`Limit` (from
:mod:`sanquan.limits`), quoted in its description. Before a field with arguments resolves,
its coerced arguments are walked: a lone surrogate or a control character in any text, a
text, list or integer out of bounds is refused with ``INVALID_VALUE`` and the path of the
value. A query gets a GraphQL error; a mutation gets ``userErrors`` (see
:meth:`Context.mutate`), after its role check, so that a refusal never tells a caller who may
not act anything about the input. The arguments of the fields a mutation's payload selects
are checked before the mutation runs (:func:`check_selection`). IDs are not checked here:
one that cannot be a row id is an unknown id (:func:`sanquan.api.ids.parse_id`).

>>> from sanquan.limits import Limit
>>> check_value(GraphQLString, "a\\x00b", Limit(length=10), ("name",))[0].field
('name',)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Annotated, Any

import strawberry
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInt,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLString,
    InlineFragmentNode,
    NamedTypeNode,
    SelectionSetNode,
    get_argument_values,
    get_named_type,
)
from graphql.execution import VariableValues
from strawberry.schema.schema_converter import GraphQLCoreConverter

from sanquan.errors import DomainError, FieldPath, invalid_value, text_problem
from sanquan.limits import CODE, CURSOR, NAME, PAGE, Limit

LIMIT = "sanquan.limit"
"""The metadata key of a field's or argument's :class:`Limit`."""

DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF
"""Where strawberry keeps its own definition of a GraphQL field or argument."""


def _describe(limit: Limit, description: str) -> str:
    return f"{description} {limit.describe()}".strip()


def bounded(
    limit: Limit,
    description: str = "",
    default: Any = dataclasses.MISSING,
    default_factory: Any = dataclasses.MISSING,
) -> Any:
    """An input field bounded by ``limit``, which its description quotes.

    >>> from sanquan.limits import Limit
    >>> bounded(Limit(length=200), "The name.", default="").description
    'The name. At most 200 characters.'
    """
    return strawberry.field(
        default=default,
        default_factory=default_factory,
        description=_describe(limit, description),
        metadata={LIMIT: limit},
    )


def bounded_argument(limit: Limit, description: str = "") -> Any:
    """An argument bounded by ``limit``: use as ``Annotated[str | None, bounded_argument(..)]``."""
    return strawberry.argument(description=_describe(limit, description), metadata={LIMIT: limit})


INPUT = strawberry.argument(
    description="What to do, as one input object. Every field is checked against its bounds "
    "first: a value out of bounds comes back in `userErrors` as INVALID_VALUE with its path, "
    "and nothing changes."
)
"""A mutation's ``input`` argument: ``input: Annotated[SomeInput, INPUT]``."""


def limit_of(definition: GraphQLArgument | GraphQLInputField) -> Limit | None:
    """The :class:`Limit` declared on a field or argument, if any."""
    source = (definition.extensions or {}).get(DEFINITION)
    found = getattr(source, "metadata", None) or {}
    limit = found.get(LIMIT)
    return limit if isinstance(limit, Limit) else None


def check_value(
    kind: GraphQLInputType, value: Any, limit: Limit | None, path: FieldPath
) -> list[DomainError]:
    """Every problem of a coerced input ``value`` of GraphQL type ``kind``."""
    if value is None:
        return []
    if isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    if isinstance(kind, GraphQLList):
        too_many = limit.problems(value, path) if limit is not None else []
        if too_many or _unchecked(kind.of_type, limit):
            return too_many
        if _named(kind.of_type) is GraphQLString:
            return _text_list_problems(value, limit, path)
        return [
            error
            for index, item in enumerate(value)
            for error in check_value(kind.of_type, item, limit, (*path, index))
        ]
    if isinstance(kind, GraphQLInputObjectType):
        return check_arguments(kind.fields, value, path)
    if kind is GraphQLString and isinstance(value, str):
        problem = text_problem(value.strip(), limit.length if limit else None)
        return [] if problem is None else [invalid_value(path, problem)]
    if kind is GraphQLInt and isinstance(value, int) and limit is not None:
        return limit.problems(value, path)
    return []


def _named(kind: GraphQLInputType) -> GraphQLInputType:
    return kind.of_type if isinstance(kind, GraphQLNonNull) else kind


def _text_list_problems(
    values: list[Any], limit: Limit | None, path: FieldPath
) -> list[DomainError]:
    """A list of texts (a vector's 50 indicator codes) checked in one pass, each item as
    :func:`check_value` checks a text, rather than by a call of it for each item."""
    length = limit.length if limit else None
    return [
        invalid_value((*path, index), problem)
        for index, text in enumerate(values)
        if isinstance(text, str) and (problem := text_problem(text.strip(), length)) is not None
    ]


def _unchecked(kind: GraphQLInputType, limit: Limit | None) -> bool:
    """Whether :func:`check_value` finds nothing to say of any value of ``kind``: a list of
    50 scores' values is then not walked item by item."""
    if isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    if isinstance(kind, GraphQLList | GraphQLInputObjectType) or kind is GraphQLString:
        return False
    return not (kind is GraphQLInt and limit is not None)


def check_arguments(
    definitions: Mapping[str, GraphQLArgument] | Mapping[str, GraphQLInputField],
    values: Mapping[str, Any],
    path: FieldPath = (),
) -> list[DomainError]:
    """Every problem of the arguments (or input object fields) ``values``."""
    return [
        error
        for name, definition in definitions.items()
        if name in values
        for error in check_value(definition.type, values[name], limit_of(definition), (*path, name))
    ]


Resolver = Callable[..., Any]


def check_selection(info: GraphQLResolveInfo[Any]) -> list[DomainError]:
    """Every problem of the arguments of the fields selected below the one resolving.

    A mutation's payload is read after the mutation has committed, so a payload field whose
    argument is out of bounds (``reviewSession { scores(institutionCode: <too long>) }``)
    is refused before the mutation runs: otherwise the request would answer with an error
    and yet have changed the data.
    """
    errors: list[DomainError] = []
    variables: Any = info.variable_values
    if not isinstance(variables, VariableValues):  # strawberry hands over the coerced dict
        variables = VariableValues({}, variables)

    def walk(selections: SelectionSetNode, parent: GraphQLNamedType) -> None:
        for node in selections.selections:
            if isinstance(node, FragmentSpreadNode):
                fragment = info.fragments[node.name.value]
                walk(fragment.selection_set, narrowed(fragment.type_condition, parent))
            elif isinstance(node, InlineFragmentNode):
                walk(node.selection_set, narrowed(node.type_condition, parent))
            elif isinstance(node, FieldNode) and isinstance(parent, GraphQLObjectType):
                field = parent.fields.get(node.name.value)
                if field is None:  # __typename
                    continue
                if field.args:
                    values = get_argument_values(field, node, variables)
                    errors.extend(check_arguments(field.args, values))
                if node.selection_set is not None:
                    walk(node.selection_set, get_named_type(field.type))

    def narrowed(condition: NamedTypeNode | None, parent: GraphQLNamedType) -> GraphQLNamedType:
        found = info.schema.get_type(condition.name.value) if condition is not None else None
        return found or parent

    for node in info.field_nodes:
        if node.selection_set is not None:
            walk(node.selection_set, get_named_type(info.return_type))
    return errors


def _guarded(
    resolve: Resolver, definitions: Mapping[str, GraphQLArgument], is_mutation: bool
) -> Resolver:
    def guarded(root: Any, info: GraphQLResolveInfo[Any], **arguments: Any) -> Any:
        errors = check_arguments(definitions, arguments)
        if is_mutation and (below := check_selection(info)):
            raise below[0]
        if not errors:
            return resolve(root, info, **arguments)
        if not is_mutation:
            raise errors[0]
        # Mutations report against their input object: `scores.3.comment`, not
        # `input.scores.3.comment`; the resolver's role check still comes first.
        for error in errors:
            error.field = error.field[1:] if error.field[:1] == ("input",) else error.field
            error.params["field"] = ".".join(map(str, error.field))
        info.context.refused = errors
        try:
            return resolve(root, info, **arguments)
        finally:
            info.context.refused = None

    return guarded


def guard(schema: GraphQLSchema) -> None:
    """Check the arguments of every field that takes some before it resolves."""
    mutation = schema.mutation_type
    for kind in schema.type_map.values():
        if not isinstance(kind, GraphQLObjectType) or kind.name.startswith("__"):
            continue
        for field in kind.fields.values():
            if field.args and field.resolve is not None:
                field.resolve = _guarded(field.resolve, field.args, kind is mutation)


First = Annotated[
    int | None,
    bounded_argument(
        PAGE, "Rows from the start, or after `after`; 50 when neither `first` nor `last` is given."
    ),
]
After = Annotated[
    str | None,
    bounded_argument(CURSOR, "A cursor: the page begins after this row (the `endCursor` before)."),
]
Last = Annotated[
    int | None, bounded_argument(PAGE, "Rows from the end, or before `before`; not with `first`.")
]
Before = Annotated[
    str | None,
    bounded_argument(CURSOR, "A cursor: the page ends before this row (the `startCursor` after)."),
]
Code = Annotated[str, bounded_argument(CODE)]
OptionalCode = Annotated[str | None, bounded_argument(CODE)]
SessionId = Annotated[strawberry.ID, strawberry.argument(description="The review session's id.")]
OptionalName = Annotated[str | None, bounded_argument(NAME)]
