"""Service settings as one typed object, read from the environment once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from sanquan.errors import Localized
from sanquan.limits import CSV_LENGTH, LONGEST_LIST


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingError(name, raw, Localized("不是数字", "not a number")) from None
    if value <= 0:
        raise SettingError(name, raw, Localized("须为正数", "must be positive"))
    return value


def _list(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _choice(name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (the first when unset), case and spaces aside."""
    raw = os.environ.get(name, "")
    value = raw.strip().lower()
    if not value:
        return choices[0]
    if value not in choices:
        raise SettingError(
            name, raw, Localized(f"可选:{', '.join(choices)}", f"use one of {', '.join(choices)}")
        )
    return value


def _address(name: str) -> tuple[str, int] | None:
    """``host:port`` (``[::1]:9100`` for IPv6), or ``None`` when unset."""
    raw = os.environ.get(name, "")
    if not raw.strip():
        return None
    host, _, port = raw.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingError(
            name,
            raw,
            Localized(
                "须为“主机:端口”,如 127.0.0.1:9100", "must be host:port, such as 127.0.0.1:9100"
            ),
        )
    return host, int(port)


class SettingError(ValueError):
    """An environment variable the service cannot use; named so the operator can fix it."""

    def __init__(self, name: str, raw: str, problem: Localized) -> None:
        super().__init__(f"{name}={raw!r}: {problem.en}")
        self.name, self.raw, self.problem = name, raw, problem

    def message(self, language: str = "zh") -> str:
        if language == "en":
            return str(self)
        return f"{self.name}={self.raw!r}:{self.problem.zh}"


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
LOG_FORMATS = ("text", "json")


@dataclass(frozen=True)
class Settings:
    """Everything the service can be told.

    ``database_url`` defaults to an SQLite file in ``data_dir`` (the embedded engine);
    PostgreSQL is chosen by giving a ``postgresql+psycopg://`` URL. The limits bound what
    one request may cost, so that no single request keeps the service from others (R23).
    """

    database_url: str
    data_dir: Path = Path("var")
    graphiql: bool = False
    """The GraphiQL page at ``GET /graphql``: off in production, the demo turns it on."""
    introspection: bool = False
    """Off in production (R23): the committed ``schema.graphql`` documents the API."""
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 20_000
    max_cost: int = 50_000
    """Fields a query may resolve, counting each list at its page size or expected length
    (``sanquan.api.cost``); the scoreboard of a five-school session costs about 2,100."""
    max_body_bytes: int = 1 << 20
    """A larger request body is refused with 413 before it is read further."""
    max_list_items: int = 2 * LONGEST_LIST
    """Items of any one list in a request's variables, checked before conversion. Twice
    the longest list a field allows, so that a list just over its field's own limit
    (``sanquan.limits``) gets that field's message, and a flood a count, not a conversion."""
    max_string_chars: int = 2 * CSV_LENGTH
    """Characters of any one string in a request's variables, checked before conversion:
    twice the longest text a field allows (an institution CSV), for the same reason."""
    max_scores_per_submission: int = 500
    request_timeout: float = 10.0
    """Seconds a request may run; its next database statement past that is refused, and
    PostgreSQL cancels a statement that runs longer (``statement_timeout``)."""
    execution_threads: int = 0
    """Requests executed at once, each in a worker thread with its own database
    connection; the rest wait their turn while the event loop keeps answering. 0 (the
    default): the engine's number, :func:`default_execution_threads`."""
    public_url: str = ""
    """Where clients reach the service (``https://…``), for the links it hands out; when
    empty, the address the request came to, if its host is in ``allowed_hosts``."""
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    """``Host`` headers the service answers to (``*`` for any); the public URL's host is
    always allowed. A forged ``Host`` would otherwise end up in download links."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses whose ``X-Forwarded-*`` headers are believed; none by default."""
    cors_origins: tuple[str, ...] = ()
    """Origins whose pages may call the API from a browser (CORS); none by default."""
    trusted_documents: Path | None = None
    """A persisted-query manifest: when given, only its operations run (``api.persisted``)."""
    live_connections_per_account: int = 5
    """WebSocket connections (subscriptions, ``api.live``) one account may hold open in one
    process: a few browser tabs; one more is refused."""
    log_format: str = "text"
    """``text`` for people, ``json`` for a log collector: one object a line
    (``sanquan.observability.logs``)."""
    metrics_address: tuple[str, int] | None = None
    """Where ``sanquan serve`` also serves the Prometheus metrics without a token (an
    address only the scraper reaches); ``/metrics`` on the service's own port always asks
    for an ADMIN token."""
    pin_workers: bool = False
    """``sanquan serve --workers N`` keeps each worker process on a CPU of its own (in
    turn). For a machine that serves nothing else: pinned workers cannot move off a core
    that another program keeps busy."""
    live_keepalive: float = 15.0
    """Seconds between the server's pings on a WebSocket: under the idle timeout of the
    usual proxies; a client that leaves a ping unanswered until the next is dropped."""

    @classmethod
    def from_env(cls, data_dir: Path | None = None) -> Settings:
        """``SANQUAN_DATABASE_URL``, ``SANQUAN_DATA_DIR`` (default ``./var``),
        ``SANQUAN_GRAPHIQL`` and ``SANQUAN_INTROSPECTION`` (default off),
        ``SANQUAN_PUBLIC_URL``, ``SANQUAN_ALLOWED_HOSTS``, ``SANQUAN_TRUSTED_PROXIES`` and
        ``SANQUAN_CORS_ORIGINS`` (comma-separated), ``SANQUAN_TRUSTED_DOCUMENTS`` (a file),
        ``SANQUAN_MAX_BODY_BYTES``, ``SANQUAN_REQUEST_TIMEOUT`` (seconds),
        ``SANQUAN_EXECUTION_THREADS``, ``SANQUAN_LOG_FORMAT`` (``text`` or ``json``),
        ``SANQUAN_METRICS_ADDRESS`` (``host:port``), ``SANQUAN_PIN_WORKERS`` (default
        off)."""
        directory = data_dir or Path(os.environ.get("SANQUAN_DATA_DIR", "var"))
        url = os.environ.get("SANQUAN_DATABASE_URL") or sqlite_url(directory / "sanquan.sqlite3")
        defaults = cls(database_url=url)
        documents = os.environ.get("SANQUAN_TRUSTED_DOCUMENTS", "").strip()
        return cls(
            database_url=url,
            data_dir=directory,
            graphiql=_flag("SANQUAN_GRAPHIQL", defaults.graphiql),
            introspection=_flag("SANQUAN_INTROSPECTION", defaults.introspection),
            public_url=os.environ.get("SANQUAN_PUBLIC_URL", "").strip().rstrip("/"),
            allowed_hosts=_list("SANQUAN_ALLOWED_HOSTS", defaults.allowed_hosts),
            trusted_proxies=_list("SANQUAN_TRUSTED_PROXIES", defaults.trusted_proxies),
            cors_origins=_list("SANQUAN_CORS_ORIGINS", defaults.cors_origins),
            trusted_documents=Path(documents) if documents else None,
            max_body_bytes=int(_number("SANQUAN_MAX_BODY_BYTES", defaults.max_body_bytes)),
            request_timeout=_number("SANQUAN_REQUEST_TIMEOUT", defaults.request_timeout),
            execution_threads=int(_number("SANQUAN_EXECUTION_THREADS", defaults.execution_threads)),
            log_format=_choice("SANQUAN_LOG_FORMAT", LOG_FORMATS),
            metrics_address=_address("SANQUAN_METRICS_ADDRESS"),
            pin_workers=_flag("SANQUAN_PIN_WORKERS", defaults.pin_workers),
        )

    def __post_init__(self) -> None:
        if self.execution_threads <= 0:
            threads = default_execution_threads(self.database_url)
            object.__setattr__(self, "execution_threads", threads)

    def host_allowed(self, host: str) -> bool:
        """Whether a request's ``Host`` (port included or not) names this service."""
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        name = name.lower()
        if "*" in self.allowed_hosts or name in self.allowed_hosts:
            return True
        public = urlsplit(self.public_url).hostname if self.public_url else None
        return public is not None and name == public.lower()


