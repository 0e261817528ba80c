"""``sanquan serve``: the GraphQL API over HTTP, in one process."""

from __future__ import annotations

from sanquan.cli import messages as m
from sanquan.cli.core import Command, Integer, Refused, option
from sanquan.cli.output import say
from sanquan.cli.root import root


@root.command("serve", cls=Command, help=m.SERVE_HELP)
@option("--host", default="127.0.0.1", show_default=True, metavar=m.ADDRESS, help=m.HOST_HELP)
@option(
    "--port", type=Integer(0), default=8000, show_default=True, metavar=m.PORT, help=m.PORT_HELP
)
def serve(host: str, port: int) -> None:
    """Plugins are loaded first, so that a conflict between them stops the command before
    the database is touched or an address is announced."""
    from functools import partial

    import uvicorn

    from sanquan.api.persisted import TrustedDocumentsError, load_manifest
    from sanquan.app import create_app
    from sanquan.cli.context import plugin_host, safe, settings
    from sanquan.cli.metrics import serve_metrics
    from sanquan.db import make_engine
    from sanquan.migrate import upgrade
    from sanquan.observability.logs import logging_config

    current = settings()
    plugins = plugin_host()
    if current.trusted_documents is not None:
        try:
            load_manifest(current.trusted_documents)
        except TrustedDocumentsError as error:
            raise Refused(f"SANQUAN_TRUSTED_DOCUMENTS: {error}", code="SETTING") from None
    upgrade(make_engine(current.database_url))
    say(m.SERVING.format(host=host, port=port, url=safe(current.database_url)))
    serve_metrics(current)
    uvicorn.run(
        partial(create_app, current, plugins),
        factory=True,
        host=host,
        port=port,
        log_level="info",
        log_config=logging_config(current.log_format),
        access_log=False,  # the service's own access log (sanquan.access) has each request
        server_header=False,
        proxy_headers=bool(current.trusted_proxies),
        forwarded_allow_ips=list(current.trusted_proxies) or None,
    )
