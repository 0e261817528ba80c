"""The 双带头人 强国行 set: one indicator per main task of 教思政厅函〔2024〕11号 (T1–T4),
in one dimension, as the notice lists them under one heading (主要任务).

Scale. The notice sets no figures: it names kinds of work and, for each task, outcomes it
*encourages* within the three-year cycle (精品党课, 品牌活动, 成果转化, 调研报告). Progress
is reported once a year as a narrative on 高校思政网, so it is judged, not measured: four
grades whose labels follow the notice's own words for results (成绩突出, 取得实效, 有序开展),
with a fourth for work that shows none.

Weights. The four tasks weigh 25 each. The notice has party building lead the other tasks
(以党建引领各项任务开展), but it leads *through* them, so its effect already shows in their
grades; weighting it more would count it twice.

Who scores. Any source may grade; the school's self-evaluation must cite its secretaries'
yearly progress submissions, the record the notice itself asks for.
"""

from __future__ import annotations

from sanquan_sdk import Dimension, Indicator, IndicatorSet, Level, LevelScale, Source, hookimpl

KEY = "shuangdaitouren-qiangguo"
VERSION = "2024.1"

GRADES = LevelScale(
    (
        Level("A", "成绩突出", 95),
        Level("B", "取得实效", 85),
        Level("C", "有序开展", 70),
        Level("D", "未见成效", 50),
    )
)

WEIGHT = 25.0
SCHOOL_EVIDENCE = frozenset({Source.SELF})

# (code, task as the notice names it, our summary of what the task asks)
_TASKS: tuple[tuple[str, str, str], ...] = (
    (
        "T1",
        "开展党建联建",
        "支部与地方党政机关、企事业单位、科研机构、基层社区的党组织结对共学共建,"
        "借党课、宣讲、经验交流和资源共享把组织、资源、经验连起来,由党建带动其余三项任务;"
        "行动周期内鼓励培育精品党课、课程思政示范课程。",
    ),
    (
        "T2",
        "提供教育服务",
        "把支部在思政、教学、科研管理上的经验送到地方教育部门、学校和师生身边,"
        "重点是乡村振兴重点区域:讲座、培训、科普、捐资助学、教研与课程交流、学科咨询,"
        "并从中打造“大思政课”;行动周期内鼓励形成教育服务品牌活动。",
    ),
    (
        "T3",
        "推动科技赋能",
        "用学科的科研与智库力量服务地方:有组织科研、攻关“卡脖子”技术,"
        "支持校地共建的研究院、创新中心、赋能站点,为地方机关、事业单位和龙头企业"
        "提供咨政建言、技术开发、创意设计、文化传播;行动周期内鼓励搭建产学研用平台、推动成果落地。",
    ),
    (
        "T4",
        "深化实践育人",
        "依托学科专业特色,带领支部师生到机关、街道乡镇、社区、企业、学校、医院等基层一线"
        "调研实践(调查访谈、志愿服务、专业实习、就业见习),健全校内校外贯通的实践育人机制;"
        "行动周期内鼓励形成高质量调研报告、地方发展咨询报告。",
    ),
)


def indicator_set() -> IndicatorSet:
    """Build the set; the SDK's data classes check it on construction."""
    return IndicatorSet(
        key=KEY,
        version=VERSION,
        title="高校“双带头人”教师党支部书记“强国行”专项行动(教思政厅函〔2024〕11号)",
        dimensions=(
            Dimension(
                code="D1",
                title="主要任务",
                indicators=tuple(
                    Indicator(
                        code=code,
                        title=title,
                        weight=WEIGHT,
                        scale=GRADES,
                        evidence_required=SCHOOL_EVIDENCE,
                        description=summary,
                    )
                    for code, title, summary in _TASKS
                ),
            ),
        ),
        description="四项主要任务,每项一个二级指标,按年度进展分四档评定;行动周期三年",
    )


@hookimpl
def sanquan_indicator_sets() -> list[IndicatorSet]:
    return [indicator_set()]
