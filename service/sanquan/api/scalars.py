"""Custom scalars, mapped onto domain types through the schema configuration; strawberry's
own date scalars get a precise description and the specification they follow."""

from __future__ import annotations

import dataclasses
import datetime as dt

import strawberry
from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

from sanquan.quarter import Quarter

SCALARS: dict[object, ScalarDefinition] = {
    Quarter: strawberry.scalar(
        name="Quarter",
        description="A calendar quarter (季度), written as the year, Q and 1–4, e.g. 2027Q1 "
        "(Q1 is January to March); anything else (2027Q5, 27Q1) is refused.",
        serialize=str,
        parse_value=Quarter.parse,
    ),
    dt.date: dataclasses.replace(
        DateDefinition,
        description="A calendar day without time or zone, written as RFC 3339's full-date, "
        "e.g. 2027-03-31; deadlines are days in Beijing time.",
        specified_by_url="https://scalars.graphql.org/andimarek/local-date.html",
    ),
    dt.datetime: dataclasses.replace(
        DateTimeDefinition,
        description="A moment, written as an RFC 3339 date-time with its offset, e.g. "
        "2027-03-31T09:30:00.123456+08:00; the service writes Beijing time (+08:00).",
        specified_by_url="https://scalars.graphql.org/andimarek/date-time.html",
    ),
}
