"""Every element of the schema a client can meet says what it means."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    is_introspection_type,
    is_specified_scalar_type,
)

from sanquan.api.schema import build_schema


def elements(schema: GraphQLSchema) -> Iterator[tuple[str, str | None]]:
    """Each type, field, argument, input field, enum value and custom scalar, by
    coordinate, with its description; built-in scalars and introspection types left out."""
    for name, kind in sorted(schema.type_map.items()):
        if is_introspection_type(kind) or is_specified_scalar_type(kind):
            continue
        yield name, kind.description
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in kind.fields.items():
                yield f"{name}.{field_name}", field.description
                for arg_name, arg in field.args.items():
                    yield f"{name}.{field_name}({arg_name}:)", arg.description
        elif isinstance(kind, GraphQLInputObjectType):
            for field_name, input_field in kind.fields.items():
                yield f"{name}.{field_name}", input_field.description
        elif isinstance(kind, GraphQLEnumType):
            for value_name, value in kind.values.items():
                yield f"{name}.{value_name}", value.description
        elif isinstance(kind, GraphQLScalarType):
            continue


def test_every_schema_element_is_described() -> None:
    found = list(elements(build_schema()._schema))
    undescribed = [name for name, description in found if not (description or "").strip()]
    assert not undescribed, f"{len(undescribed)} of {len(found)} elements lack a description:\n" + (
        "\n".join(undescribed)
    )


def test_custom_scalars_say_how_they_are_written() -> None:
    schema = build_schema()._schema
    scalars = [
        kind
        for kind in schema.type_map.values()
        if isinstance(kind, GraphQLScalarType) and not is_specified_scalar_type(kind)
    ]
    assert scalars
    for scalar in scalars:
        assert scalar.specified_by_url or "e.g." in (scalar.description or ""), scalar.name
