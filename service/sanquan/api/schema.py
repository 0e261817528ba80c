"""The schema, composed from each domain's query and mutation types, with the request
limits of R23."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from sanquan.api.bounds import guard
from sanquan.api.cost import NoIntrospection, request_shape
from sanquan.api.deadline import aborted
from sanquan.api.errors import AccessError, root_cause
from sanquan.api.execution import ScalarListExecution
from sanquan.api.node_query import NodeQuery
from sanquan.api.scalars import SCALARS
from sanquan.auth.graphql import AuthMutation, AuthQuery
from sanquan.config import Settings
from sanquan.errors import DomainError
from sanquan.exports.graphql import ExportMutation
from sanquan.findings.graphql import FindingMutation, FindingQuery
from sanquan.institutions.graphql import InstitutionMutation, InstitutionQuery
from sanquan.plugins.graphql import PluginQuery
from sanquan.quarter import QuarterError
from sanquan.review.graphql import ReviewMutation, ReviewQuery, ReviewSubscription
from sanquan.rotation.graphql import RotationMutation, RotationQuery
from sanquan.tables.graphql import TableMutation, TableQuery

log = logging.getLogger(__name__)

EXPECTED = (DomainError, AccessError, QuarterError)
CACHE_SIZE = 256
"""Distinct documents whose parse and validation are kept; clients send few distinct ones."""


@strawberry.type(
    description="What a signed-in account may read; every request needs a bearer token. A "
    "field marked (ADMIN) refuses other roles with a FORBIDDEN error."
)
class Query(
    InstitutionQuery,
    ReviewQuery,
    RotationQuery,
    FindingQuery,
    TableQuery,
    PluginQuery,
    AuthQuery,
    NodeQuery,
):
    pass


@strawberry.type(
    description="What an account may change. Each mutation returns a payload whose "
    "`userErrors` say why a domain rule refused it, in which case nothing changed; the "
    "payload itself is null only when the request failed as a whole (e.g. FORBIDDEN)."
)
class Mutation(
    InstitutionMutation,
    ReviewMutation,
    RotationMutation,
    FindingMutation,
    TableMutation,
    ExportMutation,
    AuthMutation,
):
    pass


@strawberry.type(
    description="What an account may follow live, over the graphql-transport-ws protocol at "
    "/graphql: the bearer token goes in `connection_init`'s payload as "
    '`{"Authorization": "Bearer <token>"}`; each field is authorised as the query it follows.'
)
class Subscription(ReviewSubscription):
    pass


class Schema(strawberry.Schema):
    request_rules: tuple[type[ASTValidationRule], ...] = ()
    """The request limits' validation rules, for transports that validate off the loop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        guard(self._schema)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log only what is unexpected: a refused request is not a server fault."""
        for error in errors:
            cause = root_cause(error)
            if cause is None or isinstance(cause, EXPECTED):
                continue
            if aborted(cause) is not None:
                log.warning("request stopped at its deadline: %s", type(cause).__name__)
            else:
                log.error("GraphQL execution failed", exc_info=cause)


def build_schema(settings: Settings | None = None) -> Schema:
    """The schema with the request limits of ``settings`` (defaults when ``None``)."""
    settings = settings or Settings(database_url="sqlite://")
    # The rules are built once so that validation results can be cached per document.
    rules: list[type[ASTValidationRule]] = [
        request_shape(settings.max_cost, settings.max_depth, settings.max_aliases)
    ]
    if not settings.introspection:
        rules.append(NoIntrospection)
    max_tokens = settings.max_tokens
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: ParserCache(maxsize=CACHE_SIZE),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=CACHE_SIZE),
    ]
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        execution_context_class=ScalarListExecution,
        # Without introspection, "did you mean" hints would leak the schema all the same.
        config=StrawberryConfig(
            scalar_map=SCALARS, disable_field_suggestions=not settings.introspection
        ),
    )
    schema.request_rules = tuple(rules)
    return schema


def print_schema() -> str:
    """The SDL committed as ``schema.graphql``."""
    return str(build_schema()) + "\n"
