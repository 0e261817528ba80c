"""The metrics' own address for ``sanquan serve`` (``SANQUAN_METRICS_ADDRESS``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sanquan.cli import messages as m
from sanquan.cli.core import Refused
from sanquan.cli.output import say

if TYPE_CHECKING:
    from sanquan.config import Settings


def serve_metrics(current: Settings) -> None:
    """Serve the metrics without a token where the settings say, before the service
    starts: a taken address stops the command in one line, naming the setting."""
    if current.metrics_address is None:
        return
    from sanquan.observability.metrics import serve_separately

    host, port = current.metrics_address
    try:
        serve_separately(host, port)
    except OSError as error:
        raise Refused(
            m.METRICS_ADDRESS_FAILED.format(host=host, port=port, problem=error.strerror),
            code="SETTING",
        ) from None
    from sanquan.observability.logs import announced

    message = m.SERVING_METRICS.format(host=host, port=port)
    say(announced(current.log_format, message, metricsUrl=f"http://{host}:{port}/metrics"))
