"""The dashboard's data pages in a real browser on the demo, for every role: each page
loads, shows the numbers the API gives that role, says what the role may not read instead of
breaking, and keeps to the service (the ``tab`` fixture fails on an outside request or a
console error, and keeps a screenshot of every page under ``tests/artefacts/browser/``)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser import ARTEFACTS, Demo, Tab
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


# Review sessions ---------------------------------------------------------------------------

SESSIONS = """query($status: SessionStatus, $first: Int, $after: String) {
  reviewSessions(status: $status, first: $first, after: $after) {
    totalCount pageInfo { endCursor }
    nodes { id quarter status institutions { name } }
  }
}"""


@pytest.mark.parametrize("role", ROLES)
def test_the_sessions_list_pages_through_the_api_list(tab: Tab, demo: Demo, role: str) -> None:
    page = open_page(tab, demo, role, "sessions")
    first = graphql(demo, role, SESSIONS, first=20)["reviewSessions"]
    expect(page.locator("#session-count")).to_have_text(f"共 {first['totalCount']} 条")
    expect(page.locator("#session-list tbody tr")).to_have_count(len(first["nodes"]))
    rows = page.eval_on_selector_all(
        "#session-list tbody tr", "rows => rows.map(r => r.dataset.session)"
    )
    assert rows == [s["id"] for s in first["nodes"]]

    page.get_by_role("button", name="下一页").click()
    second = graphql(demo, role, SESSIONS, first=20, after=first["pageInfo"]["endCursor"])
    expect(page.locator("#session-list tbody tr")).to_have_count(
        len(second["reviewSessions"]["nodes"])
    )
    page.get_by_role("button", name="上一页").click()
    expect(page.locator("#session-list tbody tr")).to_have_count(len(first["nodes"]))

    page.locator("#status").select_option("CONCLUDED")
    concluded = graphql(demo, role, SESSIONS, status="CONCLUDED", first=20)["reviewSessions"]
    expect(page.locator("#session-count")).to_have_text(f"共 {concluded['totalCount']} 条")
    expect(page.locator("#session-list tbody tr")).to_have_count(len(concluded["nodes"]))


SESSION = """query($id: ID!) {
  reviewSession(id: $id) {
    status
    indicatorSet { dimensions { code indicators { code weight } } }
    panel { name }
    missingEvaluations
    scores(first: 0) { totalCount }
    results {
      institution { code name } overallIndex rank
      indicators { indicator combined }
    }
    diagnostics { institution { code } meanSelfGap highlights { indicator } }
    findings(first: 100) { totalCount nodes { id title } }
  }
}"""


def dimension_scores(result: dict[str, Any], dimensions: list[dict[str, Any]]) -> list[float]:
    """Each dimension's indicator-weighted mean of combined values, as the page computes."""
    combined = {i["indicator"]: i["combined"] for i in result["indicators"]}
    scores = []
    for dimension in dimensions:
        pairs = [
            (i["weight"], combined[i["code"]])
            for i in dimension["indicators"]
            if combined.get(i["code"]) is not None
        ]
        scores.append(sum(w * v for w, v in pairs) / sum(w for w, _ in pairs))
    return scores


