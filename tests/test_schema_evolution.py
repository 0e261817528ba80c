"""The schema only grows: ``schema.graphql`` against the last released schema.

``schema/released.graphql`` is the schema of the last release. A change that would break a
client written against it (graphql-core's ``find_breaking_changes``) fails this test, unless
it removes a field, argument or enum value that the released schema already marked
``@deprecated``: deprecate first, release, then remove. Dangerous changes (a new enum value,
a changed default, a new optional argument) are reported, not refused.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from graphql import (
    BreakingChange,
    BreakingChangeType,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
)

ROOT = Path(__file__).resolve().parent.parent
RELEASED = ROOT / "schema" / "released.graphql"
CURRENT = ROOT / "schema.graphql"

HOW_TO_RELEASE = (
    "These changes break clients of the released schema (schema/released.graphql). Deprecate "
    "the element first (@deprecated(reason: ...)), release, and remove it in a later release; "
    "or, to break deliberately, copy schema.graphql over schema/released.graphql and describe "
    "the break under a new version in CHANGELOG.md."
)

# graphql-core names the removed element by its schema coordinate.
REMOVED_FIELD = re.compile(r"^(?:Input )?[Ff]ield (?P<type>\w+)\.(?P<field>\w+) was removed\.$")
REMOVED_ARG = re.compile(r"^Argument (?P<type>\w+)\.(?P<field>\w+)\((?P<arg>\w+):\) was removed\.$")
REMOVED_VALUE = re.compile(r"^Enum value (?P<type>\w+)\.(?P<value>\w+) was removed\.$")


def was_deprecated(released: GraphQLSchema, change: BreakingChange) -> bool:
    """Whether ``change`` removes something the released schema had deprecated."""
    if change.type is BreakingChangeType.FIELD_REMOVED:
        found = REMOVED_FIELD.match(change.description)
        kind = released.get_type(found["type"]) if found else None
        if found and isinstance(
            kind, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType
        ):
            return kind.fields[found["field"]].deprecation_reason is not None
    if change.type is BreakingChangeType.ARG_REMOVED:
        found = REMOVED_ARG.match(change.description)
        kind = released.get_type(found["type"]) if found else None
        if found and isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            arg = kind.fields[found["field"]].args[found["arg"]]
            return arg.deprecation_reason is not None
    if change.type is BreakingChangeType.VALUE_REMOVED_FROM_ENUM:
        found = REMOVED_VALUE.match(change.description)
        kind = released.get_type(found["type"]) if found else None
        if found and isinstance(kind, GraphQLEnumType):
            return kind.values[found["value"]].deprecation_reason is not None
    return False


def refused_changes(released_sdl: str, current_sdl: str) -> list[str]:
    """The breaking changes from ``released_sdl`` to ``current_sdl`` not allowed by a
    deprecation in the released schema."""
    released, current = build_schema(released_sdl), build_schema(current_sdl)
    return [
        f"{change.type.name}: {change.description}"
        for change in find_breaking_changes(released, current)
        if not was_deprecated(released, change)
    ]


def test_schema_breaks_no_client_of_the_released_one() -> None:
    released_sdl = RELEASED.read_text(encoding="utf-8")
    current_sdl = CURRENT.read_text(encoding="utf-8")
    refused = refused_changes(released_sdl, current_sdl)
    assert not refused, "\n".join([*refused, HOW_TO_RELEASE])
    dangerous = find_dangerous_changes(build_schema(released_sdl), build_schema(current_sdl))
    for change in dangerous:
        warnings.warn(f"dangerous schema change: {change.description}", stacklevel=1)


RELEASED_EXAMPLE = """
type Query {
  old: String @deprecated(reason: "use new")
  kept(a: Int, b: Int @deprecated(reason: "unused")): String
  colour: Colour
}
enum Colour { RED GREEN @deprecated(reason: "not used") }
"""


def test_removing_what_was_deprecated_is_allowed() -> None:
    current = """
    type Query { kept(a: Int): String colour: Colour }
    enum Colour { RED }
    """
    assert refused_changes(RELEASED_EXAMPLE, current) == []


def test_removing_or_changing_what_was_not_deprecated_is_refused() -> None:
    current = """
    type Query { old: String kept(b: Int): Int colour: Colour }
    enum Colour { GREEN }
    """
    assert sorted(refused_changes(RELEASED_EXAMPLE, current)) == [
        "ARG_REMOVED: Argument Query.kept(a:) was removed.",
        "FIELD_CHANGED_KIND: Field Query.kept changed type from String to Int.",
        "VALUE_REMOVED_FROM_ENUM: Enum value Colour.RED was removed.",
    ]
