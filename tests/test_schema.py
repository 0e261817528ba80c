"""The committed contract files stay true to the code."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from sanquan.api.schema import print_schema
from sanquan.db import make_engine
from sanquan.models import Base

ROOT = Path(__file__).resolve().parent.parent


def test_schema_graphql_is_current() -> None:
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == print_schema(), "schema.graphql is stale: run `make schema`"


def test_contract_root_fields_exist() -> None:
    sdl = print_schema()
    for field in (
        "institutions(",
        "institution(code",
        "reviewSession(id",
        "reviewSessions(",
        "indicatorSets",
        "viewer:",
        "createReviewSession(",
        "appointExperts(",
        "openReviewSession(",
        "submitScores(",
        "concludeReviewSession(",
    ):
        assert f"  {field}" in sdl, field


def test_migrations_match_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()
