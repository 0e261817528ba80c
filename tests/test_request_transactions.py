"""Each request's database work: one connection from the pool and one transaction, the
token's lookup included; and how many requests run at once on each engine.

Why: on PostgreSQL every pool checkout is a ping and every transaction a ``BEGIN`` and an
end, each a round trip during which the request holds its worker thread. Ending the token
lookup's transaction on its own cost three round trips a request, and with four threads one
process at 50 users queued behind them (``bench/RESULTS.md``, "PostgreSQL, one process").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, event

from sanquan.config import (
    POSTGRESQL_THREADS,
    SQLITE_THREADS,
    SettingError,
    Settings,
    default_execution_threads,
)
from tests.conftest import World
from tests.flows import open_session, scores_for, submit

OWN_SCORES = """query($id: ID!) { reviewSession(id: $id) {
  scores(institutionCode: "4111010001", source: SELF, first: 50) { totalCount } } }"""


@dataclass
class Traffic:
    """What one engine's connections did while it was watched."""

    checkouts: int = 0
    begins: int = 0
    commits: int = 0
    rollbacks: int = 0


@contextmanager
def watched(engine: Engine) -> Iterator[Traffic]:
    seen = Traffic()

    def count(name: str) -> Any:
        def counted(*_args: Any) -> None:
            setattr(seen, name, getattr(seen, name) + 1)

        return counted

    listeners = [
        (engine.pool, "checkout", count("checkouts")),
        (engine, "begin", count("begins")),
        (engine, "commit", count("commits")),
        (engine, "rollback", count("rollbacks")),
    ]
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    try:
        yield seen
    finally:
        for target, name, listener in listeners:
            event.remove(target, name, listener)


def test_a_query_and_a_submission_each_use_one_connection_and_one_transaction(
    world: World,
) -> None:
    session_id = open_session(world, ["4111010001", "4111010002", "4111010003"])
    engine: Engine = world.client.app.state.engine  # type: ignore[attr-defined]
    school = world.api("pku")

    with watched(engine) as query:
        found = school(OWN_SCORES, {"id": session_id})
    assert found["reviewSession"]["scores"]["totalCount"] == 0
    assert (query.checkouts, query.begins, query.commits) == (1, 1, 0)

    with watched(engine) as submission:
        payload = submit(school, session_id, "pku", "SELF", scores_for("SELF", 80))
    assert payload["userErrors"] == [] and payload["changedCount"] == 20
    assert (submission.checkouts, submission.begins, submission.commits) == (1, 1, 1)
    assert submission.rollbacks == 0

    with watched(engine) as again:
        found = school(OWN_SCORES, {"id": session_id})
    assert found["reviewSession"]["scores"]["totalCount"] == 20, "the submission was kept"
    assert (again.checkouts, again.begins) == (1, 1)


def test_a_refused_token_still_costs_one_connection_and_changes_nothing(world: World) -> None:
    engine: Engine = world.client.app.state.engine  # type: ignore[attr-defined]
    with watched(engine) as refused:
        response = world.anonymous().post("{ viewer { id } }")
    assert response.status_code == 401
    world.client.headers["Authorization"] = "Bearer not-a-token"
    try:
        with watched(engine) as forged:
            response = world.client.post("/graphql", json={"query": "{ viewer { id } }"})
    finally:
        del world.client.headers["Authorization"]
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (refused.checkouts, refused.commits) == (0, 0), "no token, no database"
    assert (forged.checkouts, forged.begins, forged.commits) == (1, 1, 0)


@pytest.mark.engine_independent
@pytest.mark.parametrize(
    ("url", "threads"),
    [
        ("sqlite:///var/sanquan.sqlite3", SQLITE_THREADS),
        ("postgresql+psycopg://reviewer@127.0.0.1/sanquan", POSTGRESQL_THREADS),
    ],
)
def test_each_engine_has_its_default_number_of_execution_threads(
    url: str, threads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert default_execution_threads(url) == threads
    assert Settings(database_url=url).execution_threads == threads
    monkeypatch.setenv("SANQUAN_DATABASE_URL", url)
    monkeypatch.delenv("SANQUAN_EXECUTION_THREADS", raising=False)
    assert Settings.from_env().execution_threads == threads
    monkeypatch.setenv("SANQUAN_EXECUTION_THREADS", "6")
    assert Settings.from_env().execution_threads == 6
    assert Settings(database_url=url, execution_threads=3).execution_threads == 3


@pytest.mark.engine_independent
@pytest.mark.parametrize("raw", ["many", "0", "-3"])
def test_a_wrong_number_of_threads_is_refused_by_name(
    raw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SANQUAN_EXECUTION_THREADS", raw)
    with pytest.raises(SettingError) as refused:
        Settings.from_env()
    assert refused.value.name == "SANQUAN_EXECUTION_THREADS"
    assert raw in refused.value.message("en")
    assert "SANQUAN_EXECUTION_THREADS" in refused.value.message("zh")
