"""Persisted queries: Apollo's automatic protocol, and trusted documents for a locked-down
deployment.

Automatic persisted queries (APQ) let a client send a document's SHA-256 instead of its
text (``extensions.persistedQuery.sha256Hash``); a hash the service has not seen yet gets
``PERSISTED_QUERY_NOT_FOUND``, and the client sends the text with the hash once, after
which the hash alone will do. The registry is per process and bounded: processes that
disagree cost a client one retry, nothing more.

Trusted documents, when ``SANQUAN_TRUSTED_DOCUMENTS`` names a manifest, turn this around:
only the operations listed there run, whether a client sends the text or the hash, and
nothing is learnt from requests. It is the strongest protection a government deployment can
switch on: no one can send the service a query its own clients do not make. The manifest is
Apollo's persisted-query manifest (``{"operations": [{"id": <sha256>, "body": <text>}]}``)
or a plain ``{<sha256>: <text>}`` object.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sanquan.api.errors import RequestError

CAPACITY = 2_000
"""Documents the automatic registry keeps; a client's operations are a few dozen."""
CAPACITY_CHARS = 8_000_000
"""Characters the registry keeps in all, so that large documents cannot fill memory."""
LARGEST = 100_000
"""A larger document runs but is not registered: its client goes on sending the text."""
SHA256 = re.compile(r"[0-9a-f]{64}")


def digest(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


class TrustedDocumentsError(ValueError):
    """A manifest the service cannot use; raised at start-up, naming the file."""


def load_manifest(path: Path) -> dict[str, str]:
    """The hash → text map of a manifest, each hash checked against its text."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TrustedDocumentsError(f"{path}: {error}") from None
    if isinstance(data, dict) and isinstance(data.get("operations"), list):
        pairs = [(o.get("id"), o.get("body")) for o in data["operations"] if isinstance(o, dict)]
    elif isinstance(data, dict):
        pairs = list(data.items())
    else:
        raise TrustedDocumentsError(f"{path}: not a persisted-query manifest")
    documents: dict[str, str] = {}
    for key, body in pairs:
        if not isinstance(key, str) or not isinstance(body, str) or digest(body) != key:
            raise TrustedDocumentsError(f"{path}: {key!r} is not the SHA-256 of its document")
        documents[key] = body
    return documents


class PersistedQueries:
    """Resolves a request's document from its text, its hash, or both."""

    def __init__(self, trusted: Mapping[str, str] | None = None) -> None:
        self.trusted = dict(trusted) if trusted is not None else None
        self._learnt: OrderedDict[str, str] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def document(self, query: Any, extensions: Mapping[str, Any] | None) -> Any:
        """The text to execute. ``query`` is returned as it came (possibly not a string,
        for the caller to refuse) when no persisted query is asked for."""
        wanted = (extensions or {}).get("persistedQuery")
        if wanted is None:
            if self.trusted is not None and isinstance(query, str):
                self._require_trusted(digest(query))
            return query
        key = _hash_of(wanted)
        if query is None:
            known = self._known(key)
            if known is None:
                raise RequestError("PERSISTED_QUERY_NOT_FOUND")
            return known
        if not isinstance(query, str) or digest(query) != key:
            raise RequestError("PERSISTED_QUERY_MISMATCH")
        if self.trusted is not None:
            self._require_trusted(key)
        else:
            self._learn(key, query)
        return query

    def _require_trusted(self, key: str) -> None:
        assert self.trusted is not None
        if key not in self.trusted:
            raise RequestError("OPERATION_NOT_TRUSTED")

    def _known(self, key: str) -> str | None:
        if self.trusted is not None:
            return self.trusted.get(key)
        with self._lock:
            found = self._learnt.get(key)
            if found is not None:
                self._learnt.move_to_end(key)
            return found

    def _learn(self, key: str, query: str) -> None:
        if len(query) > LARGEST:
            return
        with self._lock:
            if key not in self._learnt:
                self._chars += len(query)
            self._learnt[key] = query
            self._learnt.move_to_end(key)
            while len(self._learnt) > CAPACITY or self._chars > CAPACITY_CHARS:
                _, dropped = self._learnt.popitem(last=False)
                self._chars -= len(dropped)


def _hash_of(wanted: Any) -> str:
    if not isinstance(wanted, Mapping) or wanted.get("version") != 1:
        raise RequestError("PERSISTED_QUERY_NOT_SUPPORTED")
    key = wanted.get("sha256Hash")
    if not isinstance(key, str) or not SHA256.fullmatch(key):
        raise RequestError("PERSISTED_QUERY_NOT_SUPPORTED")
    return key
