"""How ``sanquan serve`` logs: every logger to stderr, as text for people or as one JSON
object a line for a log collector (``SANQUAN_LOG_FORMAT``). The access log is the
service's own ``sanquan.access`` (:mod:`sanquan.observability.access`), one line a request;
uvicorn's access log is off, so nothing logs a request twice."""

from __future__ import annotations

import logging
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS

ACCESS_FIELDS = (
    ("requestId", "id"),
    ("operation", "operation"),
    ("account", "account"),
    ("statements", "statements"),
    ("durationMs", "ms"),
    ("errors", "errors"),
    ("userErrors", "userErrors"),
    ("subscriptions", "subscriptions"),
    ("closedBy", "closedBy"),
)
"""The access record's fields a text line ends with, and their names there."""


class TextFormatter(logging.Formatter):
    """A line for people: time, level, logger, message, and for an access line its
    fields as ``name=value``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = [
            f"{shown}={value}"
            for name, shown in ACCESS_FIELDS
            if (value := record.__dict__.get(name)) not in (None, [])
        ]
        return " ".join([line, *fields])


JSON_OPTIONS: dict[str, Any] = {
    "fmt": "%(levelname)s %(name)s %(message)s",
    "rename_fields": {"levelname": "level", "name": "logger"},
    "timestamp": "time",
    # uvicorn's records carry their message again with terminal colours
    "reserved_attrs": [*RESERVED_ATTRS, "color_message"],
    "json_ensure_ascii": False,
}
"""How a JSON line is made, for the log and for what ``serve`` prints on stdout alike."""


def logging_config(log_format: str) -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` configuration (uvicorn applies it in each
    process it starts)."""
    formatter: dict[str, Any] = (
        {"()": "pythonjsonlogger.json.JsonFormatter", **JSON_OPTIONS}
        if log_format == "json"
        else {"()": TextFormatter}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "sanquan": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }


def announced(log_format: str, message: str, **fields: object) -> str:
    """A line ``sanquan serve`` prints on stdout about itself (where it serves): the text
    for people, or in JSON mode an object like the log's lines (``level``, ``logger``
    ``sanquan.serve``, ``message``, ``time``) with ``fields`` beside them, so that a log
    collector reading the process's output parses every line of it."""
    if log_format != "json":
        return message
    from pythonjsonlogger.json import JsonFormatter

    record = logging.LogRecord("sanquan.serve", logging.INFO, __file__, 0, message, None, None)
    record.__dict__.update(fields)
    return JsonFormatter(**JSON_OPTIONS).format(record)
