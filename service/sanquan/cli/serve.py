"""``sanquan serve``: the GraphQL API over HTTP, in one process or several."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sanquan.cli import messages as m
from sanquan.cli.core import Command, Integer, Problem, Refused, option
from sanquan.cli.output import say
from sanquan.cli.root import root

if TYPE_CHECKING:
    from sanquan.config import Settings

SHUTDOWN_TIMEOUT = 30
"""Seconds a stopping server gives its requests in flight: well over the request timeout
(``SANQUAN_REQUEST_TIMEOUT``, 10 s), and the default grace of container schedulers."""


@root.command("serve", cls=Command, help=m.SERVE_HELP)
@option("--host", default="127.0.0.1", show_default=True, metavar=m.ADDRESS, help=m.HOST_HELP)
@option(
    "--port", type=Integer(0), default=8000, show_default=True, metavar=m.PORT, help=m.PORT_HELP
)
@option(
    "--workers", type=Integer(1), default=1, show_default=True, metavar=m.COUNT, help=m.WORKERS_HELP
)
@option(
    "--shutdown-timeout",
    type=Integer(0),
    default=SHUTDOWN_TIMEOUT,
    show_default=True,
    metavar=m.SECONDS,
    help=m.SHUTDOWN_TIMEOUT_HELP,
)
def serve(host: str, port: int, workers: int, shutdown_timeout: int) -> None:
    """Plugins are loaded first, so that a conflict between them stops the command before
    the database is touched or an address is announced. Several workers may serve one
    SQLite file: its writers take turns across processes (:mod:`sanquan.sqlite_writers`)
    and each process watches the file for the others' changes to live progress
    (:mod:`sanquan.events`). With ``SANQUAN_LOG_FORMAT=json`` every line the command
    writes is a JSON object, a refusal too (``{"errors": [...]}``)."""
    from sanquan.cli.context import settings

    current = settings()
    try:
        _serve(current, host, port, workers, shutdown_timeout)
    except Refused as refused:
        refused.as_json = refused.as_json or current.log_format == "json"
        raise


def _serve(current: Settings, host: str, port: int, workers: int, shutdown_timeout: int) -> None:
    """The metrics' shared directory is settled before anything imports the metrics:
    prometheus-client chooses where a process keeps its counts when it is imported."""
    from sanquan.db import in_memory
    from sanquan.observability.metrics_directory import (
        MULTIPROCESS,
        MetricsDirectoryError,
        shared_metrics,
    )

    if workers > 1 and in_memory(current.database_url):
        raise Refused(Problem("WORKERS_NEED_A_FILE", str(m.WORKERS_IN_MEMORY), "--workers"))
    try:
        with shared_metrics(workers) as directory:
            _run(current, host, port, workers, shutdown_timeout, directory)
    except MetricsDirectoryError as error:
        problem = m.METRICS_DIRECTORY[error.problem].format(name=error.name)
        message = f"{MULTIPROCESS}={error.directory!r}: {problem}"
        raise Refused(Problem("SETTING", message, MULTIPROCESS)) from None


def _run(
    current: Settings,
    host: str,
    port: int,
    workers: int,
    shutdown_timeout: int,
    directory: Path | None,
) -> None:
    from functools import partial

    from sanquan.api.persisted import TrustedDocumentsError, load_manifest
    from sanquan.app import create_app
    from sanquan.cli.context import plugin_host, safe
    from sanquan.cli.metrics import serve_metrics
    from sanquan.db import make_engine
    from sanquan.http_protocol import BoundedHttpToolsProtocol
    from sanquan.migrate import upgrade
    from sanquan.observability.logs import announced, logging_config
    from sanquan.server import APP, WorkerConfig, listening_socket, run

    plugins = plugin_host()
    if current.trusted_documents is not None:
        try:
            load_manifest(current.trusted_documents)
        except TrustedDocumentsError as error:
            raise Refused(f"SANQUAN_TRUSTED_DOCUMENTS: {error}", code="SETTING") from None
    upgrade(make_engine(current.database_url))
    try:
        sock = listening_socket(host, port)
    except OSError as error:
        message = m.CANNOT_LISTEN.format(host=host, port=port, reason=error.strerror or error)
        raise Refused(Problem("ADDRESS", message, "--port")) from None
    bound = sock.getsockname()[1]
    database = safe(current.database_url)
    message = m.SERVING.format(host=host, port=bound, url=database, workers=workers)
    url = f"http://{host}:{bound}/graphql"
    shared = {"metricsDirectory": str(directory)} if directory else {}
    say(
        announced(
            current.log_format, message, url=url, database=database, workers=workers, **shared
        )
    )
    serve_metrics(current)
    config = WorkerConfig(
        APP if workers > 1 else partial(create_app, current, plugins),
        factory=True,
        workers=workers,
        host=host,
        port=bound,
        log_level="info",
        log_config=logging_config(current.log_format),
        access_log=False,  # the service's own access log (sanquan.access) has each request
        server_header=False,
        proxy_headers=bool(current.trusted_proxies),
        forwarded_allow_ips=list(current.trusted_proxies) or None,
        timeout_graceful_shutdown=shutdown_timeout,
        # httptools, bounded: less CPU a request than h11, and a head over 32 KB refused
        # before the service sees it (sanquan.http_protocol). asyncio's loop even where
        # uvloop is installed: measured idle, uvloop saved nothing on a submission
        # (bench/RESULTS.md).
        http=BoundedHttpToolsProtocol,
        loop="asyncio",
    )
    if not run(config, sock, pin=current.pin_workers):
        raise Refused(m.DID_NOT_START, status=3, code="STARTUP")
