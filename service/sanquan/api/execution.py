"""How GraphQL results are completed: Strawberry's execution of graphql-core's executor, with
one fast path, for lists of the built-in scalars.

Why: the executor completes every item of a list on its own (a path entry, the awaitable
check, the nullability and type dispatch, then the scalar's coercion), some 3 µs an item.
That is what a vector costs: the scoreboard's rows carry 1,500 numbers for a five-school
session, and completing them one by one took longer than reading them from the database.
Here a whole list of ``Float``, ``Int``, ``String``, ``Boolean`` or ``ID`` is coerced in one
comprehension with the same coercion functions. Anything the fast path cannot vouch for —
a null in a list of non-null items, a value the scalar refuses, a streamed list, an item
type other than those five — goes the executor's own way, so errors, their paths and
their messages are exactly graphql-core's.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable
from typing import Any

from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    is_specified_scalar_type,
)
from graphql.pyutils import AwaitableOrValue, Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class ScalarListExecution(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with lists of built-in scalars completed in one
    pass."""

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: Any,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: AsyncIterable[Any] | Iterable[Any],
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        completed = self._scalar_list(return_type, field_details_list, path, result)
        if completed is not None:
            return completed
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _scalar_list(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: Any,
        path: Path,
        result: Any,
    ) -> list[Any] | None:
        """The completed list, or ``None`` when the executor must complete it itself."""
        if not isinstance(result, list | tuple):
            return None
        item_type = return_type.of_type
        non_null = isinstance(item_type, GraphQLNonNull)
        scalar = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if not (isinstance(scalar, GraphQLScalarType) and is_specified_scalar_type(scalar)):
            return None
        if self.get_stream_usage(field_details_list, path) is not None:
            return None
        coerce = scalar.coerce_output_value
        try:
            completed = [None if item is None else coerce(item) for item in result]
        except Exception:  # the executor raises it again, located at the item
            return None
        if Undefined in completed or (non_null and None in completed):
            return None
        return completed
