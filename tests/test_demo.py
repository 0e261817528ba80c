"""The demo as a user finds it through the API: a history of concluded sessions with
findings, overdue rectification items, an adopted rotation for the current cycle and the
units' progress reports for this quarter."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from sanquan.api.ids import global_id
from sanquan.app import create_app
from sanquan.config import Settings
from sanquan.plugins.host import PluginHost
from sanquan.timeutil import current_quarter
from tests.conftest import Api

HISTORY = """
{ reviewSessions(first: 50) { totalCount edges { node {
    id quarter status institutions { name } results { rank } } } } }
"""


@pytest.fixture
def api(
    demo_tokens: dict[str, str], settings: Settings, host: PluginHost
) -> Iterator[dict[str, Api]]:
    """A client for each printed token, by role."""
    with TestClient(create_app(settings, host)) as client:
        yield {
            name.removeprefix("SANQUAN_").removesuffix("_TOKEN"): Api(client, token)
            for name, token in demo_tokens.items()
        }


def test_demo_has_a_year_of_concluded_sessions_and_this_quarters_open_one(
    api: dict[str, Api],
) -> None:
    sessions = [e["node"] for e in api["VIEWER"](HISTORY)["reviewSessions"]["edges"]]
    now = current_quarter()
    concluded = [s for s in sessions if s["status"] == "CONCLUDED"]
    assert sorted({s["quarter"] for s in concluded}) == [str(now.plus(-n)) for n in (4, 3, 2, 1)]
    assert len(concluded) == 5
    assert all(1 in {r["rank"] for r in s["results"]} for s in concluded)
    [first] = [s for s in sessions if s["id"] == global_id("ReviewSession", 1)]
    assert (first["quarter"], first["status"]) == (str(now.plus(-1)), "CONCLUDED")
    [second] = [s for s in sessions if s["id"] == global_id("ReviewSession", 2)]
    assert (second["quarter"], second["status"]) == (str(now), "OPEN")
    assert "北京大学" in {i["name"] for i in second["institutions"]}


def test_demo_has_the_current_cycle_adopted_for_every_school(api: dict[str, Api]) -> None:
    now = current_quarter()
    cycle = api["VIEWER"](
        "query($q: Quarter!) { rotation(start: $q) { unscheduled { code } "
        "quarters { quarter sessions { id status institutions { code } } } } }",
        {"q": str(now)},
    )["rotation"]
    assert cycle["unscheduled"] == []
    sessions = [s for q in cycle["quarters"] for s in q["sessions"]]
    assert len(sessions) == 24
    assert sum(len(s["institutions"]) for s in sessions) == 92
    assert {s["status"] for s in sessions} == {"OPEN", "DRAFT"}


def test_demo_has_overdue_rectification_items_some_progress_and_highlights(
    api: dict[str, Api],
) -> None:
    items = api["ADMIN"](
        "{ rectificationItems(first: 100) { edges { node { status overdue dueQuarter } } } }"
    )["rectificationItems"]["edges"]
    statuses = {e["node"]["status"] for e in items}
    assert statuses == {"OPEN", "IN_PROGRESS", "DONE", "VERIFIED"}
    overdue = api["VIEWER"](
        "{ rectificationItems(overdue: true) { totalCount edges { node { overdue } } } }"
    )["rectificationItems"]
    assert overdue["totalCount"] >= 5
    assert all(e["node"]["overdue"] for e in overdue["edges"])


def test_demo_units_have_reported_this_quarter(api: dict[str, Api]) -> None:
    plans = api["VIEWER"](
        "query($q: Quarter!) { plans { key tasks { number } tasksWithoutReport(quarter: $q) "
        "{ number } } }",
        {"q": str(current_quarter())},
    )["plans"]
    [municipal] = [p for p in plans if p["key"] == "jingjiaozufa-2019-3"]
    assert len(municipal["tasks"]) == 20
    assert len(municipal["tasksWithoutReport"]) < 5
