"""Which operation a GraphQL request ran, and the label it is counted under in the metrics.

A client names its operations as it likes, so names are not a bounded set: counting each
under its own label would let a client grow the metrics without end. :class:`OperationLabels`
keeps the label set bounded."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import lru_cache

from graphql import GraphQLError, OperationDefinitionNode, parse

ANONYMOUS = "anonymous"
"""The label of an operation without a name."""
OTHER = "other"
"""The label of a named operation beyond the known ones."""
NONE = "none"
"""The label of a request that ran no operation: refused before, or not GraphQL."""
LEARNT_NAMES = 100
"""Distinct operation names a process counts under their own label when no manifest says
which ones exist: the service's own clients use a few dozen."""


@lru_cache(maxsize=256)
def operation_names(document: str, max_tokens: int = 20_000) -> tuple[tuple[str, str], ...]:
    """The (name, type) of each operation of ``document``; ``()`` if it does not parse.

    >>> operation_names("query Board { a } mutation { b }")
    (('Board', 'query'), ('', 'mutation'))
    """
    try:
        parsed = parse(document, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return ()
    return tuple(
        (node.name.value if node.name else "", node.operation.value)
        for node in parsed.definitions
        if isinstance(node, OperationDefinitionNode)
    )


def operation_of(document: str, chosen: str | None) -> tuple[str | None, str | None]:
    """The name (``None`` when anonymous) and type of the operation of ``document`` that
    ``chosen`` (the request's ``operationName``) picks, as GraphQL picks it: by name, or the
    only one."""
    operations = operation_names(document)
    for name, kind in operations:
        if (chosen and name == chosen) or (not chosen and len(operations) == 1):
            return name or None, kind
    return None, None


class OperationLabels:
    """The label an operation is counted under.

    With trusted documents (``SANQUAN_TRUSTED_DOCUMENTS``) the names of the manifest's
    operations are the labels and nothing else is; without, the first
    :data:`LEARNT_NAMES` distinct names that ran, then :data:`OTHER`. Only operations that
    ran are counted under their name (their name is then one of a valid document's, sent
    by an authenticated caller)."""

    def __init__(self, known: frozenset[str] | None = None) -> None:
        self.known = known
        self._learnt: set[str] = set()
        self._lock = threading.Lock()

    @classmethod
    def of_trusted(cls, documents: Mapping[str, str] | None) -> OperationLabels:
        """The labels of a service with these trusted documents (hash → text), if any."""
        if documents is None:
            return cls()
        names = (name for d in documents.values() for name, _ in operation_names(d))
        return cls(frozenset(name for name in names if name))

    def label(self, name: str | None, executed: bool) -> str:
        """
        >>> labels = OperationLabels(frozenset({"Board"}))
        >>> labels.label("Board", True), labels.label("Other", True), labels.label(None, True)
        ('Board', 'other', 'anonymous')
        """
        if not executed:
            return NONE
        if not name:
            return ANONYMOUS
        if self.known is not None:
            return name if name in self.known else OTHER
        with self._lock:
            if name in self._learnt:
                return name
            if len(self._learnt) < LEARNT_NAMES:
                self._learnt.add(name)
                return name
        return OTHER
