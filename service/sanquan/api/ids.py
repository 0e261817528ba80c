"""GraphQL IDs as the database stores them."""

from __future__ import annotations

from sanquan.errors import invalid

MAX_ID = 2**63 - 1
"""The largest primary key PostgreSQL's BIGINT holds; anything larger is no row of ours."""


def parse_id(value: str, *path: str | int) -> int:
    """An ID as the database stores it, or an error naming the field.

    >>> parse_id("42", "sessionId")
    42
    """
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= MAX_ID:
        raise invalid(path, "不是有效的编号", "is not a valid ID")
    return number
