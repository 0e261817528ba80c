"""The dashboard's data pages in a real browser on the demo, for every role: each page
loads, shows the numbers the API gives that role, says what the role may not read instead of
breaking, and keeps to the service (the ``tab`` fixture fails on an outside request or a
console error, and keeps a screenshot of every page under ``tests/artefacts/browser/``)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser import Demo, Tab
from tests.data_pages import (
    ROLES,
    beijing,
    current_quarter,
    graphql,
    open_page,
    shown,
    texts,
)

pytestmark = pytest.mark.engine_independent

STATUS = {"DRAFT": "计划中", "OPEN": "进行中", "CONCLUDED": "已结束"}
CONCLUDED_SESSION = "UmV2aWV3U2Vzc2lvbjox"
"""Session 1 of the demo: concluded last quarter, five schools, findings raised."""
OPEN_SESSION = "UmV2aWV3U2Vzc2lvbjoy"
"""Session 2: open this quarter, partly scored."""
OVERDUE_SCHOOL = "4111010004"
"""北京交通大学: reviewed in the previous cycle, two rectification items overdue."""


def codes_marked(page: Page, selector: str) -> set[str]:
    found: list[str] = page.eval_on_selector_all(
        selector, "elements => elements.map(e => e.dataset.code)"
    )
    return set(found)


# The rotation calendar ---------------------------------------------------------------------

CALENDAR = """query($start: Quarter!) {
  rotation(start: $start) {
    start end unscheduled { code }
    quarters { quarter sessions { id status institutions { code name } } }
  }
  overdueInstitutions { institution { code } }
  rectificationItems(overdue: true, first: 200) { nodes { institution { code } } }
}"""


@pytest.mark.parametrize("role", ROLES)
def test_the_calendar_shows_each_quarters_sessions_schools_and_status_as_the_api(
    tab: Tab, demo: Demo, role: str
) -> None:
    start = current_quarter()
    page = open_page(tab, demo, role, "calendar")
    data = graphql(demo, role, CALENDAR, start=start)
    rotation = data["rotation"]
    expect(page.locator("#page h2")).to_have_text(
        f"轮换日历 {rotation['start']} 至 {rotation['end']}"
    )
    expect(page.locator("#cycle")).to_have_value(start)

    sessions = [s for q in rotation["quarters"] for s in q["sessions"]]
    schools = {i["code"] for s in sessions for i in s["institutions"]}
    expect(page.locator("#calendar-summary")).to_have_text(
        f"本周期 {len(sessions)} 场点评工作会,{len(schools)} 所高校;"
        f"未排入本周期的在用高校 {len(rotation['unscheduled'])} 所。"
    )
    for quarter in rotation["quarters"]:
        cards = page.locator(f'.quarter[data-quarter="{quarter["quarter"]}"] .session-card')
        expect(cards).to_have_count(len(quarter["sessions"]))
    statuses = page.eval_on_selector_all(
        ".session-card",
        "cards => cards.map(c => [c.dataset.session, c.querySelector('.badge').textContent,"
        " [...c.querySelectorAll('li a')].map(a => a.textContent)])",
    )
    assert statuses == [
        [s["id"], STATUS[s["status"]], [i["name"] for i in s["institutions"]]] for s in sessions
    ]
    assert {s["status"] for s in sessions} >= {"OPEN", "DRAFT"}, "the demo's cycle"

    late = {entry["institution"]["code"] for entry in data["overdueInstitutions"]}
    assert codes_marked(page, "li[data-code]:has(.mark.reviewOverdue)") == late & schools
    items = data["rectificationItems"]
    if items is None:
        expect(page.locator(".notes")).to_contain_text("您的角色无权查看整改事项")
        assert codes_marked(page, "li[data-code]:has(.mark.itemsOverdue)") == set()
    else:
        overdue = {item["institution"]["code"] for item in items["nodes"]}
        assert codes_marked(page, "li[data-code]:has(.mark.itemsOverdue)") == overdue & schools
        if role in ("admin", "viewer"):
            assert overdue & schools, "the demo's overdue schools come round in this cycle"
        if role == "institution":
            expect(page.locator(".notes")).to_contain_text("只含本校")


def test_the_cycle_picker_goes_to_the_previous_cycle_and_its_concluded_sessions(
    tab: Tab, demo: Demo
) -> None:
    page = open_page(tab, demo, "viewer", "calendar")
    page.get_by_role("button", name="上一周期").click()
    start = page.locator("#cycle").input_value()
    data = graphql(demo, "viewer", CALENDAR, start=start)
    expect(page.locator("#page h2")).to_have_text(f"轮换日历 {start} 至 {data['rotation']['end']}")
    concluded = [
        s for q in data["rotation"]["quarters"] for s in q["sessions"] if s["status"] == "CONCLUDED"
    ]
    assert concluded, "the demo's history lies in the previous cycle"
    expect(page.locator(".session-card.status-concluded")).to_have_count(len(concluded))
    page.locator(".session-card.status-concluded li a").first.click()
    expect(page.locator('#page section[data-page="institutions"] h2')).to_have_text(
        concluded[0]["institutions"][0]["name"]
    )


# Institutions ------------------------------------------------------------------------------

INSTITUTION = """query($code: String!) {
  institutionReviews(code: $code) {
    lastReview { quarter } nextReview { quarter status }
    sessions { id quarter results { institution { code } rank overallIndex } }
  }
  rectificationItems(institutionCode: $code, first: 200) {
    nodes { id title status overdue notes { writtenAt } }
  }
}"""


def school_of(demo: Demo, role: str) -> str:
    """The school whose page the role opens: a school its own, the others one with
    overdue items."""
    if role != "institution":
        return OVERDUE_SCHOOL
    viewer = graphql(demo, role, "{ viewer { institution { code } } }")["viewer"]
    code: str = viewer["institution"]["code"]
    return code


@pytest.mark.parametrize("role", ROLES)
def test_an_institutions_page_shows_its_reviews_and_open_items_as_the_api(
    tab: Tab, demo: Demo, role: str
) -> None:
    code = school_of(demo, role)
    page = open_page(tab, demo, role, f"institutions/{code}")
    data = graphql(demo, role, INSTITUTION, code=code)
    reviews = data["institutionReviews"]
    last, coming = reviews["lastReview"], reviews["nextReview"]
    expect(page.locator("#last-review")).to_have_text(last["quarter"] if last else "尚未点评")
    expect(page.locator("#next-review")).to_have_text(
        f"{coming['quarter']} {STATUS[coming['status']]}" if coming else "尚未排期"
    )
    history = []
    for session in reviews["sessions"]:
        mine = [r for r in session["results"] or [] if r["institution"]["code"] == code]
        rank = f"{mine[0]['rank']} / {len(session['results'])}" if mine else "—"
        history.append([session["quarter"], rank, shown(mine[0]["overallIndex"] if mine else None)])
    rows = page.locator("#page table.data").first.locator("tbody tr")
    expect(rows).to_have_count(len(history))
    assert [
        [cells[0], cells[3], cells[4]] for cells in (r.split("\t") for r in rows.all_inner_texts())
    ] == history

    items = data["rectificationItems"]
    if items is None:
        expect(page.locator("#items")).to_contain_text("您的角色无权查看这所高校的整改事项")
        return
    nodes = items["nodes"]
    still_open = [i for i in nodes if i["status"] in ("OPEN", "IN_PROGRESS")]
    overdue = [i for i in still_open if i["overdue"]]
    expect(page.locator("#items-summary")).to_have_text(
        f"未完成 {len(still_open)} 项,其中逾期 {len(overdue)} 项;"
        f"已整改待核验 {sum(i['status'] == 'DONE' for i in nodes)} 项;"
        f"已核验 {sum(i['status'] == 'VERIFIED' for i in nodes)} 项。"
    )
    expect(page.locator("#open-items tbody tr")).to_have_count(len(still_open))
    expect(page.locator('#open-items tr[data-overdue="true"] .mark')).to_have_count(len(overdue))
    if role != "institution":
        assert overdue, "the demo's school has overdue items"
    for item in nodes:
        if item["notes"]:
            row = page.locator(f'tr[data-item="{item["id"]}"]')
            expect(row).to_contain_text(beijing(item["notes"][-1]["writtenAt"]))


def test_the_institution_list_searches_and_pages(tab: Tab, demo: Demo) -> None:
    page = open_page(tab, demo, "institution", "institutions")
    listed = graphql(demo, "viewer", "{ institutions { totalCount nodes { code } } }")
    expect(page.locator("#institution-count")).to_have_text(
        f"共 {listed['institutions']['totalCount']} 条"
    )
    expect(page.locator("#page tbody tr")).to_have_count(len(listed["institutions"]["nodes"]))
    expect(page.locator("#page p").first).to_contain_text("本校: 北京大学")
    page.locator("#search").fill("师范")
    page.get_by_role("button", name="搜索").click()
    found = graphql(demo, "viewer", '{ institutions(search: "师范") { nodes { name } } }')
    names = [i["name"] for i in found["institutions"]["nodes"]]
    expect(page.locator("#page tbody tr")).to_have_count(len(names))
    assert texts(page, "#page tbody tr td:first-child") == names
