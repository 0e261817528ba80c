"""The municipal responsible units (责任单位) of 京教组发[2019]3号: short names, full names
and aliases.

The plan names each unit by its short form, and not always the same way (typos, an outdated
name), so every variant goes through :data:`ALIASES` before it becomes a :class:`Unit`.
A school's own units live apart, in :mod:`sanquan.tables.school_units`: a school's 宣传部 is
not a municipal bureau, and two schools may both have one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    """A responsible unit (责任单位): the short name as the document writes it, and its full name.

    >>> Unit("市教委", "北京市教育委员会").short
    '市教委'
    """

    short: str
    full: str


MUNICIPAL = ""
"""The owner of the municipal plans and units; a school's plans and units are owned by it."""


# In the order the plan first names them. Names as they stood in 2019, after the 2018
# institutional reform of the Beijing party and government organs.
UNITS: tuple[Unit, ...] = (
    Unit("市委教育工委", "中共北京市委教育工作委员会"),
    Unit("市教委", "北京市教育委员会"),
    Unit("市委办公厅", "中共北京市委办公厅"),
    Unit("市委宣传部", "中共北京市委宣传部"),
    Unit("市发展改革委", "北京市发展和改革委员会"),
    Unit("市委统战部", "中共北京市委统一战线工作部"),
    Unit("市民族宗教委", "北京市民族宗教事务委员会"),
    # The 2018 reform merged 市文化局 and 市旅游发展委员会 into 北京市文化和旅游局 (a bureau,
    # 局); no "文化和旅游委员会" ever existed in Beijing, so task 4's "市文化和旅游委" is a slip
    # of the pen and task 10's "市文化和旅游局" is the real name.
    Unit("市文化和旅游局", "北京市文化和旅游局"),
    Unit("市文物局", "北京市文物局"),
    Unit("团市委", "共青团北京市委员会"),
    Unit("市委组织部", "中共北京市委组织部"),
    Unit("市科委", "北京市科学技术委员会"),
    Unit("市国资委", "北京市人民政府国有资产监督管理委员会"),
    Unit("市关工委", "北京市关心下一代工作委员会"),
    Unit("市政府外办", "北京市人民政府外事办公室"),
    Unit("市委政法委", "中共北京市委政法委员会"),
    Unit("市公安局", "北京市公安局"),
    Unit("市应急管理局", "北京市应急管理局"),
    Unit("市委网信办", "中共北京市委网络安全和信息化委员会办公室"),
    # Not one organ but every university's party committee, each for its own school.
    Unit("各高校党委", "各高等学校党的委员会"),
)

# Variant as written in the plan -> canonical short name. Canonical short names need no entry.
ALIASES: dict[str, str] = {
    # Tasks 4, 13, 15 and 17 drop the 委 of 市委.
    "市教育工委": "市委教育工委",
    # Task 5, "(责任单位,:委教育工委": the 市 was lost with the stray comma.
    "委教育工委": "市委教育工委",
    # Task 4; see the note on 市文化和旅游局 above.
    "市文化和旅游委": "市文化和旅游局",
}
