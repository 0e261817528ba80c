"""Cursor connections for lists that grow, paged by keyset so pages stay stable while rows
are added."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session

from sanquan.errors import invalid

Node = TypeVar("Node")

DEFAULT_PAGE = 50
MAX_PAGE = 200


@strawberry.type(description="Where a page ends, to ask for the next one.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More rows follow this page.")
    end_cursor: str | None = strawberry.field(
        description="Pass as `after` for the next page; null on an empty page."
    )


@strawberry.type(description="One row of a page and where it stands.")
class Edge(Generic[Node]):
    cursor: str = strawberry.field(description="Opaque; pass as `after` to read on from here.")
    node: Node = strawberry.field(description="The row.")


@strawberry.type(
    description="One page of a list, in the list's order; pages stay stable while rows are added."
)
class Connection(Generic[Node]):
    edges: list[Edge[Node]] = strawberry.field(description="The page's rows.")
    page_info: PageInfo = strawberry.field(description="How to ask for the next page.")
    total_count: int = strawberry.field(description="Rows in the whole list, every page.")


def _encode(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode()


def _decode(cursor: str, order: Sequence[Any]) -> list[Any]:
    """The key values a cursor holds, each of its column's type (a forged cursor must not
    reach the database as a type error)."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        values = None
    types = [column.type.python_type for column in order]
    if (
        not isinstance(values, list)
        or len(values) != len(types)
        or not all(type(v) is t for v, t in zip(values, types, strict=True))
    ):
        raise invalid(("after",), "无效的游标", "is not a cursor this list handed out")
    return values


def paginate(
    db: Session,
    query: Select[Any],
    order: Sequence[Any],
    key: Callable[[Any], Sequence[Any]],
    to_node: Callable[[Any], Node],
    first: int | None,
    after: str | None,
) -> Connection[Node]:
    """A page of ``query`` ordered by the unique key ``order`` (columns; ``key`` reads their
    values off a row)."""
    size = DEFAULT_PAGE if first is None else first
    if not 0 <= size <= MAX_PAGE:
        raise invalid(("first",), f"应在 0–{MAX_PAGE} 之间", f"must be between 0 and {MAX_PAGE}")
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page = query.order_by(*order)
    if after:
        page = page.where(tuple_(*order) > tuple_(*_decode(after, order)))
    rows = list(db.scalars(page.limit(size + 1)))
    edges = [Edge(cursor=_encode(key(row)), node=to_node(row)) for row in rows[:size]]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > size, end_cursor=edges[-1].cursor if edges else None
        ),
        total_count=total,
    )
