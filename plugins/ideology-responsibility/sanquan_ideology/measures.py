"""The document's six parts and 22 measures as data: headings as the document writes them,
and, for the measures that set one, the single figure the set scores.

Where a measure sets several figures, the comment beside it says which one was kept and why.
Where the document sets a floor for *each* of several units (每个社团, 每季度, 各级党组织,
本单位(部门)), the reported figure is the smallest over those units, so that one unit's
surplus cannot hide another's gap; the ``counted`` text tells reviewers so.
"""

from __future__ import annotations

from dataclasses import dataclass

from sanquan_ideology.scales import at_least
from sanquan_sdk import TargetScale


@dataclass(frozen=True)
class Measure:
    """One of the 22 measures (举措). ``target`` is set for the measures scored from a
    reported figure; ``counted`` says what that figure counts."""

    number: int
    title: str
    target: TargetScale | None = None
    counted: str = ""


@dataclass(frozen=True)
class Part:
    """One of the six parts (一 … 六) that group the measures."""

    code: str
    title: str
    measures: tuple[Measure, ...]


PARTS: tuple[Part, ...] = (
    Part(
        "D1",
        "全面强化党的创新理论武装",
        (
            # Also in the text: ≥ 2 speakers a session, one paper a member a year, and the
            # 学习强国 platform (100 % registration, ≥ 35 % daily activity). The heading names
            # the central group's study sessions; the platform figures concern self-study.
            Measure(
                1,
                "加强学习研讨",
                at_least(6, "次/年"),
                "党委理论学习中心组全年以集中学习研讨为主要形式的理论学习次数",
            ),
            # Also in the text: leaders' 思政课 hours a semester (4 or 2 课时). Those are
            # teaching; the lecture teams' visits are the 宣讲 of the heading.
            Measure(
                2,
                "加强理论宣讲",
                at_least(1, "次/年"),
                "党政干部、专家学者、学生骨干三个宣讲团中,全年深入院系宣讲次数最少的一团的次数",
            ),
            Measure(3, "加强研究阐释"),
        ),
    ),
    Part(
        "D2",
        "压实我校党组织全面领导责任",
        (
            Measure(4, "强化主体责任"),
            Measure(5, "压实领导干部责任"),
        ),
    ),
    Part(
        "D3",
        "加强和改进思想政治工作",
        (
            Measure(6, "构建大思政工作格局"),
            Measure(7, "加强师德师风建设"),
            Measure(8, "大力弘扬社会主义核心价值观"),
            Measure(9, "提高网络育人能力"),
            Measure(10, "做好师生思想引领"),
        ),
    ),
    Part(
        "D4",
        "加强意识形态阵地管理",
        (
            Measure(11, "加强课堂教学管理"),
            # "提前20个工作日"报批 is a deadline each sensitive event must keep, and the
            # measure's point is to allow no exception (杜绝"未批先办"); a yearly figure with
            # partial credit would blur a breach, so experts judge it on the grades.
            Measure(12, "加强学术交流管理"),
            Measure(13, "加强新闻宣传管理"),
            Measure(
                14,
                "抵御防范宗教渗透",
                at_least(1, "次/年"),
                "各级党组织理论学习中心组中,全年开展宗教工作集中学习研讨次数最少的一个的次数",
            ),
            Measure(
                15,
                "筑牢中华民族共同体意识做好民族工作",
                at_least(1, "次/年"),
                "各级党组织理论学习中心组中,全年开展民族工作集中学习研讨次数最少的一个的次数",
            ),
            Measure(
                16,
                "加强各类社团管理",
                at_least(1, "名/社团"),
                "配备指导教师最少的学生社团的指导教师人数",
            ),
        ),
    ),
    Part(
        "D5",
        "做好风险防范化解",
        (
            # Measure 17 names the screening without a figure; measure 22 sets its frequency
            # (每年至少开展2次风险排查). The figure is scored here, where the activity is,
            # and measure 22 keeps its own figure, the supervision visits.
            Measure(
                17,
                "定期排查风险隐患",
                at_least(2, "次/年"),
                "全年开展意识形态风险隐患排查的次数",
            ),
            Measure(
                18,
                "加强网络舆情管控",
                at_least(10, "% 在编人数"),
                "网评员人数占在编人数比例最低的单位(部门)的百分比",
            ),
            # "每年制定主流意识形态清单" is one list a year, a thing done or not; the measure
            # is about working the lists (提示函、督办单), which experts judge on the grades.
            Measure(19, "严格执行清单管理"),
        ),
    ),
    Part(
        "D6",
        "建立健全工作长效机制",
        (
            # Also in the text: ≥ 1 training a year, ≥ 2 committee discussions a year, one
            # report upwards a year. The heading is about 通报; its figure is kept.
            Measure(
                20,
                "通报报告机制",
                at_least(1, "次/年"),
                "全年在党内通报意识形态领域形势的次数",
            ),
            Measure(
                21,
                "协调联动机制",
                at_least(1, "次/季度"),
                "评审年度四个季度中,意识形态领域动态动向分析研判次数最少的一个季度的次数",
            ),
            # Also in the text: ≥ 2 risk screenings a year, scored under measure 17.
            Measure(
                22,
                "专项督查机制",
                at_least(1, "次/年"),
                "全年对基层单位开展意识形态工作专项督查的次数",
            ),
        ),
    ),
)
