"""Global object ids: every entity's ``id`` names its type and its row, opaquely.

A client cache (Apollo's, Relay's, urql's Graphcache) normalises objects by one id field
unique across the whole schema, and ``node(id:)`` refetches any object by it. So an id is
the base64 of ``Type:key`` (GitHub's and Relay's convention): unique across types, opaque
to clients, and ours to change. Arguments and inputs that take an id of one type accept
only that type's ids; an id of another type, or one that cannot be decoded, is an unknown
id, answered exactly as a row that does not exist.

Until release 0.3.0 a plain row number (the ids of releases before 0.2.0) is still
accepted wherever an id is, so that scripts written against 0.1.0 keep working.
"""

from __future__ import annotations

import base64
import binascii

import strawberry

from sanquan.limits import GLOBAL_ID_LENGTH

MAX_ID = 2**31 - 1
"""The largest primary key our tables hold: their ids are PostgreSQL ``integer`` columns,
and a larger number in a query is an error there, not an empty result."""

NO_ROW = 0
"""What an ID that cannot be a row id becomes: ids start at 1, so a lookup of 0 finds
nothing on every engine and the caller answers exactly as for an unknown id."""


def global_id(kind: str, key: int | str) -> strawberry.ID:
    """The id of the ``kind`` object with primary key (or other stable key) ``key``.

    >>> global_id("ReviewSession", 12)
    'UmV2aWV3U2Vzc2lvbjoxMg=='
    """
    return strawberry.ID(base64.b64encode(f"{kind}:{key}".encode()).decode("ascii"))


def decode_id(value: str) -> tuple[str, str] | None:
    """The type and key inside a global id; ``None`` for anything else.

    >>> decode_id(global_id("Score", "blind:3:ab"))
    ('Score', 'blind:3:ab')
    >>> decode_id("12"), decode_id("not base64!"), decode_id("")
    (None, None, None)
    """
    if not value or len(value) > GLOBAL_ID_LENGTH:
        return None
    try:
        text = base64.b64decode(value.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    kind, colon, key = text.partition(":")
    return (kind, key) if colon and kind.isidentifier() else None


def row_number(value: str) -> int:
    """``value`` as a primary key, or :data:`NO_ROW` when it cannot be one (negative, too
    large, not a number).

    >>> row_number("42"), row_number("-3"), row_number("2147483648"), row_number("x")
    (42, 0, 0, 0)
    """
    try:
        number = int(value)
    except (TypeError, ValueError):
        return NO_ROW
    return number if 1 <= number <= MAX_ID else NO_ROW


def parse_id(value: str, kind: str) -> int:
    """The primary key a ``kind`` id names, or :data:`NO_ROW` when it names none (another
    type's id, a blind score's, garbage), so that it gets the unknown-id answer: not a
    crash, and nothing a probe could not learn from an unknown id. A plain number is
    taken as the row id (deprecated, until 0.3.0).

    >>> parse_id(global_id("Account", 7), "Account"), parse_id("7", "Account")
    (7, 7)
    >>> parse_id(global_id("Account", 7), "ReviewSession"), parse_id("blind-3f", "Score")
    (0, 0)
    """
    if value.isascii() and value.isdigit():
        return row_number(value)
    found = decode_id(value)
    if found is None or found[0] != kind:
        return NO_ROW
    return row_number(found[1])