@pytest.mark.parametrize("role", ROLES)
def test_a_concluded_sessions_page_shows_the_results_the_api_gives_the_role(
    tab: Tab, demo: Demo, role: str
) -> None:
    page = open_page(tab, demo, role, f"sessions/{CONCLUDED_SESSION}")
    session = graphql(demo, role, SESSION, id=CONCLUDED_SESSION)["reviewSession"]
    results = sorted(session["results"], key=lambda r: r["rank"])
    dimensions = session["indicatorSet"]["dimensions"]
    gaps = {d["institution"]["code"]: d["meanSelfGap"] for d in session["diagnostics"]}

    rows = page.locator("#results table").first.locator("tbody tr")
    expect(rows).to_have_count(len(results))
    shown_rows = [row.split("\t") for row in rows.all_inner_texts()]
    assert shown_rows == [
        [
            str(r["rank"]),
            r["institution"]["name"],
            shown(r["overallIndex"]),
            *[shown(v) for v in dimension_scores(r, dimensions)],
            shown(gaps[r["institution"]["code"]]),
        ]
        for r in results
    ]
    overall = page.locator("#chart-overall svg")
    expect(overall).to_be_visible()
    for result in results:
        expect(overall).to_contain_text(shown(result["overallIndex"]))
        expect(page.locator("#chart-gap svg")).to_contain_text(
            shown(gaps[result["institution"]["code"]])
        )
    expect(page.locator("#chart-dimensions svg")).to_contain_text("D1")
    indicator_rows = page.locator("#results table").nth(1).locator("tbody tr")
    expect(indicator_rows).to_have_count(len(results[0]["indicators"]))
    first_indicator = indicator_rows.first.locator("td.number").all_inner_texts()
    assert first_indicator == [shown(r["indicators"][0]["combined"]) for r in results]
    expect(page.locator("#diagnostics tbody tr")).to_have_count(len(session["diagnostics"]))

    if session["panel"] is None:
        expect(page.locator("#panel-part")).to_contain_text("您的角色无权查看专家组名单")
    else:
        assert texts(page, "#panel li") == [expert["name"] for expert in session["panel"]]
    if session["missingEvaluations"] is None:
        expect(page.locator("#completeness-part")).to_contain_text("无权查看评分进度")
    else:
        expect(page.locator("#completeness")).to_contain_text("本次点评已结束")
    findings = session["findings"]
    if findings is None:
        expect(page.locator("#findings")).to_contain_text("无权查看本次点评的发现")
    elif findings["totalCount"]:
        assert texts(page, "#findings tbody tr td:nth-child(3)") == [
            f["title"] for f in findings["nodes"]
        ]
    else:
        expect(page.locator("#findings")).to_contain_text("本次点评没有可查看的发现")
    expect(page.locator('#exports .export[data-kind="SESSION_RESULTS"]')).to_be_visible()
    score_sheet = page.locator('#exports .export[data-kind="SCORE_SHEET"]')
    if session["scores"] is None:
        expect(score_sheet).to_have_count(0)
        expect(page.locator("#exports")).to_contain_text("无权查看评分表")
    else:
        expect(score_sheet).to_be_visible()


def test_an_open_sessions_page_lists_what_keeps_it_from_concluding(tab: Tab, demo: Demo) -> None:
    page = open_page(tab, demo, "admin", f"sessions/{OPEN_SESSION}")
    session = graphql(demo, "admin", SESSION, id=OPEN_SESSION)["reviewSession"]
    assert session["status"] == "OPEN" and session["missingEvaluations"]
    expect(page.locator("#completeness .summary")).to_have_text(
        f"尚缺以下评价,暂不能结束本次点评({len(session['missingEvaluations'])} 项):"
    )
    assert texts(page, "#completeness .missing li") == session["missingEvaluations"]
    expect(page.locator("#results")).to_contain_text("点评结束后公布结果")
    expect(page.locator("#exports")).to_contain_text("点评结果在点评结束后可导出")


def test_the_completeness_view_takes_the_live_progress_shape(tab: Tab, demo: Demo) -> None:
    """The seam the live view feeds: ``renderCompleteness`` draws a ``SessionProgress``
    (institutions × sources × reviewers) and redraws it when given the next one."""
    page = open_page(tab, demo, "admin", f"sessions/{OPEN_SESSION}")
    # The live view's first message drawn, nothing more comes: this test's drawings stay.
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
    expect(page.locator("#completeness .counts")).to_be_visible()
    reviewer = {"submitted": 20, "drafted": 0, "required": 20, "complete": True}
    progress = {
        "status": "OPEN",
        "canConclude": False,
        "missing": ["首都医科大学:学校自评缺 20 项指标"],
        "submitted": 40,
        "drafted": 0,
        "required": 60,
        "institutions": [
            {
                "institution": {"code": "4111010001", "name": "北京大学"},
                "complete": False,
                "sources": [
                    {
                        "source": "SELF",
                        "complete": True,
                        "reviewersComplete": 1,
                        "reviewersNeeded": 1,
                        "reviewers": [{**reviewer, "reviewerInstitution": {"name": "北京大学"}}],
                    },
                    {
                        "source": "EXPERT",
                        "complete": False,
                        "reviewersComplete": 1,
                        "reviewersNeeded": 5,
                        "reviewers": [{**reviewer, "reviewerExpert": {"name": "王建国(专家)"}}],
                    },
                ],
            }
        ],
    }
    draw = """async (progress) => {
      const { renderCompleteness } = await import("./static/app/pages/completeness.js");
      renderCompleteness(document.querySelector("#completeness"), progress);
    }"""
    page.evaluate(draw, progress)
    completeness = page.locator("#completeness")
    expect(completeness.locator(".counts")).to_have_text("已提交 40 / 60 项,草稿 0 项")
    expect(completeness.locator('tr[data-code="4111010001"] td').nth(1)).to_contain_text(
        "未完整 · 完成 1 / 需要 5"
    )
    expect(completeness.locator(".reviewers li").nth(1)).to_have_text("王建国(专家): 20/20")
    page.evaluate(draw, {**progress, "status": "CONCLUDED", "missing": [], "institutions": None})
    expect(completeness).to_contain_text("本次点评已结束")
    expect(completeness.locator("table")).to_have_count(0)


