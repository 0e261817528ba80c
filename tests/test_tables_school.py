"""A school's own plan as a responsibility table (R19–R21): 河南科技职业大学's 22 measures
for the ideology-work responsibility system, loaded and tracked like 京教组发[2019]3号, with
the school's units kept apart from the municipal ones."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sanquan.errors import DomainError, ErrorCode
from sanquan.tables.models import ResponsibleUnit, WorkPlan
from sanquan.tables.plan_text import UnknownUnits
from sanquan.tables.service import get_plan, import_plans, read_plan, store_plan
from sanquan.tables.shipped import IDEOLOGY_MEASURES, JINGJIAOZUFA, PlanSource
from sanquan.tables.units import Unit
from sanquan.timeutil import current_quarter
from tests.commands import in_process
from tests.conftest import World
from tests.test_tables import report

QUARTER = str(current_quarter())
"""Progress is reported for a quarter near today (the window is four back, one ahead)."""

PLAN = "hnkjzydx-ideology-2023"
SCHOOL = "河南科技职业大学"

# Written by reading the measures, not from the data file: number -> (title, units lead first).
# Each measure names its units in its text; see sanquan.tables.school_units for the reading.
EXPECTED: dict[int, tuple[str, tuple[str, ...]]] = {
    1: ("加强学习研讨", ("党委理论学习中心组", "全校各单位", "党委领导班子")),
    2: ("加强理论宣讲", ("校党委", "学校领导班子", "院部")),
    3: ("加强研究阐释", ("党委宣传部", "科技处", "马克思主义学院", "学报", "校报")),
    4: ("强化主体责任", ("各级党委", "党总支", "直属党支部")),
    5: ("压实领导干部责任", ("各级党组织",)),
    6: ("构建大思政工作格局", ("校党委",)),
    7: ("加强师德师风建设", ("校党委",)),
    8: ("大力弘扬社会主义核心价值观", ("校党委",)),
    9: ("提高网络育人能力", ("党政管理干部", "学生工作队伍", "社科理论专家")),
    10: ("做好师生思想引领", ("校党委", "各级党组织")),
    11: ("加强课堂教学管理", ("校党委",)),
    12: ("加强学术交流管理", ("党委宣传部", "主办单位")),
    13: ("加强新闻宣传管理", ("院部", "处室")),
    14: ("抵御防范宗教渗透", ("各级党组织理论学习中心组",)),
    15: ("筑牢中华民族共同体意识做好民族工作", ("各级党组织理论学习中心组",)),
    16: ("加强各类社团管理", ("校党委", "校团委", "学生社团")),
    17: ("定期排查风险隐患", ("校党委",)),
    18: ("加强网络舆情管控", ("校党委",)),
    19: ("严格执行清单管理", ("校党委",)),
    20: ("通报报告机制", ("校党委",)),
    21: ("协调联动机制", ("校党委",)),
    22: ("专项督查机制", ("校党委",)),
}

PARTS = {
    range(1, 4): "全面强化党的创新理论武装",
    range(4, 6): "压实我校党组织全面领导责任",
    range(6, 11): "加强和改进思想政治工作",
    range(11, 17): "加强意识形态阵地管理",
    range(17, 20): "做好风险防范化解",
    range(20, 23): "建立健全工作长效机制",
}

TASKS = """query($plan: String!) { tasks(plan: $plan) { number title section
  units { name owner } assignments { unit { name } lead } } }"""
UNIT_TABLE = """query($name: String!, $owner: String) {
  responsibleUnits(name: $name, owner: $owner) {
    name fullName owner tasks { number plan { key owner } } } }"""
CREATE_UNIT_ACCOUNT = """mutation($i: CreateAccountInput!) { createAccount(input: $i) {
  token userErrors { field code } } }"""
# Another school with a 党委宣传部 of its own, named like 河南科技职业大学's.
OTHER_SCHOOL = PlanSource(
    key="ustb-test-plan",
    title="某校测试方案",
    document="",
    owner="北京科技大学",
    units=(Unit("党委宣传部", "中共北京科技大学委员会宣传部"),),
    aliases={},
)
OTHER_TEXT = "一、宣传工作\n1.办好校报。每月出版。(责任单位:党委宣传部)"


def test_school_measures_import_as_the_hand_made_table(world: World) -> None:
    tasks = world.api("viewer")(TASKS, {"plan": PLAN})["tasks"]
    imported = {t["number"]: (t["title"], tuple(u["name"] for u in t["units"])) for t in tasks}
    assert imported == EXPECTED
    assert [t["number"] for t in tasks] == list(range(1, 23))
    for task in tasks:
        assert [a["lead"] for a in task["assignments"]] == [True] + [False] * (
            len(task["units"]) - 1
        )
        assert {u["owner"] for u in task["units"]} == {SCHOOL}
    for numbers, part in PARTS.items():
        assert {t["section"] for t in tasks if t["number"] in numbers} == {part}


def test_school_plan_and_units_are_owned_by_the_school(world: World) -> None:
    plans = world.api("viewer")("{ plans { key owner document } }")["plans"]
    assert {p["key"]: p["owner"] for p in plans} == {JINGJIAOZUFA.key: "", PLAN: SCHOOL}
    units = world.api("viewer")(
        "query($o: String) { responsibleUnits(owner: $o) { name fullName } }", {"o": SCHOOL}
    )["responsibleUnits"]
    assert len(units) == len({name for _, names in EXPECTED.values() for name in names})
    full = {u["name"]: u["fullName"] for u in units}
    assert full["党委宣传部"] == "中共河南科技职业大学委员会宣传部"
    assert full["校党委"] == "中共河南科技职业大学委员会"
    assert full["校团委"] == "共青团河南科技职业大学委员会"


def test_a_units_tasks_stay_apart_by_owner(world: World, db: Session) -> None:
    store_plan(db, OTHER_SCHOOL, read_plan(OTHER_SCHOOL, OTHER_TEXT))
    db.commit()
    api = world.api("viewer")
    (ours,) = api(UNIT_TABLE, {"name": "校党委宣传部", "owner": SCHOOL})["responsibleUnits"]
    assert (ours["name"], ours["owner"]) == ("党委宣传部", SCHOOL)  # through the alias
    assert [(t["number"], t["plan"]["key"]) for t in ours["tasks"]] == [(3, PLAN), (12, PLAN)]
    (theirs,) = api(UNIT_TABLE, {"name": "党委宣传部", "owner": "北京科技大学"})["responsibleUnits"]
    assert theirs["fullName"] == "中共北京科技大学委员会宣传部"
    assert [(t["number"], t["plan"]["key"]) for t in theirs["tasks"]] == [(1, OTHER_SCHOOL.key)]
    (municipal,) = api(UNIT_TABLE, {"name": "市委教育工委"})["responsibleUnits"]
    assert {t["plan"]["owner"] for t in municipal["tasks"]} == {""}
    # Without an owner the lookup is municipal, and no municipal unit is called 党委宣传部.
    body = api.raw(UNIT_TABLE, {"name": "党委宣传部"})
    assert body["errors"][0]["extensions"]["code"] == "UNKNOWN_UNIT"


def test_a_school_unit_reports_on_its_own_measures_only(world: World) -> None:
    admin = world.api("admin")
    unowned = admin(
        CREATE_UNIT_ACCOUNT,
        {"i": {"name": "宣传部 联络员", "role": "UNIT", "unitName": "党委宣传部"}},
    )["createAccount"]
    assert [(e["code"], e["field"]) for e in unowned["userErrors"]] == [("UNKNOWN_UNIT", ["unit"])]
    made = admin(
        CREATE_UNIT_ACCOUNT,
        {
            "i": {
                "name": "宣传部 联络员",
                "role": "UNIT",
                "unitName": "校党委宣传部",
                "unitOwner": SCHOOL,
            }
        },
    )["createAccount"]
    assert made["userErrors"] == []
    world.tokens["school_unit"] = made["token"]

    done = report(world, "school_unit", 12, plan=PLAN)
    assert done["userErrors"] == []
    assert done["report"]["unit"] == {"name": "党委宣传部"}
    for plan, number in ((PLAN, 5), (PLAN, 13), (JINGJIAOZUFA.key, 3)):
        refused = report(world, "school_unit", number, plan=plan)
        assert [e["code"] for e in refused["userErrors"]] == ["NOT_YOUR_TASK"], (plan, number)
    # and the municipal 市教委 has no say on the school's measures
    refused = report(world, "unit", 12, plan=PLAN)
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_YOUR_TASK"]

    data = world.api("viewer")(
        """query($plan: String!, $q: Quarter!) {
             plans { key tasksWithoutReport(quarter: $q) { number } }
             tasks(plan: $plan) { number progress(quarter: $q) { unit { name } } } }""",
        {"plan": PLAN, "q": QUARTER},
    )
    (plan,) = [p for p in data["plans"] if p["key"] == PLAN]
    assert [t["number"] for t in plan["tasksWithoutReport"]] == [n for n in range(1, 23) if n != 12]
    progress = {t["number"]: t["progress"] for t in data["tasks"]}
    assert progress[12] == [{"unit": {"name": "党委宣传部"}}]


def test_without_aliases_every_variant_is_listed_and_nothing_imported(db: Session) -> None:
    bare = replace(IDEOLOGY_MEASURES, aliases={})
    with pytest.raises(UnknownUnits) as unknown:
        bare.tasks()
    # Measures 3, 5 and 13 write those units as the school usually does, not by short name.
    assert unknown.value.unknown == {
        "校党委宣传部": (3,),
        "学校各级党组织": (5,),
        "各学院部": (13,),
    }
    with pytest.raises(DomainError) as raised:
        import_plans(db, [JINGJIAOZUFA, bare])
    assert raised.value.code is ErrorCode.UNKNOWN_UNITS
    assert "各学院部(任务 13)" in raised.value.message()
    # The municipal plan came first and was fine, yet it was not stored either.
    assert db.scalar(select(func.count()).select_from(WorkPlan)) == 0
    assert db.scalar(select(func.count()).select_from(ResponsibleUnit)) == 0


def test_cli_imports_one_plan_by_key_and_names_the_known_ones(
    database_url: str, db: Session
) -> None:
    env = {**os.environ, "SANQUAN_DATABASE_URL": database_url, "COLUMNS": "200"}
    command = [sys.executable, "-m", "sanquan", "tables", "import", "--plan"]
    unknown = in_process([*command[3:], "jjzf"], env)  # what it says: in this process
    assert unknown.returncode == 2
    assert JINGJIAOZUFA.key in unknown.stderr
    assert PLAN in unknown.stderr
    done = subprocess.run([*command, PLAN], env=env, capture_output=True, text=True, check=True)
    assert "已导入 22 项任务" in done.stdout
    assert list(db.scalars(select(WorkPlan.key))) == [PLAN]


def test_importing_again_refreshes_the_tables_and_keeps_reports(world: World, db: Session) -> None:
    assert report(world, "unit", 3)["userErrors"] == []  # 京教组发[2019]3号 by default
    before = world.api("viewer")(TASKS, {"plan": PLAN})["tasks"]
    assert [p.key for p in import_plans(db)] == [JINGJIAOZUFA.key, PLAN]
    db.commit()
    assert world.api("viewer")(TASKS, {"plan": PLAN})["tasks"] == before
    data = world.api("viewer")(
        "query($p: String!, $q: Quarter!) { tasks(plan: $p) { progress(quarter: $q) { status } } }",
        {"p": JINGJIAOZUFA.key, "q": QUARTER},
    )
    assert data["tasks"][2]["progress"] == [{"status": "ON_TRACK"}]


def test_a_refreshed_task_takes_its_new_units_in_their_new_order(db: Session) -> None:
    league = Unit("校团委", "共青团北京科技大学委员会")
    source = replace(OTHER_SCHOOL, units=(*OTHER_SCHOOL.units, league))
    store_plan(db, source, read_plan(source, OTHER_TEXT))
    db.commit()
    store_plan(
        db, source, read_plan(source, OTHER_TEXT.replace("党委宣传部", "校团委、党委宣传部"))
    )
    db.commit()
    (task,) = get_plan(db, source.key).tasks
    assert [(a.unit.short_name, a.position) for a in task.assignments] == [
        ("校团委", 0),
        ("党委宣传部", 1),
    ]


# Rules each pinned by a test that fails on a mutant of tables/service.py that the tests
# above let through (tests/MUTATION.md).


def test_schools_units_of_one_name_stay_apart_whichever_owner_sorts_first(
    world: World, db: Session
) -> None:
    # 北京科技大学 sorts before 河南科技职业大学 and 清华大学 after it; each has a 党委宣传部.
    owners = {"ustb-test-plan": "北京科技大学", "thu-test-plan": "清华大学"}
    for key, owner in owners.items():
        unit = Unit("党委宣传部", f"中共{owner}委员会宣传部")
        source = replace(OTHER_SCHOOL, key=key, owner=owner, units=(unit,))
        store_plan(db, source, read_plan(source, OTHER_TEXT))
        db.commit()
    api = world.api("viewer")
    for key, owner in [*owners.items(), (PLAN, SCHOOL)]:
        (unit,) = api(UNIT_TABLE, {"name": "党委宣传部", "owner": owner})["responsibleUnits"]
        assert (unit["owner"], unit["fullName"]) == (owner, f"中共{owner}委员会宣传部")
        assert {t["plan"]["key"] for t in unit["tasks"]} == {key}


def test_a_malformed_plan_is_refused_naming_its_problems() -> None:
    text = "一、宣传工作\n1.办好校报。每月出版。\n3.办好网站。(责任单位:党委宣传部)"
    with pytest.raises(DomainError) as refused:
        read_plan(OTHER_SCHOOL, text)
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_VALUE, ("plan",))
    message = refused.value.message()
    assert "第 1 项没有以(责任单位:…)结尾" in message
    assert "第 1 项之后出现第 3 项" in message
