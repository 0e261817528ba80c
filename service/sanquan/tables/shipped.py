"""The plans that ship with the service, each with its text in ``data/`` and the units and
aliases its names resolve to; every one is read the same way (parse, normalise, store).

A plan is named by its key, and its text lives in ``data/<key>.txt``, so adding a plan is
one text file and one entry in :data:`SHIPPED_PLANS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

from sanquan.tables.plan_text import ImportedTask, normalise, parse_tasks
from sanquan.tables.school_units import SCHOOL, SCHOOL_ALIASES, SCHOOL_UNITS
from sanquan.tables.units import ALIASES, MUNICIPAL, UNITS, Unit


@dataclass(frozen=True)
class PlanSource:
    """What a plan is (key, title, document, owner) and how its unit names resolve."""

    key: str
    title: str
    document: str
    owner: str
    units: tuple[Unit, ...]
    aliases: Mapping[str, str]

    def text(self) -> str:
        """The plan's text as shipped in ``data/<key>.txt``."""
        path = resources.files("sanquan.tables").joinpath(f"data/{self.key}.txt")
        return path.read_text("utf-8")

    def tasks(self, text: str | None = None) -> list[ImportedTask]:
        """The plan's tasks, units resolved, from ``text`` (the shipped text by default)."""
        return normalise(
            parse_tasks(self.text() if text is None else text), self.aliases, self.units
        )


JINGJIAOZUFA = PlanSource(
    key="jingjiaozufa-2019-3",
    title="北京市建设全国“三全育人”综合改革试点区实施方案",
    document="京教组发[2019]3号",
    owner=MUNICIPAL,
    units=UNITS,
    aliases=ALIASES,
)

IDEOLOGY_MEASURES = PlanSource(
    key="hnkjzydx-ideology-2023",
    title="意识形态工作责任制二十二条举措",
    # The measures carry no document number: the issuer and the date stand for one.
    document="中共河南科技职业大学委员会,2023年12月28日",
    owner=SCHOOL,
    units=SCHOOL_UNITS,
    aliases=SCHOOL_ALIASES,
)

SHIPPED_PLANS: dict[str, PlanSource] = {
    plan.key: plan for plan in (JINGJIAOZUFA, IDEOLOGY_MEASURES)
}


class UnknownPlanKeys(ValueError):
    """Keys of no shipped plan; the message lists the keys that do ship.

    >>> str(UnknownPlanKeys(["jjzf"]))
    '没有随服务发布的方案:jjzf;可导入的方案:jingjiaozufa-2019-3、hnkjzydx-ideology-2023'
    """

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = tuple(keys)
        super().__init__(
            f"没有随服务发布的方案:{'、'.join(self.keys)};可导入的方案:{'、'.join(SHIPPED_PLANS)}"
        )


def shipped_plans(keys: Sequence[str] | None = None) -> list[PlanSource]:
    """The shipped plans named by ``keys``, every one by default; :class:`UnknownPlanKeys`
    when a key names none, so that a typo imports nothing rather than a part."""
    if keys is None:
        return list(SHIPPED_PLANS.values())
    unknown = [key for key in keys if key not in SHIPPED_PLANS]
    if unknown:
        raise UnknownPlanKeys(unknown)
    return [SHIPPED_PLANS[key] for key in dict.fromkeys(keys)]


def aliases_of(owner: str) -> dict[str, str]:
    """Every alias the shipped plans of ``owner`` use, so a unit is found by any of its names."""
    return {
        alias: short
        for plan in SHIPPED_PLANS.values()
        if plan.owner == owner
        for alias, short in plan.aliases.items()
    }