def test_the_results_export_downloads_the_file_the_api_names(tab: Tab, demo: Demo) -> None:
    page = open_page(tab, demo, "viewer", f"sessions/{CONCLUDED_SESSION}")
    with page.expect_download() as download:
        page.locator('.export[data-kind="SESSION_RESULTS"] button[data-format="CSV"]').click()
    name = download.value.suggested_filename
    assert re.fullmatch(r"点评结果_点评会1_\d{4}Q[1-4]\.csv", name), name
    expect(page.locator('.export[data-kind="SESSION_RESULTS"] .export-status')).to_contain_text(
        name
    )
    path = download.value.path()
    assert "清华大学" in path.read_text(encoding="utf-8-sig")


def test_the_session_page_prints_as_an_a4_landscape_handout(tab: Tab, demo: Demo) -> None:
    page = open_page(tab, demo, "admin", f"sessions/{CONCLUDED_SESSION}")
    expect(page.locator("#chart-overall svg")).to_be_visible()
    page.emulate_media(media="print")
    for hidden in ("nav", "#language", "#exports .export", ".controls"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.locator("#results table").first).to_be_visible()
    expect(page.locator("#chart-overall svg")).to_be_visible()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    pdf = page.pdf(prefer_css_page_size=True, path=ARTEFACTS / "session-handout.pdf")
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert boxes and {(round(float(w)), round(float(h))) for w, h in boxes} == {(842, 595)}


def test_the_session_page_reads_in_english(tab: Tab, demo: Demo) -> None:
    page = open_page(tab, demo, "viewer", f"sessions/{CONCLUDED_SESSION}", language="en")
    expect(page.locator("#results h3")).to_have_text("Results")
    expect(page.locator("#results th").nth(2)).to_have_text("Overall index")
    expect(page.locator(".facts .badge")).to_have_text("Concluded")
    expect(page.locator("#panel-part")).to_contain_text("Your role may not read the expert panel.")


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


# Responsibility tables ---------------------------------------------------------------------

TABLES = """query($quarter: Quarter!) {
  plans {
    key
    tasks {
      number
      assignments { lead unit { id name } }
      progress(quarter: $quarter) { unit { id } status text }
    }
    tasksWithoutReport(quarter: $quarter) { number }
  }
}"""

PROGRESS = {"ON_TRACK": "按计划推进", "BEHIND": "进度滞后", "DONE": "已完成"}


def table_rows(plan: dict[str, Any], unit: str | None = None) -> list[list[str]]:
    """Each task's units, lead first, with the quarter's report or 未报告, as the page lists
    them: task number, unit, lead or not, status and text."""
    rows = []
    for task in plan["tasks"]:
        for assignment in task["assignments"]:
            if unit and assignment["unit"]["name"] != unit:
                continue
            report = [p for p in task["progress"] if p["unit"]["id"] == assignment["unit"]["id"]]
            progress = (
                f"{PROGRESS[report[0]['status']]} {report[0]['text']}" if report else "未报告"
            )
            rows.append(
                [
                    str(task["number"]),
                    assignment["unit"]["name"],
                    str(assignment["lead"]).lower(),
                    progress,
                ]
            )
    return rows


def page_rows(page: Page) -> list[list[str]]:
    found: list[list[str]] = page.eval_on_selector_all(
        "table.responsibility tbody tr",
        """rows => rows.map(r => [r.dataset.task, r.dataset.unit,
            String(Boolean(r.querySelector('.lead'))),
            r.lastElementChild.firstChild.textContent + (r.dataset.reported === 'true'
              ? ' ' + r.lastElementChild.childNodes[2].textContent : '')])""",
    )
    return found


