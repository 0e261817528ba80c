"""Backups hold every acknowledged write (Storage): ``sanquan backup`` copies the SQLite
database while reviewers submit to the real server, ``sanquan restore`` puts the copy in a
new file, and a server on it serves every score acknowledged before the backup began.
``sanquan restore`` refuses what it cannot serve and what it must not overwrite; the
PostgreSQL route is the README's ``pg_dump -Fc`` / ``pg_restore``."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import threading
from collections import defaultdict
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from sanquan.config import sqlite_url
from sanquan.db import make_engine
from sanquan.migrate import is_current
from tests.commands import in_process
from tests.conftest import WorldTemplate, migrated_database
from tests.flows import SUBMIT
from tests.postgres_server import PostgresServer, find_pg_bindir, fresh_database
from tests.serving import SANQUAN, free_port, graphql, start
from tests.test_durability import (
    Outcome,
    Pair,
    Sent,
    State,
    Writer,
    graphql_view,
    outcome_of,
    writers,
)

AFTER_BACKUP = 5
"""Submissions each writer still makes once the backup is done: writes after it began, so
that the load lasted the whole backup (twenty only took longer to show the same)."""


class Reviewer(threading.Thread):
    """A :class:`~tests.test_durability.Writer` submitting until told to stop, keeping
    every submission it sent, answered or not, in order."""

    def __init__(self, writer: Writer, port: int, numbers: Iterator[int]) -> None:
        super().__init__(daemon=True)
        self.writer, self.port, self.numbers = writer, port, numbers
        self.sent: list[tuple[Sent, Outcome | None]] = []
        self.stop = threading.Event()
        self.acknowledged = threading.Event()

    def answered(self) -> int:
        """How many of its submissions have had their answer: a submission still in flight
        may be acknowledged only after the backup has begun, and is not counted as before it."""
        sent = len(self.sent)
        if sent and self.sent[sent - 1][1] is None:
            sent -= 1
        return sent

    def run(self) -> None:
        writer = self.writer
        headers = {"Authorization": f"Bearer {writer.token}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{self.port}", headers=headers) as client:
            while not self.stop.is_set():
                pair = writer.rng.choice(writer.pairs)
                final = pair in writer.finalised or writer.rng.random() > 0.3
                if final:
                    writer.finalised.add(pair)
                sent = Sent(next(self.numbers), pair, final)
                self.sent.append((sent, None))
                response = client.post(
                    "/graphql", json={"query": SUBMIT, "variables": sent.variables()}, timeout=60
                )
                self.sent[-1] = (sent, outcome_of(response))
                if self.sent[-1][1] is Outcome.ACKNOWLEDGED:
                    self.acknowledged.set()


def acceptable(reviewers: list[Reviewer], before: dict[Reviewer, int]) -> dict[Pair, set[State]]:
    """For each pair with a submission acknowledged before the backup began (among the
    first ``before[reviewer]`` of its reviewer), the states the backup may hold: that
    submission's, or one its reviewer sent to the pair later."""
    expected: dict[Pair, set[State]] = defaultdict(set)
    for reviewer in reviewers:
        last: dict[Pair, int] = {}
        for index, (sent, outcome) in enumerate(reviewer.sent[: before[reviewer]]):
            if outcome is Outcome.ACKNOWLEDGED:
                last[sent.pair] = index
        for index, (sent, _) in enumerate(reviewer.sent):
            if sent.pair in last and index >= last[sent.pair]:
                expected[sent.pair].add(sent.state())
    return expected


@pytest.fixture
def sqlite_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a command on a fresh SQLite database: backups are SQLite's."""
    with migrated_database(request, "sqlite", tmp_path) as url:
        yield environment(url, tmp_path)


@pytest.fixture
def demo_env(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[dict[str, str], str]]:
    """The environment of a command on a copy of the run's demo (on SQLite), and its ADMIN
    token: ``sanquan demo`` itself is tested in ``test_demo.py``."""
    template = request.getfixturevalue("sqlite_demo_template")
    tokens = (template.directory / "demo-tokens.env").read_text().split()
    admin = dict(line.split("=", 1) for line in tokens)["SANQUAN_ADMIN_TOKEN"]
    with migrated_database(request, "sqlite", tmp_path, demo=True) as url:
        yield environment(url, tmp_path), admin


