"""The one place where errors become what clients see.

Domain errors of mutations become typed ``userErrors``; authentication and authorisation
failures, bad arguments and malformed documents become GraphQL errors with a stable
``extensions.code``. Anything unexpected is logged and shown as a bare internal error: no
stack trace, no SQL (R24).
"""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError

from sanquan.errors import AccessError, DomainError, DomainErrors, ErrorCode, Forbidden, render
from sanquan.quarter import QuarterError

__all__ = [
    "UNAUTHENTICATED",
    "AccessError",
    "ErrorCodeType",
    "Forbidden",
    "UserError",
    "format_error",
    "language_of",
    "root_cause",
    "user_errors",
]

log = logging.getLogger(__name__)

ErrorCodeType = strawberry.enum(ErrorCode, name="ErrorCode", description="Stable error codes.")


@strawberry.type(description="A domain rule refused the input; nothing was changed.")
class UserError:
    field: list[str] = strawberry.field(
        description="Path of the input field at fault, relative to the mutation's input."
    )
    code: ErrorCodeType  # type: ignore[valid-type]
    message: str = strawberry.field(description="Human-readable, zh-CN unless Accept-Language: en.")


def user_errors(error: DomainError | DomainErrors, language: str) -> list[UserError]:
    errors = error.errors if isinstance(error, DomainErrors) else [error]
    return [
        UserError(field=[str(p) for p in e.field], code=e.code, message=e.message(language))
        for e in errors
    ]


UNAUTHENTICATED = (
    "需要登录:请在 Authorization 请求头中提供有效的 Bearer 令牌",
    "authentication required: send a valid token as 'Authorization: Bearer <token>'",
)
INTERNAL = ("服务器内部错误,请稍后重试", "internal server error; please try again later")


def format_error(error: GraphQLError, language: str) -> dict[str, Any]:
    """A GraphQL error as the client sees it: localised, coded, never leaking internals."""
    english = language == "en"
    original = root_cause(error)
    formatted: dict[str, Any] = {"message": error.message}
    if error.locations:
        formatted["locations"] = [
            {"line": loc.line, "column": loc.column} for loc in error.locations
        ]
    if error.path:
        formatted["path"] = error.path
    if isinstance(original, QuarterError):
        formatted["message"] = render(ErrorCode.INVALID_QUARTER, {"value": original.text}, language)
        formatted["extensions"] = {"code": ErrorCode.INVALID_QUARTER.value}
    elif isinstance(original, AccessError):
        formatted["message"] = original.message(language)
        formatted["extensions"] = {"code": original.code}
    elif isinstance(original, DomainError):
        formatted["message"] = original.message(language)
        formatted["extensions"] = {
            "code": original.code.value,
            "field": list(map(str, original.field)),
        }
    elif original is None:
        # graphql-core's own findings: syntax, validation, variable coercion.
        formatted["extensions"] = {"code": "GRAPHQL_VALIDATION_FAILED"}
    else:
        log.error("unexpected error in resolver", exc_info=original)
        formatted = {"message": INTERNAL[1] if english else INTERNAL[0]}
        if error.path:
            formatted["path"] = error.path
        formatted["extensions"] = {"code": "INTERNAL_SERVER_ERROR"}
    return formatted


def root_cause(error: GraphQLError) -> Exception | None:
    """The exception behind ``error``; graphql-core may wrap it in further GraphQLErrors."""
    cause: Exception | None = error.original_error
    while isinstance(cause, GraphQLError):
        cause = cause.original_error
    return cause


def language_of(accept_language: str | None) -> str:
    """``en`` when the client's first preference is English, else ``zh``."""
    first = (accept_language or "").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "zh"
