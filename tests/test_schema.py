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


def test_upgrading_a_database_with_data_keeps_it(tmp_path: Path) -> None:
    """Every migration runs on a database that holds reviews (SQLite copies tables to
    alter them, which other tables' foreign keys must survive)."""
    from sqlalchemy import text

    from sanquan.config import sqlite_url
    from sanquan.migrate import is_current, upgrade

    engine = make_engine(sqlite_url(tmp_path / "old.sqlite3"))
    upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO institutions (id, code, name, authority, level, category, "
                "category_inferred, pilot_departments, active, created_at) VALUES "
                "(1, '4111010003', '清华大学', '教育部', '本科', '综合', 0, '[]', 1, "
                "'2026-01-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO accounts (id, name, role, institution_id, active, created_at) "
                "VALUES (1, '联络人', 'INSTITUTION', 1, 1, '2026-01-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO review_sessions (id, quarter, title, indicator_set_key, "
                "indicator_set_version, status, min_experts, created_at) VALUES "
                "(1, '2026Q3', 't', 'beijing-sanquan', '2019.1', 'OPEN', 5, '2026-07-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO scores (id, session_id, subject_id, indicator_code, source, "
                "reviewer_key, reviewer_institution_id, value, comment, evidence, status, "
                "submitted_by_id, updated_at) VALUES (1, 1, 1, 'T01', 'SELF', 'institution:1', "
                "1, 88, '', '', 'SUBMITTED', 1, '2026-07-02 00:00:00')"
            )
        )
    upgrade(engine)
    assert is_current(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT value, reported FROM scores")).all() == [(88.0, "")]
        assert connection.execute(text("SELECT rotation_plan_id FROM review_sessions")).all() == [
            (None,)
        ]
        assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
    engine.dispose()
