"""R19: the twenty tasks of 京教组发[2019]3号 and their units, imported from the plan's text;
the unit tables of every shipped plan are checked alike."""

from __future__ import annotations

import pytest

from sanquan.tables.plan_text import (
    ImportedTask,
    ParsedTask,
    PlanTextError,
    UnknownUnits,
    normalise,
    parse_tasks,
)
from sanquan.tables.shipped import JINGJIAOZUFA, SHIPPED_PLANS, PlanSource
from sanquan.tables.units import ALIASES, UNITS, Unit

# Written by reading the document, not from the parser's output: number -> (title, units with
# the typos already corrected, lead first). The units are listed in the order the plan lists them.
EXPECTED: dict[int, tuple[str, tuple[str, ...]]] = {
    1: ("充分发挥北京作为首都的政治优势", ("市委教育工委", "市教委")),
    2: ("发挥领导干部育人表率作用", ("市委办公厅", "市委教育工委")),
    3: (
        "将北京生动实践转化为鲜活的课堂资源",
        ("市委教育工委", "市教委", "市委宣传部", "市发展改革委"),
    ),
    4: (
        "以首都文化滋养高校师生",
        (
            "市委教育工委",
            "市教委",
            "市委宣传部",
            "市委统战部",
            "市民族宗教委",
            "市文化和旅游局",
            "市文物局",
            "团市委",
        ),
    ),
    5: (
        "拓展首都新时代文化实践中心育人功能",
        ("市委教育工委", "市教委", "市委宣传部", "市委组织部", "团市委"),
    ),
    6: (
        "打造多种形式的实践教育人平台",
        ("市委教育工委", "市教委", "市委宣传部", "市科委", "市国资委"),
    ),
    7: (
        "鼓励优秀人才参与高校育人",
        ("市委教育工委", "市教委", "市科委", "市国资委", "市关工委"),
    ),
    8: (
        "发挥服务保障国家外事活动的育人作用",
        ("市委教育工委", "市教委", "市政府外办", "团市委"),
    ),
    9: (
        "净化校园周边环境",
        (
            "市委教育工委",
            "市教委",
            "市委政法委",
            "市委统战部",
            "市公安局",
            "市民族宗教委",
            "市应急管理局",
        ),
    ),
    10: (
        "营造良好宣传舆论氛围",
        ("市委教育工委", "市教委", "市委宣传部", "市文化和旅游局", "市委网信办"),
    ),
    11: ("深化党建引领的长效育人机制", ("市委教育工委", "市教委", "各高校党委")),
    12: ("树立全员育人的鲜明导向", ("市委教育工委", "市教委", "各高校党委")),
    13: (
        "健全建强高校思想政治工作骨干力量",
        ("市委教育工委", "市教委", "市委宣传部", "各高校党委"),
    ),
    14: (
        "发挥思想政治理论课在立德树人中的关键作用",
        ("市委教育工委", "市教委", "市委宣传部", "团市委", "各高校党委"),
    ),
    15: ("推动立德树人融入管理服务各环节", ("市教委", "市委教育工委", "各高校党委")),
    16: ("深化以文化人、以文育人", ("市委教育工委", "市教委", "市委宣传部", "各高校党委")),
    17: ("拓展网络育人覆盖面和实效性", ("市委教育工委", "市教委", "各高校党委")),
    18: ("建立大学生对成长环境的评价反馈机制", ("市委教育工委",)),
    19: ("开展高校“三全育人”体验式考察", ("市委教育工委",)),
    20: ("实施高校“三全育人”季度点评制度", ("市委教育工委",)),
}

SECTIONS = {
    range(1, 11): "统筹全市优质资源,构筑支持高校“三全育人”的大环境",
    range(11, 18): "集中破解重点难点问题,打造高校三全育人的小环境",
    range(18, 21): "完善督导考察制度,建立持续滚动推进的保障机制",
}


@pytest.fixture(scope="module")
def tasks() -> dict[int, ImportedTask]:
    return {task.number: task for task in JINGJIAOZUFA.tasks()}


def test_shipped_plan_imports_as_the_hand_made_table(tasks: dict[int, ImportedTask]) -> None:
    imported = {
        number: (task.title, tuple(unit.short for unit in task.units))
        for number, task in tasks.items()
    }
    assert imported == EXPECTED
    assert list(tasks) == list(range(1, 21))


