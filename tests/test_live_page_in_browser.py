"""The session page during the meeting, in a real browser: while a session is open its
completeness view follows ``Subscription.sessionProgress`` over a WebSocket to the service's
own ``/graphql``. A submission made over HTTP by another client shows on the open page within
2 s; the view says in words whether it is live; it comes back by itself after the socket
drops; it lets go when the reader leaves; a reader the API would refuse opens no socket, and
a refusal shows as words, not a broken page. The ``tab`` fixture fails on any request or
WebSocket leaving 127.0.0.1 and on any console error, and keeps a screenshot of each test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, WebSocket, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from sanquan.auth.tokens import revoke_token
from sanquan.config import sqlite_url
from sanquan.db import make_engine, make_session_factory
from tests.browser import Demo, Tab, demo_served
from tests.data_pages import ROLES, graphql, open_page
from tests.flows import SUBMIT, scores_for
from tests.loopback import served

pytestmark = pytest.mark.engine_independent

OPEN_SESSION = "UmV2aWV3U2Vzc2lvbjoy"
"""Session 2 of the demo: open this quarter; 北京大学 has not evaluated itself yet."""
PKU = "4111010001"
"""北京大学: the demo's INSTITUTION token is its liaison's."""
LIVE = 2_000
"""Milliseconds within which a submission must show on an open page (issue 11)."""

PROGRESS = """query($id: ID!) {
  reviewSession(id: $id) { progress { submitted drafted required canConclude missing } }
}"""


@pytest.fixture
def meeting(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Iterator[Demo]:
    """A copy of the run's demo for this test alone: its scores change."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    with demo_served(shared / "demo", tmp_path) as served:
        yield served


@pytest.fixture
def tab(meeting: Demo, browser: Browser, request: pytest.FixtureRequest) -> Iterator[Tab]:
    """The ``tab`` of ``tests/conftest.py``, opened after the test's demo and so closed
    before it: a live page that saw its service stop would try to reconnect, and say so
    in the console."""
    opened = Tab.open(browser, request.node.name)
    yield opened
    opened.close()


def submit_self_evaluation(demo: Demo) -> None:
    """北京大学's self-evaluation, all 20 indicators, sent over HTTP as its client sends it."""
    data = graphql(
        demo,
        "institution",
        SUBMIT,
        input={
            "sessionId": OPEN_SESSION,
            "institutionCode": PKU,
            "source": "SELF",
            "scores": scores_for("SELF", 80),
        },
    )
    assert data["submitScores"]["userErrors"] == []
    assert data["submitScores"]["changedCount"] == 20


def self_cell(page: Page) -> str:
    return f'#completeness tr[data-code="{PKU}"] td >> nth=0'


def open_live(tab: Tab, demo: Demo, language: str = "zh") -> Page:
    """The open session's page as the commission, once its view is live and showing the
    subscription's first message (the counts only that carries)."""
    page = open_page(tab, demo, "admin", f"sessions/{OPEN_SESSION}", language)
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
    expect(page.locator("#completeness .counts")).to_be_visible()
    return page


def test_a_submission_over_http_shows_on_the_open_page_within_two_seconds(
    tab: Tab, meeting: Demo
) -> None:
    page = open_live(tab, meeting)
    expect(page.locator("#live-state")).to_have_text("实时更新中")
    expect(page.locator(self_cell(page))).to_contain_text("未完整")
    before = graphql(meeting, "admin", PROGRESS, id=OPEN_SESSION)["reviewSession"]["progress"]
    expect(page.locator("#completeness .counts")).to_have_text(
        f"已提交 {before['submitted']} / {before['required']} 项,草稿 {before['drafted']} 项"
    )
    assert any(line.startswith("北京大学:学校自评缺") for line in before["missing"])

    submit_self_evaluation(meeting)

    after = graphql(meeting, "admin", PROGRESS, id=OPEN_SESSION)["reviewSession"]["progress"]
    assert after["submitted"] == before["submitted"] + 20
    expect(page.locator("#completeness .counts")).to_have_text(
        f"已提交 {after['submitted']} / {after['required']} 项,草稿 {after['drafted']} 项",
        timeout=LIVE,
    )
    expect(page.locator(self_cell(page))).to_contain_text("已完整 · 完成 1 / 需要 1")
    shown = [line.strip() for line in page.locator("#completeness .missing li").all_inner_texts()]
    assert shown == after["missing"]
    tab.screenshot("-after-submission")
    assert [socket.url for socket in tab.sockets] == [
        meeting.url.replace("http://", "ws://") + "/graphql"
    ]


def test_the_live_view_comes_back_after_its_socket_drops(tab: Tab, meeting: Demo) -> None:
    page = open_live(tab, meeting)
    indicator = page.locator("#live-state")
    # Every state and text the indicator shows, as it changes: none is missed between polls.
    page.evaluate(
        """() => {
          const indicator = document.querySelector("#live-state");
          window.shown = [];
          new MutationObserver(() =>
            window.shown.push([indicator.dataset.state, indicator.textContent])
          ).observe(indicator, { attributes: true, childList: true, characterData: true });
        }"""
    )
    tab.sockets[0].close(code=1012, reason="service restart")
    expect(indicator).to_have_attribute("data-state", "offline")
    expect(indicator).to_have_attribute("data-state", "live")
    shown = [state for state, _ in page.evaluate("() => window.shown")]
    states = [state for i, state in enumerate(shown) if i == 0 or shown[i - 1] != state]
    assert states == ["offline", "connecting", "live"]
    assert ["offline", "已离线,正在重新连接…"] in page.evaluate("() => window.shown")
    assert len(tab.sockets) == 2, "one reconnection"

    submit_self_evaluation(meeting)
    expect(page.locator(self_cell(page))).to_contain_text("已完整", timeout=LIVE)


