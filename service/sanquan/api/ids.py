"""GraphQL IDs as the database stores them."""

from __future__ import annotations

MAX_ID = 2**31 - 1
"""The largest primary key our tables hold: their ids are PostgreSQL ``integer`` columns,
and a larger number in a query is an error there, not an empty result."""

NO_ROW = 0
"""What an ID that cannot be a row id becomes: ids start at 1, so a lookup of 0 finds
nothing on every engine and the caller answers exactly as for an unknown id."""


def parse_id(value: str) -> int:
    """An ID as the database stores it; :data:`NO_ROW` when ``value`` cannot be one
    (negative, too large, not a number), so that it gets the unknown-id answer, not a crash
    and not an answer telling a probe anything an unknown id would not.

    >>> parse_id("42"), parse_id("-3"), parse_id("2147483648"), parse_id("x")
    (42, 0, 0, 0)
    """
    try:
        number = int(value)
    except (TypeError, ValueError):
        return NO_ROW
    return number if 1 <= number <= MAX_ID else NO_ROW
