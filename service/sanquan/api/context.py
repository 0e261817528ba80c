"""What every resolver gets: the request's database session, the caller, the plugins; and
what a subscription's resolvers get instead, on the event loop, to read the database the
same way in a worker thread."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from strawberry.types import Info as StrawberryInfo
from strawberry.types.nodes import SelectedField, Selection

from sanquan.api.errors import Forbidden, UserError, user_errors
from sanquan.auth.models import Role
from sanquan.auth.tokens import Principal
from sanquan.config import Settings
from sanquan.errors import DomainError, DomainErrors
from sanquan.plugins.host import PluginHost
from sanquan.timeutil import beijing_today

if TYPE_CHECKING:
    from sanquan.events import Changes, Hub

T = TypeVar("T")


@dataclass
class Context:
    db: Session
    principal: Principal
    host: PluginHost
    settings: Settings
    language: str
    base_url: str = ""
    """Scheme, host and root path the client reached us at, for links handed out."""
    cache: dict[Any, Any] = field(default_factory=dict)
    """Per-request memo for batch loads, so a list of N items costs one query, not N.
    Emptied by :meth:`mutate` when it ends a transaction: the mutations of one request run
    one after another, and a later one's payload must read what the earlier ones wrote."""
    refused: list[DomainError] | None = None
    """The out-of-bounds inputs of the mutation being resolved (see ``api.bounds``):
    :meth:`mutate` answers with them instead of running its action."""

    def require(self, *roles: Role, what: str) -> Principal:
        """The caller, if their role is one of ``roles``; otherwise a FORBIDDEN error."""
        if self.principal.role not in roles:
            raise Forbidden(what)
        return self.principal

    def today(self) -> date:
        return beijing_today()

    def mutate(self, action: Callable[[], T]) -> tuple[T | None, list[UserError]]:
        """Run ``action`` as one transaction: committed if it succeeds, rolled back with
        typed user errors if a rule refuses it. A unique-key race is retried once. Inputs
        out of bounds are refused before the action runs."""
        if self.refused:
            return None, user_errors(DomainErrors(self.refused), self.language)
        for attempt in (1, 2):
            try:
                result = action()
                self.db.commit()
                self.cache.clear()
                return result, []
            except (DomainError, DomainErrors) as error:
                self.db.rollback()
                return None, user_errors(error, self.language)
            except IntegrityError as error:
                self.db.rollback()
                if attempt == 2 or not _lost_score_race(error):
                    raise
            except BaseException:
                self.db.rollback()
                raise
        raise AssertionError("unreachable")


def _lost_score_race(error: IntegrityError) -> bool:
    """Two submissions creating the same score at once: the loser's retry finds the row.
    Any other integrity error is a missing check, and must surface, not loop."""
    text = str(error.orig)
    return "uq_scores_one_per_reviewer" in text or "scores.session_id" in text


Info = StrawberryInfo[Context, None]


def selects(info: Info, name: str) -> bool:
    """Whether the field being resolved selects the subfield ``name`` (directly or in a
    fragment), so that a resolver loads only what its answer will show."""

    def within(selections: list[Selection]) -> bool:
        return any(
            (isinstance(s, SelectedField) and s.name == name)
            or (not isinstance(s, SelectedField) and within(s.selections))
            for s in selections
        )

    return any(within(field.selections) for field in info.selected_fields)


@dataclass
class LiveContext:
    """What a subscription's resolvers get (``api.live``). They run on the event loop, so
    they hold no database session: :meth:`read` runs a piece of work in a worker thread
    with a :class:`Context` of its own, its caller authenticated again from the
    connection's token, as an HTTP request would be."""

    language: str
    reader: Callable[[LiveContext, Callable[[Context], Any]], Awaitable[Any]]
    hub: Hub
    principal: Principal | None = None
    """Who opened the connection; ``None`` until ``connection_init`` carried a valid token."""
    authorization: str = ""
    """The ``Authorization`` value of ``connection_init``, to authenticate each read again."""
    connection_params: dict[str, object] = field(default_factory=dict)
    """The payload of ``connection_init`` (strawberry's protocol handler sets it)."""

    def require(self, *roles: Role, what: str) -> Principal:
        """As :meth:`Context.require`, for the connection's caller."""
        if self.principal is None or self.principal.role not in roles:
            raise Forbidden(what)
        return self.principal

    async def read(self, work: Callable[[Context], T]) -> T:
        """``work``'s answer, computed in a worker thread under the request limits."""
        return cast(T, await self.reader(self, work))

    def changes(self, session_id: int) -> Changes:
        """A subscription to the committed changes of a session's scores."""
        return self.hub.subscribe(session_id)


LiveInfo = StrawberryInfo[LiveContext, None]