def sanquan(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """A run of ``sanquan`` in English, a process."""
    return subprocess.run(
        [*SANQUAN, "--lang", "en", *args], env=env, capture_output=True, text=True, check=False
    )


def said(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The same run in this process (:mod:`tests.commands`), for what a command refuses:
    :func:`test_backup_is_a_copy_of_the_live_file` and the test under load run ``backup``
    and ``restore`` as processes."""
    return in_process(["--lang", "en", *args], env)


def test_backup_under_load_keeps_every_acknowledged_score(
    demo_env: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    env, admin = demo_env
    database_url = env["SANQUAN_DATABASE_URL"]
    port = free_port()
    server = start(env, port)
    numbers = count(1)
    reviewers = [Reviewer(w, port, numbers) for w in writers(database_url)]
    backup = tmp_path / "backups" / "sanquan-backup.sqlite3"
    try:
        for reviewer in reviewers:
            reviewer.start()
        for reviewer in reviewers:
            assert reviewer.acknowledged.wait(timeout=60), "a reviewer got no answer"
        before = {reviewer: reviewer.answered() for reviewer in reviewers}
        done = sanquan(env, "backup", str(backup))
        after = {reviewer: len(reviewer.sent) for reviewer in reviewers}
        for reviewer in reviewers:
            while len(reviewer.sent) < after[reviewer] + AFTER_BACKUP and reviewer.is_alive():
                reviewer.acknowledged.clear()
                reviewer.acknowledged.wait(timeout=60)
    finally:
        for reviewer in reviewers:
            reviewer.stop.set()
        for reviewer in reviewers:
            reviewer.join(timeout=60)
        server.terminate()
        server.wait()
    assert done.returncode == 0, done.stderr
    assert "backed up to" in done.stdout
    outcomes = [outcome for r in reviewers for _, outcome in r.sent]
    assert set(outcomes) == {Outcome.ACKNOWLEDGED}, "every submission under load was stored"
    during = sum(after[r] - before[r] for r in reviewers)
    later = sum(len(r.sent) - after[r] for r in reviewers)
    assert later > 0, "writes went on after the backup"

    expected = acceptable(reviewers, before)
    assert expected, "scores were acknowledged before the backup began"
    schools = {pair.subject for pair in expected}
    found, out_of_step = restored_and_served(env, backup, tmp_path / "restored", admin, schools)
    lost = {
        pair: sorted(found.get(pair, ()))
        for pair, states in expected.items()
        if found.get(pair, frozenset()) not in states
    }
    assert not lost, f"acknowledged before the backup, missing from it: {lost}"
    assert not out_of_step
    print(f"{sum(before.values())} submissions before the backup, {during} during, {later} after")


def restored_and_served(
    env: dict[str, str], backup: Path, directory: Path, admin: str, schools: set[str]
) -> tuple[dict[Pair, State], list[str]]:
    """``sanquan restore`` of ``backup`` into a new file, checked for integrity, then what
    a server on it gives ADMIN of the session's scores (:func:`graphql_view`)."""
    restored = directory / "sanquan.sqlite3"
    restored_env = {**env, "SANQUAN_DATABASE_URL": sqlite_url(restored)}
    put_back = sanquan(restored_env, "restore", str(backup))
    assert put_back.returncode == 0, put_back.stderr
    with sqlite3.connect(restored) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    port = free_port()
    server = start(restored_env, port)
    try:
        return graphql_view(port, admin, schools)
    finally:
        server.terminate()
        server.wait()


def test_backup_is_a_copy_of_the_live_file(sqlite_env: dict[str, str], tmp_path: Path) -> None:
    """What the backup holds is what the live database held (here, with nothing writing)."""
    env, database_url = sqlite_env, sqlite_env["SANQUAN_DATABASE_URL"]
    backup = tmp_path / "copy.sqlite3"
    assert sanquan(env, "backup", str(backup)).returncode == 0
    live = make_url(database_url).database
    assert live is not None
    with sqlite3.connect(live) as original, sqlite3.connect(backup) as copy:
        tables = [
            row[0] for row in original.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        for table in tables:
            query = f'SELECT * FROM "{table}" ORDER BY 1'
            assert original.execute(query).fetchall() == copy.execute(query).fetchall(), table


def test_backup_refuses_to_overwrite_and_postgresql(
    sqlite_env: dict[str, str], tmp_path: Path
) -> None:
    env = sqlite_env
    backup = tmp_path / "b.sqlite3"
    assert said(env, "backup", str(backup)).returncode == 0
    again = said(env, "backup", str(backup))
    assert again.returncode == 2
    assert "exists; add --force" in again.stderr
    assert said(env, "backup", str(backup), "--force").returncode == 0
    postgres = {**env, "SANQUAN_DATABASE_URL": "postgresql+psycopg://u@127.0.0.1:1/x"}
    refused = said(postgres, "backup", str(tmp_path / "pg.sqlite3"))
    assert refused.returncode == 2
    assert "pg_dump -Fc" in refused.stderr
    assert not (tmp_path / "pg.sqlite3").exists()


def test_backup_never_writes_over_the_database_or_its_journal(
    sqlite_env: dict[str, str], tmp_path: Path
) -> None:
    """Not even with --force: a service writing to the replaced file would lose what it
    acknowledges from then on."""
    env = sqlite_env
    database = Path(make_url(env["SANQUAN_DATABASE_URL"]).database or "")
    before = database.read_bytes()
    detour = database.parent / ".." / database.parent.name / database.name
    for target in (database, detour, database.with_name(database.name + "-wal")):
        refused = said(env, "backup", str(target), "--force")
        assert refused.returncode == 2, refused.stderr
        assert "cannot be written over the database or its journal" in refused.stderr
    assert database.read_bytes() == before


def test_restore_checks_the_backup_and_the_target(
    sqlite_env: dict[str, str], tmp_path: Path
) -> None:
    """Each refusal names what is wrong and changes nothing."""
    env = sqlite_env
    backup = tmp_path / "good.sqlite3"
    assert said(env, "backup", str(backup)).returncode == 0
    target = tmp_path / "target" / "sanquan.sqlite3"
    target_env = {**env, "SANQUAN_DATABASE_URL": sqlite_url(target)}

    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("not a database" * 100)
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE t (x)")
    newer = tmp_path / "newer.sqlite3"
    shutil.copy(backup, newer)
    with sqlite3.connect(newer) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    damaged = tmp_path / "damaged.sqlite3"
    content = bytearray(backup.read_bytes())
    page = 4096
    content[3 * page : 3 * page + 200] = b"\xff" * 200  # a b-tree page's header overwritten
    damaged.write_bytes(bytes(content))

    for source, words in (
        (tmp_path / "missing.sqlite3", "does not exist"),
        (not_sqlite, "is not an SQLite database"),
        (foreign, "is not a sanquan database"),
        (newer, "which this version of sanquan does not know"),
        (damaged, "is damaged"),
    ):
        refused = said(target_env, "restore", str(source))
        assert refused.returncode == 2, source
        assert words in refused.stderr, refused.stderr
        assert not target.exists(), "a refused restore writes nothing"

    assert said(target_env, "restore", str(backup)).returncode == 0
    again = said(target_env, "restore", str(backup))
    assert again.returncode == 2
    assert "exists; add --force" in again.stderr
    port = free_port()
    server = start(target_env, port)
    try:
        in_use = said(target_env, "restore", str(backup), "--force")
        assert in_use.returncode == 2
        assert "is in use" in in_use.stderr
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
    finally:
        server.terminate()
        server.wait()
    replaced = said(target_env, "restore", str(backup), "--force")
    assert replaced.returncode == 0, replaced.stderr


@pytest.mark.postgresql
def test_postgresql_dump_and_restore_as_the_readme_says(
    postgresql_server: PostgresServer, postgresql_world_template: WorldTemplate, tmp_path: Path
) -> None:
    """``pg_dump -Fc`` of a database being served, ``pg_restore`` into an empty one: the
    copy is at the current schema, holds the same rows and serves them."""
    bindir = find_pg_bindir()
    assert bindir is not None
    dump = tmp_path / "sanquan.dump"
    template = postgresql_world_template
    with (
        fresh_database(postgresql_server, template.database) as live_url,
        fresh_database(postgresql_server) as restored_url,
    ):
        port = free_port()
        server = start(environment(live_url, tmp_path), port)
        try:
            subprocess.run([bindir / "pg_dump", "-Fc", "-f", dump, libpq(live_url)], check=True)
        finally:
            server.terminate()
            server.wait()
        restore: list[str | Path] = [
            bindir / "pg_restore",
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
        ]
        subprocess.run([*restore, "--dbname", libpq(restored_url), dump], check=True)
        copy, live = make_engine(restored_url), make_engine(live_url)
        try:
            assert is_current(copy)
            for table in ("accounts", "api_tokens", "institutions", "plan_tasks"):
                counted = text(f"SELECT count(*) FROM {table}")
                with copy.connect() as restored, live.connect() as original:
                    assert restored.scalar(counted) == original.scalar(counted) > 0, table
        finally:
            copy.dispose()
            live.dispose()
        port = free_port()
        server = start(environment(restored_url, tmp_path), port)
        try:
            body = graphql(port, template.seed.tokens["admin"], "{ viewer { role } }", {})
        finally:
            server.terminate()
            server.wait()
    assert body == {"data": {"viewer": {"role": "ADMIN"}}}


def libpq(url: str) -> str:
    """The URL as PostgreSQL's own tools take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def environment(url: str, directory: Path) -> dict[str, str]:
    return {**os.environ, "SANQUAN_DATABASE_URL": url, "SANQUAN_DATA_DIR": str(directory)}