SQLITE_THREADS = 2
POSTGRESQL_THREADS = 2


def default_execution_threads(database_url: str) -> int:
    """How many requests run at once unless ``SANQUAN_EXECUTION_THREADS`` says otherwise.

    Two on both engines, measured: one process runs Python on one core at a time (the
    interpreter lock), so a request's thread overlaps only with another's waits on the
    database or the disk, and every thread beyond that queues for the lock, slowing the
    request holding it. On an idle 2-core machine at 50 users (``bench/load.py``), the
    p95 of a resubmission was 37 ms with 2 threads, 48 with 3 and 99 with 4 on SQLite,
    and 61, 72 and 110 ms on PostgreSQL; 8 and 16 threads had given 190 and 310–560 ms
    there (``bench/RESULTS.md``). One heavy request still leaves a thread to the others.
    The engines keep a constant each, so that a machine with other cores can change one.
    """
    return SQLITE_THREADS if database_url.startswith("sqlite") else POSTGRESQL_THREADS


def sqlite_url(path: Path) -> str:
    """The URL of the SQLite file at ``path``, its path percent-encoded: SQLAlchemy ends a
    URL's path at a ``?`` (its query follows) and decodes ``%``, so that a data folder
    named ``评审 #2?q=1`` would otherwise put the database in a file named ``评审 #2``.

    >>> from sqlalchemy import make_url
    >>> make_url(sqlite_url(Path("/srv/评审 #2?q=1%41/sanquan.sqlite3"))).database
    '/srv/评审 #2?q=1%41/sanquan.sqlite3'
    """
    return f"sqlite:///{quote(str(path.resolve()), safe='/')}"
