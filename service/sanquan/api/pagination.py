"""Cursor connections (Relay's Cursor Connections specification) for lists that grow.

A page is asked for with ``first``/``after`` (forwards) or ``last``/``before`` (backwards)
and answers its ``edges`` (cursor and node), the same ``nodes`` without cursors, a
complete ``pageInfo`` and the ``totalCount`` of the whole list.

Lists read from one table are paged by keyset: the cursor holds the row's values of a
unique ordering key, so a page stays stable while rows are added before or after it, and
the database seeks instead of counting off an offset. Lists built in memory (the scores a
reader may see, ordered by the blind-review rule) are paged by the node's own id, which
the reader already holds.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry
from sqlalchemy import Select, exists, func, select, tuple_
from sqlalchemy.orm import Session

from sanquan.errors import invalid

T = TypeVar("T")
Row = TypeVar("Row")

DEFAULT_PAGE = 50
MAX_PAGE = 200


@strawberry.type(description="Where a page stands in its list, to ask for the next or previous.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More rows follow this page.")
    has_previous_page: bool = strawberry.field(description="More rows come before this page.")
    start_cursor: str | None = strawberry.field(
        description="The first row's cursor: pass as `before` with `last` for the page "
        "before; null on an empty page."
    )
    end_cursor: str | None = strawberry.field(
        description="The last row's cursor: pass as `after` with `first` for the next page; "
        "null on an empty page."
    )


@strawberry.type(description="One row of a page and where it stands.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(
        description="Opaque; pass as `after` to read on from here, or as `before` to read back."
    )
    node: T = strawberry.field(description="The row.")


@strawberry.type(
    description="One page of a list, in the list's order; pages stay stable while rows are added."
)
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The page's rows with their cursors.")
    nodes: list[T] = strawberry.field(description="The page's rows, when cursors are not needed.")
    page_info: PageInfo = strawberry.field(description="How to ask for the next or previous page.")
    total_count: int = strawberry.field(description="Rows in the whole list, every page.")


@dataclass(frozen=True)
class Page:
    """What a client asked for: ``first`` rows after ``after`` or ``last`` rows before
    ``before`` (both bounds may be given; ``first`` and ``last`` may not)."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    @property
    def size(self) -> int:
        """Rows on the page; :data:`DEFAULT_PAGE` forwards when neither count is given."""
        if self.first is not None and self.last is not None:
            raise invalid(
                ("last",),
                "first 与 last 只能给出其一",
                "give `first` or `last`, not both",
            )
        size = self.last if self.last is not None else self.first
        size = DEFAULT_PAGE if size is None else size
        if not 0 <= size <= MAX_PAGE:
            name = "last" if self.last is not None else "first"
            raise invalid((name,), f"应在 0–{MAX_PAGE} 之间", f"must be between 0 and {MAX_PAGE}")
        return size

    @property
    def backwards(self) -> bool:
        return self.last is not None


def _encode(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode()


def _decode(cursor: str, types: Sequence[type], name: str) -> list[Any]:
    """The key values a cursor holds, each of its column's type (a forged cursor must not
    reach the database as a type error)."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        values = None
    if (
        not isinstance(values, list)
        or len(values) != len(types)
        or not all(type(v) is t for v, t in zip(values, types, strict=True))
    ):
        raise invalid((name,), "无效的游标", "is not a cursor this list handed out")
    return values


def paginate(
    db: Session,
    query: Select[Any],
    order: Sequence[Any],
    key: Callable[[Any], Sequence[Any]],
    to_node: Callable[[Any], T],
    page: Page,
) -> Connection[T]:
    """A page of ``query`` ordered by the unique key ``order`` (columns; ``key`` reads their
    values off a row). Three statements: the count, the page, and whether rows lie beyond
    the side of the page the client came from."""
    size = page.size
    types = [column.type.python_type for column in order]
    position = tuple_(*order)
    after = _decode(page.after, types, "after") if page.after else None
    before = _decode(page.before, types, "before") if page.before else None
    bounded = query
    if after is not None:
        bounded = bounded.where(position > tuple_(*after))
    if before is not None:
        bounded = bounded.where(position < tuple_(*before))
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    direction = [c.desc() for c in order] if page.backwards else list(order)
    rows = list(db.scalars(bounded.order_by(*direction).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    if page.backwards:
        rows.reverse()
    keys = [key(row) for row in rows]

    def any_row(condition: Any) -> bool:
        return bool(db.scalar(select(exists(query.order_by(None).where(condition)))))

    # Rows on the far side of the cursor the client came from exist if any row is at or
    # beyond it: the rows between it and the page were all taken.
    previous, following = more, more
    if page.backwards:
        following = before is not None and any_row(position >= tuple_(*before))
    else:
        previous = after is not None and any_row(position <= tuple_(*after))
    cursors = [_encode(k) for k in keys]
    return _connection([to_node(row) for row in rows], cursors, previous, following, total)


def paginate_list(
    items: Sequence[Row],
    id_of: Callable[[Row], str],
    to_nodes: Callable[[list[Row]], list[T]],
    page: Page,
) -> Connection[T]:
    """A page of ``items``, already in order, whose cursors are their nodes' ids (unique
    within the list); a cursor whose row has gone is refused, not guessed at. The page's
    nodes are made in one call, so that only its rows need loading in full."""
    size = page.size
    ids = [id_of(item) for item in items]
    where = {identifier: n for n, identifier in enumerate(ids)}

    def locate(cursor: str, name: str) -> int:
        found = _decode(cursor, [str], name)[0]
        if found not in where:
            raise invalid((name,), "无效的游标", "is not a cursor this list handed out")
        return where[found]

    start = locate(page.after, "after") + 1 if page.after else 0
    end = locate(page.before, "before") if page.before else len(items)
    end = max(start, end)
    if page.backwards:
        chosen = range(max(start, end - size), end)
    else:
        chosen = range(start, min(end, start + size))
    edge = end if page.backwards else start
    previous = (chosen.start if chosen else edge) > 0
    following = (chosen.stop if chosen else edge) < len(items)
    cursors = [_encode([ids[n]]) for n in chosen]
    nodes = to_nodes([items[n] for n in chosen])
    return _connection(nodes, cursors, previous, following, len(items))


def _connection(
    nodes: list[T], cursors: list[str], previous: bool, following: bool, total: int
) -> Connection[T]:
    return Connection(
        edges=[Edge(cursor=c, node=n) for c, n in zip(cursors, nodes, strict=True)],
        nodes=nodes,
        page_info=PageInfo(
            has_next_page=following,
            has_previous_page=previous,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        ),
        total_count=total,
    )