def test_a_token_revoked_while_the_page_is_open_is_said_when_the_socket_comes_back(
    tab: Tab, meeting: Demo, tmp_path: Path
) -> None:
    page = open_live(tab, meeting)
    engine = make_engine(sqlite_url(tmp_path / "sanquan.sqlite3"))  # the meeting's database
    with make_session_factory(engine)() as db:
        assert revoke_token(db, meeting.token("admin"))
        db.commit()
    engine.dispose()
    tab.sockets[0].close(code=1012, reason="service restart")
    indicator = page.locator("#live-state")
    expect(indicator).to_have_attribute("data-state", "refused")
    expect(indicator).to_have_text("无法实时更新:访问令牌已失效,请重新登录")
    expect(page.locator("#completeness .counts")).to_be_visible()  # the last progress stays


def test_leaving_the_page_closes_its_socket(tab: Tab, meeting: Demo) -> None:
    opened: list[WebSocket] = []

    def seen(socket: WebSocket) -> None:  # Playwright marks its handlers: no bound methods
        opened.append(socket)

    tab.page.on("websocket", seen)
    page = open_live(tab, meeting)
    [socket] = opened
    with socket.expect_event("close"):
        page.evaluate("() => { window.location.hash = '#/calendar'; }")
    expect(page.locator('#page section[data-page="calendar"] h2')).to_be_visible()
    assert socket.is_closed()
    assert len(tab.sockets) == 1, "no reconnection once left"


def test_the_indicator_speaks_english_with_the_page(tab: Tab, meeting: Demo) -> None:
    page = open_live(tab, meeting, "en")
    expect(page.locator("#live-state")).to_have_text("Live")


@pytest.mark.parametrize("role", [role for role in ROLES if role != "admin"])
def test_a_reader_who_may_not_follow_the_progress_opens_no_socket(
    tab: Tab, meeting: Demo, role: str
) -> None:
    page = open_page(tab, meeting, role, f"sessions/{OPEN_SESSION}")
    expect(page.locator("#completeness-part")).to_contain_text("无权查看评分进度")
    expect(page.locator("#live-state")).to_have_count(0)
    assert page.evaluate("() => typeof window.graphqlWs") == "undefined"
    assert tab.sockets == []


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("zh", "无法实时更新:您无权执行此操作:sessionProgress"),
        ("en", "No live updates: you are not allowed to sessionProgress"),
    ],
)
def test_a_refused_subscription_says_why_in_words(
    tab: Tab, meeting: Demo, language: str, said: str
) -> None:
    """What a reader sees if the service refuses to let them follow (here a viewer, whose
    page would not ask: the test asks on its behalf): the service's reason in the page's
    language (sent in ``connection_init``: the browser's own header says zh-CN here), and
    nothing broken."""
    page = open_page(tab, meeting, "viewer", f"sessions/{OPEN_SESSION}", language)
    page.evaluate(
        """async (id) => {
          const { followCompleteness } = await import("./static/app/pages/completeness.js");
          const indicator = document.createElement("p");
          indicator.id = "refusal";
          const element = document.createElement("div");
          document.querySelector("#completeness-part").append(indicator, element);
          followCompleteness(element, indicator, id);
        }""",
        OPEN_SESSION,
    )
    refusal = page.locator("#refusal")
    expect(refusal).to_have_attribute("data-state", "refused")
    expect(refusal).to_have_text(said)


def another_site(_request: Request) -> HTMLResponse:
    return HTMLResponse("<!doctype html><title>another site</title>")


def test_a_page_of_another_site_gets_no_socket_even_with_a_token(tab: Tab, meeting: Demo) -> None:
    """A page of another origin (another port of 127.0.0.1, serving a page with no policy
    of its own) that holds the admin's token: the service refuses its handshake. Without
    the Origin check, it would get ``connection_ack``."""
    tab.allow(r"WebSocket connection to .* failed")
    with served(Starlette(routes=[Route("/", another_site)])) as other:
        tab.page.goto(other)
        outcome = tab.page.evaluate(
            """([address, token]) => new Promise((resolve) => {
              const socket = new WebSocket(address, "graphql-transport-ws");
              socket.onopen = () => {
                socket.send(JSON.stringify({ type: "connection_init",
                                             payload: { Authorization: `Bearer ${token}` } }));
                socket.onmessage = (event) => resolve(`opened: ${event.data}`);
              };
              socket.onclose = (event) => resolve(`closed ${event.code}`);
            })""",
            [meeting.url.replace("http://", "ws://") + "/graphql", meeting.token("admin")],
        )
    assert outcome == "closed 1006", "refused before the upgrade: no socket, so no code"
    [error] = tab.errors
    assert "Unexpected response code: 403" in error, error
