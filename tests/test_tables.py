"""The responsibility tables through GraphQL (R19–R21): the imported plan's tasks with
their units lead first, each unit's table, quarterly progress and what has no report."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

from sanquan.timeutil import current_quarter
from tests.conftest import World

QUARTER = str(current_quarter())
"""Progress is reported for a quarter near today (the window is four back, one ahead)."""

PLAN = "jingjiaozufa-2019-3"
TASKS = """query($plan: String!) { tasks(plan: $plan) {
  number title units { name fullName } assignments { unit { name } lead } } }"""
REPORT = """mutation($i: ReportTaskProgressInput!) { reportTaskProgress(input: $i) {
  report { unit { name } quarter status text } userErrors { field code message } } }"""


def report(world: World, who: str, number: int, text: str = "已完成年度计划", **extra: Any) -> Any:
    variables = {
        "i": {
            "plan": PLAN,
            "taskNumber": number,
            "quarter": QUARTER,
            "status": "ON_TRACK",
            "text": text,
            **extra,
        }
    }
    return world.api(who)(REPORT, variables)["reportTaskProgress"]


def test_a_task_keeps_its_text_without_the_units_clause(world: World) -> None:
    query = "query($p: String!) { tasks(plan: $p) { number body } }"
    tasks = world.api("viewer")(query, {"p": PLAN})["tasks"]
    assert tasks[0]["body"].startswith("深入开展“共和国部长进校园”")
    assert all(t["body"] and "责任单位" not in t["body"] for t in tasks)
    school = world.api("viewer")(query, {"p": "hnkjzydx-ideology-2023"})["tasks"]
    assert school[0]["body"].startswith("把学习习近平新时代中国特色社会主义思想作为首要政治任务")
    assert "不少于6次" in school[0]["body"]


def test_plans_and_their_twenty_tasks(world: World) -> None:
    plans = world.api("viewer")("{ plans { key document title owner } }")["plans"]
    assert plans[0] == {
        "key": PLAN,
        "document": "京教组发[2019]3号",
        "title": "北京市建设全国“三全育人”综合改革试点区实施方案",
        "owner": "",
    }
    assert [p["key"] for p in plans[1:]] == ["hnkjzydx-ideology-2023"]  # test_tables_school
    tasks = world.api("viewer")(TASKS, {"plan": PLAN})["tasks"]
    assert [t["number"] for t in tasks] == list(range(1, 21))
    first = tasks[0]
    assert first["title"] == "充分发挥北京作为首都的政治优势"
    assert first["units"] == [
        {"name": "市委教育工委", "fullName": "中共北京市委教育工作委员会"},
        {"name": "市教委", "fullName": "北京市教育委员会"},
    ]
    assert [a["lead"] for a in first["assignments"]] == [True, False]
    # task 5 is written "(责任单位,:委教育工委…" and task 15 is led by 市教委
    assert tasks[4]["units"][0]["name"] == "市委教育工委"
    assert tasks[14]["units"][0]["name"] == "市教委"
    assert {u["name"] for u in tasks[3]["units"]} >= {"市文化和旅游局", "团市委"}


def test_one_table_per_unit(world: World) -> None:
    data = world.api("unit")('{ responsibleUnits(name: "市教育工委") { name tasks { number } } }')[
        "responsibleUnits"
    ]
    assert data[0]["name"] == "市委教育工委"  # found through the alias
    assert [t["number"] for t in data[0]["tasks"]] == list(range(1, 21))
    query = '{ responsibleUnits(owner: "") { name owner } }'
    municipal = world.api("viewer")(query)["responsibleUnits"]
    assert len(municipal) == 20
    assert {u["owner"] for u in municipal} == {""}


def test_units_report_on_their_own_tasks_only(world: World) -> None:
    done = report(world, "unit", 3)  # the unit account is 市教委, responsible for task 3
    assert done["userErrors"] == []
    assert done["report"] == {
        "unit": {"name": "市教委"},
        "quarter": QUARTER,
        "status": "ON_TRACK",
        "text": "已完成年度计划",
    }
    again = report(world, "unit", 3, text="修订后的报告", status="DONE")
    assert again["report"]["status"] == "DONE"
    refused = report(world, "unit", 2)  # 市委办公厅 and 市委教育工委 only
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("NOT_YOUR_TASK", ["taskNumber"])
    ]
    unknown = report(world, "unit", 21)
    assert [e["code"] for e in unknown["userErrors"]] == ["UNKNOWN_TASK"]
    body = world.api("admin").raw(
        REPORT,
        {"i": {"plan": PLAN, "taskNumber": 3, "quarter": QUARTER, "status": "DONE", "text": "x"}},
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_progress_for_a_quarter_and_tasks_without_report(world: World) -> None:
    report(world, "unit", 1)
    report(world, "unit", 15)
    data = world.api("viewer")(
        """query($plan: String!, $q: Quarter!) {
             plans { key tasksWithoutReport(quarter: $q) { number } }
             tasks(plan: $plan) { number
                                  progress(quarter: $q) { unit { name } status } } }""",
        {"plan": PLAN, "q": QUARTER},
    )
    (plan,) = [p for p in data["plans"] if p["key"] == PLAN]
    missing = [t["number"] for t in plan["tasksWithoutReport"]]
    assert missing == [n for n in range(1, 21) if n not in (1, 15)]
    progress = {t["number"]: t["progress"] for t in data["tasks"]}
    assert progress[1] == [{"unit": {"name": "市教委"}, "status": "ON_TRACK"}]
    assert progress[2] == []


TABLES_PAGE = """query($q: Quarter!) { plans { key tasks { number
  assignments { lead unit { name } } progress(quarter: $q) { unit { name } status } }
  tasksWithoutReport(quarter: $q) { number } } }"""
"""The commission's tables page: every plan, task, unit, and this quarter's progress."""


def test_the_tables_page_costs_the_same_statements_however_many_tasks_and_reports(
    world: World,
) -> None:
    """Every plan's tasks, units and progress are read a kind at a time, not a task at a
    time (that was 50 statements for two plans, each a round trip holding up the others)."""
    engine: Engine = world.client.app.state.engine  # type: ignore[attr-defined]
    sent: list[str] = []

    def seen(*args: object) -> None:
        sent.append(str(args[2]))

    viewer = world.api("viewer")
    counts = []
    for reported in ((), (1, 15), (3,)):
        for number in reported:
            assert report(world, "unit", number)["userErrors"] == []
        sent.clear()
        event.listen(engine, "before_cursor_execute", seen)
        try:
            data = viewer(TABLES_PAGE, {"q": QUARTER})
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        counts.append(len(sent))
    plans = {p["key"]: p for p in data["plans"]}
    assert len(plans) == 2 and len(plans[PLAN]["tasks"]) == 20
    progress = {t["number"]: t["progress"] for t in plans[PLAN]["tasks"]}
    assert {n for n, found in progress.items() if found} == {1, 3, 15}
    assert progress[3] == [{"unit": {"name": "市教委"}, "status": "ON_TRACK"}]
    missing = [t["number"] for t in plans[PLAN]["tasksWithoutReport"]]
    assert missing == [n for n in range(1, 21) if n not in (1, 3, 15)]
    other = next(p for key, p in plans.items() if key != PLAN)
    assert all(t["progress"] == [] for t in other["tasks"])
    # the token, the plans, their tasks, the tasks' units, the progress, the reported tasks
    assert counts == [6, 6, 6], sent


def test_a_later_mutation_of_one_request_reads_what_an_earlier_one_wrote(world: World) -> None:
    """The mutations of one request run one after another and share its memo of the
    tables: the second report's payload must show the second report, not what the first
    payload read before it was written."""
    fields = {
        name: f"""{name}: reportTaskProgress(input: {{plan: "{PLAN}", taskNumber: {number},
              quarter: "{QUARTER}", status: ON_TRACK, text: "{name}"}}) {{
              userErrors {{ code }}
              report {{ unit {{ tasks {{ number progress(quarter: "{QUARTER}") {{ text }}
                plan {{ key tasksWithoutReport(quarter: "{QUARTER}") {{ number }} }} }} }} }} }}"""
        for name, number in (("first", 1), ("second", 3))
    }
    data = world.api("unit")("mutation {" + "\n".join(fields.values()) + "}")
    assert data["first"]["userErrors"] == data["second"]["userErrors"] == []
    tasks = {
        t["number"]: t
        for t in data["second"]["report"]["unit"]["tasks"]
        if t["plan"]["key"] == PLAN
    }
    assert tasks[1]["progress"] == [{"text": "first"}]
    assert tasks[3]["progress"] == [{"text": "second"}]
    missing = {t["number"] for t in tasks[3]["plan"]["tasksWithoutReport"]}
    assert not missing & {1, 3}


# Rules each pinned by a test that fails on a mutant of tables/service.py that the tests
# above let through (tests/MUTATION.md).

CREATE_UNIT_ACCOUNT = """mutation($i: CreateAccountInput!) { createAccount(input: $i) {
  token userErrors { field code } } }"""
PROGRESS = """query($plan: String!) { tasks(plan: $plan) { number
  progress { unit { name } quarter text } } }"""


def reports_by_task(world: World) -> dict[int, set[tuple[str, str, str]]]:
    """(unit, quarter, text) of every report, by task number."""
    tasks = world.api("viewer")(PROGRESS, {"plan": PLAN})["tasks"]
    return {
        t["number"]: {(p["unit"]["name"], p["quarter"], p["text"]) for p in t["progress"]}
        for t in tasks
        if t["progress"]
    }


def test_a_report_replaces_only_that_units_report_on_that_task_for_that_quarter(
    world: World,
) -> None:
    # Each pair is reported so that one side comes first and then the other (tasks and
    # quarters from the middle, units both ways round): whichever sorts first, a report must
    # never find and overwrite another task's, quarter's or unit's.
    made = world.api("admin")(
        CREATE_UNIT_ACCOUNT,
        {"i": {"name": "工委 联络员", "role": "UNIT", "unitName": "市委教育工委"}},
    )["createAccount"]
    assert made["userErrors"] == []
    world.tokens["committee"] = made["token"]
    now = current_quarter()
    last, before = str(now.plus(-1)), str(now.plus(-2))
    steps = [
        # 市教委 on three of its tasks this quarter, the middle one first
        ("unit", 3, QUARTER),
        ("unit", 1, QUARTER),
        ("unit", 15, QUARTER),
        # 市教委 on task 15 in two more quarters, this quarter's being the latest
        ("unit", 15, before),
        ("unit", 15, last),
        # task 1's two units (市委教育工委 leads, 市教委): one first this quarter, the
        # other first last quarter
        ("committee", 1, QUARTER),
        ("committee", 1, last),
        ("unit", 1, last),
    ]
    for who, number, quarter in steps:
        done = report(world, who, number, text=f"{who} {quarter}", quarter=quarter)
        assert done["userErrors"] == [], (who, number, quarter)
    committee, ours = "市委教育工委", "市教委"
    assert reports_by_task(world) == {
        1: {
            (ours, QUARTER, f"unit {QUARTER}"),
            (committee, QUARTER, f"committee {QUARTER}"),
            (committee, last, f"committee {last}"),
            (ours, last, f"unit {last}"),
        },
        3: {(ours, QUARTER, f"unit {QUARTER}")},
        15: {
            (ours, QUARTER, f"unit {QUARTER}"),
            (ours, before, f"unit {before}"),
            (ours, last, f"unit {last}"),
        },
    }


def test_a_progress_report_needs_text(world: World) -> None:
    for blank in ("", "  \n"):
        refused = report(world, "unit", 3, text=blank)
        assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
            ("INVALID_VALUE", ["text"])
        ]
    assert reports_by_task(world) == {}


def test_an_unknown_plan_is_refused_naming_the_known_ones(world: World) -> None:
    # "a-plan" sorts before every plan's key, "zz-plan" after them.
    for key in ("a-plan", "zz-plan"):
        refused = world.api("unit", "en")(
            REPORT,
            {
                "i": {
                    "plan": key,
                    "taskNumber": 3,
                    "quarter": QUARTER,
                    "status": "DONE",
                    "text": "x",
                }
            },
        )["reportTaskProgress"]
        assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
            ("UNKNOWN_WORK_PLAN", ["plan"])
        ]
        assert refused["userErrors"][0]["message"] == (
            f"no plan '{key}'; there are: hnkjzydx-ideology-2023, {PLAN}"
        )
    assert reports_by_task(world) == {}
