"""The 10-digit institution code (学校标识码) and the category guessed from a name."""

from __future__ import annotations

import re

# 41 = higher-education institution; then a GB/T 2260 province-level code; then six digits.
_CODE = re.compile(r"41(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|7[1]|8[1-2])\d{6}")

CATEGORIES = (
    "综合",
    "理工",
    "师范",
    "医药",
    "艺术",
    "财经",
    "政法",
    "语言",
    "农林",
    "体育",
    "民族",
)

# Checked in order: the first keyword found in the name decides.
_CATEGORY_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("民族", ("民族",)),
    ("师范", ("师范",)),
    ("体育", ("体育",)),
    ("医药", ("医", "药", "卫生")),
    ("艺术", ("艺术", "音乐", "美术", "戏剧", "戏曲", "电影", "舞蹈", "服装", "传媒")),
    ("财经", ("财经", "财贸", "金融", "经贸", "经济", "商", "物资")),
    ("语言", ("外国语", "语言", "外语")),
    ("政法", ("政法", "公安", "警察", "警官", "司法", "外交", "国际关系", "劳动关系", "青年政治")),
    ("农林", ("农", "林")),
    (
        "理工",
        (
            "理工",
            "工业",
            "科技",
            "交通",
            "航空",
            "航天",
            "邮电",
            "化工",
            "石油",
            "建筑",
            "信息",
            "电子",
            "工程",
            "矿业",
            "地质",
            "电力",
            "印刷",
            "机械",
            "技术",
            "工学院",
        ),
    ),
)


def is_valid_code(code: str) -> bool:
    """Whether ``code`` has the shape of a 学校标识码.

    >>> is_valid_code("4111010003"), is_valid_code("411101000"), is_valid_code("5111010003")
    (True, False, False)
    """
    return _CODE.fullmatch(code) is not None


def infer_category(name: str) -> str:
    """A best guess from the name, for a pool whose source list has no category.

    The guess is stored as *inferred* so the commission can see and correct it.

    >>> infer_category("北京师范大学")
    '师范'
    """
    for category, keywords in _CATEGORY_KEYWORDS:
        if any(keyword in name for keyword in keywords):
            return category
    return "综合"
