"""The ``Node`` interface (Relay's Global Object Identification): every entity a client
may cache or refetch has a global ``id`` and can be read again by ``node(id:)``.

Each type that implements ``Node`` says how to fetch one of its objects by the key in its
id, with the same authorisation as the query that hands it out: ``node`` is a second door
to every object, and must open no wider than the first. An object the caller may not read
is answered as one that does not exist (null), so a probe of ids learns nothing.
"""

from __future__ import annotations

from typing import Any, Protocol, Self, TypeVar

import strawberry
from sqlalchemy.orm import Session

from sanquan.api.ids import row_number


@strawberry.interface(
    description="An object with a global id (Relay's Global Object Identification): unique "
    "across every type, stable, and opaque; `node(id:)` reads the object again by it."
)
class Node:
    @strawberry.field(
        description="The object's global id: pass it to `node(id:)`, or to any argument or "
        "input that takes this object."
    )
    def id(self) -> strawberry.ID:
        """Each type answers its own; a resolver here, not a field, so that no type's
        constructor takes an id it must compute."""
        raise NotImplementedError


class Fetchable(Protocol):
    """A ``Node`` type that reads one of its objects back by the key of its global id."""

    @classmethod
    def fetch(cls, info: Any, key: str) -> Self | None:
        """The object, or ``None`` when there is none or the caller may not read it."""


Model = TypeVar("Model")


def by_row(db: Session, model: type[Model], key: str) -> Model | None:
    """The ``model`` row whose primary key is ``key``, if any."""
    pk = row_key(key)
    return db.get(model, pk) if pk else None


def row_key(key: str) -> int | None:
    """The primary key in the key of a global id, or ``None``.

    >>> row_key("12"), row_key("x"), row_key("0")
    (12, None, None)
    """
    number = row_number(key)
    return number or None
