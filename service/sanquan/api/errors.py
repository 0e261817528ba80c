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
from starlette.responses import JSONResponse

from sanquan.api.deadline import aborted
from sanquan.api.enums import described_enum
from sanquan.errors import AccessError, DomainError, DomainErrors, ErrorCode, Forbidden, render
from sanquan.observability.requests import refused, stamp
from sanquan.quarter import QuarterError

__all__ = [
    "GRAPHQL_RESPONSE",
    "JSON",
    "REQUEST_ERRORS",
    "UNAUTHENTICATED",
    "AccessError",
    "ErrorCodeType",
    "Forbidden",
    "RequestError",
    "UserError",
    "format_error",
    "language_of",
    "refusals",
    "root_cause",
    "unauthenticated",
    "user_errors",
]

log = logging.getLogger(__name__)

ErrorCodeType = described_enum(
    ErrorCode,
    "Why a domain rule refused a mutation's input: stable, so clients may switch on it; "
    "`UserError.message` words it for people.",
)


@strawberry.type(description="A domain rule refused the input; nothing was changed.")
class UserError:
    field: list[str] = strawberry.field(
        description="Path of the input field at fault, relative to the mutation's input."
    )
    code: ErrorCodeType = strawberry.field(  # type: ignore[valid-type]
        description="The rule that refused it, for clients to switch on."
    )
    message: str = strawberry.field(description="Human-readable, zh-CN unless Accept-Language: en.")
    plugin_code: str | None = strawberry.field(
        default=None,
        description="When `code` is PLUGIN_RULE: the plugin's own code for the rule (its "
        "`ScoreProblem.code`, e.g. STEP_OF_5), for clients to switch on; null otherwise.",
    )


def refusals() -> Any:
    """The ``userErrors`` field every mutation payload ends with."""
    return strawberry.field(
        description="Why the mutation was refused, one entry per problem; empty when it "
        "succeeded. When not empty, nothing was changed."
    )


def user_errors(error: DomainError | DomainErrors, language: str) -> list[UserError]:
    errors = error.errors if isinstance(error, DomainErrors) else [error]
    refused(e.code.value for e in errors)
    return [
        UserError(
            field=[str(p) for p in e.field],
            code=e.code,
            message=e.message(language),
            plugin_code=e.params.get("rule") if e.code is ErrorCode.PLUGIN_RULE else None,
        )
        for e in errors
    ]


UNAUTHENTICATED = (
    "需要登录:请在 Authorization 请求头中提供有效的 Bearer 令牌",
    "authentication required: send a valid token as 'Authorization: Bearer <token>'",
)
INTERNAL = ("服务器内部错误,请稍后重试", "internal server error; please try again later")

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
"""The GraphQL-over-HTTP media type: with it, a request that never executed gets a 4xx."""


REQUEST_ERRORS: dict[str, tuple[int, str, str]] = {
    "REQUEST_TOO_LARGE": (
        413,
        "请求体超过 {limit} 字节的上限",
        "the request body is larger than the limit of {limit} bytes",
    ),
    "INVALID_BODY": (
        400,
        "请求体不是有效的 JSON(UTF-8 编码):{problem}",
        "the request body is not valid JSON in UTF-8: {problem}",
    ),
    "UNSUPPORTED_MEDIA_TYPE": (
        415,
        "POST 请求须以 Content-Type: application/json 发送,收到“{value}”",
        "send POST requests as Content-Type: application/json, not {value!r}",
    ),
    "METHOD_NOT_ALLOWED": (
        405,
        "GraphQL 只接受 GET 和 POST 请求,收到 {value}",
        "GraphQL takes GET and POST requests, not {value}",
    ),
    "MUTATION_VIA_GET": (
        405,
        "变更(mutation)须用 POST 请求发送",
        "mutations must be sent with POST, not GET",
    ),
    "SUBSCRIPTION_OVER_HTTP": (
        400,
        "HTTP 上只执行查询和变更,不执行订阅",
        "queries and mutations run over HTTP; subscriptions do not",
    ),
    "SUBSCRIPTIONS_ONLY": (
        400,
        "WebSocket 上只执行订阅;查询和变更请以 HTTP 发送",
        "only subscriptions run over WebSocket; send queries and mutations over HTTP",
    ),
    "TOO_MANY_SUBSCRIPTIONS": (
        429,
        "一个连接上最多同时进行 {limit} 个订阅",
        "at most {limit} subscriptions run at once on one connection",
    ),
    "UNKNOWN_OPERATION": (
        400,
        "文档中没有名为“{name}”的操作;文档含多个操作时须以 operationName 指明其一",
        "the document has no operation named {name!r}; a document of several operations "
        "needs an operationName naming one",
    ),
    "BATCHING_NOT_SUPPORTED": (
        400,
        "不支持批量请求:每个请求只发送一个操作",
        "batched requests are not supported: send one operation per request",
    ),
    "INVALID_REQUEST": (
        400,
        "请求中的“{field}”{problem}",
        "request field {field!r} {problem}",
    ),
    "INPUT_TOO_LARGE": (
        400,
        "{path} 过大:最多 {limit} {unit}",
        "{path} is too large: at most {limit} {unit}",
    ),
    "INVALID_TEXT": (
        400,
        "{path} 含有无效的 Unicode 字符(孤立代理项)",
        "{path} holds an invalid Unicode character (a lone surrogate)",
    ),
    "DISALLOWED_HOST": (
        400,
        "本服务不以主机名“{value}”提供服务",
        "this service does not answer to the host name {value!r}",
    ),
    "FOREIGN_ORIGIN": (
        403,
        "本服务的实时连接只对本服务的页面开放,不接受来自“{value}”的页面",
        "this service's live connections are for its own pages, not for pages of {value!r}",
    ),
    "QUERY_TOO_COSTLY": (
        400,
        "查询代价 {cost} 超过上限 {limit}:请减少列表嵌套、别名或分页大小",
        "the query costs {cost}, over the limit of {limit}: nest fewer lists, use fewer "
        "aliases or smaller pages",
    ),
    "QUERY_TOO_DEEP": (
        400,
        "查询嵌套 {depth} 层,超过上限 {limit} 层",
        "the query nests {depth} levels deep, over the limit of {limit}",
    ),
    "TOO_MANY_ALIASES": (
        400,
        "查询使用了 {aliases} 个别名,超过上限 {limit} 个",
        "the query uses {aliases} aliases, over the limit of {limit}",
    ),
    "INTROSPECTION_DISABLED": (
        400,
        "本服务已关闭自省(introspection):接口说明见随服务发布的 schema.graphql",
        "introspection is switched off on this service: schema.graphql, published with it, "
        "describes the API",
    ),
    "GRAPHQL_PARSE_FAILED": (400, "查询语法错误:{problem}", "syntax error: {problem}"),
    "NOT_ACCEPTABLE": (
        406,
        "无法以“{value}”作答:请接受 application/graphql-response+json 或 application/json",
        "cannot answer as {value!r}: accept application/graphql-response+json or application/json",
    ),
    "PERSISTED_QUERY_NOT_FOUND": (
        200,
        "服务尚未登记此持久化查询:请连同查询全文再发一次",
        "this persisted query is not registered yet: send it again with its full text",
    ),
    "PERSISTED_QUERY_MISMATCH": (
        400,
        "extensions.persistedQuery.sha256Hash 与所附查询全文的 SHA-256 不符",
        "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query sent with it",
    ),
    "PERSISTED_QUERY_NOT_SUPPORTED": (
        400,
        "持久化查询只支持 version 1,sha256Hash 须为 64 位十六进制小写字符",
        "persisted queries take version 1 and a sha256Hash of 64 lowercase hex digits",
    ),
    "OPERATION_NOT_TRUSTED": (
        400,
        "本服务只执行登记过的操作(可信文档),此操作未登记",
        "this service runs only registered operations (trusted documents), and this one is not",
    ),
    "INTERNAL_SERVER_ERROR": (500, *INTERNAL),
}
"""Refusals of a request as a whole, before or around execution: code -> (HTTP status,
zh-CN, en). Each reaches the client as a GraphQL error with ``extensions.code``."""


