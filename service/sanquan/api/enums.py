"""GraphQL enums over the domain's Python enums, every value described.

A domain enum stays free of GraphQL; its GraphQL type names and describes each member here,
or the member carries its own ``description`` (as :class:`sanquan.errors.ErrorCode` does).

>>> from enum import StrEnum
>>> class Colour(StrEnum):
...     RED = "RED"
>>> Colour = described_enum(Colour, "A colour.", {Colour.RED: "Stop."})
>>> Colour.__strawberry_definition__.values[0].description
'Stop.'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry

E = TypeVar("E", bound=type[Enum])


def described_enum(
    cls: E, description: str, values: Mapping[Enum, str] | None = None, *, name: str | None = None
) -> E:
    """``cls`` as the GraphQL enum ``name``; each value's description from ``values``, else
    from the member's own ``description`` attribute. A member without one is a programming
    error, so it fails at import rather than leaving the schema undocumented."""
    wrapped = strawberry.enum(cls, name=name, description=description)
    definition = wrapped.__strawberry_definition__  # type: ignore[attr-defined]
    described = []
    for value in definition.values:
        member = cls(value.value)
        text = (values or {}).get(member) or getattr(member, "description", "")
        if not text:
            raise TypeError(f"{definition.name}.{value.name} has no description")
        described.append(dataclasses.replace(value, description=text))
    definition.values = described
    return wrapped
