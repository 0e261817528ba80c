"""The responsible units of a school's own plan: 河南科技职业大学's 22 measures for the
ideology-work responsibility system (2023), with their short names, full names and aliases.

The measures carry no "(责任单位:…)" clause; the shipped text appends one to each measure,
composed from the bodies that measure itself charges. The rules followed, so that the table
can be checked against the document:

- a unit is a body the measure charges, in the order it charges them; the first leads;
- a post stands for the body it sits in (党委书记、校长 → 学校领导班子);
- a charge written without a subject is the issuer's own (校党委): the committee lists itself
  where such a charge comes first, and otherwise leaves it to the bodies the measure names,
  since it stands behind every measure and would otherwise be on nearly all 22;
- generic actors (各级党组织, 全校各单位) are units as written, like 各高校党委 in the
  municipal plan; so are groups of staff charged as a group (党政管理干部);
- teams a measure sets up (宣讲团, 网评员队伍), partners outside the school (属地新时代文明
  实践中心, 属地宣传、统战、网信、公安部门, 上级党委) and whoever a finding happens to
  concern (所在单位部门, 被督查的对象) are not units.
"""

from __future__ import annotations

from sanquan.tables.units import Unit

SCHOOL = "河南科技职业大学"
"""The school that owns the plan and its units; the issuer is its party committee."""

SCHOOL_UNITS: tuple[Unit, ...] = (
    # Measure 1: the study group is charged first; 党委“第一议题”制度 names the committee
    # only as the owner of a rule its 中心组 and 领导班子 carry out.
    Unit("党委理论学习中心组", "中共河南科技职业大学委员会理论学习中心组"),
    Unit("全校各单位", "河南科技职业大学各单位"),
    Unit("党委领导班子", "中共河南科技职业大学委员会领导班子"),
    # The issuer. Measure 2 (forming the three lecture teams and inviting speakers has no
    # subject), measure 10 (surveys of teachers' and students' thinking come first, also
    # without one) and measure 16 (management rules for societies; "党的具体指导") lead
    # with it; measures 6–8, 11, 17–19 and 21 name no actor at all (18's 本单位(部门) sizes
    # the commentator team, it is not charged); 20 and 22 name it.
    Unit("校党委", "中共河南科技职业大学委员会"),
    # Measure 2: "党委书记、校长…学校领导班子其他成员" teach; the posts are members of it.
    Unit("学校领导班子", "河南科技职业大学领导班子"),
    # Measure 2's 院部党组织书记、院长(主任) and measure 13's 各学院部: the colleges and
    # departments (学院(部)), each for itself.
    Unit("院部", "河南科技职业大学各学院(部)"),
    # Measure 3 writes 校党委宣传部, measure 12 党委宣传部: one department.
    Unit("党委宣传部", "中共河南科技职业大学委员会宣传部"),
    Unit("科技处", "河南科技职业大学科技处"),
    Unit("马克思主义学院", "河南科技职业大学马克思主义学院"),
    # Measure 3: "学报、校报等刊物要开辟…专栏" charges the publications themselves.
    Unit("学报", "河南科技职业大学学报"),
    Unit("校报", "河南科技职业大学校报"),
    # Measure 4 charges the three kinds of party organisation by name.
    Unit("各级党委", "河南科技职业大学各级党委"),
    Unit("党总支", "河南科技职业大学各党总支"),
    Unit("直属党支部", "河南科技职业大学各直属党支部"),
    # Measures 5 and 10 (its 领导班子成员 befriend intellectuals).
    Unit("各级党组织", "河南科技职业大学各级党组织"),
    # Measure 9 charges three groups of staff, and nobody else, to go online.
    Unit("党政管理干部", "河南科技职业大学党政管理干部"),
    Unit("学生工作队伍", "河南科技职业大学学生工作队伍"),
    Unit("社科理论专家", "河南科技职业大学社科理论专家"),
    # Measure 12: the 一会一报 system it sets up is reported to and approved by 党委宣传部,
    # so the department leads; the organiser (主办单位) runs the event as approved.
    Unit("主办单位", "河南科技职业大学哲学社会科学类学术活动主办单位"),
    # Measure 13 puts the 主体责任 for each website and new-media account on 各学院部、处室,
    # so they lead it rather than the committee whose rules they follow.
    Unit("处室", "河南科技职业大学各处室"),
    # Measures 14 and 15 name only the study groups of every party organisation.
    Unit("各级党组织理论学习中心组", "河南科技职业大学各级党组织理论学习中心组"),
    # Measure 16: "团的日常指导"; the school's Youth League committee gives it.
    Unit("校团委", "共青团河南科技职业大学委员会"),
    # Measure 16: the societies themselves (马克思主义社团育人作用).
    Unit("学生社团", "河南科技职业大学各学生社团"),
)

# Variant as written in the measures -> canonical short name.
SCHOOL_ALIASES: dict[str, str] = {
    # Measure 3.
    "校党委宣传部": "党委宣传部",
    # Measure 5.
    "学校各级党组织": "各级党组织",
    # Measure 13.
    "各学院部": "院部",
    # Measures 1 and 22 write the committee as plain 党委.
    "党委": "校党委",
}
