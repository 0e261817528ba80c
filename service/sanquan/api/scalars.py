"""Custom scalars, mapped onto domain types through the schema configuration."""

from __future__ import annotations

import strawberry
from strawberry.types.scalar import ScalarDefinition

from sanquan.quarter import Quarter

SCALARS: dict[object, ScalarDefinition] = {
    Quarter: strawberry.scalar(
        name="Quarter",
        description="A calendar quarter written like 2027Q1 (year, Q, 1–4).",
        serialize=str,
        parse_value=Quarter.parse,
    )
}
