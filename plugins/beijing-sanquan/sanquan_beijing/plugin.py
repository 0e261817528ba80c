"""The Beijing "三全育人" set: one indicator per task of 京教组发[2019]3号, grouped by the
plan's three parts (大环境 tasks 1–10, 小环境 11–17, 督导考察 18–20), scored 0–100.

Every task weighs the same (5 of 100 points): the plan ranks none above another. A school's
self-evaluation of the 小环境 tasks, its own work, must cite evidence.
"""

from __future__ import annotations

from sanquan_sdk import Dimension, Indicator, IndicatorSet, Source, hookimpl

KEY = "beijing-sanquan"
VERSION = "2019.1"

# (dimension code, dimension title, [(task number, task title as the plan writes it)])
_PLAN: tuple[tuple[str, str, tuple[tuple[int, str], ...]], ...] = (
    (
        "D1",
        "统筹全市优质资源,构筑支持高校“三全育人”的大环境",
        (
            (1, "充分发挥北京作为首都的政治优势"),
            (2, "发挥领导干部育人表率作用"),
            (3, "将北京生动实践转化为鲜活的课堂资源"),
            (4, "以首都文化滋养高校师生"),
            (5, "拓展首都新时代文化实践中心育人功能"),
            (6, "打造多种形式的实践教育人平台"),
            (7, "鼓励优秀人才参与高校育人"),
            (8, "发挥服务保障国家外事活动的育人作用"),
            (9, "净化校园周边环境"),
            (10, "营造良好宣传舆论氛围"),
        ),
    ),
    (
        "D2",
        "集中破解重点难点问题,打造高校三全育人的小环境",
        (
            (11, "深化党建引领的长效育人机制"),
            (12, "树立全员育人的鲜明导向"),
            (13, "健全建强高校思想政治工作骨干力量"),
            (14, "发挥思想政治理论课在立德树人中的关键作用"),
            (15, "推动立德树人融入管理服务各环节"),
            (16, "深化以文化人、以文育人"),
            (17, "拓展网络育人覆盖面和实效性"),
        ),
    ),
    (
        "D3",
        "完善督导考察制度,建立持续滚动推进的保障机制",
        (
            (18, "建立大学生对成长环境的评价反馈机制"),
            (19, "开展高校“三全育人”体验式考察"),
            (20, "实施高校“三全育人”季度点评制度"),
        ),
    ),
)

_SCHOOL_WORK = {"D2"}


def indicator_set() -> IndicatorSet:
    """Build the set; the SDK's data classes check it on construction."""
    dimensions = tuple(
        Dimension(
            code=code,
            title=title,
            indicators=tuple(
                Indicator(
                    code=f"T{number:02d}",
                    title=task,
                    weight=5.0,
                    evidence_required=frozenset({Source.SELF})
                    if code in _SCHOOL_WORK
                    else frozenset(),
                )
                for number, task in tasks
            ),
        )
        for code, title, tasks in _PLAN
    )
    return IndicatorSet(
        key=KEY,
        version=VERSION,
        title="北京市“三全育人”综合改革试点区建设指标(京教组发[2019]3号)",
        dimensions=dimensions,
        description="二十项主要任务,每项一个二级指标,百分制",
    )


@hookimpl
def sanquan_indicator_sets() -> list[IndicatorSet]:
    return [indicator_set()]