class RequestError(Exception):
    """A request refused as a whole; rendered from :data:`REQUEST_ERRORS`."""

    def __init__(self, code: str, headers: dict[str, str] | None = None, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
        self.headers = headers or {}

    @property
    def status(self) -> int:
        return REQUEST_ERRORS[self.code][0]

    def message(self, language: str) -> str:
        """The message in ``language``; a parameter given as a (zh, en) pair is a word."""
        _, zh, en = REQUEST_ERRORS[self.code]
        english = language == "en"
        words = {
            name: (value[1] if english else value[0]) if isinstance(value, tuple) else value
            for name, value in self.params.items()
        }
        return (en if english else zh).format(**words)

    def response(self, language: str, media_type: str = JSON) -> JSONResponse:
        return error_response(
            self.code, self.message(language), self.status, self.headers, media_type
        )


def error_response(
    code: str,
    message: str,
    status: int,
    headers: dict[str, str] | None = None,
    media_type: str = JSON,
) -> JSONResponse:
    """An error outside GraphQL execution, in the shape GraphQL clients already read."""
    extensions: dict[str, Any] = {"code": code}
    stamp(extensions)
    body = {"errors": [{"message": message, "extensions": extensions}]}
    return JSONResponse(
        body,
        status_code=status,
        headers={"Cache-Control": "no-store", **(headers or {})},
        media_type=media_type,
    )


def unauthenticated(language: str, media_type: str = JSON) -> JSONResponse:
    zh, en = UNAUTHENTICATED
    return error_response(
        "UNAUTHENTICATED",
        en if language == "en" else zh,
        401,
        {"WWW-Authenticate": 'Bearer realm="sanquan"'},
        media_type,
    )


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
        formatted.update(_graphql_finding(error, language))
    elif (stopped := aborted(original)) is not None:
        # SQLite's interrupt or PostgreSQL's cancel at the request's deadline.
        formatted["message"] = stopped.message(language)
        formatted["extensions"] = {"code": stopped.code}
    else:
        log.error("unexpected error in resolver", exc_info=original)
        formatted = {"message": INTERNAL[1] if english else INTERNAL[0]}
        if error.path:
            formatted["path"] = error.path
        formatted["extensions"] = {"code": "INTERNAL_SERVER_ERROR"}
    stamp(formatted["extensions"])
    return formatted


def _graphql_finding(error: GraphQLError, language: str) -> dict[str, Any]:
    """graphql-core's own findings (syntax, validation, variable coercion), coded; the
    ones this service's rules add carry their code (and figures) and are localised here."""
    extensions = error.extensions or {}
    code = extensions.get("code")
    if code in REQUEST_ERRORS:
        figures = {name: value for name, value in extensions.items() if name != "code"}
        message = RequestError(code, **figures).message(language)
        return {"message": message, "extensions": {"code": code, **figures}}
    if error.message.startswith("Syntax Error"):
        problem = error.message.removeprefix("Syntax Error:").strip()
        message = RequestError("GRAPHQL_PARSE_FAILED", problem=problem).message(language)
        return {"message": message, "extensions": {"code": "GRAPHQL_PARSE_FAILED"}}
    return {"extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}


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
