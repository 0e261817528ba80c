"""The dashboard and GraphiQL as a reader meets them, in a real browser on the demo: they
load from the service alone (any request to another host fails the test), with no console
error, sign-in by token works and fails clearly, the token stays in the tab, the English
switch sticks, times are Beijing's, charts draw under the page policy, and a page prints on
A4 landscape."""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser import ARTEFACTS, Demo, Tab

pytestmark = pytest.mark.engine_independent

REFUSED = r"status of 401"
"""Chromium's console line for a refused token's answer: expected where a test sends one."""


def viewer_of(demo: Demo, token: str) -> dict[str, str]:
    """What the API says of the token's account: the page must show the same."""
    answer = httpx.post(
        f"{demo.url}/graphql",
        json={"query": "{ viewer { name role } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    viewer: dict[str, str] = answer.json()["data"]["viewer"]
    return viewer


def sign_in(page: Page, demo: Demo, token: str) -> None:
    page.goto(f"{demo.url}/")
    page.locator("#token").fill(token)
    page.locator("#sign-in-form button[type=submit]").click()


def session_storage(page: Page) -> dict[str, str]:
    stored: dict[str, str] = page.evaluate("() => ({ ...sessionStorage })")
    return stored


def test_graphiql_renders_offline_and_runs_a_query_with_a_pasted_token(
    tab: Tab, demo: Demo
) -> None:
    page = tab.page
    page.goto(f"{demo.url}/graphql")
    response = page.locator(".graphiql-response")
    expect(page.locator(".graphiql-query-editor .CodeMirror")).to_be_visible()
    expect(response).to_contain_text("Paste your token")
    tab.screenshot("-before")

    token = demo.token("viewer")
    page.locator(".graphiql-editor-tool .CodeMirror >> visible=true").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(json.dumps({"Authorization": f"Bearer {token}"}))
    page.locator(".graphiql-query-editor .CodeMirror").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text("{ viewer { name role } }")
    page.locator(".graphiql-execute-button").click()

    viewer = viewer_of(demo, token)
    expect(response).to_contain_text(viewer["name"])
    expect(response).to_contain_text('"role": "VIEWER"')
    kept = page.evaluate("() => JSON.stringify({ ...localStorage })")
    assert token not in kept, "pasted headers are not kept in localStorage"


def test_sign_in_with_a_demo_token_shows_the_viewer_and_every_page(tab: Tab, demo: Demo) -> None:
    page = tab.page
    page.goto(f"{demo.url}/")
    expect(page.locator("#sign-in")).to_be_visible()
    expect(page.locator("#signed-in")).to_be_hidden()
    tab.screenshot("-form")

    token = demo.token("admin")
    sign_in(page, demo, f"  Bearer {token} ")  # pasted with its scheme and blanks
    viewer = viewer_of(demo, token)
    expect(page.locator("#viewer-name")).to_have_text(viewer["name"])
    expect(page.locator("#viewer-role")).to_have_text("市委教育工委工作人员")
    expect(page.locator("#sign-in")).to_be_hidden()
    assert session_storage(page)["sanquan.token"] == token
    assert page.evaluate("() => document.cookie") == "", "no cookie: nothing for CSRF to ride"
    assert token not in page.evaluate("() => JSON.stringify({ ...localStorage })")

    signed_in = page.locator("#signed-in-at")
    instant = datetime.fromisoformat(signed_in.get_attribute("datetime") or "")
    beijing = instant.astimezone(ZoneInfo("Asia/Shanghai"))
    expect(signed_in).to_have_text(beijing.strftime("%Y-%m-%d %H:%M"))

    links = page.locator("nav a")
    expect(links).to_have_count(5)
    for index in range(1, 5):
        link = links.nth(index)
        link.click()
        target = (link.get_attribute("href") or "").removeprefix("#/")
        expect(page.locator(f'#page section[data-page="{target}"] h2')).to_be_visible()
        expect(link).to_have_attribute("aria-current", "page")
        tab.screenshot(f"-{target}")

    page.reload()
    expect(page.locator("#viewer-name")).to_have_text(viewer["name"])


def test_a_wrong_token_says_so(tab: Tab, demo: Demo) -> None:
    tab.allow(REFUSED)
    page = tab.page
    sign_in(page, demo, "sq_not-a-token")
    expect(page.locator("#sign-in-message .error")).to_contain_text("令牌无效")
    expect(page.locator("#signed-in")).to_be_hidden()
    expect(page.locator("nav a")).to_have_count(0)
    assert session_storage(page) == {}

    page.locator("#token").fill("")
    page.locator("#sign-in-form button[type=submit]").click()
    expect(page.locator("#sign-in-message .error")).to_have_text("请输入访问令牌。")


def test_a_token_gone_stale_in_the_tab_returns_to_sign_in_with_a_reason(
    tab: Tab, demo: Demo
) -> None:
    tab.allow(REFUSED)
    page = tab.page
    sign_in(page, demo, demo.token("viewer"))
    expect(page.locator("#viewer-name")).to_be_visible()
    page.evaluate("() => sessionStorage.setItem('sanquan.token', 'sq_revoked')")
    page.reload()
    expect(page.locator("#sign-in-message .error")).to_have_text("登录已失效,请重新登录。")
    assert session_storage(page) == {}


def test_sign_out_clears_session_storage(tab: Tab, demo: Demo) -> None:
    page = tab.page
    sign_in(page, demo, demo.token("viewer"))
    expect(page.locator("#viewer-role")).to_have_text("只读用户")
    page.locator("#sign-out").click()
    expect(page.locator("#sign-in")).to_be_visible()
    expect(page.locator("#sign-in-message")).to_have_text("已退出登录。")
    expect(page.locator("nav a")).to_have_count(0)
    assert session_storage(page) == {}
    page.reload()
    expect(page.locator("#sign-in")).to_be_visible()


def test_the_english_switch_works_and_is_kept(tab: Tab, demo: Demo) -> None:
    page = tab.page
    sign_in(page, demo, demo.token("viewer"))
    expect(page.locator("h1")).to_have_text("三全育人督导评估")
    page.locator("#language").click()
    expect(page.locator("h1")).to_have_text("Sanquan Yuren Reviews")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#viewer-role")).to_have_text("Viewer")
    expect(page.locator("nav a").nth(1)).to_have_text("Rotation calendar")
    expect(page.locator("#sign-out")).to_have_text("Sign out")
    assert page.evaluate("() => localStorage.getItem('sanquan.language')") == "en"

    page.reload()
    expect(page.locator("#page h2")).to_have_text("Welcome")
    tab.screenshot("-en")
    page.locator("#language").click()
    expect(page.locator("#page h2")).to_have_text("欢迎")


def test_a_chart_draws_offline_under_the_page_policy(tab: Tab, demo: Demo) -> None:
    """ECharts, vendored, loaded on first use, labelled in Chinese, its tooltip shown: the
    page policy lets it style what it draws, and the console stays clean."""
    page = tab.page
    sign_in(page, demo, demo.token("viewer"))
    expect(page.locator("#viewer-name")).to_be_visible()
    page.evaluate(
        """async () => {
          const { chart } = await import("./static/app/charts.js");
          const box = Object.assign(document.createElement("div"), { id: "trial" });
          box.className = "chart";
          document.querySelector("#page section").append(box);
          await chart(box, {
            tooltip: { trigger: "axis" },
            xAxis: { type: "category", data: ["北京大学", "清华大学", "中国人民大学"] },
            yAxis: { type: "value" },
            series: [{ type: "bar", data: [88.5, 91.2, 86.0] }],
          });
        }"""
    )
    drawn = page.locator("#trial svg")
    expect(drawn).to_be_visible()
    expect(drawn).to_contain_text("清华大学")
    box = page.locator("#trial").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#trial")).to_contain_text("91.2")


def test_a_page_prints_on_a4_landscape_without_its_controls(tab: Tab, demo: Demo) -> None:
    page = tab.page
    sign_in(page, demo, demo.token("viewer"))
    expect(page.locator("#viewer-name")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("nav")).to_be_hidden()
    expect(page.locator("#language")).to_be_hidden()
    expect(page.locator("h1")).to_be_visible()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    pdf = page.pdf(prefer_css_page_size=True, path=ARTEFACTS / "print.pdf")
    found = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert found
    width, height = float(found[1]), float(found[2])
    assert (round(width), round(height)) == (842, 595), "A4 landscape, in points"
