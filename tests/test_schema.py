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
        "institution(",
        "reviewSession(",
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
        # A session from before blind ids gets a secret key of its own.
        [(key,)] = connection.execute(text("SELECT blind_key FROM review_sessions")).all()
        assert len(bytes.fromhex(key)) == 32
        assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
    engine.dispose()


def test_plan_owners_keep_the_tables_and_their_references(tmp_path: Path) -> None:
    """0007 copies ``responsible_units`` on SQLite, which tasks, reports and UNIT accounts
    point at; existing plans and units become municipal, and a school may then reuse a name."""
    from sqlalchemy import text

    from sanquan.config import sqlite_url
    from sanquan.migrate import upgrade

    engine = make_engine(sqlite_url(tmp_path / "tables.sqlite3"))
    upgrade(engine, "0006")
    rows = (
        "INSERT INTO responsible_units (id, short_name, full_name) "
        "VALUES (1, '党委宣传部', '某部')",
        "INSERT INTO work_plans (id, key, title, document) VALUES (1, 'p', '方案', '')",
        "INSERT INTO plan_tasks (id, plan_id, number, title, section, body) "
        "VALUES (1, 1, 1, '任务', '', '')",
        "INSERT INTO task_units (id, task_id, unit_id, position) VALUES (1, 1, 1, 0)",
        "INSERT INTO accounts (id, name, role, unit_id, active, created_at) "
        "VALUES (1, '联络员', 'UNIT', 1, 1, '2026-01-01 00:00:00')",
        "INSERT INTO progress_reports (id, task_id, unit_id, quarter, status, text, "
        "reported_by_id, reported_at) VALUES (1, 1, 1, '2027Q1', 'DONE', '完成', 1, "
        "'2027-01-02 00:00:00')",
    )
    with engine.begin() as connection:
        for row in rows:
            connection.execute(text(row))
    upgrade(engine)
    with engine.begin() as connection:
        assert connection.execute(text("SELECT owner FROM work_plans")).all() == [("",)]
        assert connection.execute(text("SELECT owner FROM responsible_units")).all() == [("",)]
        assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
        connection.execute(
            text(
                "INSERT INTO responsible_units (owner, short_name, full_name) "
                "VALUES ('河南科技职业大学', '党委宣传部', '中共河南科技职业大学委员会宣传部')"
            )
        )
    engine.dispose()
