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

from sanquan.errors import DomainError, ErrorCode

Node = TypeVar("Node")

DEFAULT_PAGE = 50
MAX_PAGE = 200


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[Node]):
    cursor: str
    node: Node


@strawberry.type
class Connection(Generic[Node]):
    edges: list[Edge[Node]]
    page_info: PageInfo
    total_count: int


def _encode(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode()


def _decode(cursor: str, width: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as error:
        raise DomainError(
            ErrorCode.INVALID_VALUE, ("after",), field="after", problem="无效的游标"
        ) from error
    if not isinstance(values, list) or len(values) != width:
        raise DomainError(ErrorCode.INVALID_VALUE, ("after",), field="after", problem="无效的游标")
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
        raise DomainError(
            ErrorCode.INVALID_VALUE, ("first",), field="first", problem=f"应在 0–{MAX_PAGE} 之间"
        )
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page = query.order_by(*order)
    if after:
        page = page.where(tuple_(*order) > tuple_(*_decode(after, len(order))))
    rows = list(db.scalars(page.limit(size + 1)))
    edges = [Edge(cursor=_encode(key(row)), node=to_node(row)) for row in rows[:size]]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > size, end_cursor=edges[-1].cursor if edges else None
        ),
        total_count=total,
    )