def test_each_task_sits_in_its_part_of_the_plan(tasks: dict[int, ImportedTask]) -> None:
    for numbers, section in SECTIONS.items():
        assert {tasks[n].section for n in numbers} == {section}


def test_first_listed_unit_leads(tasks: dict[int, ImportedTask]) -> None:
    assert tasks[2].lead.short == "市委办公厅"
    assert tasks[15].lead.short == "市教委"
    assert all(task.lead == task.units[0] for task in tasks.values())


def test_misspelt_education_commission_still_leads_task_5(tasks: dict[int, ImportedTask]) -> None:
    raw = {task.number: task for task in parse_tasks(JINGJIAOZUFA.text())}
    assert raw[5].raw_units[0] == "委教育工委"
    assert tasks[5].lead == Unit("市委教育工委", "中共北京市委教育工作委员会")


def test_short_education_work_committee_maps_to_the_party_committee(
    tasks: dict[int, ImportedTask],
) -> None:
    raw = {task.number: task for task in parse_tasks(JINGJIAOZUFA.text())}
    for number in (4, 13, 17):
        assert raw[number].raw_units[0] == "市教育工委"
        assert tasks[number].lead.short == "市委教育工委"
    assert raw[15].raw_units[:2] == ("市教委", "市教育工委")
    assert [unit.short for unit in tasks[15].units[:2]] == ["市教委", "市委教育工委"]


def test_both_culture_and_tourism_spellings_are_one_unit(tasks: dict[int, ImportedTask]) -> None:
    raw = {task.number: task for task in parse_tasks(JINGJIAOZUFA.text())}
    assert "市文化和旅游委" in raw[4].raw_units
    assert "市文化和旅游局" in raw[10].raw_units
    culture = Unit("市文化和旅游局", "北京市文化和旅游局")
    assert culture in tasks[4].units
    assert culture in tasks[10].units


def test_unknown_unit_names_are_all_listed_and_nothing_imported() -> None:
    text = JINGJIAOZUFA.text()
    # 市国资委 is named in tasks 6 and 7, 市应急管理局 only in task 9.
    assert text.count("市国资委") == 2
    assert text.count("市应急管理局") == 1
    text = text.replace("市国资委", "市国资局").replace("市应急管理局", "市应急局")
    imported: list[ImportedTask] | None = None
    with pytest.raises(UnknownUnits) as raised:
        imported = normalise(parse_tasks(text), ALIASES, UNITS)
    assert imported is None
    assert raised.value.unknown == {"市国资局": (6, 7), "市应急局": (9,)}
    assert "市国资局" in str(raised.value)
    assert "市应急局" in str(raised.value)


def test_a_unit_named_twice_in_one_task_counts_once() -> None:
    task = ParsedTask(1, "标题", "正文。", "部分", ("市教育工委", "市教委", "市委教育工委"))
    (imported,) = normalise([task], ALIASES, UNITS)
    assert [unit.short for unit in imported.units] == ["市委教育工委", "市教委"]


def test_a_task_without_its_unit_clause_is_refused() -> None:
    text = JINGJIAOZUFA.text().replace(
        "(责任单位:市委教育工委、市教委、市委政法委", "(市委教育工委、市教委、市委政法委"
    )
    with pytest.raises(PlanTextError, match="第 9 项"):
        parse_tasks(text)


EVERY_PLAN = pytest.mark.parametrize("plan", SHIPPED_PLANS.values(), ids=SHIPPED_PLANS)


@EVERY_PLAN
def test_every_unit_has_a_distinct_full_name(plan: PlanSource) -> None:
    fulls = [unit.full for unit in plan.units]
    assert all(full.strip() for full in fulls)
    assert len(set(fulls)) == len(fulls)
    assert len({unit.short for unit in plan.units}) == len(plan.units)


@EVERY_PLAN
def test_aliases_lead_to_units_and_never_shadow_one(plan: PlanSource) -> None:
    shorts = {unit.short for unit in plan.units}
    assert set(plan.aliases.values()) <= shorts
    assert not set(plan.aliases) & shorts


@EVERY_PLAN
def test_every_known_unit_is_named_in_the_plan(plan: PlanSource) -> None:
    named = {unit for task in plan.tasks() for unit in task.units}
    assert named == set(plan.units)