@pytest.mark.parametrize("role", ROLES)
def test_the_responsibility_table_shows_each_units_progress_or_unreported(
    tab: Tab, demo: Demo, role: str
) -> None:
    quarter = current_quarter()
    plan = graphql(demo, role, TABLES, quarter=quarter)["plans"][0]
    page = open_page(tab, demo, role, f"tables/{plan['key']}/{quarter}/")  # all units
    expect(page.locator("#unit")).to_have_value("")
    expected = table_rows(plan)
    assert page_rows(page) == expected
    assert any(row[3] == "未报告" for row in expected), "the demo has units that did not report"
    reported = sum(row[3] != "未报告" for row in expected)
    expect(page.locator("#tables-summary")).to_have_text(
        f"{quarter}:{len(plan['tasks'])} 项任务,{len(expected)} 项责任分工,"
        f"已报告 {reported} 项,未报告 {len(expected) - reported} 项;"
        f"没有任何单位报告的任务 {len(plan['tasksWithoutReport'])} 项。"
    )
    leads = [row for row in expected if row[2] == "true"]
    assert len(leads) == len(plan["tasks"]), "one lead a task"


def test_a_units_table_opens_on_its_own_unit_and_shows_others_when_asked(
    tab: Tab, demo: Demo
) -> None:
    own = graphql(demo, "unit", "{ viewer { unit { id name } } }")["viewer"]["unit"]
    page = open_page(tab, demo, "unit", "tables")
    plan = graphql(demo, "unit", TABLES, quarter=current_quarter())["plans"][0]
    assert any(a["unit"]["id"] == own["id"] for t in plan["tasks"] for a in t["assignments"])
    expect(page.locator("#unit")).to_have_value(own["name"])
    expect(page.locator("#unit option:checked")).to_have_text(f"{own['name']}(本单位)")
    assert page_rows(page) == table_rows(plan, own["name"])
    expect(page.locator('.export[data-kind="UNIT_TABLE"]')).to_contain_text(f"{own['name']} 的任务")

    page.locator("#unit").select_option("")
    expect(page.locator("#unit")).to_have_value("")
    expect(page.locator("table.responsibility tbody tr")).to_have_count(len(table_rows(plan)))
    expect(page.locator('.export[data-kind="UNIT_TABLE"]')).to_have_count(0)
    other = next(row[1] for row in table_rows(plan) if row[1] != own["name"])
    page.locator("#unit").select_option(other)
    expect(page.locator("#unit")).to_have_value(other)
    assert page_rows(page) == table_rows(plan, other)


@pytest.mark.parametrize("role", [role for role in ROLES if role != "unit"])
def test_other_roles_tables_open_on_all_units(tab: Tab, demo: Demo, role: str) -> None:
    page = open_page(tab, demo, role, "tables")
    expect(page.locator("#unit")).to_have_value("")
    plan = graphql(demo, role, TABLES, quarter=current_quarter())["plans"][0]
    expect(page.locator("table.responsibility tbody tr")).to_have_count(len(table_rows(plan)))


def test_the_responsibility_table_filters_by_unit_and_quarter(tab: Tab, demo: Demo) -> None:
    page = open_page(tab, demo, "viewer", "tables")
    page.locator("#unit").select_option("市教委")
    expect(page.locator("#unit")).to_have_value("市教委")
    plan = graphql(demo, "viewer", TABLES, quarter=current_quarter())["plans"][0]
    expect(page.locator("table.responsibility tbody tr")).to_have_count(
        len(table_rows(plan, "市教委"))
    )
    assert page_rows(page) == table_rows(plan, "市教委")
    expect(page.locator('.export[data-kind="UNIT_TABLE"]')).to_contain_text("市教委 的任务")

    previous = page.locator("#quarter option").nth(1).get_attribute("value")
    assert previous
    page.locator("#quarter").select_option(previous)
    expect(page.locator("#quarter")).to_have_value(previous)
    earlier = graphql(demo, "viewer", TABLES, quarter=previous)["plans"][0]
    expect(page.locator("table.responsibility tbody tr")).to_have_count(
        len(table_rows(earlier, "市教委"))
    )
    assert page_rows(page) == table_rows(earlier, "市教委")
