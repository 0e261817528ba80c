"""Service settings as one typed object, read from the environment once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything the service can be told.

    ``database_url`` defaults to an SQLite file in ``data_dir`` (the embedded engine);
    PostgreSQL is chosen by giving a ``postgresql+psycopg://`` URL.
    """

    database_url: str
    data_dir: Path = Path("var")
    graphiql: bool = True
    introspection: bool = True
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 20_000
    max_scores_per_submission: int = 500
    public_url: str = ""
    """Where clients reach the service (``https://…``), for the links it hands out; when
    empty, the address the request came to, which behind a TLS proxy may be internal."""

    @classmethod
    def from_env(cls, data_dir: Path | None = None) -> Settings:
        """``SANQUAN_DATABASE_URL``, ``SANQUAN_DATA_DIR`` (default ``./var``),
        ``SANQUAN_GRAPHIQL`` and ``SANQUAN_INTROSPECTION`` (default on),
        ``SANQUAN_PUBLIC_URL``."""
        directory = data_dir or Path(os.environ.get("SANQUAN_DATA_DIR", "var"))
        url = os.environ.get("SANQUAN_DATABASE_URL") or sqlite_url(directory / "sanquan.sqlite3")
        return cls(
            database_url=url,
            data_dir=directory,
            graphiql=_flag("SANQUAN_GRAPHIQL", True),
            introspection=_flag("SANQUAN_INTROSPECTION", True),
            public_url=os.environ.get("SANQUAN_PUBLIC_URL", "").strip().rstrip("/"),
        )


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"
