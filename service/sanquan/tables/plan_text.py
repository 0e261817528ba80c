"""Reading a plan's tasks and responsible units out of the plan's own text.

Two steps, so a bad unit name is found before anything is stored: :func:`parse_tasks` takes the
text apart as written, :func:`normalise` maps every unit name to a known :class:`Unit` or
refuses the whole plan. Pure functions; storing the result is the caller's business.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sanquan.tables.units import Unit

# The source mixes ASCII and full-width punctuation, so every pattern accepts both. A part is
# headed "(一)…" in a municipal plan and "一、…" in a school's.
_SECTION = re.compile(
    r"(?:[(（][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、)\s*(?P<title>.+?)[。.]?"
)
_TASK = re.compile(r"(?P<number>\d{1,2})[.．、]\s*(?P<text>.+)")
# The clause closes the paragraph; stray commas and colons after 责任单位 are typos in the source.
_UNITS_CLAUSE = re.compile(r"[(（]\s*责任单位[\s,，:：]*(?P<names>[^()（）]*)[)）][。.]?")
_UNIT_SEPARATORS = re.compile(r"[、,，;；\s]+")


class PlanTextError(ValueError):
    """The text does not have the shape of a plan: every problem found, not just the first."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("方案文本无法解析:" + ";".join(self.problems))


class UnknownUnits(ValueError):
    """Unit names that neither a unit nor an alias knows; the plan is then not imported at all.

    ``unknown`` maps each name, in order of first appearance, to the numbers of the tasks that
    name it, so the alias table can be fixed in one go.

    >>> str(UnknownUnits({"市文旅委": (4, 10)}))
    '无法识别的责任单位:“市文旅委”(第 4、10 项)'
    """

    def __init__(self, unknown: Mapping[str, Sequence[int]]) -> None:
        self.unknown = {name: tuple(numbers) for name, numbers in unknown.items()}
        listed = ";".join(
            f"“{name}”(第 {'、'.join(map(str, numbers))} 项)"
            for name, numbers in self.unknown.items()
        )
        super().__init__(f"无法识别的责任单位:{listed}")


@dataclass(frozen=True)
class ParsedTask:
    """One numbered task as the document writes it, unit names untouched."""

    number: int
    title: str
    body: str
    section: str
    raw_units: tuple[str, ...]


@dataclass(frozen=True)
class ImportedTask:
    """A task (任务) with its responsible units resolved: document order, lead unit first."""

    number: int
    title: str
    section: str
    units: tuple[Unit, ...]
    body: str = ""
    """The task's text after its title, without the units clause."""

    @property
    def lead(self) -> Unit:
        """The first listed unit leads the task (牵头)."""
        return self.units[0]


def parse_tasks(text: str) -> list[ParsedTask]:
    """The numbered tasks of a plan, each under its part heading, with its units as written.

    A task is a paragraph "N.标题。正文(责任单位:甲、乙)"; its title is the heading up to the
    first 。, and its part is the nearest "(一)…" or "一、…" heading above it. Numbers must run
    1, 2, 3 …, so a lost or merged paragraph is noticed rather than silently shifting the table.

    >>> text = "(一)统筹资源\\n1.发挥优势。开展活动。(责任单位,:委教育工委、市教委)"
    >>> task = parse_tasks(text)[0]
    >>> task.number, task.title, task.section, task.raw_units
    (1, '发挥优势', '统筹资源', ('委教育工委', '市教委'))

    A school's plan heads its parts "一、…":

    >>> text = "一、强化理论武装\\n1.加强学习。每年6次。(责任单位:党委理论学习中心组)"
    >>> [(task.section, task.title) for task in parse_tasks(text)]
    [('强化理论武装', '加强学习')]
    """
    tasks: list[ParsedTask] = []
    problems: list[str] = []
    section: str | None = None
    last_number = 0
    for line in map(str.strip, text.splitlines()):
        if heading := _SECTION.fullmatch(line):
            section = heading["title"]
            continue
        if not (paragraph := _TASK.fullmatch(line)):
            continue
        number = int(paragraph["number"])
        if number != last_number + 1:
            problems.append(f"第 {last_number} 项之后出现第 {number} 项")
        last_number = number
        task, problem = _parse_task(number, paragraph["text"], section)
        if problem:
            problems.append(problem)
        if task:
            tasks.append(task)
    if not tasks and not problems:
        problems.append("没有找到编号的任务")
    if problems:
        raise PlanTextError(problems)
    return tasks


def _parse_task(number: int, text: str, section: str | None) -> tuple[ParsedTask | None, str]:
    clause = _UNITS_CLAUSE.search(text)
    if not clause or clause.end() != len(text):
        return None, f"第 {number} 项没有以(责任单位:…)结尾"
    names = tuple(name for name in _UNIT_SEPARATORS.split(clause["names"]) if name)
    title, full_stop, body = text[: clause.start()].partition("。")
    if not full_stop:
        return None, f"第 {number} 项的标题没有以“。”结束"
    if not names:
        return None, f"第 {number} 项没有写责任单位"
    if section is None:
        return None, f"第 {number} 项不在任何“(一)…”或“一、…”部分之下"
    return ParsedTask(number, title.strip(), body.strip(), section, names), ""


def normalise(
    tasks: Iterable[ParsedTask], aliases: Mapping[str, str], units: Iterable[Unit]
) -> list[ImportedTask]:
    """The tasks with every unit name mapped to its :class:`Unit`, or :class:`UnknownUnits`.

    A name is taken as a unit's short name first, then looked up in ``aliases``. Order is kept
    (the lead stays first); a unit named twice in one task, under two spellings, counts once.
    All tasks are checked before anything is returned, so the error lists every unknown name.
    """
    by_short = {unit.short: unit for unit in units}
    dangling = sorted(alias for alias, short in aliases.items() if short not in by_short)
    if dangling:
        # A broken alias table is a bug in shipped data, not bad input.
        raise ValueError(f"aliases point to no unit: {', '.join(dangling)}")
    unknown: dict[str, list[int]] = {}
    imported: list[ImportedTask] = []
    for task in tasks:
        resolved: list[Unit] = []
        for name in task.raw_units:
            unit = by_short.get(name) or by_short.get(aliases.get(name, ""))
            if unit is None:
                numbers = unknown.setdefault(name, [])
                if task.number not in numbers:
                    numbers.append(task.number)
            else:
                resolved.append(unit)
        units_in_order = tuple(dict.fromkeys(resolved))
        imported.append(
            ImportedTask(task.number, task.title, task.section, units_in_order, task.body)
        )
    if unknown:
        raise UnknownUnits(unknown)
    return imported
